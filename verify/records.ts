// Parsing of the records the verification reads from Kafka: the input visits (ground truth) and the
// job's window firings. Pure functions, mirroring what the PyFlink job accepts and emits.

/** The job's tumbling event-time window size. */
export const WINDOW_SIZE_MS = 45_000;
/** The job's CountTrigger: a firing each time a window's element count reaches a multiple of this. */
export const COUNT_TRIGGER = 4;

/** One record as read from a topic partition; `value` is the UTF-8 text of the record value. */
export interface TopicRecord {
  partition: number;
  offset: number;
  value: string | null;
}

/** A valid visit of the input topic: what the job keys and windows. */
export interface Visit {
  partition: number;
  offset: number;
  visitId: string;
  eventTimeMs: number;
}

/** One window firing read from the output topic. */
export interface Firing {
  partition: number;
  offset: number;
  visitId: string;
  windowStartMs: number;
  windowEndMs: number;
  count: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

// ISO-8601 with an explicit zone: the generator writes `Date.toISOString()`; a time without a zone
// would be read differently by different parsers, so it is not accepted as a valid event time.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export function parseIsoTimeMs(text: unknown): number | undefined {
  if (typeof text !== "string" || !ISO_WITH_ZONE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The key a visit id is compared by: visit ids are strings in the generator, numbers are tolerated. */
export function visitIdOf(value: unknown): string | undefined {
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function parseObject(value: string | null): Parsed<Record<string, unknown>> {
  if (value === null) return { ok: false, reason: "empty record value" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: "not a JSON object" };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}

/** A visit as the job reads it; the records refused here are the ones the job sends to the DLQ. */
export function parseVisit(record: TopicRecord): Parsed<Visit> {
  const object = parseObject(record.value);
  if (!object.ok) return object;
  const visitId = visitIdOf(object.value.visit_id);
  if (visitId === undefined) return { ok: false, reason: "no visit_id" };
  const eventTimeMs = parseIsoTimeMs(object.value.event_time);
  if (eventTimeMs === undefined) return { ok: false, reason: "bad event_time" };
  return { ok: true, value: { partition: record.partition, offset: record.offset, visitId, eventTimeMs } };
}

/** A firing record of the output topic: {visit_id, window_start, window_end, count, processing_time}. */
export function parseFiring(record: TopicRecord): Parsed<Firing> {
  const object = parseObject(record.value);
  if (!object.ok) return object;
  const visitId = visitIdOf(object.value.visit_id);
  if (visitId === undefined) return { ok: false, reason: "no visit_id" };
  const windowStartMs = parseIsoTimeMs(object.value.window_start);
  if (windowStartMs === undefined) return { ok: false, reason: "bad window_start" };
  const windowEndMs = parseIsoTimeMs(object.value.window_end);
  if (windowEndMs === undefined) return { ok: false, reason: "bad window_end" };
  const count = object.value.count;
  if (typeof count !== "number" || !Number.isInteger(count)) return { ok: false, reason: "count is not an integer" };
  return {
    ok: true,
    value: { partition: record.partition, offset: record.offset, visitId, windowStartMs, windowEndMs, count },
  };
}

/** Flink's TimeWindow.getWindowStartWithOffset with offset 0 (also right for times before 1970). */
export function windowStartOf(eventTimeMs: number, windowSizeMs: number = WINDOW_SIZE_MS): number {
  return eventTimeMs - (((eventTimeMs % windowSizeMs) + windowSizeMs) % windowSizeMs);
}

export function windowKey(visitId: string, windowStartMs: number): string {
  return JSON.stringify([visitId, windowStartMs]);
}

/** What identifies a firing: the same key twice in the committed output is a duplicate. */
export function firingKey(visitId: string, windowStartMs: number, count: number): string {
  return JSON.stringify([visitId, windowStartMs, count]);
}
