// The throughput benchmark: the highest input rate the job sustains at parallelism 2 with bounded consumer lag, in
// each checkpoint mode, and what its checkpoints cost at that rate. Each step plays the generator at one rate for a
// while; the source group's committed offsets against the input's end offsets say whether the job kept up.
// Pure functions (judging a step, choosing the next rate, the table, the chart); bench/load.ts runs the steps.

import type { CheckpointMode } from "../infra/contract";
import { PALETTE } from "../lib/chart/colours";
import { chartSvg } from "../lib/chart/document";
import { dotMark, legendBlock, swatch } from "../lib/chart/legend";
import { type XySpec, xyBlock, yLabelRoom } from "../lib/chart/xy";
import type { CheckpointRecord } from "../lib/flink/rest";
import { percentile } from "./recovery";

/** Summed over the input's partitions at one moment: its end offsets and the source group's committed offsets. */
export interface LagSample {
  atMs: number;
  produced: number;
  committed: number;
}

/** A step keeps up when the job consumed at least this share of what was produced during it… */
export const CONSUMED_SHARE = 0.9;
/** …and its lag, seen at each offset commit of the step's second half, stayed within the interval plus this. */
export const LAG_SLACK_MS = 5_000;
/** A generator that produced less than this share of the rate asked for is at its own ceiling. */
export const GENERATOR_SHARE = 0.9;

export interface CheckpointFigures {
  /** Completed checkpoints the figures come from. */
  n: number;
  p50DurationMs: number | null;
  p99DurationMs: number | null;
  /** Median bytes one checkpoint wrote (Flink's checkpointed_size) and the full state it stands for (state_size). */
  medianCheckpointedBytes: number | null;
  medianStateBytes: number | null;
}

export function checkpointFigures(checkpoints: readonly CheckpointRecord[]): CheckpointFigures {
  const completed = checkpoints.filter((c) => c.status === "COMPLETED");
  const of = (pick: (c: CheckpointRecord) => number | null) => completed.map(pick).filter((v): v is number => v !== null);
  return {
    n: completed.length,
    p50DurationMs: percentile(
      of((c) => c.durationMs),
      50,
    ),
    p99DurationMs: percentile(
      of((c) => c.durationMs),
      99,
    ),
    medianCheckpointedBytes: percentile(
      of((c) => c.checkpointedSizeBytes),
      50,
    ),
    medianStateBytes: percentile(
      of((c) => c.stateSizeBytes),
      50,
    ),
  };
}

export interface StepResult {
  /** Events per second asked of the generator. */
  rate: number;
  /** Measured from the input's end offsets while the generator ran. */
  producedPerSecond: number | null;
  /** Measured from the source group's offset commits (one per completed checkpoint) while the generator ran. */
  consumedPerSecond: number | null;
  /** The greatest lag at a commit in the step's second half, in seconds of input. */
  lagSeconds: number | null;
  /** From the generator's end until the group had committed all it produced; null when it did not within the wait. */
  drainMs: number | null;
  sustained: boolean;
  /** The generator produced clearly less than asked: the rate is the generator's ceiling, not the job's. */
  generatorLimited: boolean;
  verdict: string;
  checkpoints: CheckpointFigures;
}

/** Seconds of the step count as the generator's while input grew at least this share of its fastest second's. */
const ACTIVE_SHARE = 0.25;

/**
 * The samples from the generator's first to its last second of writing: before it (the container starting) and
 * after, the input grows slowly or not at all (a stack's own generator, a smoke's, writes a trickle beside it).
 */
function whileProducing(samples: readonly LagSample[]): LagSample[] {
  const rates = samples.map((s, i) => (i === 0 ? 0 : (s.produced - samples[i - 1]!.produced) / Math.max(1, s.atMs - samples[i - 1]!.atMs)));
  const fastest = Math.max(0, ...rates);
  if (fastest === 0) return [];
  const first = rates.findIndex((r) => r >= ACTIVE_SHARE * fastest);
  let last = rates.length - 1;
  while (last > first && rates[last]! < ACTIVE_SHARE * fastest) last--;
  return samples.slice(first - 1, last + 1);
}

/**
 * Judges one step from the lag samples taken while the generator ran (and a little around it). Whether the
 * generator reached the rate is judged by its own count when known: sampled end offsets under heavy load read
 * 832/s for a generator that sent 999.5/s.
 */
export function judgeStep(
  rate: number,
  samples: readonly LagSample[],
  intervalMs: number,
  drainMs: number | null,
  checkpoints: readonly CheckpointRecord[],
  generatorPerSecond: number | null = null,
): StepResult {
  const figures = checkpointFigures(checkpoints);
  const window = whileProducing(samples);
  const result = (
    fields: Omit<StepResult, "rate" | "drainMs" | "checkpoints" | "generatorLimited">,
    generatorLimited = false,
  ): StepResult => ({ rate, drainMs, checkpoints: figures, generatorLimited, ...fields });
  if (window.length < 2)
    return result({
      producedPerSecond: null,
      consumedPerSecond: null,
      lagSeconds: null,
      sustained: false,
      verdict: "the generator wrote nothing",
    });
  const first = window[0]!;
  const last = window[window.length - 1]!;
  const producedPerSecond = ((last.produced - first.produced) * 1000) / Math.max(1, last.atMs - first.atMs);
  const generatorLimited = (generatorPerSecond ?? producedPerSecond) < GENERATOR_SHARE * rate;
  const commits = window.filter((s, i) => i > 0 && s.committed > window[i - 1]!.committed);
  if (commits.length < 2) {
    return result(
      {
        producedPerSecond,
        consumedPerSecond: null,
        lagSeconds: null,
        sustained: false,
        verdict: "fewer than 2 offset commits during the step: the job did not complete checkpoints",
      },
      generatorLimited,
    );
  }
  const firstCommit = commits[0]!;
  const lastCommit = commits[commits.length - 1]!;
  const consumedPerSecond = ((lastCommit.committed - firstCommit.committed) * 1000) / Math.max(1, lastCommit.atMs - firstCommit.atMs);
  const middle = (first.atMs + last.atMs) / 2;
  const lagged = commits.filter((s) => s.atMs >= middle);
  const lagSeconds =
    Math.max(...(lagged.length > 0 ? lagged : [lastCommit]).map((s) => s.produced - s.committed)) / Math.max(1, producedPerSecond);
  const lagBoundSeconds = (intervalMs + LAG_SLACK_MS) / 1000;
  const problems = [
    consumedPerSecond < CONSUMED_SHARE * producedPerSecond
      ? `consumed ${Math.round((100 * consumedPerSecond) / producedPerSecond)} % of the input (< ${CONSUMED_SHARE * 100} %)`
      : "",
    lagSeconds > lagBoundSeconds ? `lag ${lagSeconds.toFixed(1)} s of input (> ${lagBoundSeconds} s)` : "",
  ].filter(Boolean);
  const sustained = problems.length === 0;
  const verdict = sustained ? "kept up" : problems.join("; ");
  return result(
    {
      producedPerSecond,
      consumedPerSecond,
      lagSeconds,
      sustained,
      verdict: generatorLimited
        ? `${verdict}; the generator reached only ${Math.round(generatorPerSecond ?? producedPerSecond)}/s`
        : verdict,
    },
    generatorLimited,
  );
}

export interface RateSearch {
  start: number;
  /** No step asks more than this (the generator's ceiling, or the time budget's). */
  ceiling: number;
  /** Steps between the last rate kept up with and the first that was not. */
  bisections: number;
  maxSteps: number;
}

/** Rates are asked in whole steps of this many events per second. */
const RATE_GRAIN = 50;

/**
 * The next rate to try after `steps`, or null when done: doubling from `start` until a step does not keep up (or
 * the ceiling), then halving the gap between the best sustained rate and the lowest failed one `bisections` times.
 */
export function nextRate(steps: readonly Pick<StepResult, "rate" | "sustained" | "generatorLimited">[], search: RateSearch): number | null {
  if (steps.length >= search.maxSteps) return null;
  if (steps.length === 0) return search.start;
  // A generator at its ceiling cannot show more: asking for higher rates would only measure it again.
  if (steps.some((s) => s.generatorLimited)) return null;
  const kept = steps.filter((s) => s.sustained).map((s) => s.rate);
  const failed = steps.filter((s) => !s.sustained).map((s) => s.rate);
  const best = kept.length > 0 ? Math.max(...kept) : 0;
  if (failed.length === 0) {
    const doubled = best * 2;
    return best >= search.ceiling ? null : Math.min(doubled, search.ceiling);
  }
  const lowestFailed = Math.min(...failed.filter((r) => r > best), Infinity);
  const firstFailure = steps.findIndex((s) => !s.sustained);
  if (steps.length - 1 - firstFailure >= search.bisections || lowestFailed === Infinity) return null;
  const middle = Math.round((best + lowestFailed) / 2 / RATE_GRAIN) * RATE_GRAIN;
  return middle > best && middle < lowestFailed && middle > 0 ? middle : null;
}

export interface ThroughputResult {
  mode: CheckpointMode;
  stack: string;
  intervalMs: number;
  parallelism: number;
  steps: StepResult[];
  error: string | null;
}

/** The step with the highest rate the job kept up with, or null when it kept up with none. */
export function bestStep(result: ThroughputResult): StepResult | null {
  return result.steps.filter((s) => s.sustained).sort((a, b) => b.rate - a.rate)[0] ?? null;
}

/** Each mode's highest sustained rate divided by the first mode's: how much more (or less) input it takes. */
export function throughputRatios(results: readonly ThroughputResult[]): (number | null)[] {
  const reference = results[0] ? (bestStep(results[0])?.producedPerSecond ?? null) : null;
  return results.map((r) => {
    const best = bestStep(r)?.producedPerSecond ?? null;
    return reference === null || best === null || reference === 0 ? null : best / reference;
  });
}

/** An error's first line: Flink's answers carry Java stack traces, which the JSON keeps whole. */
export const firstLine = (text: string): string => text.split("\n")[0]!;

const perSecond = (v: number | null) => (v === null ? "–" : String(Math.round(v)));
const secondsOf = (ms: number | null) => (ms === null ? "–" : (ms / 1000).toFixed(ms < 10_000 ? 2 : 1));
const kib = (bytes: number | null) => (bytes === null ? "–" : `${(bytes / 1024).toFixed(bytes < 10_240 ? 1 : 0)} KiB`);

/** The Markdown tables: the highest sustained rate per mode with its checkpoints, then every step. */
export function renderThroughputTable(results: readonly ThroughputResult[]): string {
  const ratios = throughputRatios(results);
  const lines = [
    `| mode | highest sustained input, events/s | consumed, events/s | lag s | checkpoint p50 s | checkpoint p99 s (n) | checkpoint size | state size | vs ${results[0]?.mode ?? "first"} |`,
    "|---|---|---|---|---|---|---|---|---|",
    ...results.map((r, i) => {
      const best = bestStep(r);
      const c = best?.checkpoints;
      const limited = r.steps.some((s) => s.generatorLimited && s.sustained) ? " (generator's ceiling)" : "";
      return (
        `| ${r.mode} | ${best ? `${perSecond(best.producedPerSecond)}${limited}` : "none kept up"} | ${perSecond(best?.consumedPerSecond ?? null)} | ${best?.lagSeconds?.toFixed(1) ?? "–"} | ` +
        `${secondsOf(c?.p50DurationMs ?? null)} | ${secondsOf(c?.p99DurationMs ?? null)} (${c?.n ?? 0}) | ${kib(c?.medianCheckpointedBytes ?? null)} | ${kib(c?.medianStateBytes ?? null)} | ${ratios[i] === null ? "–" : `${ratios[i]!.toFixed(2)}x`} |`
      );
    }),
    "",
    "| mode | asked, events/s | produced | consumed | lag s | drained after s | checkpoint p50 / p99 s (n) | verdict |",
    "|---|---|---|---|---|---|---|---|",
    ...results.flatMap((r) =>
      r.steps.map(
        (s) =>
          `| ${r.mode} | ${s.rate} | ${perSecond(s.producedPerSecond)} | ${perSecond(s.consumedPerSecond)} | ${s.lagSeconds?.toFixed(1) ?? "–"} | ${secondsOf(s.drainMs)} | ` +
          `${secondsOf(s.checkpoints.p50DurationMs)} / ${secondsOf(s.checkpoints.p99DurationMs)} (${s.checkpoints.n}) | ${s.verdict} |`,
      ),
    ),
  ];
  const failed = results.filter((r) => r.error);
  if (failed.length > 0) lines.push("", ...failed.map((r) => `- ${r.mode}: ${firstLine(r.error!)}`));
  return `${lines.join("\n")}\n`;
}

const MODE_COLOURS: Readonly<Record<CheckpointMode, string>> = { EXACTLY_ONCE: PALETTE.blue, AT_LEAST_ONCE: PALETTE.orange };
export const modeColour = (mode: CheckpointMode): string => MODE_COLOURS[mode];

/** The chart (SVG): consumed against produced events per second for each step, per mode; the diagonal is "kept up". */
export function renderThroughputChart(results: readonly ThroughputResult[]): string {
  const width = 640;
  const measured = (r: ThroughputResult) =>
    r.steps.filter((s) => s.producedPerSecond !== null && s.consumedPerSecond !== null).sort((a, b) => a.rate - b.rate);
  // Both axes cover every rate seen or asked, so that the diagonal is where consumed equals produced.
  const values = [0, ...results.flatMap((r) => r.steps.flatMap((s) => [s.producedPerSecond ?? 0, s.consumedPerSecond ?? 0, s.rate]))];
  const axis = (title: string) => ({ scale: "linear" as const, values, format: String, title });
  const plot: XySpec = {
    x: axis("produced, events/s"),
    y: axis("consumed, events/s"),
    plotHeight: 400,
    diagonal: "consumed = produced",
    series: results.map((r) => ({
      colour: modeColour(r.mode),
      dots: true,
      points: measured(r).map((s) => ({
        x: s.producedPerSecond!,
        y: s.consumedPerSecond!,
        hollow: !s.sustained,
        tip: `${r.mode}: asked ${s.rate}/s, produced ${perSecond(s.producedPerSecond)}/s, consumed ${perSecond(s.consumedPerSecond)}/s: ${s.verdict}`,
      })),
    })),
  };
  const left = 20 + yLabelRoom(plot);
  const right = left + 400;
  const legend = legendBlock(
    [
      ...results.map((r) => {
        const best = bestStep(r);
        return {
          label: `${r.mode}: ${best ? `sustains ${perSecond(best.producedPerSecond)}/s` : "kept up with no step"}`,
          mark: swatch(modeColour(r.mode)),
        };
      }),
      {
        label: `kept up (consumed ≥ ${CONSUMED_SHARE * 100} %, lag within the checkpoint interval + ${LAG_SLACK_MS / 1000} s)`,
        mark: dotMark("#555"),
      },
      { label: "did not keep up", mark: dotMark("#555", true) },
    ],
    left,
    width - 20 - left,
  );
  return chartSvg({
    width,
    title: `Throughput at parallelism ${results[0]?.parallelism ?? "?"}: what the job consumed at each input rate`,
    blocks: [xyBlock(plot, left, right), legend],
  });
}
