// The recovery benchmark: how long a TaskManager crash keeps the job down under each setting, measured one after
// another in one run on stacks derived from one base stack: Flink's defaults (heartbeats of 10 s / 50 s, Python
// functions in worker processes, a new ResourceID for a restarted TaskManager), the stack's heartbeats (2 s / 10 s)
// with worker processes, thread mode added (Python functions in the TaskManager's JVM), then a stable ResourceID,
// then thread mode with a standby TaskManager (the stack's defaults); the suite runs the first and the last unless
// others are named. Each setting runs the verification's taskmanager-crash fault
// `runs` times, so every figure comes from a recovery that was also proved correct (no duplicate, no missing).

import { SECONDS_LADDER } from "../lib/chart/axis";
import { type BarRow, type BarsSpec, barsBlock, barsFrame } from "../lib/chart/bars";
import { PALETTE } from "../lib/chart/colours";
import { chartSvg } from "../lib/chart/document";
import { legendBlock, swatch } from "../lib/chart/legend";
import type { StackVariant } from "../lib/stack/derived";
import type { MatrixRow } from "../verify";

export type RecoveryVariant = StackVariant & { readonly label: string };

/**
 * The stack's recovery keys as they were before thread mode and stable ResourceIDs: each setting is a difference from
 * these and pins every key, so a change of the stack's defaults does not move a measured setting.
 */
export const BASE_RECOVERY_SETTINGS: Readonly<Record<string, string>> = {
  heartbeatIntervalMs: "2000",
  heartbeatTimeoutMs: "10000",
  restartBackoffMs: "1000",
  restartMaxBackoffMs: "30000",
  pythonExecutionMode: "process",
  stableTaskManagerIds: "false",
  taskManagers: "1",
};

const setting = (label: string, suffix: string, portShift: number, changes: Readonly<Record<string, string>>): RecoveryVariant => ({
  label,
  suffix,
  portShift,
  changes: { ...BASE_RECOVERY_SETTINGS, ...changes },
});

/** The settings compared, in the order they are run; all other config is the base stack's. */
export const RECOVERY_VARIANTS: readonly RecoveryVariant[] = [
  setting(
    "Flink's defaults (heartbeat 10 s / 50 s, restart delay up to 60 s, Python worker processes, one TaskManager, new ResourceID)",
    "bench-flink-defaults",
    20,
    { heartbeatIntervalMs: "10000", heartbeatTimeoutMs: "50000", restartMaxBackoffMs: "60000" },
  ),
  setting("heartbeat 2 s / 10 s, Python worker processes", "bench-fast-process", 30, {}),
  setting("heartbeat 2 s / 10 s, Python in the TaskManager's JVM", "bench-fast-thread", 40, { pythonExecutionMode: "thread" }),
  setting("thread mode and a stable ResourceID", "bench-fast-stable-ids", 35, {
    pythonExecutionMode: "thread",
    stableTaskManagerIds: "true",
  }),
  setting("thread mode and a standby TaskManager (the stack's defaults)", "bench-fast-standby", 45, {
    pythonExecutionMode: "thread",
    taskManagers: "2",
  }),
];

/**
 * The settings run when none is named: Flink's defaults against the stack's, the comparison a user chooses between.
 * The steps between them say where the difference comes from; each costs a stack, so they run when named (or `all`),
 * which keeps the whole suite within its time budget.
 */
export const SUITE_RECOVERY_SETTINGS: readonly string[] = ["bench-flink-defaults", "bench-fast-standby"];

/** The variants named by `suffixes` (the suite's two when null), in the benchmark's order. */
export function selectVariants(suffixes: readonly string[] | null): typeof RECOVERY_VARIANTS {
  const named = suffixes ?? SUITE_RECOVERY_SETTINGS;
  return RECOVERY_VARIANTS.filter((v) => named.includes(v.suffix));
}

export interface Spread {
  n: number;
  median: number | null;
  min: number | null;
  max: number | null;
}

/** Median, least and greatest of the values that were measured (undefined ones are left out). */
export function spread(values: readonly (number | undefined)[]): Spread {
  const measured = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (measured.length === 0) return { n: 0, median: null, min: null, max: null };
  const mid = Math.floor(measured.length / 2);
  const median = measured.length % 2 === 1 ? measured[mid]! : (measured[mid - 1]! + measured[mid]!) / 2;
  return { n: measured.length, median, min: measured[0]!, max: measured[measured.length - 1]! };
}

/** The nearest-rank p-th percentile (0 < p <= 100) of the values, or null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface RecoveryResult {
  label: string;
  stack: string;
  changes: Readonly<Record<string, string>>;
  runs: number;
  /** Runs whose checks all held (0 duplicates, 0 missing, the right checkpoint restored). */
  passed: number;
  detected: Spread;
  running: Spread;
  firstCommittedOutput: Spread;
  caughtUp: Spread;
  error: string | null;
}

export function summarize(
  label: string,
  stack: string,
  changes: Readonly<Record<string, string>>,
  rows: readonly MatrixRow[],
  error: string | null,
): RecoveryResult {
  const of = (pick: (row: MatrixRow) => number | undefined) => spread(rows.map(pick));
  return {
    label,
    stack,
    changes,
    runs: rows.length,
    passed: rows.filter((r) => r.ok && !r.error).length,
    detected: of((r) => r.timings.faultToDetected),
    running: of((r) => r.timings.faultToRunning),
    firstCommittedOutput: of((r) => r.timings.faultToFirstCommittedOutput),
    caughtUp: of((r) => r.timings.faultToCaughtUp),
    error,
  };
}

const seconds = (ms: number | null) => (ms === null ? "–" : (ms / 1000).toFixed(1));
const cell = (s: Spread) => (s.median === null ? "–" : `${seconds(s.median)} (${seconds(s.min)}–${seconds(s.max)})`);

/** The ratio of the first setting's median RUNNING time to each other's: how many times faster each one is. */
export function speedups(results: readonly RecoveryResult[]): (number | null)[] {
  const reference = results[0]?.running.median ?? null;
  return results.map((r) =>
    reference === null || r.running.median === null || r.running.median === 0 ? null : reference / r.running.median,
  );
}

/** The Markdown table: one row per setting, seconds from the crash as median (least–greatest). */
export function renderRecoveryTable(results: readonly RecoveryResult[]): string {
  const ratios = speedups(results);
  const lines = [
    "| setting | runs passed | detected s | RUNNING s | first committed output s | caught up s | RUNNING, times faster than the first |",
    "|---|---|---|---|---|---|---|",
    ...results.map(
      (r, i) =>
        `| ${r.label} | ${r.passed}/${r.runs} | ${cell(r.detected)} | ${cell(r.running)} | ${cell(r.firstCommittedOutput)} | ${cell(r.caughtUp)} | ${ratios[i] === null ? "–" : `${ratios[i]!.toFixed(2)}x`} |`,
    ),
  ];
  const failed = results.filter((r) => r.error);
  if (failed.length > 0) lines.push("", ...failed.map((r) => `- ${r.label}: ${r.error}`));
  return `${lines.join("\n")}\n`;
}

const RUNNING_COLOUR = PALETTE.blue;
const OUTPUT_COLOUR = PALETTE.orange;

/** A bar chart (SVG) of the median seconds to RUNNING and to the first committed output, per setting, with their ranges. */
export function renderRecoveryChart(results: readonly RecoveryResult[]): string {
  const width = 1000;
  const bar = (s: Spread, colour: string, what: string): BarRow =>
    s.median === null
      ? { marks: [], note: `${what}: not measured` }
      : {
          marks: [
            { kind: "bar", from: 0, to: s.median, fill: colour, tip: `${what} ${seconds(s.median)} s` },
            { kind: "range", from: s.min!, to: s.max!, stroke: PALETTE.range },
          ],
          value: `${seconds(s.median)} s`,
        };
  const bars: BarsSpec = {
    groups: results.map((r) => ({
      label: r.label,
      rows: [bar(r.running, RUNNING_COLOUR, "RUNNING"), bar(r.firstCommittedOutput, OUTPUT_COLOUR, "first committed output")],
    })),
    format: (ms) => `${ms / 1000} s`,
    axisTitle: "seconds after the TaskManager was killed",
    barHeight: 16,
    labelFontSize: 13,
    // Whole seconds as a clock divides them: 5 s, 10 s, 15 s…
    ladder: SECONDS_LADDER.map((s) => s * 1000),
  };
  const frame = barsFrame(bars, width);
  const legend = legendBlock(
    [
      { label: "RUNNING again (median; line: least–greatest)", mark: swatch(RUNNING_COLOUR) },
      { label: "first committed output", mark: swatch(OUTPUT_COLOUR) },
    ],
    frame.left,
    width - 20 - frame.left,
  );
  return chartSvg({
    width,
    title: "TaskManager crash: seconds until the job is RUNNING again and until committed output resumes",
    blocks: [barsBlock(bars, frame), legend],
  });
}
