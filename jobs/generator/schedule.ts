/**
 * The visit schedule: N concurrent visits, each a short sequence of page events separated by a
 * random delay. Event time is simulated (start time + offset) so a seed and a start time fully
 * determine the output; the runner decides how fast that simulated time is played out.
 *
 * Events always come out in order of event time across all visits (a min-heap on the next event
 * of each visit), so no visit lags behind the others and the job's watermark keeps moving.
 */
import { createRandom, type Random } from "./prng";
import { newVisitProfile, PAGES, type VisitEvent, type VisitProfile, visitEvent } from "./visit";

export interface ScheduleOptions {
  seed: number;
  concurrentVisits: number;
  delayMinMs: number;
  delayMaxMs: number;
  startTimeMs: number;
}

/** A visit ends after this many page events and is replaced by a new one, so its windows close. */
export const PAGES_PER_VISIT = { min: 4, max: 12 } as const;

export interface ScheduledEvent {
  /** The Kafka message key: the visit id, so all pages of a visit land in one partition. */
  key: string;
  event: VisitEvent;
  /** Simulated milliseconds since the start time; equals event_time - start time. */
  offsetMs: number;
}

interface ActiveVisit {
  profile: VisitProfile;
  pagesLeft: number;
  nextOffsetMs: number;
  /** Tie-breaker among equal offsets, so ordering does not depend on heap internals. */
  order: number;
}

/** Visit ids are `<run id>_<counter>`; the run id comes from the seed so seeded runs repeat exactly. */
export function runIdFromSeed(seed: number): string {
  return (seed >>> 0).toString(16).padStart(8, "0");
}

/**
 * How many events the schedule makes per second of event time: every event moves its visit on by
 * one delay, so each visit contributes 1 / (mean delay). A rate-paced run plays event time at
 * rate / this times wall-clock speed.
 */
export function eventsPerEventTimeSecond(options: Pick<ScheduleOptions, "concurrentVisits" | "delayMinMs" | "delayMaxMs">): number {
  return (options.concurrentVisits * 1000) / ((options.delayMinMs + options.delayMaxMs) / 2);
}

export class VisitSchedule {
  private readonly random: Random;
  private readonly runId: string;
  private readonly heap: ActiveVisit[] = [];
  private visitCounter = 0;
  private orderCounter = 0;

  constructor(private readonly options: ScheduleOptions) {
    if (!Number.isInteger(options.concurrentVisits) || options.concurrentVisits < 1) {
      throw new RangeError(`concurrentVisits must be an integer >= 1, got ${options.concurrentVisits}`);
    }
    if (!(options.delayMinMs >= 0 && options.delayMaxMs >= options.delayMinMs)) {
      throw new RangeError(`delays must satisfy 0 <= delayMinMs <= delayMaxMs, got ${options.delayMinMs}..${options.delayMaxMs}`);
    }
    this.random = createRandom(options.seed);
    this.runId = runIdFromSeed(options.seed);
    // All visits are on the site when the generator starts: their first page is at the start time.
    for (let i = 0; i < options.concurrentVisits; i++) this.push(this.startVisit(0));
  }

  /** Number of visits begun so far (the ones running now included). */
  get visitsStarted(): number {
    return this.visitCounter;
  }

  next(): ScheduledEvent {
    const visit = this.pop();
    const offsetMs = visit.nextOffsetMs;
    const event = visitEvent(visit.profile, this.random.pick(PAGES), this.options.startTimeMs + offsetMs);
    const nextOffsetMs = offsetMs + this.delay();
    if (visit.pagesLeft > 1) {
      this.push({ ...visit, pagesLeft: visit.pagesLeft - 1, nextOffsetMs, order: this.orderCounter++ });
    } else {
      this.push(this.startVisit(nextOffsetMs));
    }
    return { key: event.visit_id, event, offsetMs };
  }

  private startVisit(offsetMs: number): ActiveVisit {
    const visitId = `${this.runId}_${this.visitCounter++}`;
    return {
      profile: newVisitProfile(this.random, visitId, this.options.startTimeMs + offsetMs),
      pagesLeft: this.random.int(PAGES_PER_VISIT.min, PAGES_PER_VISIT.max),
      nextOffsetMs: offsetMs,
      order: this.orderCounter++,
    };
  }

  private delay(): number {
    return this.random.int(this.options.delayMinMs, this.options.delayMaxMs);
  }

  // A binary min-heap ordered by (nextOffsetMs, order): load tests run thousands of visits.
  private static before(a: ActiveVisit, b: ActiveVisit): boolean {
    return a.nextOffsetMs < b.nextOffsetMs || (a.nextOffsetMs === b.nextOffsetMs && a.order < b.order);
  }

  private push(visit: ActiveVisit): void {
    const heap = this.heap;
    heap.push(visit);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!VisitSchedule.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): ActiveVisit {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && VisitSchedule.before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && VisitSchedule.before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
