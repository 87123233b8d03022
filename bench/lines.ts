// The Flink lines side by side (`npm run bench -- --lines`): every line of versions.json on a stack of its own, derived
// from one base stack with only `flinkVersion` and the checkpoint interval changed, measured one after another in one
// run: recovery from a TaskManager crash, throughput, latency at one checkpoint interval, and a restore from a retained
// checkpoint against reprocessing from the earliest offsets. The figures of each line are given as ratios to the
// first line's, since absolute times on a shared machine are noisy. The runs are in lineRuns.ts; this is pure.

import { type BarRow, type BarsSpec, barsBlock, barsFrame } from "../lib/chart/bars";
import { PALETTE } from "../lib/chart/colours";
import { chartSvg } from "../lib/chart/document";
import { legendBlock, swatch } from "../lib/chart/legend";
import type { StackVariant } from "../lib/stack/derived";
import { type BacklogResult, backlogRatios } from "./backlog";
import type { LatencyResult } from "./latency";
import type { RecoveryResult } from "./recovery";
import { bestStep, type ThroughputResult } from "./throughput";

/** The checkpoint interval of every line's stack: the latency's interval and the throughput steps'. */
export const LINES_INTERVAL_MS = 5_000;
/** The backlog of the restore-against-reprocessing comparison: large enough for seconds of reading, 1/5 of --backlog's. */
export const LINES_BACKLOG_EVENTS = 200_000;

/** The stack of one Flink line, derived from the base stack (ports 70 above its own). */
export function lineVariant(line: string): StackVariant {
  return {
    suffix: `bench-line-${line.replace(/\./g, "-")}`,
    changes: { flinkVersion: line, checkpointIntervalMs: String(LINES_INTERVAL_MS) },
    portShift: 70,
  };
}

export interface LineResult {
  /** The line (versions.json's flinkLines key). */
  line: string;
  /** The Flink version its JobManager reported. */
  flink: string | null;
  stack: string;
  recovery: RecoveryResult | null;
  throughput: ThroughputResult | null;
  latency: LatencyResult | null;
  backlog: BacklogResult | null;
  /** Why a part, or the whole line, could not be measured. */
  error: string | null;
}

/** One figure compared across the lines. */
export interface LineMeasure {
  /** What is measured, with its unit. */
  label: string;
  unit: "s" | "events/s" | "x";
  /** Which way is better: a shorter time, a higher rate. */
  better: "lower" | "higher";
  /** The chart's panel it is drawn in (figures of one unit and scale share a panel). */
  panel: "recovery and latency" | "catching up" | "throughput" | "ratio";
  value: (result: LineResult) => number | null;
}

const seconds = (ms: number | null | undefined): number | null => (ms === null || ms === undefined ? null : ms / 1000);

export const LINE_MEASURES: readonly LineMeasure[] = [
  {
    label: "TaskManager crash → RUNNING, median",
    unit: "s",
    better: "lower",
    panel: "recovery and latency",
    value: (r) => seconds(r.recovery?.running.median),
  },
  {
    label: "TaskManager crash → first committed output, median",
    unit: "s",
    better: "lower",
    panel: "recovery and latency",
    value: (r) => seconds(r.recovery?.firstCommittedOutput.median),
  },
  {
    label: "highest input kept up (EXACTLY_ONCE)",
    unit: "events/s",
    better: "higher",
    panel: "throughput",
    value: (r) => (r.throughput ? (bestStep(r.throughput)?.producedPerSecond ?? null) : null),
  },
  {
    label: `latency p50 at a ${LINES_INTERVAL_MS / 1000} s interval`,
    unit: "s",
    better: "lower",
    panel: "recovery and latency",
    value: (r) => seconds(r.latency?.figures.p50Ms),
  },
  {
    label: `latency p99 at a ${LINES_INTERVAL_MS / 1000} s interval`,
    unit: "s",
    better: "lower",
    panel: "recovery and latency",
    value: (r) => seconds(r.latency?.figures.p99Ms),
  },
  {
    label: "restored from the retained checkpoint: caught up after submission",
    unit: "s",
    better: "lower",
    panel: "catching up",
    value: (r) => seconds(r.backlog?.restore?.caughtUpMs),
  },
  {
    label: "reprocessing from the earliest offsets: caught up after submission",
    unit: "s",
    better: "lower",
    panel: "catching up",
    value: (r) => seconds(r.backlog?.earliest?.caughtUpMs),
  },
  {
    label: "restore against reprocessing: times sooner",
    unit: "x",
    better: "higher",
    panel: "ratio",
    value: (r) => (r.backlog ? backlogRatios(r.backlog).fromSubmission : null),
  },
];

/** Each line's figure divided by the first line's (the reference): 1 for the reference itself, null when unmeasured. */
export function lineRatios(results: readonly LineResult[], measure: LineMeasure): (number | null)[] {
  const reference = results[0] ? measure.value(results[0]) : null;
  return results.map((r) => {
    const value = measure.value(r);
    return reference === null || value === null || reference === 0 ? null : value / reference;
  });
}

/** Whether a ratio to the reference is better, worse, or within `tolerance` of it (noise on a shared machine). */
export function verdict(ratio: number | null, better: LineMeasure["better"], tolerance = 0.1): "better" | "worse" | "same" | null {
  if (ratio === null) return null;
  if (Math.abs(ratio - 1) <= tolerance) return "same";
  return ratio < 1 === (better === "lower") ? "better" : "worse";
}

const figure = (value: number | null, unit: LineMeasure["unit"]): string => {
  if (value === null) return "–";
  if (unit === "events/s") return Math.round(value).toLocaleString("en-US");
  if (unit === "x") return `${value.toFixed(1)}x`;
  return value.toFixed(value < 10 ? 2 : 1);
};

/** Whether every line produced every figure, and every recovery run passed its checks. */
export function linesMeasured(results: readonly LineResult[]): boolean {
  return (
    results.length > 1 &&
    results.every(
      (r) =>
        r.error === null && r.recovery !== null && r.recovery.passed === r.recovery.runs && LINE_MEASURES.every((m) => m.value(r) !== null),
    )
  );
}

/** The Markdown table: one row per measure, a column per line, then each later line's ratio to the first. */
export function renderLinesTable(results: readonly LineResult[]): string {
  const [reference, ...others] = results;
  if (!reference) return "No Flink line was measured.\n";
  const name = (r: LineResult) => `${r.line}${r.flink ? ` (Flink ${r.flink})` : ""}`;
  const lines = [
    `| measure | ${results.map(name).join(" | ")} | ${others.map((o) => `${o.line} ÷ ${reference.line}`).join(" | ")} |`,
    `|---|${results.map(() => "---|").join("")}${others.map(() => "---|").join("")}`,
    ...LINE_MEASURES.map((m) => {
      const ratios = lineRatios(results, m).slice(1);
      const compared = ratios.map((ratio) => {
        const v = verdict(ratio, m.better);
        return ratio === null ? "–" : `${ratio.toFixed(2)}x${v === "same" ? " (same)" : v ? ` (${v})` : ""}`;
      });
      return `| ${m.label}${m.unit === "x" ? "" : `, ${m.unit}`} | ${results.map((r) => figure(m.value(r), m.unit)).join(" | ")} | ${compared.join(" | ")} |`;
    }),
    "",
    `Ratios are the later line's figure divided by ${reference.line}'s; "same" means within 10 %. ` +
      `Recovery runs that passed every check: ${results.map((r) => `${r.line} ${r.recovery ? `${r.recovery.passed}/${r.recovery.runs}` : "–"}`).join(", ")}.`,
  ];
  const failed = results.filter((r) => r.error);
  if (failed.length > 0) lines.push("", ...failed.map((r) => `- ${r.line}: ${r.error!.split("\n")[0]}`));
  return `${lines.join("\n")}\n`;
}

const LINE_COLOURS = [PALETTE.blue, PALETTE.orange, PALETTE.paleBlue];
const lineColour = (index: number): string => LINE_COLOURS[index % LINE_COLOURS.length]!;

/** The chart (SVG): per measure a bar per line, in panels of one unit each; each later line's ratio beside its bar. */
export function renderLinesChart(results: readonly LineResult[]): string {
  const width = 1000;
  const panels = [...new Set(LINE_MEASURES.map((m) => m.panel))];
  const specs: BarsSpec[] = panels.map((panel) => {
    const measures = LINE_MEASURES.filter((m) => m.panel === panel);
    const unit = measures[0]!.unit;
    return {
      groups: measures.map((m) => {
        const ratios = lineRatios(results, m);
        return {
          label: m.label,
          rows: results.map((r, i): BarRow => {
            const value = m.value(r);
            if (value === null) return { marks: [], note: `${r.line}: not measured` };
            const shown = `${figure(value, unit)}${unit === "x" ? "" : ` ${unit}`}`;
            return {
              marks: [{ kind: "bar", from: 0, to: value, fill: lineColour(i), tip: `${r.line}: ${shown}` }],
              value: i === 0 || ratios[i] === null ? shown : `${shown} (${ratios[i]!.toFixed(2)}x)`,
            };
          }),
        };
      }),
      format: (v) => (unit === "events/s" ? v.toLocaleString("en-US") : unit === "x" ? `${v}x` : `${v} s`),
      axisTitle: unit === "events/s" ? "events per second" : unit === "x" ? "times sooner from the checkpoint" : "seconds",
      barHeight: 14,
      labelFontSize: 12,
    };
  });
  // One label column for all panels, as wide as the widest needs, so the bars of every panel start at one x.
  const frames = specs.map((spec) => barsFrame(spec, width));
  const frame = { left: Math.max(...frames.map((f) => f.left)), right: Math.min(...frames.map((f) => f.right)) };
  const legend = legendBlock(
    results.map((r, i) => ({ label: `Flink ${r.flink ?? r.line} (line ${r.line})`, mark: swatch(lineColour(i)) })),
    frame.left,
    width - 20 - frame.left,
  );
  const reference = results[0]?.line ?? "";
  return chartSvg({
    width,
    title: "The Flink lines side by side: recovery, throughput, latency, restore against reprocessing",
    subtitle: `Each later line's ratio to ${reference} in brackets; shorter bars are better except for throughput and the restore ratio.`,
    blocks: [legend, ...specs.map((spec) => barsBlock(spec, frame))],
  });
}
