import { describe, expect, it } from "vitest";

import { runShown } from "../exec";
import { checkpointsCommand, explainedProblem, inspectorTarget, partitionOffsetsOf, toolAnswer } from "./tool";

const LISTING = ["python3", "/opt/flink/usrlib/jobs/checkpoints.py", "list", "--checkpoint-dir", "file:///checkpoints_flink"];

describe("the checkpoint inspector in the JobManager", () => {
  it("runs the listing's script with another command, the same checkpoint directory and the copied jar", () => {
    expect(checkpointsCommand(LISTING, "inspect", ["latest", "--json"], "/tmp/ci.jar")).toEqual([
      "python3",
      "/opt/flink/usrlib/jobs/checkpoints.py",
      "inspect",
      "latest",
      "--json",
      "--inspector-jar",
      "/tmp/ci.jar",
      "--checkpoint-dir",
      "file:///checkpoints_flink",
    ]);
    expect(checkpointsCommand(LISTING, "list", [], "/tmp/ci.jar")).toEqual([
      "python3",
      "/opt/flink/usrlib/jobs/checkpoints.py",
      "list",
      "--inspector-jar",
      "/tmp/ci.jar",
      "--checkpoint-dir",
      "file:///checkpoints_flink",
    ]);
    expect(() => checkpointsCommand(["python3", "x.py"], "prune", [], "/tmp/ci.jar")).toThrow(
      'has no "list" command to derive "prune" from',
    );
  });

  it("names an image whose checkpoints.py is older than the inspector, and passes other failures on", () => {
    expect(explainedProblem("checkpoints.py: error: argument command: invalid choice: 'prune' (choose from 'list')", "prune")).toBe(
      'the stack\'s image has a checkpoints.py without "prune"; run `npm run up` with this version of jobs/flink',
    );
    expect(explainedProblem("checkpoints.py: error: unrecognized arguments: --inspector-jar /tmp/x.jar", "list")).toBe(
      'the stack\'s image has a checkpoints.py whose "list" reads no _metadata; run `npm run up` with this version of jobs/flink',
    );
    expect(explainedProblem("checkpoints.py: error: unrecognized arguments: --protect file:///c/j/chk-7", "prune")).toBe(
      "the stack's image has a checkpoints.py whose prune cannot protect the stack's restoreFrom; run `npm run up` with this version of jobs/flink",
    );
    expect(explainedProblem("Traceback (most recent call last):\n  ...\nKeyError: 'sourceOffsets'", "inspect")).toContain(
      "a checkpoints.py older than this inspector, which reads source offsets only when asked; run `npm run up`",
    );
    expect(explainedProblem("checkpoints: checkpoint-inspector: cannot read checkpoint x", "inspect")).toBe(
      "checkpoints: checkpoint-inspector: cannot read checkpoint x",
    );
  });

  it("names the copy by the build's line and key", () => {
    expect(inspectorTarget("/root/.cache/flink-checkpointer/checkpoint-inspector/1.20-3bd7f94654a9cf93")).toBe(
      "/tmp/checkpoint-inspector-1.20-3bd7f94654a9cf93.jar",
    );
  });

  it("takes the source offsets of one topic by partition; earliest is the partition's start", () => {
    const inspection = {
      sourceOffsets: [
        { topic: "visits", partition: 1, offset: 1201, uid: "visits-source" },
        { topic: "visits", partition: 0, offset: -2, uid: "visits-source" },
        { topic: "other", partition: 0, offset: 9, uid: "x" },
      ],
    };
    expect(partitionOffsetsOf(inspection, "visits")).toEqual({ 0: 0, 1: 1201 });
    expect(() => partitionOffsetsOf(inspection, "nope")).toThrow("the checkpoint holds no source offsets of topic nope");
    expect(() => partitionOffsetsOf({ sourceOffsets: [{ topic: "visits", partition: 0, offset: -3 }] }, "visits")).toThrow(
      "partition visits-0 has the starting-offset marker -3",
    );
    expect(() => partitionOffsetsOf({}, "visits")).toThrow("no sourceOffsets list");
  });
});

describe("the tool's own answer through docker exec or kubectl exec", () => {
  it("keeps prune's table and its exit 1, and tells a command that did not run from a tool that said no", async () => {
    const table = await runShown(
      { file: "sh", args: ["-c", "echo 'chk-3  refused: a symbolic link'; echo 'one row refused' >&2; exit 1"] },
      10_000,
    );
    expect(toolAnswer(table)).toEqual({ stdout: "chk-3  refused: a symbolic link", stderr: "one row refused", exitCode: 1 });
    const notRun = await runShown(
      { file: "sh", args: ["-c", "echo 'Error response from daemon: No such container: x' >&2; exit 1"] },
      10_000,
    );
    expect(toolAnswer(notRun)).toBeUndefined();
    const crashed = await runShown({ file: "sh", args: ["-c", "echo partial; exit 3"] }, 10_000);
    expect(toolAnswer(crashed)).toBeUndefined();
    const missing = await runShown({ file: "no-such-program-here", args: [] }, 10_000);
    expect(missing.failed?.exitCode).toBeNull();
    expect(toolAnswer(await runShown({ file: "sh", args: ["-c", "echo listed"] }, 10_000))).toEqual({
      stdout: "listed",
      stderr: "",
      exitCode: 0,
    });
  });
});
