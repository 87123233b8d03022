// The state benchmark: what a checkpoint costs (its size, its duration) against the number of open windows. For each
// key count one job on the stack holds exactly that many open windows: every key (visit) gets one event at the start
// of an event-time window that no later event closes. Key counts are played one after another into one topic, each
// ten windows later in event time, so the watermark clears the previous count's windows before they are measured.

import type { CheckpointFigures } from "../lib/flink/rest";
import { niceStep } from "./backlog";
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
  const panelWidth = 400;
  const top = 60;
  const panel = 260;
  const keys = summaries.map((sum) => sum.keys);
  const lowKey = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...keys))));
  const highKey = 10 ** Math.ceil(Math.log10(Math.max(lowKey * 10, ...keys)));
  const lx = (k: number, left: number) =>
    left + ((Math.log10(k) - Math.log10(lowKey)) / (Math.log10(highKey) - Math.log10(lowKey) || 1)) * panelWidth;
  const sizes = summaries.flatMap((sum) => [sum.size.max!, sum.size.min!]);
  const lowExp = Math.floor(Math.log10(Math.max(1, Math.min(...sizes, 1_000))));
  const highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(Math.max(...sizes, 10_000))));
  const ySize = (b: number) => top + panel - ((Math.log10(Math.max(b, 1)) - lowExp) / (highExp - lowExp)) * panel;
  const greatestMs = Math.max(10, ...summaries.map((sum) => sum.duration.max!));
  const step = niceStep(greatestMs);
  const axisMs = Math.ceil(greatestMs / step) * step;
  const yMs = (v: number) => top + panel - (v / axisMs) * panel;
  const leftA = 90;
  const leftB = 90 + panelWidth + 100;
  const keyTicks = (left: number) =>
    Array.from({ length: Math.log10(highKey) - Math.log10(lowKey) + 1 }, (_, i) => lowKey * 10 ** i)
      .map(
        (k) =>
          `<line x1="${lx(k, left).toFixed(1)}" x2="${lx(k, left).toFixed(1)}" y1="${top}" y2="${top + panel}" stroke="#eee"/><text x="${lx(k, left).toFixed(1)}" y="${top + panel + 16}" font-size="11" text-anchor="middle">${k.toLocaleString("en-US")}</text>`,
      )
      .join("");
  const sizeTicks = Array.from({ length: highExp - lowExp + 1 }, (_, i) => 10 ** (lowExp + i))
    .map(
      (b) =>
        `<line x1="${leftA}" x2="${leftA + panelWidth}" y1="${ySize(b).toFixed(1)}" y2="${ySize(b).toFixed(1)}" stroke="#eee"/><text x="${leftA - 6}" y="${(ySize(b) + 4).toFixed(1)}" font-size="11" text-anchor="end">${bytes(b)}</text>`,
    )
    .join("");
  const msTicks = Array.from({ length: axisMs / step + 1 }, (_, i) => i * step)
    .map(
      (v) =>
        `<line x1="${leftB}" x2="${leftB + panelWidth}" y1="${yMs(v).toFixed(1)}" y2="${yMs(v).toFixed(1)}" stroke="#eee"/><text x="${leftB - 6}" y="${(yMs(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v} ms</text>`,
    )
    .join("");
  const series = (
    left: number,
    pick: (sum: StateSummary) => Spread,
    y: (v: number) => number,
    colour: string,
    format: (v: number) => string,
  ) => {
    const points = summaries.filter((sum) => pick(sum).median !== null);
    return (
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map((sum) => `${lx(sum.keys, left).toFixed(1)},${y(pick(sum).median!).toFixed(1)}`).join(" ")}"/>` +
      points
        .map((sum) => {
          const sp = pick(sum);
          const cx = lx(sum.keys, left).toFixed(1);
          return (
            `<line x1="${cx}" x2="${cx}" y1="${y(sp.min!).toFixed(1)}" y2="${y(sp.max!).toFixed(1)}" stroke="${colour}" stroke-width="1.5"/>` +
            `<circle cx="${cx}" cy="${y(sp.median!).toFixed(1)}" r="4" fill="${colour}"><title>${sum.keys} keys: ${format(sp.median!)}</title></circle>` +
            `<text x="${(Number(cx) + 8).toFixed(1)}" y="${(y(sp.median!) - 6).toFixed(1)}" font-size="11">${format(sp.median!)}</text>`
          );
        })
        .join("")
    );
  };
  const height = top + panel + 70;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="28" font-size="16" font-weight="bold">Checkpoints against the number of open windows (keys, log scale)</text>
<text x="${leftA}" y="${top - 10}" font-size="13">checkpoint size (log scale)</text>
<text x="${leftB}" y="${top - 10}" font-size="13">checkpoint duration, trigger to last acknowledgement</text>
${keyTicks(leftA)}${keyTicks(leftB)}${sizeTicks}${msTicks}
${series(
  leftA,
  (sum) => sum.size,
  ySize,
  "#3b6fb6",
  (v) => bytes(v),
)}
${series(
  leftA,
  (sum) => sum.windowSize,
  ySize,
  "#7aa0d6",
  (v) => bytes(v),
)}
${series(
  leftB,
  (sum) => sum.duration,
  yMs,
  "#e08a2c",
  (v) => `${Math.round(v)} ms`,
)}
<text x="${leftA + panelWidth / 2}" y="${top + panel + 36}" font-size="12" text-anchor="middle">open windows (keys)</text>
<text x="${leftB + panelWidth / 2}" y="${top + panel + 36}" font-size="12" text-anchor="middle">open windows (keys)</text>
<rect x="${leftA}" y="${height - 14}" width="12" height="10" fill="#3b6fb6"/><text x="${leftA + 16}" y="${height - 5}" font-size="11">whole checkpoint (median; line: least–greatest)</text>
<rect x="${leftA + 300}" y="${height - 14}" width="12" height="10" fill="#7aa0d6"/><text x="${leftA + 316}" y="${height - 5}" font-size="11">the windows' vertex</text>
</svg>
`;
}
