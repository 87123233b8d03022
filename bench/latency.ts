// The latency benchmark: from an event's production to its window firing being visible to a read_committed
// reader, in each checkpoint mode and at checkpoint intervals of 1 s, 5 s and 20 s. The event of a firing is the
// input record that completes it: the count-th visit the job counted in that window (verify/checks.ts's ground
// truth says which visits it counted). "Produced" is that record's Kafka timestamp (the producer's CreateTime),
// "visible" the wall-clock time the poller first read the firing. Pure functions; bench/load.ts measures.

import type { CheckpointMode } from "../infra/contract";
import { type BarRow, type BarsSpec, barsBlock, barsFrame } from "../lib/chart/bars";
import { PALETTE } from "../lib/chart/colours";
import { chartSvg } from "../lib/chart/document";
import { legendBlock, swatch } from "../lib/chart/legend";
import type { TopicRecord } from "../lib/kafka/reader";
import { firingKey, groundTruth, parseFiring, type Visit, type WindowModel, windowKey } from "../verify";
import { percentile } from "./recovery";
import { firstLine, modeColour } from "./throughput";

/** An output record and when the read_committed poller first had it. */
export interface SeenRecord {
  record: TopicRecord;
  seenAtMs: number;
}

export interface FiringLatencies {
  /** Visible minus produced, one per firing of the measured visits (first sighting). */
  latenciesMs: number[];
  /** Firings of the measured visits whose completing input record the input does not hold (should be 0). */
  unmatched: number;
}

/**
 * The latency of every firing of the visits whose id starts with `visitIdPrefix` (one generator run's), from the
 * input visits of that run and the firings seen.
 */
export function firingLatencies(
  visits: readonly Visit[],
  seen: readonly SeenRecord[],
  visitIdPrefix: string,
  model: WindowModel,
): FiringLatencies {
  const ours = visits.filter((v) => v.visitId.startsWith(visitIdPrefix));
  const truth = groundTruth(ours, model);
  const producedAt = new Map(ours.map((v) => [`${v.partition}:${v.offset}`, v.producedAtMs]));
  const firstSeen = new Set<string>();
  const latenciesMs: number[] = [];
  let unmatched = 0;
  for (const { record, seenAtMs } of [...seen].sort((a, b) => a.seenAtMs - b.seenAtMs)) {
    const parsed = parseFiring(record);
    if (!parsed.ok || !parsed.value.visitId.startsWith(visitIdPrefix)) continue;
    const firing = parsed.value;
    const key = firingKey(firing.visitId, firing.windowStartMs, firing.count);
    if (firstSeen.has(key)) continue;
    firstSeen.add(key);
    // The job drops late visits, so the firing's count-th visit is the count-th one not possibly late.
    const counted = truth.get(windowKey(firing.visitId, firing.windowStartMs))?.visits.filter((v) => !v.possiblyLate) ?? [];
    const completing = counted[firing.count - 1];
    const produced = completing ? producedAt.get(`${completing.partition}:${completing.offset}`) : undefined;
    if (produced === undefined) unmatched++;
    else latenciesMs.push(seenAtMs - produced);
  }
  return { latenciesMs, unmatched };
}

export interface LatencyFigures {
  n: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export function latencyFigures(latenciesMs: readonly number[]): LatencyFigures {
  return {
    n: latenciesMs.length,
    p50Ms: percentile(latenciesMs, 50),
    p95Ms: percentile(latenciesMs, 95),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: percentile(latenciesMs, 100),
  };
}

export interface LatencyResult {
  mode: CheckpointMode;
  intervalMs: number;
  figures: LatencyFigures;
  /** Firings the input of the run certainly caused, and how many of them the poller saw in time. */
  expectedFirings: number;
  unmatched: number;
  error: string | null;
}

/** p50 of each result divided by the p50 of the same interval's result in `mode`. */
export function latencyRatios(results: readonly LatencyResult[], mode: CheckpointMode): (number | null)[] {
  return results.map((r) => {
    const reference = results.find((o) => o.mode === mode && o.intervalMs === r.intervalMs)?.figures.p50Ms ?? null;
    return reference === null || r.figures.p50Ms === null || reference === 0 ? null : r.figures.p50Ms / reference;
  });
}

const secondsOf = (ms: number | null) => (ms === null ? "–" : (ms / 1000).toFixed(2));

/** The Markdown table: one row per mode and interval, seconds from production to visibility. */
export function renderLatencyTable(results: readonly LatencyResult[]): string {
  const ratios = latencyRatios(results, "AT_LEAST_ONCE");
  const lines = [
    "| mode | checkpoint interval s | firings seen (expected) | p50 s | p95 s | p99 s | max s | p50 vs AT_LEAST_ONCE |",
    "|---|---|---|---|---|---|---|---|",
    ...results.map(
      (r, i) =>
        `| ${r.mode} | ${r.intervalMs / 1000} | ${r.figures.n} (${r.expectedFirings}) | ${secondsOf(r.figures.p50Ms)} | ${secondsOf(r.figures.p95Ms)} | ${secondsOf(r.figures.p99Ms)} | ` +
        `${secondsOf(r.figures.maxMs)} | ${ratios[i] === null ? "–" : `${ratios[i]!.toFixed(2)}x`} |`,
    ),
  ];
  const notes = results.filter((r) => r.error || r.unmatched > 0);
  if (notes.length > 0) {
    lines.push(
      "",
      ...notes.map(
        (r) =>
          `- ${r.mode} at ${r.intervalMs / 1000} s: ${[r.error ? firstLine(r.error) : "", r.unmatched > 0 ? `${r.unmatched} firings without their completing input record` : ""].filter(Boolean).join("; ")}`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The chart (SVG): per interval a bar per mode to the p50, a thin line on to the p99 and a tick at the p95. */
export function renderLatencyChart(results: readonly LatencyResult[]): string {
  const width = 800;
  const intervals = [...new Set(results.map((r) => r.intervalMs))].sort((a, b) => a - b);
  const modes = [...new Set(results.map((r) => r.mode))];
  const row = (mode: CheckpointMode, interval: number): BarRow => {
    const r = results.find((o) => o.mode === mode && o.intervalMs === interval);
    const f = r?.figures;
    if (!r || !f || f.p50Ms === null) return { marks: [], note: `${mode}: no figure${r?.error ? ` (${firstLine(r.error)})` : ""}` };
    const colour = modeColour(mode);
    return {
      marks: [
        {
          kind: "bar",
          from: 0,
          to: f.p50Ms,
          fill: colour,
          tip: `${mode}, interval ${interval / 1000} s: p50 ${secondsOf(f.p50Ms)} s, p95 ${secondsOf(f.p95Ms)} s, p99 ${secondsOf(f.p99Ms)} s, n ${f.n}`,
        },
        { kind: "range", from: f.p50Ms, to: f.p99Ms!, stroke: colour, width: 2 },
        { kind: "tick", at: f.p95Ms!, stroke: PALETTE.range },
        { kind: "tick", at: f.p99Ms!, stroke: colour },
      ],
      value: `${secondsOf(f.p50Ms)} s`,
    };
  };
  const bars: BarsSpec = {
    groups: intervals.map((interval) => ({ label: `interval ${interval / 1000} s`, rows: modes.map((mode) => row(mode, interval)) })),
    format: (ms) => `${+(ms / 1000).toFixed(3)} s`,
    axisTitle: "seconds from the event's production until its firing is visible",
    barHeight: 14,
    labelFontSize: 13,
    labelBold: true,
  };
  const frame = barsFrame(bars, width);
  return chartSvg({
    width,
    title: "Event produced → its window firing visible to a read_committed reader",
    subtitle: "bar: p50; black tick: p95; line end: p99 (label: p50)",
    blocks: [
      barsBlock(bars, frame),
      legendBlock(
        modes.map((mode) => ({ label: mode, mark: swatch(modeColour(mode)) })),
        frame.left,
        width - 20 - frame.left,
      ),
    ],
  });
}
