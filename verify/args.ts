// The command line of `npm run verify -- …`: parsed and validated in one pure function.

import { CycleOptions } from "./cycle";
import { DEFAULT_REPORT_PATH } from "./report";

export interface VerifyArguments {
  stack?: string;
  outputsFile?: string;
  flinkUrl?: string;
  kafkaBootstrap?: string;
  reportPath: string;
  cycle: CycleOptions;
}

export type ParsedArguments = { help: true } | { help: false; args: VerifyArguments };

export class UsageError extends Error {}

export const USAGE = `Usage: npm run verify -- --stack <name> [options]

Runs the Checkpointer cycle against a running stack and proves it from the data: waits for completed
checkpoints, cancels the job, shows the retained checkpoint (Flink REST and its _metadata file), lets a
backlog build, resubmits the job restoring from that checkpoint, then judges the committed output of
visit_windows against the input visits: resumed from the checkpoint (not from earliest), no duplicate,
no missing window firing.

Where the stack is:
  --stack <name>            read the stack outputs with \`pulumi stack output --json --show-secrets\`
  --outputs-file <path>     read them from a JSON file of the same shape instead
  --flink-url <url>         override the Flink REST address (output flinkRestUrl)
  --kafka-bootstrap <h:p>   override the Kafka bootstrap address (output kafkaBootstrap)
  --job-id <id>             the job to cancel (default: the one running job named after output jobName)

The cycle (durations in seconds):
  --min-checkpoints <n>     completed checkpoints to wait for before the cancel (default 2)
  --checkpoint-timeout <s>  how long to wait for them (default 240)
  --cancel-timeout <s>      how long to wait for CANCELED (default 60)
  --backlog <s>             how long the generator writes while no job runs (default 15)
  --restore-timeout <s>     how long the resubmitted job may take to be RUNNING (default 180)
  --output-timeout <s>      how long to wait for committed output and each checkpoint after the restore (default 180)
  --read-timeout <s>        how long reading a whole topic may take (default 120)
  --malformed <n>           malformed records written into the input during the backlog, which the job must
                            route to its dead-letter topic while it keeps running (default 3, 0 to skip)
  --restore-from-earliest   the deliberately broken case: resubmit WITHOUT the checkpoint; the command
                            must then fail (resumedFromCheckpoint, duplicates). Leaves duplicates in the
                            output for good: bring the stack up afresh before a normal run.

Output:
  --report <path>           the JSON report (default ${DEFAULT_REPORT_PATH})
  --help                    this text

Timings in the report (ms): cancel = cancel request → CANCELED; restoreToRunning = resubmission →
job and all tasks RUNNING; restoreToFirstCommittedOutput = resubmission → first committed record in the
output beyond its end at cancel time; cycle = cancel request → first checkpoint of the new job; total =
the whole command.

Exit code: 0 when every check holds, 1 when a check fails, 2 for bad arguments, 3 when the cycle could
not be completed (unreachable JobManager or broker, no running job, timeouts, restore refused).`;

const DEFAULTS = {
  minCheckpoints: 2,
  checkpointTimeout: 240,
  cancelTimeout: 60,
  backlog: 15,
  restoreTimeout: 180,
  outputTimeout: 180,
  readTimeout: 120,
  malformed: 3,
};

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
] as const;
const FLAG_OPTIONS = ["restore-from-earliest", "help"] as const;

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

  const seconds = (name: string, fallback: number, allowZero = false): number => {
    const text = values.get(name);
    if (text === undefined) return fallback * 1000;
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      problems.push(`--${name} must be a number of seconds ${allowZero ? "≥ 0" : "> 0"}, got "${text}"`);
      return fallback * 1000;
    }
    return Math.round(value * 1000);
  };
  const minCheckpointsText = values.get("min-checkpoints");
  const minCheckpoints = minCheckpointsText === undefined ? DEFAULTS.minCheckpoints : Number(minCheckpointsText);
  if (!Number.isInteger(minCheckpoints) || minCheckpoints < 1) problems.push(`--min-checkpoints must be a whole number ≥ 1, got "${minCheckpointsText}"`);

  const malformedText = values.get("malformed");
  const malformedRecords = malformedText === undefined ? DEFAULTS.malformed : Number(malformedText);
  if (!Number.isInteger(malformedRecords) || malformedRecords < 0 || malformedRecords > 100) {
    problems.push(`--malformed must be a whole number from 0 to 100, got "${malformedText}"`);
  }

  const stack = values.get("stack");
  const outputsFile = values.get("outputs-file");
  if (stack !== undefined && outputsFile !== undefined) problems.push("give either --stack or --outputs-file, not both");
  if (stack === undefined && outputsFile === undefined) problems.push("say which stack to verify: --stack <name> (or --outputs-file <json>)");

  const cycle: CycleOptions = {
    minCheckpoints,
    checkpointTimeoutMs: seconds("checkpoint-timeout", DEFAULTS.checkpointTimeout),
    cancelTimeoutMs: seconds("cancel-timeout", DEFAULTS.cancelTimeout),
    backlogMs: seconds("backlog", DEFAULTS.backlog, true),
    restoreTimeoutMs: seconds("restore-timeout", DEFAULTS.restoreTimeout),
    outputTimeoutMs: seconds("output-timeout", DEFAULTS.outputTimeout),
    readTimeoutMs: seconds("read-timeout", DEFAULTS.readTimeout),
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
      cycle,
    },
  };
}
