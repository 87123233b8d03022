import { describe, expect, it } from "vitest";
import {
  eventsPerEventTimeSecond,
  PAGES_PER_VISIT,
  runIdFromSeed,
  type ScheduledEvent,
  type ScheduleOptions,
  VisitSchedule,
} from "./schedule";
import { PAGES } from "./visit";

const START = Date.parse("2024-03-01T10:00:00.000Z");
const base: ScheduleOptions = { seed: 1234, concurrentVisits: 2, delayMinMs: 1000, delayMaxMs: 7000, startTimeMs: START };

function take(options: ScheduleOptions, count: number): ScheduledEvent[] {
  const schedule = new VisitSchedule(options);
  return Array.from({ length: count }, () => schedule.next());
}

function byVisit(events: ScheduledEvent[]): Map<string, ScheduledEvent[]> {
  const visits = new Map<string, ScheduledEvent[]>();
  for (const e of events) visits.set(e.key, [...(visits.get(e.key) ?? []), e]);
  return visits;
}

describe("VisitSchedule event shape", () => {
  it("produces events with every field of the pattern's visit, keyed by visit_id", () => {
    for (const { key, event } of take(base, 200)) {
      expect(key).toBe(event.visit_id);
      expect(Object.keys(event)).toEqual(["visit_id", "event_time", "user_id", "keep_private", "page", "context"]);
      expect(event.event_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(event.user_id).toMatch(/^user_\d+$/);
      expect(typeof event.keep_private).toBe("boolean");
      expect(PAGES).toContain(event.page);
      const { context } = event;
      expect(Object.keys(context)).toEqual(["referral", "ad_id", "user", "technical"]);
      expect(context.user.ip).toMatch(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
      // A login and its account age come together, and the account predates the visit.
      expect(context.user.login === null).toBe(context.user.connected_since === null);
      if (context.user.connected_since !== null) {
        expect(Date.parse(context.user.connected_since)).toBeLessThan(Date.parse(event.event_time));
      }
      expect(context.ad_id === null).toBe(context.referral === null || !context.referral.endsWith("Ads"));
      for (const field of ["browser", "browser_version", "network_type", "device_type", "device_version"] as const) {
        expect(context.technical[field]).toEqual(expect.any(String));
      }
    }
  });

  it("pairs browsers with systems that have them: Safari only on Apple, Edge never", () => {
    const pairs = new Set(
      take({ ...base, concurrentVisits: 50 }, 2000).map(
        ({ event }) => `${event.context.technical.browser} on ${event.context.technical.device_version.split(" ")[0]}`,
      ),
    );
    expect([...pairs].filter((p) => /^Safari on (?!macOS|iOS|iPadOS)/.test(p) || /^Edge on (macOS|iOS|iPadOS)/.test(p))).toEqual([]);
    expect(pairs).toContain("Safari on iOS");
    expect(pairs).toContain("Edge on Windows");
  });

  it("keeps user, referral and device constant within a visit", () => {
    for (const pages of byVisit(take(base, 300)).values()) {
      const first = pages[0]!.event;
      for (const { event } of pages) {
        expect(event.user_id).toBe(first.user_id);
        expect(event.context).toEqual(first.context);
      }
    }
  });
});

describe("VisitSchedule event time", () => {
  it("starts at the start time and never goes back across the whole stream", () => {
    const events = take({ ...base, concurrentVisits: 7 }, 2000);
    expect(events[0]!.event.event_time).toBe("2024-03-01T10:00:00.000Z");
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.offsetMs).toBeGreaterThanOrEqual(events[i - 1]!.offsetMs);
    }
    for (const e of events) expect(Date.parse(e.event.event_time) - START).toBe(e.offsetMs);
  });

  it("advances each visit by a delay within the configured range", () => {
    const options = { ...base, delayMinMs: 1500, delayMaxMs: 2500 };
    for (const pages of byVisit(take(options, 1000)).values()) {
      for (let i = 1; i < pages.length; i++) {
        const step = pages[i]!.offsetMs - pages[i - 1]!.offsetMs;
        expect(step).toBeGreaterThanOrEqual(1500);
        expect(step).toBeLessThanOrEqual(2500);
      }
    }
  });

  it("keeps the configured number of visits running, at the predicted events per event-time second", () => {
    const options = { ...base, concurrentVisits: 10 };
    expect(eventsPerEventTimeSecond(options)).toBe(2.5); // 10 visits, one page every 4 s on average
    const events = take(options, 5000);
    const expectedSpanMs = (events.length / eventsPerEventTimeSecond(options)) * 1000;
    expect(events.at(-1)!.offsetMs).toBeGreaterThan(expectedSpanMs * 0.95);
    expect(events.at(-1)!.offsetMs).toBeLessThan(expectedSpanMs * 1.05);
  });
});

describe("VisitSchedule visits", () => {
  it("ends each visit after 4 to 12 pages and replaces it with a new id", () => {
    const schedule = new VisitSchedule(base);
    const visits = byVisit(Array.from({ length: 3000 }, () => schedule.next()));
    // New visits get ever higher numbers, so the ones still running are the last two started;
    // they may be cut short, every other visit is finished.
    const counter = (id: string) => Number(id.split("_")[1]);
    const finished = [...visits.entries()].filter(([id]) => counter(id) < schedule.visitsStarted - 2);
    expect(finished.length).toBeGreaterThan(200);
    expect(visits.size).toBeGreaterThanOrEqual(finished.length);
    expect(visits.size).toBeLessThanOrEqual(finished.length + 2);
    const lengths = finished.map(([, pages]) => pages.length);
    expect(Math.min(...lengths)).toBe(PAGES_PER_VISIT.min);
    expect(Math.max(...lengths)).toBe(PAGES_PER_VISIT.max);
  });

  it("numbers visit ids after the run id derived from the seed", () => {
    const ids = [...byVisit(take(base, 100)).keys()];
    expect(ids[0]).toBe(`${runIdFromSeed(1234)}_0`);
    expect(ids.every((id) => id.startsWith(`${runIdFromSeed(1234)}_`))).toBe(true);
    expect(runIdFromSeed(1234)).not.toBe(runIdFromSeed(1235));
    expect(runIdFromSeed(0xffffffff)).toBe("ffffffff");
  });
});

describe("VisitSchedule determinism", () => {
  it("repeats exactly for the same seed and start time", () => {
    expect(take(base, 500)).toEqual(take(base, 500));
  });

  it("differs for another seed, with no visit id in common", () => {
    const a = take(base, 300);
    const b = take({ ...base, seed: 98765 }, 300);
    expect(b.map((e) => e.event)).not.toEqual(a.map((e) => e.event));
    const idsA = new Set(a.map((e) => e.key));
    expect(b.some((e) => idsA.has(e.key))).toBe(false);
  });
});

describe("VisitSchedule options", () => {
  it("rejects no visits and an inverted delay range", () => {
    expect(() => new VisitSchedule({ ...base, concurrentVisits: 0 })).toThrow(/concurrentVisits/);
    expect(() => new VisitSchedule({ ...base, delayMinMs: 5, delayMaxMs: 4 })).toThrow(/delayMinMs <= delayMaxMs/);
  });
});
