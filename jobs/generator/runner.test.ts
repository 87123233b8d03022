import { describe, expect, it } from "vitest";
import {
  backoffMs,
  describeSend,
  MAX_BATCH,
  type Placement,
  RATE_BATCH_INTERVAL_MS,
  type RunnerIO,
  type RunPlan,
  runGenerator,
} from "./runner";
import { type ScheduledEvent, VisitSchedule } from "./schedule";

const START = Date.parse("2024-03-01T10:00:00.000Z");

function schedule(visits = 2): VisitSchedule {
  return new VisitSchedule({ seed: 7, concurrentVisits: visits, delayMinMs: 1000, delayMaxMs: 7000, startTimeMs: START });
}

/** A clock that jumps forward on sleep, and a broker that can be made to fail. */
class FakeIO implements RunnerIO {
  clock = 0;
  batches: { at: number; events: ScheduledEvent[] }[] = [];
  sleeps: number[] = [];
  lines: string[] = [];
  failuresLeft = 0;
  sendCostMs = 0;
  onSend: (() => void) | undefined;

  async send(batch: readonly ScheduledEvent[]): Promise<readonly Placement[]> {
    this.clock += this.sendCostMs;
    this.onSend?.();
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error("Connection error: connect ECONNREFUSED 127.0.0.1:39094");
    }
    this.batches.push({ at: this.clock, events: [...batch] });
    return [{ partition: 0, baseOffset: String(this.batches.length) }];
  }
  nowMs(): number {
    return this.clock;
  }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (!signal.aborted) this.clock += ms;
  }
  log(line: string): void {
    this.lines.push(line);
  }
  get events(): ScheduledEvent[] {
    return this.batches.flatMap((b) => b.events);
  }
}

const eventTime: RunPlan = { pacing: { kind: "event-time" }, maxEvents: undefined, durationMs: undefined };

describe("runGenerator in event-time pacing", () => {
  it("sends each event when the elapsed time reaches its offset, and stops at max events", async () => {
    const io = new FakeIO();
    const summary = await runGenerator(schedule(), { ...eventTime, maxEvents: 40 }, "visits", io, new AbortController().signal);
    expect(summary).toEqual({ sent: 40, stoppedBy: "max-events", unsent: 0 });
    expect(io.events).toEqual(
      Array.from(
        { length: 40 },
        (
          (s) => () =>
            s.next()
        )(schedule()),
      ),
    );
    for (const batch of io.batches) {
      for (const e of batch.events) expect(e.offsetMs).toBe(batch.at);
    }
    expect(io.lines).toHaveLength(io.batches.length);
  });

  it("stops before the first event at or past the duration", async () => {
    const io = new FakeIO();
    const summary = await runGenerator(schedule(5), { ...eventTime, durationMs: 60_000 }, "visits", io, new AbortController().signal);
    expect(summary.stoppedBy).toBe("duration");
    expect(io.events.length).toBe(summary.sent);
    expect(Math.max(...io.events.map((e) => e.offsetMs))).toBeLessThan(60_000);
    // Five visits with 4 s mean delay make about 75 events a minute.
    expect(summary.sent).toBeGreaterThan(55);
    expect(summary.sent).toBeLessThan(95);
  });

  it("catches up in batches of at most MAX_BATCH after falling behind", async () => {
    const io = new FakeIO();
    io.sendCostMs = 600_000; // the first send takes ten minutes of the schedule
    await runGenerator(schedule(200), { ...eventTime, maxEvents: 3000 }, "visits", io, new AbortController().signal);
    expect(io.batches[1]!.events).toHaveLength(MAX_BATCH);
    expect(io.events).toHaveLength(3000);
  });
});

describe("runGenerator in rate pacing", () => {
  it("sends the configured number of events per second, batched", async () => {
    const io = new FakeIO();
    const plan: RunPlan = { pacing: { kind: "rate", eventsPerSecond: 1000 }, maxEvents: undefined, durationMs: 5000 };
    const summary = await runGenerator(schedule(50), plan, "visits", io, new AbortController().signal);
    expect(summary).toEqual({ sent: 5000, stoppedBy: "duration", unsent: 0 });
    // Batches leave at most every RATE_BATCH_INTERVAL_MS, so 5 s make about 50 of them.
    expect(io.batches.length).toBeGreaterThanOrEqual(50);
    expect(io.batches.length).toBeLessThanOrEqual(52);
    for (let i = 1; i < io.batches.length; i++) {
      expect(io.batches[i]!.at - io.batches[i - 1]!.at).toBeGreaterThanOrEqual(RATE_BATCH_INTERVAL_MS);
    }
  });
});

describe("runGenerator in rate pacing above MAX_BATCH per interval", () => {
  it("sends full batches back to back, so the rate is bounded by the broker's acknowledgements", async () => {
    const io = new FakeIO();
    io.sendCostMs = 10;
    const plan: RunPlan = { pacing: { kind: "rate", eventsPerSecond: 20_000 }, maxEvents: undefined, durationMs: 2000 };
    const summary = await runGenerator(schedule(500), plan, "visits", io, new AbortController().signal);
    expect(summary).toEqual({ sent: 40_000, stoppedBy: "duration", unsent: 0 });
    // 80 full batches of 10 ms each fit in the 2 s; with 100 ms between batches it would take 8 s.
    expect(io.clock).toBeLessThan(2_200);
    // Still a few large requests, not one per round trip (200).
    expect(io.batches.length).toBeLessThan(100);
  });
});

describe("runGenerator when the broker fails", () => {
  it("retries the same batch with growing backoff and loses nothing", async () => {
    const io = new FakeIO();
    io.failuresLeft = 4;
    const summary = await runGenerator(schedule(), { ...eventTime, maxEvents: 10 }, "visits", io, new AbortController().signal);
    expect(summary).toEqual({ sent: 10, stoppedBy: "max-events", unsent: 0 });
    expect(io.events).toEqual(
      Array.from(
        { length: 10 },
        (
          (s) => () =>
            s.next()
        )(schedule()),
      ),
    );
    const retries = io.lines.filter((l) => l.includes("failed"));
    expect(retries).toHaveLength(4);
    expect(retries[0]).toMatch(
      /^send of 2 event\(s\) failed \(attempt 1\): Connection error: connect ECONNREFUSED 127\.0\.0\.1:39094; retrying in 500 ms$/,
    );
    expect(io.sleeps).toEqual(expect.arrayContaining([500, 1000, 2000, 4000]));
  });

  it("stops on a signal during an outage and reports the batch it could not send", async () => {
    const io = new FakeIO();
    io.failuresLeft = Number.POSITIVE_INFINITY;
    const controller = new AbortController();
    io.onSend = () => {
      if (io.clock > 10_000) controller.abort();
    };
    const summary = await runGenerator(schedule(), eventTime, "visits", io, controller.signal);
    expect(summary).toEqual({ sent: 0, stoppedBy: "signal", unsent: 2 });
  });
});

describe("runGenerator on a signal", () => {
  it("finishes the send in flight, then stops", async () => {
    const io = new FakeIO();
    const controller = new AbortController();
    io.onSend = () => {
      if (io.batches.length === 2) controller.abort();
    };
    const summary = await runGenerator(schedule(), eventTime, "visits", io, controller.signal);
    expect(summary).toEqual({ sent: io.events.length, stoppedBy: "signal", unsent: 0 });
    expect(io.batches).toHaveLength(3);
  });
});

describe("backoffMs", () => {
  it("doubles from half a second and caps at 10 s", () => {
    expect([1, 2, 3, 5, 6, 50].map(backoffMs)).toEqual([500, 1000, 2000, 8000, 10000, 10000]);
  });
});

describe("describeSend", () => {
  const events = Array.from(
    { length: 3 },
    (
      (s) => () =>
        s.next()
    )(schedule()),
  );

  it("names the visit, page and time of a single event", () => {
    const e = events[0]!.event;
    expect(describeSend("visits", [events[0]!], [{ partition: 1, baseOffset: "41" }])).toBe(
      `sent visit_id=${e.visit_id} page=${e.page} event_time=2024-03-01T10:00:00.000Z -> visits/1@41`,
    );
  });

  it("summarises a batch", () => {
    expect(
      describeSend("visits", events, [
        { partition: 1, baseOffset: "7" },
        { partition: 0, baseOffset: "3" },
      ]),
    ).toBe(`sent 3 events of 2 visits event_time=${events[0]!.event.event_time}..${events[2]!.event.event_time} -> visits/0@3 visits/1@7`);
  });
});
