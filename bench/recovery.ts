// The recovery benchmark: how long a TaskManager crash keeps the job down under each setting, measured one after
// another in one run on stacks derived from one base stack: Flink's defaults (heartbeats of 10 s / 50 s, Python
// functions in worker processes, a new ResourceID for a restarted TaskManager), the stack's heartbeats (2 s / 10 s)
// with worker processes, thread mode added (Python functions in the TaskManager's JVM), then a stable ResourceID,
// then thread mode with a standby TaskManager (the stack's defaults); the suite runs the first and the last unless
// others are named. Each setting runs the verification's taskmanager-crash fault
// `runs` times, so every figure comes from a recovery that was also proved correct (no duplicate, no missing).

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

/** Text made safe for SVG (XML) content and attributes. */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A bar chart (SVG) of the median seconds to RUNNING and to the first committed output, per setting. */
export function renderRecoveryChart(results: readonly RecoveryResult[]): string {
  const rowHeight = 56;
  const left = 360;
  const width = 1000;
  const plot = width - left - 80;
  // The axis ends at the next whole 5 s past the greatest value, ticked every 5 s (or 10 s past a minute).
  const greatestSeen = Math.max(1, ...results.flatMap((r) => [r.running.max ?? 0, r.firstCommittedOutput.max ?? 0]));
  const step = greatestSeen > 60_000 ? 10_000 : 5_000;
  const greatest = Math.ceil(greatestSeen / step) * step;
  const x = (ms: number) => left + (ms / greatest) * plot;
  const height = 70 + results.length * rowHeight + 40;
  const bars = results
    .map((r, i) => {
      const y = 60 + i * rowHeight;
      const bar = (s: Spread, dy: number, colour: string, what: string) =>
        s.median === null
          ? ""
          : `<rect x="${left}" y="${y + dy}" width="${(x(s.median) - left).toFixed(1)}" height="16" fill="${colour}"><title>${escapeXml(what)} ${seconds(s.median)} s</title></rect>` +
            `<line x1="${x(s.min!).toFixed(1)}" x2="${x(s.max!).toFixed(1)}" y1="${y + dy + 8}" y2="${y + dy + 8}" stroke="#222" stroke-width="1.5"/>` +
            `<text x="${(x(s.max!) + 6).toFixed(1)}" y="${y + dy + 13}" font-size="12">${seconds(s.median)} s</text>`;
      return (
        `<text x="${left - 10}" y="${y + 22}" font-size="13" text-anchor="end">${escapeXml(r.label)}</text>` +
        bar(r.running, 0, "#3b6fb6", "RUNNING") +
        bar(r.firstCommittedOutput, 20, "#e08a2c", "first committed output")
      );
    })
    .join("\n");
  const ticks = Array.from({ length: greatest / step + 1 }, (_, i) => i * step)
    .map(
      (ms) =>
        `<line x1="${x(ms).toFixed(1)}" x2="${x(ms).toFixed(1)}" y1="50" y2="${height - 35}" stroke="#ddd"/><text x="${x(ms).toFixed(1)}" y="${height - 18}" font-size="11" text-anchor="middle">${ms / 1000} s</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="28" font-size="16" font-weight="bold">TaskManager crash: seconds until the job is RUNNING again and until committed output resumes</text>
${ticks}
${bars}
<rect x="${left}" y="${height - 12}" width="12" height="10" fill="#3b6fb6"/><text x="${left + 16}" y="${height - 3}" font-size="11">RUNNING (median; line: least–greatest)</text>
<rect x="${left + 280}" y="${height - 12}" width="12" height="10" fill="#e08a2c"/><text x="${left + 296}" y="${height - 3}" font-size="11">first committed output</text>
</svg>
`;
}
