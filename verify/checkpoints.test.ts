import { describe, expect, it } from "vitest";
import { checkpointListing, CheckpointsUsageError, parseCheckpointsArguments } from "./checkpoints";

describe("npm run checkpoints arguments", () => {
  it("lists the docker stack by default, or the one named", () => {
    expect(parseCheckpointsArguments(["list"])).toEqual({ command: "list", stack: "docker" });
    expect(parseCheckpointsArguments(["list", "--stack", "fd"])).toEqual({ command: "list", stack: "fd" });
    expect(parseCheckpointsArguments(["list", "--stack=ci"])).toEqual({ command: "list", stack: "ci" });
    expect(parseCheckpointsArguments(["--help"])).toBe("help");
  });

  it("names what is wrong and what is allowed", () => {
    expect(() => parseCheckpointsArguments([])).toThrow(new CheckpointsUsageError("no command; allowed: list"));
    expect(() => parseCheckpointsArguments(["prune"])).toThrow('unknown command "prune"; allowed: list');
    expect(() => parseCheckpointsArguments(["list", "--stack"])).toThrow('unexpected argument "--stack"; allowed: --stack <name>');
    expect(() => parseCheckpointsArguments(["list", "--all"])).toThrow('unexpected argument "--all"');
  });
});

describe("checkpointListing", () => {
  it("takes the command from the stack outputs, or says to bring the stack up", () => {
    const listing = ["python3", "/opt/flink/usrlib/jobs/checkpoints.py", "list", "--checkpoint-dir", "file:///checkpoints_flink"];
    expect(checkpointListing({ checkpointListing: listing }, "fd")).toEqual(listing);
    expect(() => checkpointListing({}, "fd")).toThrow("stack \"fd\" has no output checkpointListing (a list of strings); run `npm run up -- fd`");
    expect(() => checkpointListing({ checkpointListing: [1] }, "fd")).toThrow("no output checkpointListing");
  });
});
