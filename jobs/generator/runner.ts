/**
 * The generator's send loop, free of Kafka and of the real clock so it can be tested: it takes
 * events from the schedule when they are due, sends them in batches, retries a failed batch with
 * backoff until it goes through (a broker restart must not lose or crash anything), and stops on
 * its bound or when asked to.
 */
import type { ScheduledEvent } from "./schedule";

export interface EventSource {
  next(): ScheduledEvent;
}

/** Where a batch landed, one entry per partition written (kafkajs' RecordMetadata). */
export interface Placement {
  partition: number;
  baseOffset?: string;
}

export interface RunnerIO {
  /** Sends the batch and resolves once the broker acknowledged it; rejects on failure. */
  send(batch: readonly ScheduledEvent[]): Promise<readonly Placement[]>;
  /** Milliseconds on a monotonic clock. */
  nowMs(): number;
  /** Resolves after `ms`, or early when the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  log(line: string): void;
}

export type Pacing =
  /** Each event is sent when the time since the start reaches its offset: event time tracks wall time. */
  | { kind: "event-time" }
  /** Load test: a fixed number of events per second, however far apart their event times are. */
  | { kind: "rate"; eventsPerSecond: number };

export interface RunPlan {
  pacing: Pacing;
  maxEvents: number | undefined;
  /** Bound on the pacing clock: no event is sent whose slot is at or after this many milliseconds. */
  durationMs: number | undefined;
}

export type StopReason = "signal" | "max-events" | "duration";

export interface RunSummary {
  sent: number;
  stoppedBy: StopReason;
  /** Events taken from the schedule but never acknowledged (stopped while the broker was away). */
  unsent: number;
}

/** A batch is at most this many events: keeps a request well under Kafka's 1 MB default. */
export const MAX_BATCH = 500;
/**
 * In rate mode, batches go out at most this often, so a high rate is a few large requests, not many tiny ones; except
 * after a full batch, when the schedule is ahead of the sends: the next one goes at once, so the rate is bounded by the
 * broker's acknowledgements, not by MAX_BATCH per interval (5,000 events/s).
 */
export const RATE_BATCH_INTERVAL_MS = 100;

/** Backoff after the n-th consecutive failure (n >= 1): 0.5 s doubling up to 10 s, so a broker that is back is found soon. */
export function backoffMs(failures: number): number {
  return Math.min(10_000, 500 * 2 ** Math.min(failures - 1, 10));
}

/** When, in milliseconds after the start, the index-th event is due. */
export function dueAtMs(pacing: Pacing, index: number, event: ScheduledEvent): number {
  return pacing.kind === "rate" ? (index * 1000) / pacing.eventsPerSecond : event.offsetMs;
}

/** One compact line per send: the event itself when alone, otherwise the batch's size and time span. */
export function describeSend(topic: string, batch: readonly ScheduledEvent[], placements: readonly Placement[]): string {
  const where = placements
    .map((p) => `${topic}/${p.partition}@${p.baseOffset ?? "?"}`)
    .sort()
    .join(" ");
  const first = batch[0]!.event;
  if (batch.length === 1) {
    return `sent visit_id=${first.visit_id} page=${first.page} event_time=${first.event_time} -> ${where}`;
  }
  const last = batch[batch.length - 1]!.event;
  const visits = new Set(batch.map((e) => e.key)).size;
  return `sent ${batch.length} events of ${visits} visits event_time=${first.event_time}..${last.event_time} -> ${where}`;
}

export async function runGenerator(
  source: EventSource,
  plan: RunPlan,
  topic: string,
  io: RunnerIO,
  signal: AbortSignal,
): Promise<RunSummary> {
  const startedAt = io.nowMs();
  let taken = 0;
  let sent = 0;
  let upcoming = source.next();
  let lastBatchAt = Number.NEGATIVE_INFINITY;
  let lastBatchFull = false;
  const minBatchIntervalMs = plan.pacing.kind === "rate" ? RATE_BATCH_INTERVAL_MS : 0;

  const boundReached = (): StopReason | undefined => {
    if (plan.maxEvents !== undefined && taken >= plan.maxEvents) return "max-events";
    if (plan.durationMs !== undefined && dueAtMs(plan.pacing, taken, upcoming) >= plan.durationMs) return "duration";
    return undefined;
  };

  for (;;) {
    if (signal.aborted) return { sent, stoppedBy: "signal", unsent: 0 };
    const bound = boundReached();
    if (bound !== undefined) return { sent, stoppedBy: bound, unsent: 0 };

    const wakeAt = Math.max(
      startedAt + dueAtMs(plan.pacing, taken, upcoming),
      lastBatchFull ? Number.NEGATIVE_INFINITY : lastBatchAt + minBatchIntervalMs,
    );
    const now = io.nowMs();
    if (wakeAt > now) {
      await io.sleep(wakeAt - now, signal);
      continue;
    }

    const batch: ScheduledEvent[] = [];
    while (batch.length < MAX_BATCH && boundReached() === undefined && startedAt + dueAtMs(plan.pacing, taken, upcoming) <= now) {
      batch.push(upcoming);
      taken += 1;
      upcoming = source.next();
    }
    lastBatchAt = now;
    lastBatchFull = batch.length === MAX_BATCH;

    for (let failures = 0; ; ) {
      try {
        const placements = await io.send(batch);
        io.log(describeSend(topic, batch, placements));
        sent += batch.length;
        break;
      } catch (error) {
        failures += 1;
        if (signal.aborted) return { sent, stoppedBy: "signal", unsent: batch.length };
        const wait = backoffMs(failures);
        io.log(
          `send of ${batch.length} event(s) failed (attempt ${failures}): ${error instanceof Error ? error.message : String(error)}; retrying in ${wait} ms`,
        );
        await io.sleep(wait, signal);
        if (signal.aborted) return { sent, stoppedBy: "signal", unsent: batch.length };
      }
    }
  }
}
