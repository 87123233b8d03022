// The storage benchmark: checkpoints on the volume against checkpoints in a bucket (checkpointStorage s3), side by
// side: how long a checkpoint takes and how big it is, and how fast the job recovers from a TaskManager crash.
// Durations come from the JobManager's log, not from REST: its `Completed checkpoint N for job … (B bytes,
// checkpointDuration=X ms, finalizationTime=Y ms)` counts the `_metadata` write, the one S3 request of a checkpoint
// of this job's small state, which the REST history's end_to_end_duration (trigger to last acknowledgement) leaves out.

import { type BarRow, type BarsSpec, barsBlock, barsFrame } from "../lib/chart/bars";
import { PALETTE } from "../lib/chart/colours";
import { chartSvg } from "../lib/chart/document";
import { legendBlock, swatch } from "../lib/chart/legend";
import { percentile, type RecoveryResult, type Spread, spread } from "./recovery";

/** One `Completed checkpoint` line of the JobManager's log. */
export interface CompletedCheckpoint {
  id: number;
  jobId: string;
  bytes: number;
  durationMs: number;
  finalizationMs: number;
}

const COMPLETED_LINE =
  /Completed checkpoint (\d+) for job ([0-9a-f]{32}) \((\d+) bytes, checkpointDuration=(\d+) ms, finalizationTime=(\d+) ms\)/;

/** Every completed checkpoint the JobManager's log names, in the log's order. */
export function completedCheckpoints(log: string): CompletedCheckpoint[] {
  return log.split("\n").flatMap((line) => {
    const match = COMPLETED_LINE.exec(line);
    return match
      ? [
          {
            id: Number(match[1]),
            jobId: match[2]!,
            bytes: Number(match[3]),
            durationMs: Number(match[4]),
            finalizationMs: Number(match[5]),
          },
        ]
      : [];
  });
}

export interface CheckpointFiguresSummary {
  n: number;
  durationMs: Spread & { p90: number | null; mean: number | null };
  bytes: Spread;
}

export function summarizeCheckpoints(checkpoints: readonly CompletedCheckpoint[]): CheckpointFiguresSummary {
  const durations = checkpoints.map((c) => c.durationMs);
  return {
    n: checkpoints.length,
    durationMs: {
      ...spread(durations),
      p90: percentile(durations, 90),
      mean: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length,
    },
    bytes: spread(checkpoints.map((c) => c.bytes)),
  };
}

/** What one storage gave. */
export interface StorageResult {
  /** `volume` or `s3`, and how the stack was set up for it. */
  storage: string;
  stack: string;
  changes: Readonly<Record<string, string>>;
  checkpoints: CheckpointFiguresSummary;
  /** The JobManager log's lines the figures come from. */
  completed: readonly CompletedCheckpoint[];
  recovery: RecoveryResult;
  error: string | null;
}

/** The storages compared: the stack's own as it is (volume) and the bucket of its own S3 server. */
export const STORAGE_VARIANTS: readonly { storage: string; suffix: string; changes: Readonly<Record<string, string>> }[] = [
  { storage: "volume", suffix: "bench-volume", changes: { checkpointStorage: "volume" } },
  { storage: "s3 (SeaweedFS in the stack)", suffix: "bench-s3", changes: { checkpointStorage: "s3" } },
];

const ms = (value: number | null): string => (value === null ? "-" : `${Math.round(value)} ms`);
const s = (value: number | null): string => (value === null ? "-" : `${(value / 1000).toFixed(1)} s`);
const kb = (value: number | null): string => (value === null ? "-" : `${(value / 1000).toFixed(1)} KB`);

export function renderStorageTable(results: readonly StorageResult[]): string {
  const header =
    "| storage | checkpoints | duration median | p90 | max | size median | TaskManager crash: detected | RUNNING | first committed output | passed |";
  const rule = "|---|---|---|---|---|---|---|---|---|---|";
  const rows = results.map((r) => {
    const c = r.checkpoints;
    const v = r.recovery;
    return `| ${r.storage}${r.error ? ` (${r.error})` : ""} | ${c.n} | ${ms(c.durationMs.median)} | ${ms(c.durationMs.p90)} | ${ms(c.durationMs.max)} | ${kb(c.bytes.median)} | ${s(v.detected.median)} | ${s(v.running.median)} | ${s(v.firstCommittedOutput.median)} | ${v.passed}/${v.runs} |`;
  });
  return [header, rule, ...rows, ""].join("\n");
}

const DURATION_COLOUR = PALETTE.paleBlue;
const RUNNING_COLOUR = PALETTE.blue;
const OUTPUT_COLOUR = PALETTE.orange;

/** One chart, a group per storage: a checkpoint's duration and the crash recovery, each its median with its range. */
export function renderStorageChart(results: readonly StorageResult[]): string {
  const width = 1000;
  const bar = (value: Spread, colour: string, what: string): BarRow =>
    value.median === null
      ? { marks: [], note: `${what}: not measured` }
      : {
          marks: [
            { kind: "bar", from: 0, to: value.median, fill: colour, tip: `${what} ${value.median} ms` },
            { kind: "range", from: value.min!, to: value.max!, stroke: PALETTE.range },
          ],
          value: value.median >= 1000 ? s(value.median) : ms(value.median),
        };
  const bars: BarsSpec = {
    groups: results.map((r) => ({
      label: r.storage,
      rows: [
        bar(r.checkpoints.durationMs, DURATION_COLOUR, "checkpoint duration"),
        bar(r.recovery.running, RUNNING_COLOUR, "RUNNING after a TaskManager crash"),
        bar(r.recovery.firstCommittedOutput, OUTPUT_COLOUR, "first committed output after it"),
      ],
    })),
    format: (value) => `${value / 1000} s`,
    axisTitle: "seconds (bar: median; line: least–greatest)",
    barHeight: 16,
    labelFontSize: 13,
  };
  const frame = barsFrame(bars, width);
  const legend = legendBlock(
    [
      { label: "checkpoint duration (JobManager log)", mark: swatch(DURATION_COLOUR) },
      { label: "TaskManager crash → RUNNING", mark: swatch(RUNNING_COLOUR) },
      { label: "TaskManager crash → first committed output", mark: swatch(OUTPUT_COLOUR) },
    ],
    frame.left,
    width - 20 - frame.left,
  );
  return chartSvg({
    width,
    title: "Checkpoints on the volume against checkpoints in S3: duration and TaskManager-crash recovery",
    blocks: [barsBlock(bars, frame), legend],
  });
}
