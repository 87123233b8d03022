import { describe, expect, it } from "vitest";
import { VisitSchedule } from "../jobs/generator/schedule";
import type { CheckpointFigures } from "../lib/flink/rest";
import {
  bytes,
  EVENTS_PER_KEY,
  renderStateChart,
  renderStateTable,
  STATE_PLAN,
  type StateResult,
  stateLoad,
  stateMeasured,
  stateRatios,
  stateStartTime,
  summarizeState,
} from "./state";

const WINDOWS = "c27dcf7b54ef6bfd6cff02ca8870b681";
const SOURCE = "cbc357ccb763df2852fee8c4fc7d55f2";
const figures = (id: number, state: number, windows: number, duration: number): CheckpointFigures => ({
  id,
  status: "COMPLETED",
  stateSizeBytes: state,
  checkpointedSizeBytes: state,
  durationMs: duration,
  triggeredAtMs: 1_764_648_000_000 + id * 1000,
  vertexStateBytes: { [SOURCE]: state - windows, [WINDOWS]: windows },
});
const result = (keys: number, checkpoints: CheckpointFigures[], error: string | null = null): StateResult => ({
  keys,
  events: keys * EVENTS_PER_KEY,
  generator: null,
  catchUpMs: 4_000,
  checkpoints,
  windowVertex: { id: WINDOWS, name: "visit windows -> visit windows sink: Writer -> visit windows sink: Committer" },
  error,
});
const measured = [
  result(10, [figures(1, 19_500, 6_200, 41), figures(2, 19_400, 6_200, 35), figures(3, 19_600, 6_200, 38)]),
  result(1_000, [figures(4, 420_000, 406_000, 90), figures(5, 421_000, 406_000, 80), figures(6, 419_000, 406_000, 120)]),
  result(100_000, [figures(7, 41_000_000, 40_600_000, 1_900), figures(8, 41_100_000, 40_600_000, 2_100)]),
];

describe("the state benchmark's load", () => {
  it("gives every key exactly its events, inside one window, as the generator plays them", () => {
    const windowMs = 45_000;
    const load = stateLoad(STATE_PLAN, "t", 1_000, 2, windowMs, 5);
    const schedule = new VisitSchedule({
      seed: load.seed,
      concurrentVisits: load.visits,
      delayMinMs: load.delayMinMs,
      delayMaxMs: load.delayMaxMs,
      startTimeMs: Date.parse(load.startTime!),
    });
    const perKey = new Map<string, number[]>();
    for (let i = 0; i < load.maxEvents; i++) {
      const e = schedule.next();
      perKey.set(e.key, [...(perKey.get(e.key) ?? []), Date.parse(e.event.event_time)]);
    }
    expect(perKey.size).toBe(1_000);
    const windowOf = (t: number) => Math.floor(t / windowMs);
    for (const times of perKey.values()) {
      expect(times).toHaveLength(EVENTS_PER_KEY);
      expect(new Set(times.map(windowOf)).size).toBe(1);
    }
  });

  it("starts each key count on a window boundary, ten windows after the previous", () => {
    expect(stateStartTime(0, 45_000)).toBe("2024-01-01T00:00:00.000Z");
    expect(Date.parse(stateStartTime(2, 45_000)) - Date.parse(stateStartTime(1, 45_000))).toBe(450_000);
    expect(Date.parse(stateStartTime(1, 60_000)) % 60_000).toBe(0);
  });
});

describe("the state benchmark's figures", () => {
  it("summarizes each key count's checkpoints", () => {
    const summary = summarizeState(measured[1]!);
    expect(summary.size).toEqual({ n: 3, median: 420_000, min: 419_000, max: 421_000 });
    expect(summary.duration.median).toBe(90);
    expect(summarizeState(result(10, [{ ...figures(1, 1, 1, 1), status: "FAILED" }])).error).toBe("no completed checkpoint was measured");
  });

  it("compares sizes and durations with the smallest key count's", () => {
    const ratios = stateRatios(measured.map(summarizeState));
    expect(ratios[0]).toEqual({ size: 1, duration: 1, bytesPerWindow: null });
    expect(ratios[1]!.bytesPerWindow).toBeCloseTo((406_000 - 6_200) / 990);
    expect(ratios[2]!.size).toBeCloseTo(41_050_000 / 19_500);
    expect(ratios[2]!.duration).toBeCloseTo(2_000 / 38);
  });

  it("tabulates sizes, the windows' share and durations", () => {
    const table = renderStateTable([...measured, result(5, [], "the generator did not send its 5 events")]);
    expect(table).toContain("| 1,000 | 1,000 | 3 | 420 kB (419 kB–421 kB) | 406 kB (406 kB–406 kB) | 404 B | 90 (80–120) | 21.5x | 2.4x |");
    expect(table).toContain("| 100,000 | 100,000 | 2 | 41.0 MB");
    expect(table).toContain("- 5 keys: the generator did not send its 5 events");
    expect([bytes(512), bytes(2_048), bytes(19_500), bytes(5_000_000), bytes(null)]).toEqual(["512 B", "2.0 kB", "19.5 kB", "5 MB", "–"]);
  });

  it("asks a size, the windows' share and a duration of every key count", () => {
    expect(stateMeasured(measured)).toBe(true);
    expect(stateMeasured([])).toBe(false);
    expect(stateMeasured([...measured, result(5, [], "timed out")])).toBe(false);
    expect(stateMeasured([{ ...measured[0]!, windowVertex: null }])).toBe(false);
  });

  it("draws a point per key count for the size, the windows' share and the duration", () => {
    const svg = renderStateChart(measured);
    expect(svg.match(/<circle /g)).toHaveLength(9);
    expect(svg).toContain("<title>100000 keys: 41.0 MB</title>");
    expect(svg).toContain("<title>1000 keys: 90 ms</title>");
    // Keys from 10 to 100,000 and sizes from 10 kB to 100 MB, ticked at powers of ten.
    expect(svg).toContain(">100,000</text>");
    expect(svg).not.toContain(">1</text>");
    expect(svg).toContain(">10 kB</text>");
    expect(svg).toContain(">100 MB</text>");
  });
});
