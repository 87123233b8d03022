import { describe, expect, it } from "vitest";
import { JOB_DEFAULTS } from "../jobs/flink/settings";
import { VisitSchedule } from "../jobs/generator/schedule";
import type { TopicRecord } from "../lib/kafka/reader";
import { parseVisit, type Visit, windowModelOf, windowStartOf } from "../verify";

const MODEL = windowModelOf(JOB_DEFAULTS);

import {
  firingLatencies,
  type LatencyResult,
  latencyFigures,
  latencyRatios,
  renderLatencyChart,
  renderLatencyTable,
  type SeenRecord,
} from "./latency";

const START_MS = Date.parse("2026-12-02T04:00:00.000Z");

/**
 * One generator run as the input topic holds it: the generator's own schedule (seed 0x2a: visit ids 0000002a_<n>),
 * 50 events a second, keyed to 2 partitions, each record's timestamp when it was sent.
 */
function inputOf(seed: number, events: number): Visit[] {
  const schedule = new VisitSchedule({ seed, concurrentVisits: 25, delayMinMs: 300, delayMaxMs: 700, startTimeMs: START_MS });
  const offsets = [0, 0];
  return Array.from({ length: events }, (_, i) => {
    const { key, event } = schedule.next();
    const partition = Number(key.split("_")[1]) % 2;
    const record: TopicRecord = { partition, offset: offsets[partition]!++, timestampMs: START_MS + i * 20, value: JSON.stringify(event) };
    const parsed = parseVisit(record);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  });
}

/** The job's firings of that input, each seen `delayMs(n)` after the record that completed it was produced. */
function firingsOf(visits: readonly Visit[], delayMs: (n: number) => number): SeenRecord[] {
  const counts = new Map<string, number>();
  const seen: SeenRecord[] = [];
  for (const visit of [...visits].sort((a, b) => a.producedAtMs - b.producedAtMs)) {
    const windowStartMs = windowStartOf(visit.eventTimeMs, MODEL.windowSizeMs);
    const key = `${visit.visitId}@${windowStartMs}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count % MODEL.trigger !== 0) continue;
    const value = JSON.stringify({
      visit_id: visit.visitId,
      window_start: new Date(windowStartMs).toISOString(),
      window_end: new Date(windowStartMs + MODEL.windowSizeMs).toISOString(),
      count,
      processing_time: new Date(visit.producedAtMs + 300).toISOString(),
    });
    seen.push({
      record: { partition: visit.partition, offset: seen.length, timestampMs: visit.producedAtMs + 400, value },
      seenAtMs: visit.producedAtMs + delayMs(seen.length),
    });
  }
  return seen;
}

describe("firingLatencies", () => {
  const visits = inputOf(0x2a, 2000);

  it("times each firing from the input record that completed it", () => {
    const seen = firingsOf(visits, (n) => 1000 + (n % 10) * 100);
    expect(seen.length).toBeGreaterThan(100);
    const { latenciesMs, unmatched } = firingLatencies(visits, seen, "0000002a_", MODEL);
    expect(unmatched).toBe(0);
    expect(latenciesMs).toHaveLength(seen.length);
    expect(Math.min(...latenciesMs)).toBe(1000);
    expect(Math.max(...latenciesMs)).toBe(1900);
  });

  it("counts a firing once, leaves other runs' visits out and names firings the input cannot explain", () => {
    const seen = firingsOf(visits, () => 2500);
    const other = firingsOf(inputOf(0x2b, 400), () => 10);
    const unknown: SeenRecord = {
      record: { ...seen[0]!.record, value: seen[0]!.record.value!.replace('"count":4', '"count":400') },
      seenAtMs: 0,
    };
    const { latenciesMs, unmatched } = firingLatencies(visits, [...seen, seen[0]!, ...other, unknown], "0000002a_", MODEL);
    expect(latenciesMs).toHaveLength(seen.length);
    expect(new Set(latenciesMs)).toEqual(new Set([2500]));
    expect(unmatched).toBe(1);
  });
});

describe("latencyFigures", () => {
  it("gives nearest-rank percentiles of 100 latencies", () => {
    const figures = latencyFigures(Array.from({ length: 100 }, (_, i) => (i + 1) * 10));
    expect(figures).toEqual({ n: 100, p50Ms: 500, p95Ms: 950, p99Ms: 990, maxMs: 1000 });
    expect(latencyFigures([])).toEqual({ n: 0, p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null });
  });
});

describe("the latency report", () => {
  const result = (mode: LatencyResult["mode"], intervalMs: number, base: number): LatencyResult => ({
    mode,
    intervalMs,
    figures: latencyFigures(Array.from({ length: 40 }, (_, i) => base + i * 20)),
    expectedFirings: 41,
    unmatched: 0,
    error: null,
  });
  const results = [
    result("EXACTLY_ONCE", 1000, 1500),
    result("EXACTLY_ONCE", 5000, 3500),
    result("EXACTLY_ONCE", 20000, 11_000),
    result("AT_LEAST_ONCE", 1000, 1000),
    result("AT_LEAST_ONCE", 5000, 1000),
    result("AT_LEAST_ONCE", 20000, 1000),
  ];

  it("compares each p50 with AT_LEAST_ONCE's at the same interval", () => {
    const ratios = latencyRatios(results, "AT_LEAST_ONCE");
    // p50 (nearest rank) of base + 0, 20, … 780 is base + 380.
    expect(ratios[0]).toBeCloseTo(1880 / 1380);
    expect(ratios[2]).toBeCloseTo(11_380 / 1380);
    expect(ratios[3]).toBe(1);
  });

  it("tabulates seconds per mode and interval and names what could not be measured", () => {
    const table = renderLatencyTable([
      ...results,
      { ...result("AT_LEAST_ONCE", 1000, 0), figures: latencyFigures([]), error: "no firing became visible" },
    ]);
    expect(table).toContain("| EXACTLY_ONCE | 20 | 40 (41) | 11.38 | 11.74 | 11.78 | 11.78 | 8.25x |");
    expect(table).toContain("- AT_LEAST_ONCE at 1 s: no firing became visible");
  });

  it("draws a bar per mode and interval", () => {
    const svg = renderLatencyChart(results);
    expect(svg.match(/height="14" fill=/g)).toHaveLength(6);
    expect(svg).toContain("interval 20 s");
    expect(svg).not.toContain("NaN");
  });
});
