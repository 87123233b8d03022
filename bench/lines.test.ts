import { describe, expect, it } from "vitest";
import { estimatedTextBoxes, labelProblems } from "../lib/chart/labelCheck";
import { FLINK_LINES } from "../lib/versions";
import type { BacklogResult } from "./backlog";
import type { CatchUp } from "./benchJob";
import { latencyFigures } from "./latency";
import {
  LINE_MEASURES,
  type LineResult,
  lineRatios,
  linesMeasured,
  lineVariant,
  renderLinesChart,
  renderLinesTable,
  verdict,
} from "./lines";
import type { RecoveryResult } from "./recovery";
import type { StepResult, ThroughputResult } from "./throughput";

const spread = (median: number) => ({ n: 3, median, min: median - 500, max: median + 500 });
const recovery = (runningMs: number, outputMs: number, passed = 3): RecoveryResult => ({
  label: "line",
  stack: "s",
  changes: {},
  runs: 3,
  passed,
  detected: spread(3_000),
  running: spread(runningMs),
  firstCommittedOutput: spread(outputMs),
  caughtUp: spread(outputMs + 1_000),
  error: null,
});
const step = (rate: number, produced: number, sustained: boolean): StepResult => ({
  rate,
  producedPerSecond: produced,
  consumedPerSecond: produced,
  lagSeconds: 1,
  drainMs: 1_000,
  sustained,
  generatorLimited: false,
  verdict: sustained ? "kept up" : "fell behind",
  checkpoints: {
    n: 3,
    p50DurationMs: 500,
    p99DurationMs: 900,
    medianCheckpointedBytes: 1_000,
    medianStateBytes: 1_000,
  } as StepResult["checkpoints"],
});
const throughput = (best: number): ThroughputResult => ({
  mode: "EXACTLY_ONCE",
  stack: "s",
  intervalMs: 5_000,
  parallelism: 2,
  steps: [step(1_000, 998, true), step(best + 1_000, best, true), step(16_000, best + 2_000, false)],
  error: null,
});
const catchUp = (caughtUpMs: number): CatchUp => ({
  jobId: "j",
  submittedMs: 500,
  runningMs: 8_000,
  caughtUpMs,
  checkpointId: 4,
  samples: [],
});
const backlog = (restoreMs: number, earliestMs: number): BacklogResult => ({
  plan: { events: 200_000, tailEvents: 2_000, rate: 20_000, visits: 1_000, catchUpTimeoutMs: 900_000 },
  inputRecords: 202_000,
  generator: { backlog: null, tail: null },
  checkpoint: { id: 4, path: "file:/checkpoints_flink/x/chk-4" },
  restore: catchUp(restoreMs),
  restoreRecords: 2_000,
  earliest: catchUp(earliestMs),
  earliestRecords: 200_000,
  error: null,
});
const line = (
  name: string,
  flink: string,
  figures: { running: number; output: number; best: number; p50: number; restore: number; earliest: number },
) =>
  ({
    line: name,
    flink,
    stack: `ci-bench-line-${name}`,
    recovery: recovery(figures.running, figures.output),
    throughput: throughput(figures.best),
    latency: {
      mode: "EXACTLY_ONCE",
      intervalMs: 5_000,
      figures: latencyFigures([figures.p50, figures.p50 + 2_000]),
      expectedFirings: 2,
      unmatched: 0,
      error: null,
    },
    backlog: backlog(figures.restore, figures.earliest),
    error: null,
  }) satisfies LineResult;

// Flink's releases as the JobManagers report them (versions.json is the one file that names them).
const [olderFlink, newerFlink] = ["1.20", "2.2"].map((l) => FLINK_LINES[l]?.flink ?? `${l}.0`);
const older = line("1.20", olderFlink!, { running: 10_000, output: 18_000, best: 4_000, p50: 2_500, restore: 15_000, earliest: 60_000 });
const newer = line("2.2", newerFlink!, { running: 12_500, output: 18_500, best: 5_000, p50: 2_600, restore: 12_000, earliest: 60_000 });

describe("the lines' stacks", () => {
  it("change only the Flink line and the checkpoint interval of the base stack, on ports of their own", () => {
    expect(lineVariant("2.2")).toEqual({
      suffix: "bench-line-2-2",
      changes: { flinkVersion: "2.2", checkpointIntervalMs: "5000" },
      portShift: 70,
    });
    // Every line of versions.json gets a stack of its own name.
    const suffixes = Object.keys(FLINK_LINES).map((l) => lineVariant(l).suffix);
    expect(new Set(suffixes).size).toBe(suffixes.length);
  });
});

describe("the lines compared", () => {
  const measure = (label: string) => LINE_MEASURES.find((m) => m.label.startsWith(label))!;

  it("divide each line's figure by the first line's", () => {
    expect(lineRatios([older, newer], measure("TaskManager crash → RUNNING"))).toEqual([1, 1.25]);
    expect(lineRatios([older, newer], measure("highest input kept up"))).toEqual([1, 1.25]);
    // Restore against reprocessing: 60 s / 15 s = 4x on 1.20, 60 s / 12 s = 5x on 2.2.
    expect(lineRatios([older, newer], measure("restore against reprocessing"))).toEqual([1, 1.25]);
    const unmeasured = { ...newer, throughput: null };
    expect(lineRatios([older, unmeasured], measure("highest input kept up"))).toEqual([1, null]);
  });

  it("call a ratio better or worse by the measure's direction, and within 10 % the same", () => {
    expect(verdict(1.25, "lower")).toBe("worse");
    expect(verdict(1.25, "higher")).toBe("better");
    expect(verdict(0.8, "lower")).toBe("better");
    expect(verdict(1.04, "lower")).toBe("same");
    expect(verdict(null, "lower")).toBeNull();
  });

  it("print a row per measure with each line's figure and the later line's ratio", () => {
    const table = renderLinesTable([older, newer]);
    expect(table).toContain(`| measure | 1.20 (Flink ${olderFlink}) | 2.2 (Flink ${newerFlink}) | 2.2 ÷ 1.20 |`);
    expect(table).toContain("| TaskManager crash → RUNNING, median, s | 10.0 | 12.5 | 1.25x (worse) |");
    expect(table).toContain("| highest input kept up (EXACTLY_ONCE), events/s | 4,000 | 5,000 | 1.25x (better) |");
    expect(table).toContain("| latency p50 at a 5 s interval, s | 2.50 | 2.60 | 1.04x (same) |");
    expect(table).toContain("| restore against reprocessing: times sooner | 4.0x | 5.0x | 1.25x (better) |");
    expect(table).toContain("Recovery runs that passed every check: 1.20 3/3, 2.2 3/3.");
  });

  it("count as measured only when every line has every figure and every recovery passed", () => {
    expect(linesMeasured([older, newer])).toBe(true);
    expect(linesMeasured([older])).toBe(false);
    expect(linesMeasured([older, { ...newer, recovery: recovery(12_500, 18_500, 2) }])).toBe(false);
    expect(linesMeasured([older, { ...newer, latency: null }])).toBe(false);
    expect(linesMeasured([older, { ...newer, error: "throughput and latency: no job" }])).toBe(false);
  });

  it("draw every measure with its labels inside the plot and apart, a missing figure named", () => {
    for (const results of [
      [older, newer],
      [older, { ...newer, backlog: null, error: "restore against reprocessing: the job did not catch up" }],
    ]) {
      const svg = renderLinesChart(results);
      const { area, boxes } = estimatedTextBoxes(svg);
      expect(labelProblems(boxes, area)).toEqual([]);
      for (const m of LINE_MEASURES) expect(svg).toContain(m.label);
    }
    expect(renderLinesChart([older, { ...newer, backlog: null }])).toContain("2.2: not measured");
  });
});
