// Running the throughput and latency benchmarks against a docker stack: the generator image in rate mode started
// beside the stack's containers, the lag sampled from Kafka, checkpoints from Flink's REST API, the output read
// read_committed with verify/'s own reader. The full run brings up one derived stack per checkpoint mode and runs
// both benchmarks on it; a smoke runs a miniature of each on a stack that is already up and leaves it as it was.

import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { CheckpointMode } from "../infra/contract";
import { programArguments } from "../jobs/flink/settings";
import { mustRun } from "../lib/exec";
import { findJob, waitRunning } from "../lib/flink/jobs";
import { type CheckpointRecord, FlinkRest, findPythonJar } from "../lib/flink/rest";
import type { PartitionOffsets } from "../lib/kafka/offsets";
import { KafkaReader } from "../lib/kafka/reader";
import { type StackVariant, withDerivedStack } from "../lib/stack/derived";
import { parseStackOutputs, readPulumiOutputs, type StackOutputs } from "../lib/stack/outputs";
import { type Log, sleep } from "../lib/wait";
import { expectedFirings, groundTruth, parseVisit, type Visit, windowModelOf } from "../verify";
import { firingLatencies, type LatencyResult, latencyFigures, renderLatencyChart, renderLatencyTable, type SeenRecord } from "./latency";
import {
  finishLoad,
  type GeneratorPlace,
  generatorPlace,
  generatorRunning,
  removeLoads,
  stackGeneratorOf,
  startLoad,
} from "./loadGenerator";
import {
  CONSUMED_SHARE,
  GENERATOR_SHARE,
  judgeStep,
  LAG_SLACK_MS,
  type LagSample,
  nextRate,
  type RateSearch,
  renderThroughputChart,
  renderThroughputTable,
  type StepResult,
  type ThroughputResult,
} from "./throughput";

/**
 * One derived stack per mode (ports shifted by 50 and 60), checkpointing every 5 s for the throughput steps, with
 * Flink's default heartbeats: under load on a shared machine a TaskManager stalled past the stack's 10 s timeout
 * while its Python workers started (load average 36), and the job never came up.
 */
const LOAD_CHANGES = { checkpointIntervalMs: "5000", heartbeatIntervalMs: "10000", heartbeatTimeoutMs: "50000" };
export const LOAD_VARIANTS: readonly (StackVariant & { readonly mode: CheckpointMode })[] = [
  { mode: "EXACTLY_ONCE", suffix: "bench-load-exactly-once", changes: { checkpointMode: "EXACTLY_ONCE", ...LOAD_CHANGES }, portShift: 50 },
  {
    mode: "AT_LEAST_ONCE",
    suffix: "bench-load-at-least-once",
    changes: { checkpointMode: "AT_LEAST_ONCE", ...LOAD_CHANGES },
    portShift: 60,
  },
];

/** The checkpoint intervals the latency benchmark compares; the first is the derived stacks' own (no resubmission). */
export const LATENCY_INTERVALS_MS = [5_000, 1_000, 20_000] as const;

/** How long each part runs: the full benchmarks, or the smoke's miniatures (≤ 30 s each). */
export interface LoadPlan {
  search: RateSearch;
  stepMs: number;
  latencyRate: number;
  latencyRunMs: number;
  /** After the generator stops: how long the firings still have to become visible, beyond one checkpoint interval. */
  latencyGraceMs: number;
  /** Whether a throughput step waits for the group to commit all input (its drain time) before the next one. */
  drain: boolean;
}

/** In thread mode the job reads some 5,600 events/s: doubling from 1,000 passes it at the fourth step (8,000), then one bisection. */
export const FULL_PLAN: LoadPlan = {
  search: { start: 1_000, ceiling: 16_000, bisections: 1, maxSteps: 6 },
  stepMs: 25_000,
  latencyRate: 100,
  latencyRunMs: 30_000,
  latencyGraceMs: 12_000,
  drain: true,
};

/** Against a stack with a 10 s interval (ci's): a 22 s step sees at least two offset commits. */
export const SMOKE_PLAN: LoadPlan = {
  search: { start: 200, ceiling: 200, bisections: 0, maxSteps: 1 },
  stepMs: 22_000,
  latencyRate: 50,
  latencyRunMs: 10_000,
  latencyGraceMs: 5_000,
  drain: false,
};

/** The generator's delays between a visit's pages; with rate/2 visits its event time runs at the wall clock's pace. */
const DELAY_MIN_MS = 300;
const DELAY_MAX_MS = 700;
export const visitsFor = (rate: number): number => Math.max(1, Math.ceil((rate * (DELAY_MIN_MS + DELAY_MAX_MS)) / 2 / 1000));

export interface GeneratorRun {
  name: string;
  seed: number;
  /** Visit ids of this run start with it (jobs/generator/schedule.ts runIdFromSeed). */
  visitIdPrefix: string;
}

/** Starts the generator image in rate mode on the stack's network, bounded by `durationMs`. */
async function startGenerator(ctx: LoadContext, rate: number, durationMs: number, seed: number): Promise<GeneratorRun> {
  const name = `${ctx.stackGenerator}-bench-load-${seed.toString(16)}`;
  await startLoad(
    ctx.place,
    {
      topic: ctx.outputs.visitsTopic,
      rate,
      durationMs,
      visits: visitsFor(rate),
      delayMinMs: DELAY_MIN_MS,
      delayMaxMs: DELAY_MAX_MS,
      seed,
    },
    name,
    ctx.stackGenerator,
  );
  return { name, seed, visitIdPrefix: `${(seed >>> 0).toString(16).padStart(8, "0")}_` };
}

const sum = (offsets: PartitionOffsets) => Object.values(offsets).reduce((a, b) => a + b, 0);

export interface LoadContext {
  outputs: StackOutputs;
  stack: string;
  flink: FlinkRest;
  kafka: KafkaReader;
  /** The stack's own generator container, whose image and network the benchmark's generators use; also their label. */
  stackGenerator: string;
  place: GeneratorPlace;
  jobId: string;
  intervalMs: number;
  log: Log;
}

async function lagSample(ctx: LoadContext): Promise<LagSample> {
  const [end, committed] = await Promise.all([
    ctx.kafka.endOffsets(ctx.outputs.visitsTopic),
    ctx.kafka.committedOffsets(ctx.outputs.groupId, ctx.outputs.visitsTopic),
  ]);
  return { atMs: Date.now(), produced: sum(end), committed: sum(committed) };
}

/** Completed checkpoints seen in the REST history (which keeps only the last few), gathered by id while polling. */
async function gatherCheckpoints(ctx: LoadContext, into: Map<number, CheckpointRecord>): Promise<void> {
  for (const c of (await ctx.flink.checkpoints(ctx.jobId)).history) if (c.status === "COMPLETED") into.set(c.id, c);
}

/** A log's last line without its timestamp: the generator's summary. */
const lastLine = (logs: string): string => (logs.trim().split("\n").pop() ?? "").replace(/^\S+ /, "");

let seedCounter = 0;
const nextSeed = () => (Math.floor(Date.now() / 1000) * 16 + seedCounter++) >>> 0;

/** One throughput step: the generator at `rate` for `plan.stepMs`, sampled each second, then the drain. */
async function throughputStep(ctx: LoadContext, rate: number, plan: LoadPlan): Promise<StepResult> {
  const samples: LagSample[] = [await lagSample(ctx)];
  const checkpoints = new Map<number, CheckpointRecord>();
  const run = await startGenerator(ctx, rate, plan.stepMs, nextSeed());
  const startedAt = Date.now();
  let generatorPerSecond: number | null = null;
  ctx.log(`   step ${rate}/s: generator ${run.name} (${visitsFor(rate)} visits) for ${plan.stepMs / 1000} s`);
  try {
    while (await generatorRunning(run.name)) {
      if (Date.now() - startedAt > plan.stepMs + 60_000)
        throw new Error(`generator ${run.name} still runs ${plan.stepMs / 1000 + 60} s after its start`);
      await sleep(1_000);
      samples.push(await lagSample(ctx));
      await gatherCheckpoints(ctx, checkpoints);
    }
  } finally {
    const { logs, summary } = await finishLoad(run.name);
    generatorPerSecond = summary?.perSecond ?? null;
    ctx.log(`   ${lastLine(logs)}`);
  }
  const endedAt = Date.now();
  samples.push(await lagSample(ctx));
  // Drained: the group committed everything produced, within two intervals and some.
  let drainMs: number | null = null;
  const produced = samples[samples.length - 1]!.produced;
  while (plan.drain && Date.now() - endedAt < 2 * ctx.intervalMs + 15_000) {
    const sample = await lagSample(ctx);
    if (sample.committed >= produced) {
      drainMs = sample.atMs - endedAt;
      break;
    }
    await sleep(500);
  }
  await gatherCheckpoints(ctx, checkpoints);
  const during = [...checkpoints.values()].filter((c) => (c.triggeredAtMs ?? 0) >= startedAt && (c.triggeredAtMs ?? Infinity) <= endedAt);
  const step = judgeStep(rate, samples, ctx.intervalMs, drainMs, during, generatorPerSecond);
  ctx.log(
    `   step ${rate}/s: produced ${Math.round(step.producedPerSecond ?? 0)}/s, consumed ${Math.round(step.consumedPerSecond ?? 0)}/s, lag ${step.lagSeconds?.toFixed(1) ?? "–"} s, ` +
      `drained ${!plan.drain ? "(not awaited)" : drainMs === null ? "not in time" : `after ${(drainMs / 1000).toFixed(1)} s`}, ${during.length} checkpoints: ${step.verdict}`,
  );
  return step;
}

export async function runThroughput(ctx: LoadContext, mode: CheckpointMode, plan: LoadPlan): Promise<ThroughputResult> {
  const steps: StepResult[] = [];
  const result: ThroughputResult = {
    mode,
    stack: ctx.stack,
    intervalMs: ctx.intervalMs,
    parallelism: ctx.outputs.jobSubmission.settings.parallelism,
    steps,
    error: null,
  };
  try {
    for (let rate = nextRate(steps, plan.search); rate !== null; rate = nextRate(steps, plan.search))
      steps.push(await throughputStep(ctx, rate, plan));
  } catch (error) {
    result.error = (error as Error).message;
  }
  return result;
}

/** Cancels the job and resubmits it from its latest completed checkpoint with another checkpoint interval. */
async function resubmitWithInterval(ctx: LoadContext, intervalMs: number): Promise<LoadContext> {
  const { flink, outputs, log } = ctx;
  const latest = (await flink.checkpoints(ctx.jobId)).latestCompleted;
  if (!latest) throw new Error(`job ${ctx.jobId} has no completed checkpoint to resubmit from`);
  await flink.cancel(ctx.jobId);
  for (let i = 0; i < 120 && (await flink.job(ctx.jobId)).state !== "CANCELED"; i++) await sleep(500);
  const jar = findPythonJar(await flink.jars());
  if (!jar) throw new Error(`no flink-python jar is uploaded on ${flink.baseUrl}: re-run the stack's submission with pulumi up`);
  const settings = { ...outputs.jobSubmission.settings, checkpointIntervalMs: intervalMs };
  log(`   resubmitting with checkpoints every ${intervalMs} ms from ${latest.externalPath}`);
  const jobId = await flink.runJar(jar.id, {
    entryClass: outputs.jobSubmission.entryClass,
    programArgsList: programArguments(settings),
    parallelism: settings.parallelism,
    savepointPath: latest.externalPath,
  });
  await waitRunning(flink, jobId, 180_000, log);
  return { ...ctx, jobId, intervalMs, outputs: { ...outputs, jobSubmission: { ...outputs.jobSubmission, settings } } };
}

/** One latency run: a generator run at a low rate, each of its firings timed from its completing input record. */
async function latencyRun(ctx: LoadContext, mode: CheckpointMode, plan: LoadPlan): Promise<LatencyResult> {
  const { kafka, outputs } = ctx;
  const inputFrom = await kafka.endOffsets(outputs.visitsTopic);
  const outputFrom = await kafka.endOffsets(outputs.outputTopic);
  const seen: SeenRecord[] = [];
  let stopped = false;
  const limitMs = plan.latencyRunMs + ctx.intervalMs + plan.latencyGraceMs + 120_000;
  // Its failure is kept, not thrown at once, and raised once the run is over.
  const watching = kafka
    .watch(
      outputs.outputTopic,
      outputFrom,
      limitMs,
      () => stopped,
      (record, seenAtMs) => seen.push({ record, seenAtMs }),
    )
    .then(
      () => null,
      (error: Error) => error,
    );
  const run = await startGenerator(ctx, plan.latencyRate, plan.latencyRunMs, nextSeed());
  ctx.log(
    `   latency at interval ${ctx.intervalMs / 1000} s: generator ${run.name} at ${plan.latencyRate}/s for ${plan.latencyRunMs / 1000} s`,
  );
  try {
    while (await generatorRunning(run.name)) await sleep(500);
  } finally {
    ctx.log(`   ${lastLine((await finishLoad(run.name)).logs)}`);
  }
  const inputEnd = await kafka.endOffsets(outputs.visitsTopic);
  const visits = (await kafka.readTopic(outputs.visitsTopic, inputEnd, 60_000, inputFrom))
    .map(parseVisit)
    .flatMap((p) => (p.ok ? [p.value] : [])) satisfies Visit[];
  const model = windowModelOf(outputs.jobSubmission.settings);
  const ours = visits.filter((v) => v.visitId.startsWith(run.visitIdPrefix));
  const expectedFiringCount = expectedFirings(groundTruth(ours, model), inputEnd, model.trigger).length;
  // Stop once every firing of this run is seen (other output may come too: stop on time then), or after the grace.
  const stopAtMs = Date.now() + ctx.intervalMs + plan.latencyGraceMs;
  const oursSeen = () => firingLatencies(visits, seen, run.visitIdPrefix, model).latenciesMs.length;
  while (Date.now() < stopAtMs && oursSeen() < expectedFiringCount) await sleep(250);
  stopped = true;
  const failure = await watching;
  if (failure) throw failure;
  const { latenciesMs, unmatched } = firingLatencies(visits, seen, run.visitIdPrefix, model);
  const figures = latencyFigures(latenciesMs);
  ctx.log(
    `   ${mode} at ${ctx.intervalMs / 1000} s: ${figures.n} of ${expectedFiringCount} firings, p50 ${figures.p50Ms} ms, p95 ${figures.p95Ms} ms, p99 ${figures.p99Ms} ms`,
  );
  return {
    mode,
    intervalMs: ctx.intervalMs,
    figures,
    expectedFirings: expectedFiringCount,
    unmatched,
    error: figures.n === 0 ? "no firing of the run became visible in time" : null,
  };
}

export async function runLatency(
  ctx: LoadContext,
  mode: CheckpointMode,
  plan: LoadPlan,
  intervalsMs: readonly number[],
): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  let current = ctx;
  for (const intervalMs of intervalsMs) {
    try {
      if (intervalMs !== current.intervalMs) current = await resubmitWithInterval(current, intervalMs);
      results.push(await latencyRun(current, mode, plan));
    } catch (error) {
      results.push({ mode, intervalMs, figures: latencyFigures([]), expectedFirings: 0, unmatched: 0, error: (error as Error).message });
    }
  }
  return results;
}

/** Connects to the stack (Flink, Kafka, the generator's image), hands it to `body`, and removes what it started. */
export async function withLoadContext<T>(
  outputs: StackOutputs,
  stack: string,
  log: Log,
  body: (ctx: LoadContext) => Promise<T>,
): Promise<T> {
  const flink = new FlinkRest(outputs.flinkRestUrl);
  const kafka = await KafkaReader.connect(outputs.kafkaBootstrap);
  const stackGenerator = stackGeneratorOf(outputs);
  const place = await generatorPlace(stackGenerator);
  try {
    const jobId = await findJob(flink, outputs, undefined);
    return await body({ outputs, stack, flink, kafka, stackGenerator, place, jobId, intervalMs: outputs.checkpointIntervalMs, log });
  } finally {
    await removeLoads(stackGenerator).catch((error: Error) => log(`   removing the benchmark's generators failed: ${error.message}`));
    await kafka.disconnect().catch(() => undefined);
  }
}

/** Stops the stack's own generator, so only the benchmark's load reaches the job (derived stacks only). */
export async function stopStackGenerator(ctx: LoadContext): Promise<void> {
  await mustRun({ file: "docker", args: ["stop", ctx.stackGenerator] });
  ctx.log(`   stopped ${ctx.stackGenerator}, the stack's own generator`);
}

/** Flink's version as the JobManager reports it, and the images the stack runs. */
export async function versionsOf(ctx: LoadContext, images: unknown): Promise<Record<string, unknown>> {
  return { flink: (await ctx.flink.overview()).flinkVersion, images, generatorImage: ctx.place.image };
}

export interface LoadOptions {
  projectDir: string;
  /** The base stack of the derived ones, or with `smoke` the stack that is up and measured as it is. */
  stack: string;
  reports: string;
  throughput: boolean;
  latency: boolean;
  smoke: boolean;
  machine: Record<string, unknown>;
  log: Log;
}

/** The 1, 5 and 15 minute load averages, as `uptime` prints them: the machine is shared, so each figure says it. */
const loadNow = () => loadavg().map((l) => Number(l.toFixed(2)));

/** A smoke passes when each miniature produced real figures; a full run when every part ran and found a figure. */
export function throughputPassed(results: readonly ThroughputResult[]): boolean {
  return (
    results.length > 0 &&
    results.every(
      (r) =>
        !r.error &&
        r.steps.some((s) => s.producedPerSecond !== null && s.consumedPerSecond !== null && s.checkpoints.p50DurationMs !== null),
    )
  );
}

export function latencyPassed(results: readonly LatencyResult[]): boolean {
  return results.length > 0 && results.every((r) => !r.error && r.figures.p50Ms !== null);
}

/** Runs the benchmarks asked for and writes <reports>/throughput.* and latency.* (smoke: <reports>/smoke/). */
export async function runLoadBenchmarks(options: LoadOptions): Promise<boolean> {
  const { log } = options;
  const plan = options.smoke ? SMOKE_PLAN : FULL_PLAN;
  const throughput: ThroughputResult[] = [];
  const latency: LatencyResult[] = [];
  const runs: Record<string, unknown>[] = [];
  const measure = async (ctx: LoadContext, mode: CheckpointMode, images: unknown) => {
    const run: Record<string, unknown> = { stack: ctx.stack, mode, versions: await versionsOf(ctx, images), loadBefore: loadNow() };
    runs.push(run);
    if (options.throughput) {
      log(
        `== throughput, ${mode}, checkpoints every ${ctx.intervalMs / 1000} s, parallelism ${ctx.outputs.jobSubmission.settings.parallelism} (load ${loadNow().join(", ")})`,
      );
      throughput.push(await runThroughput(ctx, mode, plan));
    }
    if (options.latency) {
      log(`== latency, ${mode} (load ${loadNow().join(", ")})`);
      latency.push(...(await runLatency(ctx, mode, plan, options.smoke ? [ctx.intervalMs] : LATENCY_INTERVALS_MS)));
    }
    run.loadAfter = loadNow();
  };
  const failed = (mode: CheckpointMode, error: string) => {
    if (options.throughput && !throughput.some((r) => r.mode === mode))
      throughput.push({ mode, stack: "", intervalMs: 0, parallelism: 0, steps: [], error });
    if (options.latency && !latency.some((r) => r.mode === mode))
      latency.push({ mode, intervalMs: 0, figures: latencyFigures([]), expectedFirings: 0, unmatched: 0, error });
  };
  if (options.smoke) {
    let mode: CheckpointMode = "EXACTLY_ONCE";
    try {
      const raw = (await readPulumiOutputs(options.stack, options.projectDir)) as Record<string, unknown>;
      const outputs = parseStackOutputs(raw, {}, `stack ${options.stack}`);
      mode = outputs.checkpointMode;
      await withLoadContext(outputs, options.stack, log, (ctx) => measure(ctx, mode, raw.images));
    } catch (error) {
      failed(mode, (error as Error).message);
    }
  } else {
    for (const variant of LOAD_VARIANTS) {
      try {
        await withDerivedStack(options.projectDir, options.stack, variant, log, async (raw, stack) => {
          const outputs = parseStackOutputs(raw, {}, `stack ${stack}`);
          await withLoadContext(outputs, stack, log, async (ctx) => {
            await stopStackGenerator(ctx);
            await measure(ctx, variant.mode, raw.images);
          });
        });
      } catch (error) {
        failed(variant.mode, (error as Error).message);
      }
    }
  }
  const dir = options.smoke ? join(options.reports, "smoke") : options.reports;
  await mkdir(dir, { recursive: true });
  const common = { machine: options.machine, smoke: options.smoke, stack: options.stack, runs, finishedAt: new Date().toISOString() };
  let ok = true;
  if (options.throughput) {
    const settings = {
      plan: { search: plan.search, stepMs: plan.stepMs },
      keptUp: { consumedShare: CONSUMED_SHARE, lagSlackMs: LAG_SLACK_MS, generatorShare: GENERATOR_SHARE },
      variants: options.smoke ? null : LOAD_VARIANTS,
    };
    const table = renderThroughputTable(throughput);
    await writeFile(join(dir, "throughput.json"), `${JSON.stringify({ ...common, settings, results: throughput }, null, 2)}\n`);
    await writeFile(join(dir, "throughput.md"), table);
    await writeFile(join(dir, "throughput.svg"), renderThroughputChart(throughput));
    log(`\n${table}\nthroughput: ${join(dir, "throughput.json")}, throughput.md, throughput.svg`);
    ok = throughputPassed(throughput) && ok;
  }
  if (options.latency) {
    const settings = {
      rate: plan.latencyRate,
      runMs: plan.latencyRunMs,
      graceMs: plan.latencyGraceMs,
      visits: visitsFor(plan.latencyRate),
      intervalsMs: options.smoke ? null : LATENCY_INTERVALS_MS,
    };
    const table = renderLatencyTable(latency);
    await writeFile(join(dir, "latency.json"), `${JSON.stringify({ ...common, settings, results: latency }, null, 2)}\n`);
    await writeFile(join(dir, "latency.md"), table);
    await writeFile(join(dir, "latency.svg"), renderLatencyChart(latency));
    log(`\n${table}\nlatency: ${join(dir, "latency.json")}, latency.md, latency.svg`);
    ok = latencyPassed(latency) && ok;
  }
  return ok;
}
