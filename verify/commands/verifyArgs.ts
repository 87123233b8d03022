// The command line of `npm run verify -- …`: parsed and validated in one pure function.

import type { CheckpointMode } from "../../infra/contract";
import { MALFORMED_KINDS } from "../judge/records";
import { DEFAULT_REPORT_PATH } from "../report/write";
import type { CycleOptions } from "../run/cycle";
import { DEFAULT_CYCLE_OPTIONS } from "../run/cycle";
import { ALL_FAULTS, FAULT_NAMES, type FaultName, parseFaultList, STACK_CHANGING_FAULTS } from "../run/faults";

export interface VerifyArguments {
  stack?: string;
  outputsFile?: string;
  flinkUrl?: string;
  kafkaBootstrap?: string;
  reportPath: string;
  /** The faults to run, one after another on the same stack. */
  faults: FaultName[];
  /** How many times the whole list runs (a soak). */
  repeat: number;
  /** Checkpoint modes to run the faults in; undefined: the stack's own mode only. */
  modes?: CheckpointMode[];
  cycle: CycleOptions;
}

export type ParsedArguments = { help: true } | { help: false; args: VerifyArguments };

export class UsageError extends Error {}

/** The cycles of a soak (`--soak`) unless `--repeat` says otherwise. */
export const SOAK_CYCLES = 10;

export const USAGE = `Usage: npm run verify -- --stack <name> [options]

Runs faults against a running stack and proves the recovery from the data. Each fault goes through the
same sequence: wait for completed checkpoints and output, inject the fault, recover, then judge the
committed output of visit_windows against the input visits: restored from the right checkpoint (not
from earliest), no duplicate, no missing window firing, malformed input dead-lettered once, the job
RUNNING. The default is the pattern's own cycle: cancel, then resubmit from the retained checkpoint.

Where the stack is:
  --stack <name>            read the stack outputs with \`pulumi stack output --json --show-secrets\`
  --outputs-file <path>     read them from a JSON file of the same shape instead
  --flink-url <url>         override the Flink REST address (output flinkRestUrl)
  --kafka-bootstrap <h:p>   override the Kafka bootstrap address (output kafkaBootstrap)
  --job-id <id>             the job of the first fault (default: the one running job named after output jobName)

What to run:
  --faults <list|all>       comma-separated, one after another on the same stack (default cancel-restore):
                            ${FAULT_NAMES.join(", ")}.
                            all: every fault but ${STACK_CHANGING_FAULTS.join(" and ")}, which upgrade the stack to
                            the next Flink line (pulumi up; needs --stack): the faults after one run on that line
  --repeat <n>              run the whole list n times (default 1; with --soak ${SOAK_CYCLES})
  --soak                    a soak: the list (default cancel-restore) run ${SOAK_CYCLES} times on the one stack, each
                            cycle judged on its own (0 duplicates, 0 missing, every malformed record
                            dead-lettered once, the job RUNNING)
  --modes <list|both>       EXACTLY_ONCE and/or AT_LEAST_ONCE (default: the stack's own mode). A mode the
                            stack does not run gets a stack of its own, derived from it with the Pulumi
                            Automation API, brought up, run and destroyed (needs --stack)

Each fault (durations in seconds):
  --min-checkpoints <n>     completed checkpoints to wait for before the first fault (default ${DEFAULT_CYCLE_OPTIONS.minCheckpoints})
  --checkpoint-timeout <s>  how long to wait for them (default ${DEFAULT_CYCLE_OPTIONS.checkpointTimeoutMs / 1000})
  --cancel-timeout <s>      how long to wait for CANCELED (default ${DEFAULT_CYCLE_OPTIONS.cancelTimeoutMs / 1000})
  --backlog <s>             how long the generator writes while no job runs, for resubmissions (default ${DEFAULT_CYCLE_OPTIONS.backlogMs / 1000})
  --restore-timeout <s>     how long the recovered job may take to be RUNNING (default ${DEFAULT_CYCLE_OPTIONS.restoreTimeoutMs / 1000})
  --output-timeout <s>      how long to wait for committed output and each checkpoint after the recovery (default ${DEFAULT_CYCLE_OPTIONS.outputTimeoutMs / 1000})
  --read-timeout <s>        how long reading a whole topic may take (default ${DEFAULT_CYCLE_OPTIONS.readTimeoutMs / 1000})
  --malformed <n>           malformed records written into the input right after each fault, which the job
                            must route to its dead-letter topic while it keeps running (default ${MALFORMED_KINDS.length}, one of
                            each kind: ${MALFORMED_KINDS.map((k) => k.name).join(", ")}; 0 to skip)
  --restore-from-earliest   the deliberately broken case: resubmit WITHOUT the checkpoint; the command
                            must then fail (resumedFromCheckpoint, duplicates). Leaves duplicates in the
                            output for good: bring the stack up afresh before a normal run.

Output:
  --report <path>           the JSON report (default ${DEFAULT_REPORT_PATH}); with several faults or modes
                            also a Markdown table beside it (.md)
  --help                    this text

Timings (ms, from the fault): faultToDetected = the job seen leaving RUNNING (CANCELED, RESTARTING, lost
with its JobManager); faultToRunning = the job, or its resubmission, RUNNING with all tasks;
faultToFirstCommittedOutput = the first committed output record after the fault; faultToCaughtUp = the
source group's committed offsets reach the input's end at the moment the job ran again; recoveryToRunning
= from the resubmission (or Flink's own restart, once detected) to RUNNING; cycle = to the first completed
checkpoint after the recovery; total = the whole fault.

Exit code: 0 when every check holds, 1 when a check fails, 2 for bad arguments, 3 when a fault could
not be completed (unreachable JobManager or broker, no running job, timeouts, restore refused).`;

const VALUE_OPTIONS = [
  "stack",
  "outputs-file",
  "flink-url",
  "kafka-bootstrap",
  "job-id",
  "min-checkpoints",
  "checkpoint-timeout",
  "cancel-timeout",
  "backlog",
  "restore-timeout",
  "output-timeout",
  "read-timeout",
  "malformed",
  "report",
  "faults",
  "repeat",
  "modes",
] as const;
const FLAG_OPTIONS = ["restore-from-earliest", "soak", "help"] as const;

export function parseArguments(argv: readonly string[]): ParsedArguments {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const problems: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(token);
    if (!match) {
      problems.push(`unexpected argument "${token}" (options start with --)`);
      continue;
    }
    const [, name, inline] = match as unknown as [string, string, string | undefined];
    if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
      if (inline !== undefined) problems.push(`--${name} takes no value`);
      flags.add(name);
    } else if ((VALUE_OPTIONS as readonly string[]).includes(name)) {
      let value = inline;
      const next = argv[i + 1];
      if (value === undefined && next !== undefined && !next.startsWith("--")) {
        value = next;
        i++;
      }
      if (value === undefined) problems.push(`--${name} needs a value`);
      else values.set(name, value);
    } else {
      problems.push(`unknown option --${name}`);
    }
  }
  if (flags.has("help")) return { help: true };

  const seconds = (name: string, fallbackMs: number, allowZero = false): number => {
    const text = values.get(name);
    if (text === undefined) return fallbackMs;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      problems.push(`--${name} must be a number of seconds ${allowZero ? "≥ 0" : "> 0"}, got "${text}"`);
      return fallbackMs;
    }
    return Math.round(value * 1000);
  };
  const minCheckpointsText = values.get("min-checkpoints");
  const minCheckpoints = minCheckpointsText === undefined ? DEFAULT_CYCLE_OPTIONS.minCheckpoints : Number(minCheckpointsText);
  if (!Number.isInteger(minCheckpoints) || minCheckpoints < 1)
    problems.push(`--min-checkpoints must be a whole number ≥ 1, got "${minCheckpointsText}"`);

  const malformedText = values.get("malformed");
  const malformedRecords = malformedText === undefined ? DEFAULT_CYCLE_OPTIONS.malformedRecords : Number(malformedText);
  if (!Number.isInteger(malformedRecords) || malformedRecords < 0 || malformedRecords > 100) {
    problems.push(`--malformed must be a whole number from 0 to 100, got "${malformedText}"`);
  }

  let faults: FaultName[] = ["cancel-restore"];
  const faultsText = values.get("faults");
  if (faultsText !== undefined) {
    try {
      faults = faultsText.trim() === "all" ? [...ALL_FAULTS] : parseFaultList(faultsText);
    } catch (error) {
      problems.push(`--faults: ${(error as Error).message} (or all)`);
    }
  }
  const repeatText = values.get("repeat");
  const repeat = repeatText === undefined ? (flags.has("soak") ? SOAK_CYCLES : 1) : Number(repeatText);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100)
    problems.push(`--repeat must be a whole number from 1 to 100, got "${repeatText}"`);
  const modesText = values.get("modes");
  let modes: CheckpointMode[] | undefined;
  if (modesText !== undefined) {
    const names =
      modesText.trim() === "both"
        ? ["EXACTLY_ONCE", "AT_LEAST_ONCE"]
        : modesText.split(",").map((m) => m.trim().toUpperCase().replace(/-/g, "_"));
    const wrong = names.filter((m) => m !== "EXACTLY_ONCE" && m !== "AT_LEAST_ONCE");
    if (wrong.length > 0 || names.length === 0)
      problems.push(`--modes must list EXACTLY_ONCE and/or AT_LEAST_ONCE (or both), got "${modesText}"`);
    else modes = [...new Set(names)] as CheckpointMode[];
  }

  const stack = values.get("stack");
  const outputsFile = values.get("outputs-file");
  if (modes !== undefined && stack === undefined)
    problems.push("--modes needs --stack: a mode the stack does not run gets a stack of its own, derived from it");
  if (stack !== undefined && outputsFile !== undefined) problems.push("give either --stack or --outputs-file, not both");
  if (stack === undefined && outputsFile === undefined)
    problems.push("say which stack to verify: --stack <name> (or --outputs-file <json>)");

  const cycle: CycleOptions = {
    minCheckpoints,
    checkpointTimeoutMs: seconds("checkpoint-timeout", DEFAULT_CYCLE_OPTIONS.checkpointTimeoutMs),
    cancelTimeoutMs: seconds("cancel-timeout", DEFAULT_CYCLE_OPTIONS.cancelTimeoutMs),
    backlogMs: seconds("backlog", DEFAULT_CYCLE_OPTIONS.backlogMs, true),
    restoreTimeoutMs: seconds("restore-timeout", DEFAULT_CYCLE_OPTIONS.restoreTimeoutMs),
    outputTimeoutMs: seconds("output-timeout", DEFAULT_CYCLE_OPTIONS.outputTimeoutMs),
    readTimeoutMs: seconds("read-timeout", DEFAULT_CYCLE_OPTIONS.readTimeoutMs),
    malformedRecords,
    restoreFromEarliest: flags.has("restore-from-earliest"),
    ...(values.has("job-id") ? { jobId: values.get("job-id")! } : {}),
  };

  if (problems.length > 0) throw new UsageError(`${problems.join("\n")}\nRun with --help for the options.`);
  return {
    help: false,
    args: {
      ...(stack !== undefined ? { stack } : {}),
      ...(outputsFile !== undefined ? { outputsFile } : {}),
      ...(values.has("flink-url") ? { flinkUrl: values.get("flink-url")! } : {}),
      ...(values.has("kafka-bootstrap") ? { kafkaBootstrap: values.get("kafka-bootstrap")! } : {}),
      reportPath: values.get("report") ?? DEFAULT_REPORT_PATH,
      faults,
      repeat,
      ...(modes ? { modes } : {}),
      cycle,
    },
  };
}
