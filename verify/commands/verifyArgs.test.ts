import { describe, expect, it } from "vitest";
import { isHostPort, isHttpUrl, isJobId, isPath, isStackName, MAX_TIMER_MS, MAX_WAIT_SECONDS } from "../../lib/args";
import { argumentLists, assertArgumentsParseOrAreRefused } from "../../lib/argumentsProperty";
import { FAULT_NAMES, STACK_CHANGING_FAULTS } from "../run/faults";
import {
  MAX_MALFORMED,
  MAX_MIN_CHECKPOINTS,
  MAX_REPEAT,
  type ParsedArguments,
  parseArguments,
  SOAK_CYCLES,
  UsageError,
} from "./verifyArgs";

/** The problems parseArguments names, one per line. */
function usageProblems(argv: string[]): string[] {
  try {
    parseArguments(argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message.split("\n");
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

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
      /--repeat "0" is not allowed: a whole number from 1 to 100\n--faults "meteor": unknown fault "meteor"; allowed: cancel-restore, [\s\S]*\n--modes "ONCE" is not allowed: EXACTLY_ONCE and\/or AT_LEAST_ONCE, comma-separated, or both$/,
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
      "0123456789abcdef0123456789abcdef",
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
        jobId: "0123456789abcdef0123456789abcdef",
      },
    });
  });

  it("answers --help whatever else is given", () => {
    expect(parseArguments(["--help", "--bogus"])).toEqual({ help: true });
  });

  it("names every bad argument, its value and what is allowed, one line each", () => {
    const expected = [
      "unknown option --bogus; allowed: --stack, --outputs-file, ",
      'unexpected argument "loose"; allowed: options starting with --, --stack, ',
      "--report needs a value",
      '--min-checkpoints "0" is not allowed: a whole number from 1 to 1000',
      "give either --stack or --outputs-file, not both",
      '--checkpoint-timeout "0" is not allowed: a number of seconds from 0.001 to 86400',
      '--backlog "x" is not allowed: a number of seconds from 0 to 86400',
    ];
    const lines = usageProblems([
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
    ]);
    // Each line starts as expected; the allowed options listed after the start are the whole list.
    expect(lines.map((line, i) => line.slice(0, expected[i]?.length))).toEqual(expected);
  });

  it("refuses numbers a timer or a count cannot hold, and the spellings Number() would take", () => {
    for (const [option, text] of [
      ["--checkpoint-timeout", "1e9"],
      ["--checkpoint-timeout", "86400.001"],
      ["--checkpoint-timeout", "Infinity"],
      ["--checkpoint-timeout", "NaN"],
      ["--backlog", "-0"],
      ["--read-timeout", "0x10"],
      ["--output-timeout", " 5"],
      ["--min-checkpoints", "1001"],
      ["--repeat", "1e2"],
      ["--malformed", "99999999999999999999"],
    ] as const) {
      expect(usageProblems(["--stack", "a", option, text])).toEqual([expect.stringMatching(`^${option} "${text}" is not allowed: `)]);
    }
  });

  it("checks names and addresses as their tools take them", () => {
    expect(usageProblems(["--stack", "my stack"])).toEqual([
      `--stack "my stack" is not allowed: a Pulumi stack name: 1 to 100 letters, digits, '-', '_' or '.'`,
    ]);
    expect(usageProblems(["--stack", "a", "--job-id", "abc"])).toEqual([
      '--job-id "abc" is not allowed: a Flink job id: 32 hexadecimal digits, as in the Flink UI',
    ]);
    expect(usageProblems(["--stack", "a", "--flink-url", "127.0.0.1:8081"])).toEqual([
      '--flink-url "127.0.0.1:8081" is not allowed: an http:// or https:// URL with a host, such as http://127.0.0.1:8081',
    ]);
    expect(usageProblems(["--stack", "a", "--kafka-bootstrap", "kafka:99999"])).toEqual([
      '--kafka-bootstrap "kafka:99999" is not allowed: host:port with a port from 1 to 65535, such as 127.0.0.1:9094',
    ]);
    expect(usageProblems(["--stack", "a", "--stack", "b"])).toEqual(['--stack is given twice ("a" and "b"); give it once']);
  });

  it("bounds the malformed records", () => {
    expect(() => parseArguments(["--stack", "a", "--malformed", "-1"])).toThrow(
      '--malformed "-1" is not allowed: a whole number from 0 to 100',
    );
    expect(() => parseArguments(["--stack", "a", "--malformed", "2.5"])).toThrow('--malformed "2.5" is not allowed');
  });

  it("asks for the stack", () => {
    expect(() => parseArguments([])).toThrow("say which stack to verify: --stack <name> (or --outputs-file <json>)");
  });

  it("does not take the next option as a value", () => {
    expect(() => parseArguments(["--stack", "--restore-from-earliest"])).toThrow("--stack needs a value");
  });
});

const VERIFY_WORDS = [
  "--stack",
  "--outputs-file",
  "--flink-url",
  "--kafka-bootstrap",
  "--job-id",
  "--min-checkpoints",
  "--checkpoint-timeout",
  "--cancel-timeout",
  "--backlog",
  "--restore-timeout",
  "--output-timeout",
  "--read-timeout",
  "--malformed",
  "--report",
  "--faults",
  "--repeat",
  "--modes",
  "--restore-from-earliest",
  "--soak",
  "--help",
  "--bogus",
];

const inRange = (value: number, min: number, max: number) => Number.isInteger(value) && value >= min && value <= max;

/** What parseArguments may return: every number within what its timer or count holds, every name of its form. */
function validVerifyArguments(parsed: ParsedArguments): boolean {
  if (parsed.help) return true;
  const { args } = parsed;
  const { cycle } = args;
  const waits = [cycle.checkpointTimeoutMs, cycle.cancelTimeoutMs, cycle.restoreTimeoutMs, cycle.outputTimeoutMs, cycle.readTimeoutMs];
  return (
    (args.stack === undefined) !== (args.outputsFile === undefined) &&
    (args.stack === undefined || isStackName(args.stack)) &&
    (args.outputsFile === undefined || isPath(args.outputsFile)) &&
    (args.flinkUrl === undefined || isHttpUrl(args.flinkUrl)) &&
    (args.kafkaBootstrap === undefined || isHostPort(args.kafkaBootstrap)) &&
    isPath(args.reportPath) &&
    args.faults.length > 0 &&
    args.faults.every((fault) => FAULT_NAMES.includes(fault)) &&
    inRange(args.repeat, 1, MAX_REPEAT) &&
    (args.modes === undefined || (args.modes.length > 0 && args.stack !== undefined)) &&
    waits.every((ms) => inRange(ms, 1, Math.min(MAX_WAIT_SECONDS * 1000, MAX_TIMER_MS))) &&
    inRange(cycle.backlogMs, 0, MAX_WAIT_SECONDS * 1000) &&
    inRange(cycle.minCheckpoints, 1, MAX_MIN_CHECKPOINTS) &&
    inRange(cycle.malformedRecords, 0, MAX_MALFORMED) &&
    (cycle.jobId === undefined || isJobId(cycle.jobId)) &&
    !Object.is(cycle.backlogMs, -0)
  );
}

describe("parseArguments on arbitrary command lines", () => {
  it("returns valid arguments or throws its UsageError, never anything else", () => {
    assertArgumentsParseOrAreRefused(argumentLists(VERIFY_WORDS), parseArguments, UsageError, validVerifyArguments);
  });
});
