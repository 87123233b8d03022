// The state benchmark: what a checkpoint costs (its size, its duration) against the number of open windows. For each
// key count one job on the stack holds exactly that many open windows: every key (visit) gets one event at the start
// of an event-time window that no later event closes. Key counts are played one after another into one topic, each
// ten windows later in event time, so the watermark clears the previous count's windows before they are measured.

import { PALETTE } from "../lib/chart/colours";
import { besideBlocks, chartSvg } from "../lib/chart/document";
import { legendBlock, swatch } from "../lib/chart/legend";
import { type XySpec, xLabelOverhang, xyBlock, yLabelRoom } from "../lib/chart/xy";
import type { CheckpointFigures } from "../lib/flink/rest";
import type { GeneratorLoad, GeneratorSummary } from "./loadGenerator";
import { type Spread, spread } from "./recovery";

export interface StatePlan {
  keys: readonly number[];
  /** Checkpoints asked for per key count once its events are processed. */
  checkpoints: number;
  rate: number;
  catchUpTimeoutMs: number;
}

export const STATE_PLAN: StatePlan = { keys: [10, 1_000, 100_000], checkpoints: 3, rate: 20_000, catchUpTimeoutMs: 12 * 60_000 };
export const STATE_SMOKE_PLAN: StatePlan = { keys: [10, 1_000], checkpoints: 2, rate: 20_000, catchUpTimeoutMs: 60_000 };

/**
 * Events per key: the generator starts all its visits at once, so its first `keys` events are one per visit. One
 * event opens the window; more would only lengthen the run (the job reads some 700 events/s here).
 */
export const EVENTS_PER_KEY = 1;
/** Irrelevant with one event per key; equal so that the first round is all visits' first events. */
const DELAY_MS = 1_000;
/** A window boundary (2024-01-01T00:00:00Z is a multiple of 45 s, and of every whole-second window up to it dividing 86,400). */
const EVENT_TIME_BASE_MS = Date.UTC(2024, 0, 1);
/** Key counts are this many windows apart in event time. */
const WINDOWS_APART = 10;

/** The start of the event time of the `index`-th key count: on a window boundary, so each key's events share one window. */
export function stateStartTime(index: number, windowMs: number): string {
  const base = Math.floor(EVENT_TIME_BASE_MS / windowMs) * windowMs;
  return new Date(base + index * WINDOWS_APART * windowMs).toISOString();
}

export function stateLoad(plan: StatePlan, topic: string, keys: number, index: number, windowMs: number, seed: number): GeneratorLoad {
  return {
    topic,
    rate: plan.rate,
    maxEvents: keys * EVENTS_PER_KEY,
    visits: keys,
    delayMinMs: DELAY_MS,
    delayMaxMs: DELAY_MS,
    startTime: stateStartTime(index, windowMs),
    seed,
  };
}

export interface StateResult {
  keys: number;
  events: number;
  generator: GeneratorSummary | null;
  /** Seconds from the first event written to all of them committed. */
  catchUpMs: number | null;
  checkpoints: CheckpointFigures[];
  /** The job vertex holding the windows (its id and name), whose share of the state is shown. */
  windowVertex: { id: string; name: string } | null;
  error: string | null;
}

export interface StateSummary {
  keys: number;
  size: Spread;
  windowSize: Spread;
  duration: Spread;
  error: string | null;
}

export function summarizeState(result: StateResult): StateSummary {
  const completed = result.checkpoints.filter((c) => c.status === "COMPLETED");
  const windowSize = spread(completed.map((c) => (result.windowVertex ? c.vertexStateBytes[result.windowVertex.id] : undefined)));
  return {
    keys: result.keys,
    size: spread(completed.map((c) => c.stateSizeBytes)),
    windowSize,
    duration: spread(completed.map((c) => c.durationMs)),
    error: result.error ?? (completed.length === 0 ? "no completed checkpoint was measured" : null),
  };
}

/** Whether every key count has a completed checkpoint with a size, its windows' share and a duration. */
export function stateMeasured(results: readonly StateResult[]): boolean {
  return (
    results.length > 0 &&
    results
      .map(summarizeState)
      .every((sum) => sum.error === null && (sum.size.median ?? 0) > 0 && (sum.windowSize.median ?? 0) > 0 && sum.duration.median !== null)
  );
}

/**
 * How much bigger and longer each key count's checkpoint is than the first's, as ratios of the medians, and what one
 * more open window costs: the windows' state beyond the first count's, per window beyond it (the first has none).
 */
export function stateRatios(
  summaries: readonly StateSummary[],
): { size: number | null; duration: number | null; bytesPerWindow: number | null }[] {
  const first = summaries[0];
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || b === 0 ? null : a / b);
  return summaries.map((sum) => ({
    size: ratio(sum.size.median, first?.size.median),
    duration: ratio(sum.duration.median, first?.duration.median),
    bytesPerWindow:
      first && sum.keys > first.keys && sum.windowSize.median !== null && first.windowSize.median !== null
        ? (sum.windowSize.median - first.windowSize.median) / (sum.keys - first.keys)
        : null,
  }));
}

/** Bytes in decimal units (B, kB, MB), so a log axis ticks at round figures. */
export function bytes(value: number | null): string {
  if (value === null) return "–";
  const digits = (v: number) => (v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1));
  if (value < 1000) return `${Math.round(value)} B`;
  if (value < 1e6) return `${digits(value / 1e3)} kB`;
  return `${digits(value / 1e6)} MB`;
}

const ms = (value: number | null) => (value === null ? "–" : `${Math.round(value)}`);
const cell = (sp: Spread, format: (v: number | null) => string) =>
  sp.median === null ? "–" : `${format(sp.median)} (${format(sp.min)}–${format(sp.max)})`;

export function renderStateTable(results: readonly StateResult[]): string {
  const summaries = results.map(summarizeState);
  const ratios = stateRatios(summaries);
  const lines = [
    "| open windows (keys) | events | checkpoints | checkpoint size | of it, the windows' vertex | per window more | duration ms | size, times the first | duration, times the first |",
    "|---|---|---|---|---|---|---|---|---|",
    ...summaries.map(
      (sum, i) =>
        `| ${sum.keys.toLocaleString("en-US")} | ${results[i]!.events.toLocaleString("en-US")} | ${sum.size.n} | ${cell(sum.size, bytes)} | ${cell(sum.windowSize, bytes)} | ${bytes(ratios[i]!.bytesPerWindow)} | ${cell(sum.duration, ms)} | ` +
        `${ratios[i]!.size === null ? "–" : `${ratios[i]!.size!.toFixed(1)}x`} | ${ratios[i]!.duration === null ? "–" : `${ratios[i]!.duration!.toFixed(1)}x`} |`,
    ),
  ];
  const failed = summaries.filter((sum) => sum.error);
  if (failed.length > 0) lines.push("", ...failed.map((sum) => `- ${sum.keys} keys: ${sum.error}`));
  return `${lines.join("\n")}\n`;
}

/** Two panels over the key count (log scale): checkpoint size (log scale) and checkpoint duration. */
export function renderStateChart(results: readonly StateResult[]): string {
  const summaries = results.map(summarizeState).filter((sum) => sum.size.median !== null);
  const width = 1000;
  const panelWidth = 480 - 20;
  const keys = {
    scale: "log" as const,
    values: summaries.map((sum) => sum.keys),
    format: (k: number) => k.toLocaleString("en-US"),
    title: "open windows (keys)",
  };
  const series = (pick: (sum: StateSummary) => Spread, colour: string, format: (v: number) => string, labelled: boolean) => {
    const points = summaries.filter((sum) => pick(sum).median !== null);
    return {
      colour,
      dots: true,
      points: points.map((sum) => {
        const sp = pick(sum);
        return {
          x: sum.keys,
          y: sp.median!,
          range: { low: sp.min!, high: sp.max! },
          tip: `${sum.keys} keys: ${format(sp.median!)}`,
          label: labelled ? format(sp.median!) : undefined,
        };
      }),
    };
  };
  const sizes: XySpec = {
    x: keys,
    y: {
      scale: "log",
      // At least 1 kB to 10 kB, so that even a small state reads against round figures.
      values: [1_000, 10_000, ...summaries.flatMap((sum) => [sum.size.min!, sum.size.max!])],
      format: (b) => bytes(b),
      title: "checkpoint size (log scale)",
    },
    plotHeight: 260,
    series: [series((sum) => sum.size, SIZE_COLOUR, bytes, true), series((sum) => sum.windowSize, WINDOWS_COLOUR, bytes, true)],
  };
  const durations: XySpec = {
    x: keys,
    y: {
      scale: "linear",
      values: [10, ...summaries.map((sum) => sum.duration.max!)],
      format: (v) => `${v} ms`,
      title: "checkpoint duration, trigger to last acknowledgement",
    },
    plotHeight: 260,
    series: [
      series(
        (sum) => sum.duration,
        DURATION_COLOUR,
        (v) => `${Math.round(v)} ms`,
        true,
      ),
    ],
  };
  const panel = (spec: XySpec, x: number) => {
    const left = x + yLabelRoom(spec);
    return { block: xyBlock(spec, left, x + panelWidth - xLabelOverhang(spec, panelWidth)), left };
  };
  const a = panel(sizes, 20);
  const b = panel(durations, 20 + panelWidth + 40);
  return chartSvg({
    width,
    title: "Checkpoints against the number of open windows (keys, log scale)",
    blocks: [
      besideBlocks([a.block, b.block]),
      legendBlock(
        [
          { label: "whole checkpoint (median; line: least–greatest)", mark: swatch(SIZE_COLOUR) },
          { label: "the windows' vertex", mark: swatch(WINDOWS_COLOUR) },
          { label: "duration (median; line: least–greatest)", mark: swatch(DURATION_COLOUR) },
        ],
        a.left,
        width - 20 - a.left,
      ),
    ],
  });
}

const SIZE_COLOUR = PALETTE.blue;
const WINDOWS_COLOUR = PALETTE.paleBlue;
const DURATION_COLOUR = PALETTE.orange;
