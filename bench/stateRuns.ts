// Runs the backlog and the state benchmarks on a stack that is up: the benchmark's own job (benchJob.ts) fed by the
// stack's generator image in rate mode (loadGenerator.ts). Pure figures and pictures are in backlog.ts and state.ts.

import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { mustRun } from "../lib/exec";
import { FlinkRest } from "../lib/flink/rest";
import { type StackVariant, withDerivedStack } from "../lib/stack/derived";
import { parseStackOutputs, readPulumiOutputs, type StackOutputs } from "../lib/stack/outputs";
import type { Log } from "../lib/wait";
import {
  BACKLOG_PLAN,
  BACKLOG_SMOKE_PLAN,
  type BacklogPlan,
  type BacklogResult,
  backlogLoad,
  backlogMeasured,
  backlogPlanFor,
  backlogStartTimes,
  renderBacklogChart,
  renderBacklogTable,
} from "./backlog";
import { BenchJob, benchJobSettings, benchNames, recordsBetween, resubmitStackJob, setAsideStackJob, totalOf } from "./benchJob";
import { type GeneratorLoad, type GeneratorPlace, generate, generatorPlace, stackGeneratorOf } from "./loadGenerator";
import {
  renderStateChart,
  renderStateTable,
  STATE_PLAN,
  STATE_SMOKE_PLAN,
  type StatePlan,
  type StateResult,
  stateLoad,
  stateMeasured,
} from "./state";

/** A stack as a benchmark finds it: its outputs, its name, and whether the benchmark owns it (a derived stack). */
export interface BenchStack {
  name: string;
  outputs: StackOutputs;
  /** Owned: its generator is stopped and its job left cancelled; not owned: both are left as they were found. */
  owned: boolean;
}

/** The machine's load averages (1, 5, 15 minutes), recorded with every measured result on a shared machine. */
export const loadAverages = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

async function placeFor(stack: BenchStack, log: Log): Promise<GeneratorPlace> {
  const generator = stackGeneratorOf(stack.outputs);
  const place = await generatorPlace(generator);
  if (stack.owned) {
    await mustRun({ file: "docker", args: ["stop", generator] });
    log(`   stopped ${generator}: on a stack of the benchmark's own its real-time visits are only noise`);
  }
  return place;
}

/** Events per second at least expected of the generator, for its time bound. */
const SLOWEST_GENERATOR_RATE = 1_000;
const generatorTimeoutMs = (load: GeneratorLoad) => 60_000 + (load.maxEvents / Math.min(load.rate, SLOWEST_GENERATOR_RATE)) * 1000;

export async function runBacklog(
  stack: BenchStack,
  plan: BacklogPlan,
  runId: string,
  log: Log,
): Promise<BacklogResult & { load: { before: number[]; after?: number[] } }> {
  const result: BacklogResult & { load: { before: number[]; after?: number[] } } = {
    plan,
    inputRecords: null,
    generator: { backlog: null, tail: null },
    checkpoint: null,
    restore: null,
    restoreRecords: null,
    earliest: null,
    earliestRecords: null,
    error: null,
    load: { before: loadAverages() },
  };
  const names = benchNames("backlog", runId);
  const place = await placeFor(stack, log);
  const bench = await BenchJob.open(stack.outputs, names, log);
  const settings = benchJobSettings(stack.outputs.jobSubmission.settings, names);
  const starts = backlogStartTimes(plan, Date.now());
  try {
    // 1. The backlog, then a job without state that reads it from the earliest offsets and checkpoints all of it.
    const backlogLoaded = backlogLoad(plan, names.input, plan.events, starts.backlog, 1);
    result.generator.backlog = await generate(
      place,
      backlogLoaded,
      `${names.jobName}-backlog`,
      names.jobName,
      generatorTimeoutMs(backlogLoaded),
      log,
    );
    const backlogEnd = await bench.kafka.endOffsets(names.input);
    result.earliestRecords = totalOf(backlogEnd);
    log(`== backlog: ${result.earliestRecords} records, a job submitted without state reads them from the earliest offsets`);
    result.earliest = await bench.submitAndCatchUp(settings, null, backlogEnd, plan.catchUpTimeoutMs);
    await bench.cancel(result.earliest.jobId);
    const retained = (await bench.flink.checkpoints(result.earliest.jobId)).latestCompleted;
    if (!retained) throw new Error(`job ${result.earliest.jobId} left no completed checkpoint`);
    result.checkpoint = { id: retained.id, path: retained.externalPath };
    const checkpointed = await bench.kafka.committedOffsets(`${names.group}-1`, names.input);
    log(
      `   cancelled ${result.earliest.jobId}; retained checkpoint ${retained.id} at ${retained.externalPath}, offsets ${JSON.stringify(checkpointed)}`,
    );

    // 2. Input arrives while no job runs; then the job is resubmitted from the retained checkpoint.
    const tailLoad = backlogLoad(plan, names.input, plan.tailEvents, starts.tail, 2);
    result.generator.tail = await generate(place, tailLoad, `${names.jobName}-tail`, names.jobName, generatorTimeoutMs(tailLoad), log);
    const end = await bench.kafka.endOffsets(names.input);
    result.inputRecords = totalOf(end);
    result.restoreRecords = recordsBetween(checkpointed, end);
    log(`== backlog: ${result.restoreRecords} records after checkpoint ${retained.id}, the job resubmitted from it`);
    result.restore = await bench.submitAndCatchUp(settings, retained.externalPath, end, plan.catchUpTimeoutMs);
    await bench.cancel(result.restore.jobId);
  } catch (error) {
    result.error = (error as Error).message;
    log(`   backlog benchmark failed: ${result.error}`);
  } finally {
    await bench.close();
    result.load.after = loadAverages();
  }
  return result;
}

export async function runState(
  stack: BenchStack,
  plan: StatePlan,
  runId: string,
  log: Log,
): Promise<{ results: StateResult[]; error: string | null; load: { before: number[]; after?: number[] } }> {
  const out: { results: StateResult[]; error: string | null; load: { before: number[]; after?: number[] } } = {
    results: [],
    error: null,
    load: { before: loadAverages() },
  };
  const names = benchNames("state", runId);
  const place = await placeFor(stack, log);
  const windowMs = stack.outputs.jobSubmission.settings.windowSeconds * 1000;
  // Only the checkpoints asked for (a periodic one in between would be measured as if it were one of them): the
  // longest interval the sink's 10-minute transactions allow, longer than the benchmark.
  const settings = benchJobSettings(stack.outputs.jobSubmission.settings, names, { checkpointIntervalMs: 540_000 });
  const bench = await BenchJob.open(stack.outputs, names, log);
  try {
    const job = await bench.submit(settings, null);
    const windowVertex =
      (await bench.flink.job(job.jobId)).vertices.find((v) => !v.name.startsWith("Source:") && v.name.includes("visit windows")) ?? null;
    for (const [index, keys] of plan.keys.entries()) {
      const result: StateResult = { keys, events: 0, generator: null, catchUpMs: null, checkpoints: [], windowVertex, error: null };
      out.results.push(result);
      try {
        log(`== state: ${keys} open windows`);
        const load = stateLoad(plan, names.input, keys, index, windowMs, 100 + index);
        result.events = load.maxEvents;
        const startMs = Date.now();
        result.generator = await generate(place, load, `${names.jobName}-${keys}`, names.jobName, generatorTimeoutMs(load), log);
        const end = await bench.kafka.endOffsets(names.input);
        const caught = await bench.catchUp({ ...job, startMs }, end, plan.catchUpTimeoutMs);
        result.catchUpMs = caught.caughtUpMs;
        for (let i = 0; i < plan.checkpoints; i++) {
          result.checkpoints.push(await bench.checkpointNow(job.jobId, plan.catchUpTimeoutMs));
        }
        const sizes = result.checkpoints.map((c) => c.stateSizeBytes).join(", ");
        log(
          `   ${keys} keys: checkpoints ${result.checkpoints.map((c) => c.id).join(", ")}: ${sizes} bytes, ${result.checkpoints.map((c) => c.durationMs).join(", ")} ms`,
        );
      } catch (error) {
        result.error = (error as Error).message;
        log(`   ${keys} keys failed: ${result.error}`);
        break;
      }
    }
  } catch (error) {
    out.error = (error as Error).message;
  } finally {
    await bench.close();
    out.load.after = loadAverages();
  }
  return out;
}

export interface StateBenchmarksArguments {
  backlog: boolean;
  state: boolean;
  smoke: boolean;
  stack: string;
  reports: string;
  /** Events in the backlog (`--backlog-events`); null: BACKLOG_PLAN's. */
  backlogEvents: number | null;
}

/** The derived stack both benchmarks run on, one after the other (ports 80 above the base stack's). */
export const STATE_BENCH_VARIANT: StackVariant = { suffix: "bench-state", changes: { taskManagers: "1" }, portShift: 80 };

/**
 * Runs the backlog and/or the state benchmark, on a stack derived from `args.stack` (brought up and destroyed), or
 * with `smoke` the miniatures on `args.stack` itself as it is; writes reports/bench/{backlog,state}.{json,md,svg}.
 * True when every benchmark asked for produced its figures.
 */
export async function runStateBenchmarks(
  args: StateBenchmarksArguments,
  projectDir: string,
  machine: () => Promise<Record<string, unknown>>,
  log: Log,
): Promise<boolean> {
  const runId = Date.now().toString(36);
  const measure = async (stack: BenchStack, raw: Record<string, unknown>): Promise<boolean> => {
    const overview = await new FlinkRest(stack.outputs.flinkRestUrl).overview();
    const settings = {
      images: raw.images,
      flinkVersion: overview.flinkVersion,
      taskManagers: overview.taskManagers,
      slots: overview.slotsTotal,
      checkpointMode: stack.outputs.checkpointMode,
      checkpointIntervalMs: stack.outputs.checkpointIntervalMs,
      partitions: stack.outputs.partitions,
      parallelism: stack.outputs.jobSubmission.settings.parallelism,
      stateBackend: "hashmap",
    };
    const context = { machine: await machine(), settings, stack: stack.name, smoke: args.smoke };
    let ok = true;
    if (args.backlog) {
      const result = await runBacklog(
        stack,
        args.smoke ? BACKLOG_SMOKE_PLAN : backlogPlanFor(args.backlogEvents ?? BACKLOG_PLAN.events),
        runId,
        log,
      );
      const table = `${renderBacklogTable(result)}\nLoad (1/5/15 min) before: ${result.load.before.join(" ")}, after: ${result.load.after?.join(" ")}\n`;
      await writeBenchReport(args.reports, "backlog", { ...context, ...result }, table, renderBacklogChart(result));
      ok &&= backlogMeasured(result);
    }
    if (args.state) {
      const measured = await runState(stack, args.smoke ? STATE_SMOKE_PLAN : STATE_PLAN, runId, log);
      const table = `${renderStateTable(measured.results)}${measured.error ? `\nIncomplete: ${measured.error}\n` : ""}\nLoad (1/5/15 min) before: ${measured.load.before.join(" ")}, after: ${measured.load.after?.join(" ")}\n`;
      await writeBenchReport(
        args.reports,
        "state",
        { ...context, plan: args.smoke ? STATE_SMOKE_PLAN : STATE_PLAN, ...measured },
        table,
        renderStateChart(measured.results),
      );
      ok &&= measured.error === null && stateMeasured(measured.results);
    }
    return ok;
  };
  // The stack's job gives its slots up once for all the benchmarks, and on a stack not owned gets them back at the end.
  const onStack = async (stack: BenchStack, raw: Record<string, unknown>): Promise<boolean> => {
    const setAside = await setAsideStackJob(stack.outputs, log);
    try {
      return await measure(stack, raw);
    } finally {
      if (setAside && !stack.owned) await resubmitStackJob(stack.outputs, log);
    }
  };
  if (args.smoke) {
    const raw = (await readPulumiOutputs(args.stack, projectDir)) as Record<string, unknown>;
    return onStack({ name: args.stack, outputs: parseStackOutputs(raw, {}, `stack ${args.stack}`), owned: false }, raw);
  }
  return withDerivedStack(projectDir, args.stack, STATE_BENCH_VARIANT, log, (raw, name) =>
    onStack({ name, outputs: parseStackOutputs(raw, {}, `stack ${name}`), owned: true }, raw),
  );
}

/** Writes <name>.json, <name>.md and <name>.svg into `dir` and says where. */
export async function writeBenchReport(dir: string, name: string, json: unknown, table: string, svg: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(dir, `${name}.md`), table);
  await writeFile(join(dir, `${name}.svg`), svg);
  console.log(`\n${table}\n${name}: ${join(dir, `${name}.json`)}, ${name}.md, ${name}.svg`);
}
