import { describe, expect, it } from "vitest";
import { parseCheckpointStats } from "../lib/flink/rest";
import { parseGeneratorSummary } from "./loadGenerator";
import {
  checkpointFigures,
  judgeStep,
  type LagSample,
  nextRate,
  renderThroughputChart,
  renderThroughputTable,
  type StepResult,
  type ThroughputResult,
  throughputRatios,
} from "./throughput";

// Flink 1.20's /jobs/:id/checkpoints history entries, as a stack's job answers them (fields the parser reads).
const history = parseCheckpointStats({
  counts: { completed: 3 },
  latest: { completed: null, restored: null },
  history: [
    {
      id: 14,
      status: "IN_PROGRESS",
      trigger_timestamp: 1_764_650_035_000,
      latest_ack_timestamp: -1,
      state_size: 0,
      checkpointed_size: 0,
      end_to_end_duration: 120,
    },
    {
      id: 13,
      status: "COMPLETED",
      trigger_timestamp: 1_764_650_030_000,
      latest_ack_timestamp: 1_764_650_030_912,
      state_size: 402_118,
      checkpointed_size: 402_118,
      end_to_end_duration: 912,
    },
    {
      id: 12,
      status: "COMPLETED",
      trigger_timestamp: 1_764_650_025_000,
      latest_ack_timestamp: 1_764_650_025_388,
      state_size: 380_455,
      checkpointed_size: 380_455,
      end_to_end_duration: 388,
    },
    {
      id: 11,
      status: "COMPLETED",
      trigger_timestamp: 1_764_650_020_000,
      latest_ack_timestamp: 1_764_650_020_431,
      state_size: 371_002,
      checkpointed_size: 371_002,
      end_to_end_duration: 431,
    },
    { id: 10, status: "FAILED", trigger_timestamp: 1_764_650_015_000, latest_ack_timestamp: -1, end_to_end_duration: 10_000 },
  ],
}).history;

/**
 * A step as the benchmark samples it each second: the input grows by `rate` a second from t = 2 s to t = 32 s; the
 * group commits every 5 s (at t = 5.4, 10.4, …) what the job had read at the checkpoint's trigger `durationS` earlier,
 * while reading at `consumeShare` of the input rate.
 */
function samples(rate: number, consumeShare: number, durationS = 0.4): LagSample[] {
  const produced = (t: number) => rate * Math.min(30, Math.max(0, t - 2));
  const read = (t: number) => Math.min(produced(t), consumeShare * rate * Math.max(0, t - 2));
  return Array.from({ length: 40 }, (_, t) => {
    const lastCommit = Math.floor((t - durationS) / 5) * 5;
    return {
      atMs: 1_764_650_000_000 + t * 1000,
      produced: 10_000 + Math.round(produced(t)),
      committed: 10_000 + Math.round(read(lastCommit)),
    };
  });
}

describe("checkpointFigures", () => {
  it("takes p50 and p99 of completed checkpoints' durations and the median sizes, leaving failed and running ones out", () => {
    expect(checkpointFigures(history)).toEqual({
      n: 3,
      p50DurationMs: 431,
      p99DurationMs: 912,
      medianCheckpointedBytes: 380_455,
      medianStateBytes: 380_455,
    });
    expect(checkpointFigures([])).toEqual({
      n: 0,
      p50DurationMs: null,
      p99DurationMs: null,
      medianCheckpointedBytes: null,
      medianStateBytes: null,
    });
  });
});

describe("judgeStep", () => {
  it("keeps up when the group commits about as fast as the input grows and the lag stays near one interval", () => {
    const step = judgeStep(1000, samples(1000, 1), 5000, 5_400, history);
    expect(step.sustained).toBe(true);
    expect(step.producedPerSecond).toBeCloseTo(1000, -1);
    expect(step.consumedPerSecond!).toBeGreaterThan(900);
    expect(step.lagSeconds!).toBeLessThan(10);
    expect(step.generatorLimited).toBe(false);
    expect(step.verdict).toBe("kept up");
    expect(step.checkpoints.n).toBe(3);
  });

  it("does not keep up when the job reads 70 % of the input: its consumption and its growing lag say so", () => {
    const step = judgeStep(4000, samples(4000, 0.7), 5000, null, history);
    expect(step.sustained).toBe(false);
    expect(step.consumedPerSecond! / step.producedPerSecond!).toBeLessThan(0.8);
    expect(step.verdict).toMatch(/consumed \d+ % of the input/);
  });

  it("counts only the seconds the generator wrote, not its start nor a trickle from another generator beside it", () => {
    // 3 s of container start, then 200/s for 20 s, all the while 10/s from the stack's own generator.
    const trickle: LagSample[] = Array.from({ length: 28 }, (_, t) => ({
      atMs: 1_764_650_000_000 + t * 1000,
      produced: 10 * t + 200 * Math.min(20, Math.max(0, t - 3)),
      committed: 10 * Math.floor(t / 10) * 10 + 200 * Math.min(20, Math.max(0, Math.floor(t / 10) * 10 - 3)),
    }));
    expect(judgeStep(200, trickle, 10_000, null, []).producedPerSecond).toBeCloseTo(210, 0);
  });

  it("names a generator that could not produce the rate asked for, by its own count when it gave one", () => {
    const step = judgeStep(8000, samples(5000, 1), 5000, 5_000, history);
    expect(step.generatorLimited).toBe(true);
    expect(step.verdict).toMatch(/the generator reached only 5000\/s/);
    const summary = parseGeneratorSummary(
      "2026-12-02T04:00:26.000Z stopped (duration): sent 25000 events in 25.0 s (999.5/s, 3401 visits begun)",
    );
    expect(summary?.perSecond).toBe(999.5);
    expect(judgeStep(1000, samples(832, 1), 5000, 5_000, history, summary?.perSecond).generatorLimited).toBe(false);
  });

  it("gives no figure for a step without input or with fewer than two commits", () => {
    const flat = samples(0, 1);
    expect(judgeStep(500, flat, 5000, null, []).verdict).toBe("the generator wrote nothing");
    const noCommits = samples(500, 1).map((s) => ({ ...s, committed: 10_000 }));
    const step = judgeStep(500, noCommits, 5000, null, []);
    expect(step.consumedPerSecond).toBeNull();
    expect(step.sustained).toBe(false);
  });
});

describe("nextRate", () => {
  const search = { start: 500, ceiling: 8000, bisections: 2, maxSteps: 7 };
  const step = (rate: number, sustained: boolean, generatorLimited = false) => ({ rate, sustained, generatorLimited });

  it("doubles from the start until a step fails, then halves the gap twice", () => {
    expect(nextRate([], search)).toBe(500);
    expect(nextRate([step(500, true), step(1000, true)], search)).toBe(2000);
    expect(nextRate([step(500, true), step(1000, true), step(2000, false)], search)).toBe(1500);
    expect(nextRate([step(500, true), step(1000, true), step(2000, false), step(1500, true)], search)).toBe(1750);
    expect(nextRate([step(500, true), step(1000, true), step(2000, false), step(1500, true), step(1750, false)], search)).toBeNull();
  });

  it("stops at the ceiling, at the generator's limit and after maxSteps", () => {
    expect(nextRate([step(500, true), step(1000, true), step(2000, true), step(4000, true)], search)).toBe(8000);
    expect(nextRate([step(500, true), step(1000, true), step(2000, true), step(4000, true), step(8000, true)], search)).toBeNull();
    expect(nextRate([step(500, true), step(1000, true, true)], search)).toBeNull();
    expect(nextRate([step(500, true)], { ...search, maxSteps: 1 })).toBeNull();
  });

  it("halves the start when even it is too much", () => {
    expect(nextRate([step(500, false)], search)).toBe(250);
  });
});

describe("the throughput report", () => {
  const stepOf = (rate: number, share: number): StepResult => judgeStep(rate, samples(rate, share), 5000, 6_000, history);
  const exactlyOnce: ThroughputResult = {
    mode: "EXACTLY_ONCE",
    stack: "ci-bench-load-exactly-once",
    intervalMs: 5000,
    parallelism: 2,
    steps: [stepOf(500, 1), stepOf(1000, 1), stepOf(2000, 0.6)],
    error: null,
  };
  const atLeastOnce: ThroughputResult = {
    mode: "AT_LEAST_ONCE",
    stack: "ci-bench-load-at-least-once",
    intervalMs: 5000,
    parallelism: 2,
    steps: [stepOf(500, 1), stepOf(1000, 1), stepOf(2000, 1)],
    error: null,
  };

  it("compares each mode's highest sustained rate with the first mode's", () => {
    const [first, second] = throughputRatios([exactlyOnce, atLeastOnce]);
    expect(first).toBe(1);
    expect(second).toBeCloseTo(2, 1);
    expect(throughputRatios([{ ...exactlyOnce, steps: [] }, atLeastOnce])).toEqual([null, null]);
  });

  it("tabulates the best step per mode, then every step with its verdict", () => {
    const table = renderThroughputTable([exactlyOnce, { ...atLeastOnce, steps: [], error: "pulumi up failed" }]);
    expect(table).toMatch(/\| EXACTLY_ONCE \| 1000 \| \d+ \|/);
    expect(table).toContain("| AT_LEAST_ONCE | none kept up |");
    expect(table).toMatch(
      /\| EXACTLY_ONCE \| 2000 \| 2000 \| \d+ \| [\d.]+ \| 6\.00 \| 0\.43 \/ 0\.91 \(3\) \| consumed \d+ % of the input/,
    );
    expect(table).toContain("- AT_LEAST_ONCE: pulumi up failed");
    expect(
      renderThroughputTable([
        { ...exactlyOnce, error: "POST /jars/x/run answered 400: Could not execute application.\n\tat org.apache.flink…" },
      ]),
    ).toContain("- EXACTLY_ONCE: POST /jars/x/run answered 400: Could not execute application.\n");
  });

  it("draws each step as a point, filled when it kept up", () => {
    const svg = renderThroughputChart([exactlyOnce, atLeastOnce]);
    // A point has its step in a tooltip; the legend's dots have none.
    expect(svg.match(/<circle [^>]*><title>/g)).toHaveLength(6);
    expect(svg.match(/<circle [^>]*fill="#fff"[^>]*><title>/g)).toHaveLength(1);
    expect(svg).toContain("sustains 2000/s");
    expect(svg).not.toContain("NaN");
  });
});
