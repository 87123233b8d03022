// The command line of `npm run verify -- …`: parsed and validated in one pure function.

import type { CheckpointMode } from "../../infra/contract";
import {
  HOST_PORT_ALLOWED,
  HTTP_URL_ALLOWED,
  isHostPort,
  isHttpUrl,
  isJobId,
  isPath,
  isStackName,
  JOB_ID_ALLOWED,
  MAX_WAIT_SECONDS,
  notAllowed,
  PATH_ALLOWED,
  STACK_NAME_ALLOWED,
  secondsAsMs,
  wholeNumber,
} from "../../lib/args";
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

/** The most checkpoints worth waiting for before a fault (at the default 20 s interval, over five hours). */
export const MAX_MIN_CHECKPOINTS = 1_000;
export const MAX_REPEAT = 100;
export const MAX_MALFORMED = 100;

const ALLOWED_OPTIONS = [...VALUE_OPTIONS, ...FLAG_OPTIONS].map((name) => `--${name}`).join(", ");

export function parseArguments(argv: readonly string[]): ParsedArguments {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const problems: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const match = /^--([a-z-]+)(?:=([\s\S]*))?$/.exec(token);
    if (!match) {
      problems.push(`unexpected argument ${JSON.stringify(token)}; allowed: options starting with --, ${ALLOWED_OPTIONS}`);
      continue;
    }
    const [, name, inline] = match as unknown as [string, string, string | undefined];
    if ((FLAG_OPTIONS as readonly string[]).includes(name)) {
      if (inline !== undefined) problems.push(notAllowed(`--${name}`, inline, `--${name} takes no value`));
      flags.add(name);
    } else if ((VALUE_OPTIONS as readonly string[]).includes(name)) {
      let value = inline;
      const next = argv[i + 1];
      if (value === undefined && next !== undefined && !next.startsWith("--")) {
        value = next;
        i++;
      }
      if (value === undefined) problems.push(`--${name} needs a value`);
      else if (values.has(name) && values.get(name) !== value)
        problems.push(`--${name} is given twice (${JSON.stringify(values.get(name))} and ${JSON.stringify(value)}); give it once`);
      else values.set(name, value);
    } else {
      problems.push(`unknown option --${name}; allowed: ${ALLOWED_OPTIONS}`);
    }
  }
  if (flags.has("help")) return { help: true };

  const seconds = (name: string, fallbackMs: number, allowZero = false): number => {
    const text = values.get(name);
    if (text === undefined) return fallbackMs;
    const ms = secondsAsMs(text, allowZero ? 0 : 1, MAX_WAIT_SECONDS * 1000);
    if (ms === undefined) {
      problems.push(notAllowed(`--${name}`, text, `a number of seconds from ${allowZero ? 0 : 0.001} to ${MAX_WAIT_SECONDS}`));
      return fallbackMs;
    }
    return ms;
  };
  const count = (name: string, fallback: number, min: number, max: number): number => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const value = wholeNumber(text, min, max);
    if (value === undefined) problems.push(notAllowed(`--${name}`, text, `a whole number from ${min} to ${max}`));
    return value ?? fallback;
  };
  const checked = (name: string, valid: (text: string) => boolean, allowed: string): string | undefined => {
    const text = values.get(name);
    if (text !== undefined && !valid(text)) problems.push(notAllowed(`--${name}`, text, allowed));
    return text;
  };

  const minCheckpoints = count("min-checkpoints", DEFAULT_CYCLE_OPTIONS.minCheckpoints, 1, MAX_MIN_CHECKPOINTS);
  const malformedRecords = count("malformed", DEFAULT_CYCLE_OPTIONS.malformedRecords, 0, MAX_MALFORMED);
  const repeat = count("repeat", flags.has("soak") ? SOAK_CYCLES : 1, 1, MAX_REPEAT);

  let faults: FaultName[] = ["cancel-restore"];
  const faultsText = values.get("faults");
  if (faultsText !== undefined) {
    try {
      faults = faultsText.trim() === "all" ? [...ALL_FAULTS] : parseFaultList(faultsText);
    } catch (error) {
      problems.push(`--faults ${JSON.stringify(faultsText)}: ${(error as Error).message} (or all)`);
    }
  }
  const modesText = values.get("modes");
  let modes: CheckpointMode[] | undefined;
  if (modesText !== undefined) {
    const names =
      modesText.trim() === "both"
        ? ["EXACTLY_ONCE", "AT_LEAST_ONCE"]
        : modesText.split(",").map((m) => m.trim().toUpperCase().replace(/-/g, "_"));
    const wrong = names.filter((m) => m !== "EXACTLY_ONCE" && m !== "AT_LEAST_ONCE");
    if (wrong.length > 0 || names.length === 0)
      problems.push(notAllowed("--modes", modesText, "EXACTLY_ONCE and/or AT_LEAST_ONCE, comma-separated, or both"));
    else modes = [...new Set(names)] as CheckpointMode[];
  }

  const stack = checked("stack", isStackName, STACK_NAME_ALLOWED);
  const outputsFile = checked("outputs-file", isPath, `the stack outputs as JSON: ${PATH_ALLOWED}`);
  const flinkUrl = checked("flink-url", isHttpUrl, HTTP_URL_ALLOWED);
  const kafkaBootstrap = checked("kafka-bootstrap", isHostPort, HOST_PORT_ALLOWED);
  const jobId = checked("job-id", isJobId, JOB_ID_ALLOWED);
  const reportPath = checked("report", isPath, `where the JSON report goes: ${PATH_ALLOWED}`) ?? DEFAULT_REPORT_PATH;
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
    ...(jobId !== undefined ? { jobId } : {}),
  };

  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  return {
    help: false,
    args: {
      ...(stack !== undefined ? { stack } : {}),
      ...(outputsFile !== undefined ? { outputsFile } : {}),
      ...(flinkUrl !== undefined ? { flinkUrl } : {}),
      ...(kafkaBootstrap !== undefined ? { kafkaBootstrap } : {}),
      reportPath,
      faults,
      repeat,
      ...(modes ? { modes } : {}),
      cycle,
    },
  };
}
