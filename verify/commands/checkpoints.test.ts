import { describe, expect, it } from "vitest";
import { isPath, isStackName } from "../../lib/args";
import { argumentLists, assertArgumentsParseOrAreRefused } from "../../lib/argumentsProperty";
import {
  type CheckpointsArguments,
  CheckpointsUsageError,
  checkpointListing,
  MAX_KEEP,
  parseCheckpointsArguments,
  pruneArguments,
} from "./checkpoints";

describe("npm run checkpoints arguments", () => {
  it("lists the docker stack by default, or the one named", () => {
    expect(parseCheckpointsArguments(["list"])).toEqual({ command: "list", stack: "docker", json: false });
    expect(parseCheckpointsArguments(["list", "--stack", "fd"])).toEqual({ command: "list", stack: "fd", json: false });
    expect(parseCheckpointsArguments(["list", "--stack=ci", "--json"])).toEqual({ command: "list", stack: "ci", json: true });
    expect(parseCheckpointsArguments(["--help"])).toBe("help");
  });

  it("names what is wrong and what is allowed", () => {
    expect(() => parseCheckpointsArguments([])).toThrow(new CheckpointsUsageError("no command; allowed: list, inspect, prune"));
    expect(() => parseCheckpointsArguments(["restore"])).toThrow('unknown command "restore"; allowed: list, inspect, prune');
    expect(() => parseCheckpointsArguments(["list", "--stack"])).toThrow(
      "--stack needs a value: a Pulumi stack name: 1 to 100 letters, digits, '-', '_' or '.'",
    );
    expect(() => parseCheckpointsArguments(["list", "--stack=a b"])).toThrow(
      `--stack "a b" is not allowed: a Pulumi stack name: 1 to 100 letters, digits, '-', '_' or '.'`,
    );
    expect(() => parseCheckpointsArguments(["list", "--all"])).toThrow('unexpected argument "--all"');
    expect(() => parseCheckpointsArguments(["list", "latest"])).toThrow('unexpected argument "latest" for list');
  });

  it("inspects a named checkpoint or latest, as text or JSON", () => {
    expect(parseCheckpointsArguments(["inspect", "latest"])).toEqual({
      command: "inspect",
      stack: "docker",
      checkpoint: "latest",
      json: false,
    });
    expect(parseCheckpointsArguments(["inspect", "file:///checkpoints_flink/j/chk-3", "--json", "--stack", "kind"])).toEqual({
      command: "inspect",
      stack: "kind",
      checkpoint: "file:///checkpoints_flink/j/chk-3",
      json: true,
    });
    expect(() => parseCheckpointsArguments(["inspect"])).toThrow("inspect needs a checkpoint: a chk-N folder on the volume, or latest");
    expect(() => parseCheckpointsArguments(["inspect", "chk-3"])).toThrow(
      '<checkpoint> "chk-3" is not allowed: latest, or a chk-N folder on the volume as an absolute path or a file:// URI',
    );
    expect(() => parseCheckpointsArguments(["inspect", "latest", "b"])).toThrow(
      'unexpected argument "b" for inspect; allowed: <checkpoint | latest>, --json, --stack <name>',
    );
    expect(() => parseCheckpointsArguments(["inspect", "latest", "--apply"])).toThrow('unexpected argument "--apply" for inspect');
  });

  it("prunes as a dry run unless --apply, keeping at least one", () => {
    expect(parseCheckpointsArguments(["prune", "--keep", "2"])).toEqual({ command: "prune", stack: "docker", keep: 2, apply: false });
    expect(parseCheckpointsArguments(["prune", "--keep=1", "--apply", "--stack=ci"])).toEqual({
      command: "prune",
      stack: "ci",
      keep: 1,
      apply: true,
    });
    expect(() => parseCheckpointsArguments(["prune"])).toThrow("prune needs --keep <N>");
    expect(() => parseCheckpointsArguments(["prune", "--keep", "0"])).toThrow(
      '--keep "0" is not allowed: a whole number from 1 to 1000; the newest complete checkpoint is always kept',
    );
    expect(() => parseCheckpointsArguments(["prune", "--keep", "two"])).toThrow('--keep "two" is not allowed');
    expect(() => parseCheckpointsArguments(["prune", "--keep", "1e3"])).toThrow('--keep "1e3" is not allowed');
    expect(() => parseCheckpointsArguments(["prune", "--keep", "99999999999999999999"])).toThrow(
      '--keep "99999999999999999999" is not allowed',
    );
    expect(() => parseCheckpointsArguments(["prune", "--keep", "1", "--json"])).toThrow(
      'unexpected argument "--json" for prune; allowed: --keep <N>, --apply, --stack <name>',
    );
  });
});

describe("checkpointListing", () => {
  it("takes the command from the stack outputs, or says to bring the stack up", () => {
    const listing = ["python3", "/opt/flink/usrlib/jobs/checkpoints.py", "list", "--checkpoint-dir", "file:///checkpoints_flink"];
    expect(checkpointListing({ checkpointListing: listing }, "fd")).toEqual(listing);
    expect(() => checkpointListing({}, "fd")).toThrow(
      'stack "fd" has no output checkpointListing (a list of strings); run `npm run up -- fd`',
    );
    expect(() => checkpointListing({ checkpointListing: [1] }, "fd")).toThrow("no output checkpointListing");
  });
});

describe("pruneArguments", () => {
  const chk = "file:///checkpoints_flink/0123456789abcdef0123456789abcdef/chk-7";

  it("protects the checkpoint the stack's restoreFrom names", () => {
    expect(pruneArguments({ keep: 2, apply: true }, { restoreFrom: chk }, "fd")).toEqual(["--keep", "2", "--apply", "--protect", chk]);
  });

  it("protects nothing more when restoreFrom is latest or not set: prune keeps the newest complete one anyway", () => {
    expect(pruneArguments({ keep: 1, apply: false }, { restoreFrom: "latest" }, "fd")).toEqual(["--keep", "1"]);
    expect(pruneArguments({ keep: 1, apply: false }, { restoreFrom: "" }, "fd")).toEqual(["--keep", "1"]);
  });

  it("refuses to prune for a stack whose outputs cannot say what restoreFrom names", () => {
    expect(() => pruneArguments({ keep: 1, apply: true }, { checkpointListing: ["list"] }, "fd")).toThrow(
      'stack "fd" has no output restoreFrom, so prune cannot tell which checkpoint its config restores from; run `npm run up -- fd`',
    );
  });
});

describe("parseCheckpointsArguments on arbitrary command lines", () => {
  const valid = (parsed: CheckpointsArguments | "help"): boolean =>
    parsed === "help" ||
    (isStackName(parsed.stack) &&
      (parsed.command !== "prune" || (Number.isInteger(parsed.keep) && parsed.keep >= 1 && parsed.keep <= MAX_KEEP)) &&
      (parsed.command !== "inspect" ||
        parsed.checkpoint === "latest" ||
        (/^(\/|file:)/.test(parsed.checkpoint) && isPath(parsed.checkpoint))));

  it("returns valid arguments or throws its CheckpointsUsageError, never anything else", () => {
    const words = ["list", "inspect", "prune", "--stack", "--json", "--keep", "--apply", "--help", "latest", "--all"];
    assertArgumentsParseOrAreRefused(argumentLists(words), parseCheckpointsArguments, CheckpointsUsageError, valid);
  });
});
