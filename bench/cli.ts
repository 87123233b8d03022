// `npm run bench -- --recovery [--stack ci] [--runs 3]`: benchmarks on the docker target of this machine, written
// to reports/bench/ as JSON, a Markdown table and an SVG chart. Each setting gets a stack derived from the base
// stack (Automation API), brought up, measured and destroyed in turn, so the figures of one run sit side by side.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import {
  isPath,
  isStackName,
  notAllowed,
  PATH_ALLOWED,
  problemLines,
  STACK_NAME_ALLOWED,
  unwritableFolderProblem,
  wholeNumber,
} from "../lib/args";
import { runCommand } from "../lib/exec";
import { FlinkRest } from "../lib/flink/rest";
import { REPO_ROOT } from "../lib/paths";
import { withDerivedStack } from "../lib/stack/derived";
import { parseStackOutputs, type StackOutputs } from "../lib/stack/outputs";
import type { Log } from "../lib/wait";
import { waitFor } from "../lib/wait";
import { DEFAULT_CYCLE_OPTIONS, type MatrixRow, runMatrix } from "../verify";
import { runLineComparison } from "./lineRuns";
import { LINES_BACKLOG_EVENTS } from "./lines";
import { runLoadBenchmarks } from "./load";
import {
  RECOVERY_VARIANTS,
  type RecoveryResult,
  renderRecoveryChart,
  renderRecoveryTable,
  SUITE_RECOVERY_SETTINGS,
  selectVariants,
  summarize,
} from "./recovery";
import { runStateBenchmarks } from "./stateRuns";
import {
  completedCheckpoints,
  renderStorageChart,
  renderStorageTable,
  STORAGE_VARIANTS,
  type StorageResult,
  summarizeCheckpoints,
} from "./storage";

const PROJECT_DIR = REPO_ROOT;
/** Completed checkpoints each storage's figures are taken over, before its TaskManager crashes. */
export const STORAGE_CHECKPOINTS = 20;
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);

export const BENCH_USAGE = `Usage: npm run bench -- [--recovery] [--storage] [--throughput] [--latency] [--backlog] [--state] [--lines] [--smoke] [--stack <base>] [--runs <n>] [--settings <list>] [--reports <dir>]

  --recovery        TaskManager crash → RUNNING → first committed output, from Flink's defaults to the stack's
                    recovery settings one by one (one derived stack each; bench/recovery.ts)
  --storage         checkpoints on the volume against checkpoints in a bucket of the stack's own S3 server: each
                    checkpoint's duration and size (from the JobManager's log) over ${STORAGE_CHECKPOINTS} checkpoints, then
                    --runs TaskManager crashes (one derived stack per storage, one after the other, on the base
                    stack's host ports: the base must be down; bench/storage.ts)
  --throughput      the highest input rate the job sustains with bounded consumer lag, per checkpoint mode, and its
                    checkpoints' duration (p50, p99) and size at that rate (one derived stack per mode, shared with --latency)
  --latency         event produced → its window firing visible read_committed, p50/p95/p99, per mode, at checkpoint
                    intervals of 1 s, 5 s and 20 s
  --backlog         a 1,000,000-event backlog: time to catch up when the job restarts from its retained checkpoint
                    against from the earliest offsets, and the ratio (goal: 10x)
  --backlog-events <n>  another backlog size, 1000..2000000 (the tail stays 1 % of it)
  --state           checkpoint size and duration with 10, 1,000 and 100,000 open windows
                    (--backlog and --state share one derived stack, suffix bench-state)
  --lines           the Flink lines of versions.json side by side, one derived stack each (flinkVersion the line,
                    checkpoints every 5 s): TaskManager crash → RUNNING (--runs times), the highest input kept up,
                    latency at 5 s, and a restore against reprocessing (a ${LINES_BACKLOG_EVENTS.toLocaleString("en-US")}-event backlog, or
                    --backlog-events); each later line's figures as ratios to the first's (bench/lines.ts)
  --smoke           miniatures of the benchmarks named (alone: all four but --recovery, which has none) on the stack
                    --stack names, as it is (it must be up; nothing derived or destroyed; for --backlog and --state its
                    job is set aside while they run and resubmitted from its retained checkpoint); exit 1 unless each
                    produces its figures
  --stack <base>    the docker stack whose config the derived stacks start from (default ci; it need not be up)
  --runs <n>        crashes per setting (and per line with --lines), 1..20 (default 3)
  --settings <list> comma-separated recovery settings to run, by suffix, or all (default ${SUITE_RECOVERY_SETTINGS.join(", ")};
                    all: ${RECOVERY_VARIANTS.map((v) => v.suffix).join(", ")})
  --reports <dir>   where the results go (default reports/bench)`;

export interface BenchArguments {
  recovery: boolean;
  storage: boolean;
  throughput: boolean;
  latency: boolean;
  backlog: boolean;
  state: boolean;
  /** `--lines`: the Flink lines compared. */
  lines: boolean;
  smoke: boolean;
  stack: string;
  runs: number;
  /** Suffixes of the settings to run; null: all. */
  settings: string[] | null;
  reports: string;
  /** `--backlog-events`: the backlog benchmark's size; null: its default. */
  backlogEvents: number | null;
}

export class BenchUsageError extends Error {}

export function parseBenchArguments(argv: readonly string[]): BenchArguments | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const args: BenchArguments = {
    recovery: false,
    storage: false,
    throughput: false,
    latency: false,
    backlog: false,
    state: false,
    lines: false,
    smoke: false,
    stack: "ci",
    runs: 3,
    settings: null,
    reports: "reports/bench",
    backlogEvents: null,
  };
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    // The flag's value, or undefined (the problem noted) when none follows it.
    const value = (): string | undefined => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        problems.push(`${flag} needs a value`);
        return undefined;
      }
      i++;
      return next;
    };
    // The flag's value as a whole number in [min, max], or undefined (the problem noted) when it is missing or not one.
    const count = (min: number, max: number): number | undefined => {
      const text = value();
      if (text === undefined) return undefined;
      const n = wholeNumber(text, min, max);
      if (n === undefined) problems.push(notAllowed(flag, text, `a whole number from ${min} to ${max}`));
      return n;
    };
    // The flag's value when `valid`, else undefined (the problem noted).
    const checked = (valid: (text: string) => boolean, allowed: string): string | undefined => {
      const text = value();
      if (text === undefined || valid(text)) return text;
      problems.push(notAllowed(flag, text, allowed));
      return undefined;
    };
    if (flag === "--recovery") args.recovery = true;
    else if (flag === "--storage") args.storage = true;
    else if (flag === "--throughput") args.throughput = true;
    else if (flag === "--latency") args.latency = true;
    else if (flag === "--backlog") args.backlog = true;
    else if (flag === "--state") args.state = true;
    else if (flag === "--lines") args.lines = true;
    else if (flag === "--smoke") args.smoke = true;
    else if (flag === "--stack") args.stack = checked(isStackName, STACK_NAME_ALLOWED) ?? args.stack;
    else if (flag === "--reports") args.reports = checked(isPath, `the folder for the results: ${PATH_ALLOWED}`) ?? args.reports;
    else if (flag === "--settings") {
      const given = value();
      const text = given ?? "";
      const known = RECOVERY_VARIANTS.map((v) => v.suffix);
      const named =
        text.trim() === "all"
          ? known
          : text
              .split(",")
              .map((s) => s.trim())
              .filter((s) => s !== "");
      const unknown = named.filter((s) => !known.includes(s));
      if (given !== undefined && (named.length === 0 || unknown.length > 0))
        problems.push(
          notAllowed(
            "--settings",
            text,
            `${unknown.length > 0 ? `unknown settings ${unknown.join(", ")}` : "no setting"}; allowed: all or a comma-separated list of ${known.join(", ")}`,
          ),
        );
      else if (given !== undefined) args.settings = named;
    } else if (flag === "--backlog-events") args.backlogEvents = count(1_000, 2_000_000) ?? args.backlogEvents;
    else if (flag === "--runs") args.runs = count(1, 20) ?? args.runs;
    else
      problems.push(
        `unknown argument ${JSON.stringify(flag)}; allowed: --recovery, --storage, --throughput, --latency, --backlog, --state, --lines, --smoke, --stack <base>, --runs <n>, --settings <list>, --reports <dir>, --backlog-events <n>`,
      );
  }
  const measured = () => args.throughput || args.latency || args.backlog || args.state;
  // The smoke run alone means every benchmark that has a miniature.
  if (args.smoke && !measured()) args.throughput = args.latency = args.backlog = args.state = true;
  if (!args.recovery && !args.storage && !args.lines && !measured() && problems.length === 0)
    problems.push("name the benchmarks to run: --recovery, --storage, --throughput, --latency, --backlog, --state, --lines");
  const unminiatured = [args.recovery && "--recovery", args.storage && "--storage", args.lines && "--lines"].filter(Boolean);
  if (args.smoke && unminiatured.length > 0)
    problems.push(`--smoke has miniatures of --throughput, --latency, --backlog and --state, not of ${unminiatured.join(" or ")}`);
  if (problems.length > 0) throw new BenchUsageError(problems.join("\n"));
  return args;
}

export async function machine(): Promise<Record<string, unknown>> {
  const osRelease = await readFile("/etc/os-release", "utf8").catch(() => "");
  return {
    os: /PRETTY_NAME="?([^"\n]*)/.exec(osRelease)?.[1] ?? "unknown",
    kernel: release(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

async function recovery(args: BenchArguments, log: Log): Promise<boolean> {
  const dir = join(args.reports, "recovery");
  const results: RecoveryResult[] = [];
  let settings: Record<string, unknown> = {};
  for (const variant of selectVariants(args.settings)) {
    let rows: MatrixRow[] = [];
    let error: string | null = null;
    const stack = `${args.stack}-${variant.suffix}`;
    try {
      rows = await withDerivedStack(PROJECT_DIR, args.stack, variant, log, async (outputs) => {
        const variantDir = join(dir, variant.suffix);
        await mkdir(variantDir, { recursive: true });
        await writeFile(join(variantDir, "outputs.json"), `${JSON.stringify(outputs, null, 2)}\n`);
        settings = {
          images: outputs.images,
          checkpointMode: outputs.checkpointMode,
          checkpointIntervalMs: outputs.checkpointIntervalMs,
          partitions: outputs.partitions,
        };
        log(`== ${variant.label}: ${args.runs} TaskManager crash${args.runs === 1 ? "" : "es"}`);
        const crashes = await taskManagerCrashes(parseStackOutputs(outputs, {}, `stack "${stack}"`), stack, args.runs, variantDir, log);
        error = crashes.error;
        return crashes.rows;
      });
    } catch (caught) {
      error = (caught as Error).message;
    }
    results.push(summarize(variant.label, stack, variant.changes, rows, error));
  }
  await mkdir(dir, { recursive: true });
  const table = renderRecoveryTable(results);
  await writeFile(
    join(args.reports, "recovery.json"),
    `${JSON.stringify({ machine: await machine(), settings, base: args.stack, runs: args.runs, results }, null, 2)}\n`,
  );
  await writeFile(join(args.reports, "recovery.md"), table);
  await writeFile(join(args.reports, "recovery.svg"), renderRecoveryChart(results));
  console.log(`\n${table}\nrecovery: ${join(args.reports, "recovery.json")}, recovery.md, recovery.svg`);
  return results.every((r) => !r.error && r.passed === r.runs);
}

/** `runs` TaskManager crashes of a stack, judged as the matrix judges them: its rows, and what failed if anything did. */
async function taskManagerCrashes(
  outputs: StackOutputs,
  stack: string,
  runs: number,
  dir: string,
  log: Log,
): Promise<{ rows: MatrixRow[]; error: string | null }> {
  const reportPath = join(dir, "faults.json");
  const result = await runMatrix({
    outputs,
    stack,
    projectDir: PROJECT_DIR,
    faults: ["taskmanager-crash"],
    repeat: runs,
    options: DEFAULT_CYCLE_OPTIONS,
    reportPath,
    log,
  });
  const failed = result.incomplete || !result.matrix.ok;
  return {
    rows: result.matrix.rows,
    error: failed ? `the verification ${result.incomplete ? "could not complete every run" : "failed a check"} (${reportPath})` : null,
  };
}

/** The JobManager's log on the docker target: its console, where the flink image's entrypoint sends Flink's log. */
const jobManagerLog = async (container: string): Promise<string> => {
  const ran = await runCommand({ file: "docker", args: ["logs", container] }, 60_000);
  return `${ran.stdout}\n${ran.stderr}`;
};

async function storage(args: BenchArguments, log: Log): Promise<boolean> {
  const dir = join(args.reports, "storage");
  const results: StorageResult[] = [];
  for (const variant of STORAGE_VARIANTS) {
    const stack = `${args.stack}-${variant.suffix}`;
    let rows: MatrixRow[] = [];
    let checkpoints: ReturnType<typeof completedCheckpoints> = [];
    let error: string | null = null;
    try {
      rows = await withDerivedStack(PROJECT_DIR, args.stack, { ...variant, portShift: 0 }, log, async (raw) => {
        const outputs = parseStackOutputs(raw, {}, `stack "${stack}"`);
        if (outputs.processes.target !== "docker")
          throw new Error(`--storage runs on the docker target; stack ${stack} is ${outputs.target}`);
        const jobManager = outputs.processes.jobManager;
        const variantDir = join(dir, variant.suffix);
        await mkdir(variantDir, { recursive: true });
        await writeFile(join(variantDir, "outputs.json"), `${JSON.stringify(raw, null, 2)}\n`);
        const flink = new FlinkRest(outputs.flinkRestUrl);
        log(`== ${variant.storage}: ${STORAGE_CHECKPOINTS} checkpoints, one every ${outputs.checkpointIntervalMs / 1000} s`);
        await waitFor(
          `${STORAGE_CHECKPOINTS} completed checkpoints in the JobManager's log`,
          (STORAGE_CHECKPOINTS + 10) * outputs.checkpointIntervalMs,
          async () => {
            const found = completedCheckpoints(await jobManagerLog(jobManager));
            return found.length >= STORAGE_CHECKPOINTS
              ? { done: true, value: found }
              : { done: false, status: `${found.length} completed` };
          },
          log,
          { pollMs: 5_000 },
        );
        checkpoints = completedCheckpoints(await jobManagerLog(jobManager)).slice(0, STORAGE_CHECKPOINTS);
        log(
          `== ${variant.storage}: ${args.runs} TaskManager crash${args.runs === 1 ? "" : "es"} (${await flink.overview().then((o) => `${o.slotsTotal} slots`)})`,
        );
        const crashes = await taskManagerCrashes(outputs, stack, args.runs, variantDir, log);
        error = crashes.error;
        return crashes.rows;
      });
    } catch (caught) {
      error = (caught as Error).message;
    }
    results.push({
      storage: variant.storage,
      stack,
      changes: variant.changes,
      checkpoints: summarizeCheckpoints(checkpoints),
      completed: checkpoints,
      recovery: summarize(variant.storage, stack, variant.changes, rows, error),
      error,
    });
  }
  await mkdir(dir, { recursive: true });
  const table = renderStorageTable(results);
  await writeFile(
    join(args.reports, "storage.json"),
    `${JSON.stringify({ machine: await machine(), base: args.stack, runs: args.runs, results }, null, 2)}\n`,
  );
  await writeFile(join(args.reports, "storage.md"), table);
  await writeFile(join(args.reports, "storage.svg"), renderStorageChart(results));
  console.log(`\n${table}\nstorage: ${join(args.reports, "storage.json")}, storage.md, storage.svg`);
  return results.every((r) => !r.error && r.recovery.passed === r.recovery.runs && r.checkpoints.n >= STORAGE_CHECKPOINTS);
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: BenchArguments;
  try {
    const parsed = parseBenchArguments(argv);
    if (parsed === "help") {
      console.log(BENCH_USAGE);
      return 0;
    }
    args = parsed;
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(problemLines("bench", error.message));
    return 2;
  }
  const unwritable = unwritableFolderProblem(args.reports);
  if (unwritable) {
    console.error(problemLines("bench", notAllowed("--reports", args.reports, `a folder this user can write (${unwritable})`)));
    return 2;
  }
  return (await runBenchmarks(args, log)) ? 0 : 1;
}

/** Runs the benchmarks `args` name; true when each produced its figures (and, for recovery, every run passed). */
export async function runBenchmarks(args: BenchArguments, log: Log): Promise<boolean> {
  let ok = true;
  if (args.recovery) ok = (await recovery(args, log)) && ok;
  if (args.storage) ok = (await storage(args, log)) && ok;
  // The load benchmarks first: the smoke of --backlog and --state sets the stack's job aside and resubmits it.
  if (args.throughput || args.latency)
    ok = (await runLoadBenchmarks({ ...args, projectDir: PROJECT_DIR, machine: await machine(), log })) && ok;
  if (args.backlog || args.state) ok = (await runStateBenchmarks(args, PROJECT_DIR, machine, log)) && ok;
  if (args.lines) ok = (await runLineComparison(args, PROJECT_DIR, await machine(), log)) && ok;
  return ok;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`bench: unexpected failure: ${(error as Error).stack ?? String(error)}`);
      process.exit(3);
    },
  );
}
