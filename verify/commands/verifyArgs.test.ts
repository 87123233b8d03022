import { describe, expect, it } from "vitest";
import { FAULT_NAMES, STACK_CHANGING_FAULTS } from "../run/faults";
import { parseArguments, SOAK_CYCLES } from "./verifyArgs";

const run = (argv: string[]) => {
  const parsed = parseArguments(argv);
  if (parsed.help) throw new Error("expected a run");
  return parsed.args;
};

describe("parseArguments", () => {
  it("gives the issue's defaults", () => {
    const args = run(["--stack", "docker"]);
    expect(args).toMatchObject({ stack: "docker", reportPath: "reports/verify-latest.json", faults: ["cancel-restore"], repeat: 1 });
    expect(args.modes).toBeUndefined();
    expect(args.cycle).toEqual({
      minCheckpoints: 2,
      checkpointTimeoutMs: 240_000,
      cancelTimeoutMs: 60_000,
      backlogMs: 15_000,
      restoreTimeoutMs: 180_000,
      outputTimeoutMs: 180_000,
      readTimeoutMs: 120_000,
      malformedRecords: 10,
      restoreFromEarliest: false,
    });
  });

  it("reads the faults, the repeat count and the modes", () => {
    expect(run(["--stack", "ci", "--faults", "all"]).faults).toEqual(FAULT_NAMES.filter((f) => !STACK_CHANGING_FAULTS.includes(f)));
    expect(run(["--stack", "ci", "--faults", "all"]).faults).not.toContain("upgrade-line");
    expect(run(["--stack", "ci", "--faults", "taskmanager-crash,broker-restart", "--repeat", "3", "--modes", "both"])).toMatchObject({
      faults: ["taskmanager-crash", "broker-restart"],
      repeat: 3,
      modes: ["EXACTLY_ONCE", "AT_LEAST_ONCE"],
    });
    expect(run(["--stack", "ci", "--modes", "at-least-once"]).modes).toEqual(["AT_LEAST_ONCE"]);
    expect(run(["--stack", "ci", "--soak"])).toMatchObject({ faults: ["cancel-restore"], repeat: SOAK_CYCLES });
    expect(run(["--stack", "ci", "--soak", "--repeat", "4", "--faults", "taskmanager-crash"])).toMatchObject({
      faults: ["taskmanager-crash"],
      repeat: 4,
    });
    expect(() => run(["--stack", "ci", "--soak=3"])).toThrow(/--soak takes no value/);
    expect(() => run(["--stack", "ci", "--faults", "meteor", "--repeat", "0", "--modes", "ONCE"])).toThrow(
      /--faults: unknown fault "meteor"; allowed: cancel-restore, [\s\S]*--repeat must be a whole number from 1 to 100, got "0"[\s\S]*--modes must list EXACTLY_ONCE and\/or AT_LEAST_ONCE/,
    );
    expect(() => run(["--outputs-file", "o.json", "--modes", "both"])).toThrow(/--modes needs --stack/);
  });

  it("reads every option, in both spellings", () => {
    const args = run([
      "--outputs-file=o.json",
      "--flink-url",
      "http://127.0.0.1:18081",
      "--kafka-bootstrap=127.0.0.1:19094",
      "--job-id",
      "abc",
      "--min-checkpoints",
      "3",
      "--checkpoint-timeout",
      "90",
      "--cancel-timeout=5",
      "--backlog",
      "0",
      "--restore-timeout",
      "30",
      "--output-timeout",
      "45.5",
      "--read-timeout",
      "10",
      "--malformed",
      "0",
      "--report",
      "out/r.json",
      "--restore-from-earliest",
    ]);
    expect(args).toEqual({
      outputsFile: "o.json",
      flinkUrl: "http://127.0.0.1:18081",
      kafkaBootstrap: "127.0.0.1:19094",
      reportPath: "out/r.json",
      faults: ["cancel-restore"],
      repeat: 1,
      cycle: {
        minCheckpoints: 3,
        checkpointTimeoutMs: 90_000,
        cancelTimeoutMs: 5_000,
        backlogMs: 0,
        restoreTimeoutMs: 30_000,
        outputTimeoutMs: 45_500,
        readTimeoutMs: 10_000,
        malformedRecords: 0,
        restoreFromEarliest: true,
        jobId: "abc",
      },
    });
  });

  it("answers --help whatever else is given", () => {
    expect(parseArguments(["--help", "--bogus"])).toEqual({ help: true });
  });

  it("names every bad argument and what is allowed", () => {
    expect(() =>
      parseArguments([
        "--stack",
        "a",
        "--outputs-file",
        "b",
        "--min-checkpoints",
        "0",
        "--checkpoint-timeout",
        "0",
        "--backlog",
        "x",
        "--bogus",
        "loose",
        "--report",
      ]),
    ).toThrow(
      [
        "unknown option --bogus",
        'unexpected argument "loose" (options start with --)',
        "--report needs a value",
        '--min-checkpoints must be a whole number ≥ 1, got "0"',
        "give either --stack or --outputs-file, not both",
        '--checkpoint-timeout must be a number of seconds > 0, got "0"',
        '--backlog must be a number of seconds ≥ 0, got "x"',
      ].join("\n"),
    );
  });

  it("bounds the malformed records", () => {
    expect(() => parseArguments(["--stack", "a", "--malformed", "-1"])).toThrow(
      '--malformed must be a whole number from 0 to 100, got "-1"',
    );
    expect(() => parseArguments(["--stack", "a", "--malformed", "2.5"])).toThrow("--malformed must be a whole number");
  });

  it("asks for the stack", () => {
    expect(() => parseArguments([])).toThrow("say which stack to verify: --stack <name> (or --outputs-file <json>)");
  });

  it("does not take the next option as a value", () => {
    expect(() => parseArguments(["--stack", "--restore-from-earliest"])).toThrow("--stack needs a value");
  });
});
