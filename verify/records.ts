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
  /** The record's Kafka timestamp: for `visits`, when the generator produced it. */
  timestampMs: number;
  value: string | null;
}

/** A valid visit of the input topic: what the job keys and windows. */
export interface Visit {
  partition: number;
  offset: number;
  producedAtMs: number;
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

// The job's event-time grammar (jobs/flink/visits_logic.py): ISO-8601 with a zone, `T`, `t` or a space
// between date and time, fractions cut (not rounded) to milliseconds. A time without a zone would be
// read differently by different parsers, so the job refuses it.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

export function parseIsoTimeMs(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const match = ISO_8601.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(utc);
  // Date.UTC rolls 30 February over into March; the job refuses such a date, so must we.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || check.getUTCHours() !== hour || check.getUTCMinutes() !== minute || check.getUTCSeconds() !== second) {
    return undefined;
  }
  const millis = Number((match[7] ?? "0").padEnd(3, "0").slice(0, 3));
  const zoneMinutes = match[8] ? 0 : (match[9] === "-" ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11]));
  return utc + millis - zoneMinutes * 60_000;
}

/** The job keys by visit_id and accepts only a non-empty string. */
export function visitIdOf(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
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
  if (visitId === undefined) return { ok: false, reason: "visit_id is not a non-empty string" };
  const eventTimeMs = parseIsoTimeMs(object.value.event_time);
  if (eventTimeMs === undefined) return { ok: false, reason: "bad event_time" };
  return { ok: true, value: { partition: record.partition, offset: record.offset, producedAtMs: record.timestampMs, visitId, eventTimeMs } };
}

/** A firing record of the output topic: {visit_id, window_start, window_end, count, processing_time}. */
export function parseFiring(record: TopicRecord): Parsed<Firing> {
  const object = parseObject(record.value);
  if (!object.ok) return object;
  const visitId = visitIdOf(object.value.visit_id);
  if (visitId === undefined) return { ok: false, reason: "visit_id is not a non-empty string" };
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

/**
 * Malformed visits the verification writes into the input topic while no job runs, one of each kind the job
 * must route to its dead-letter topic; `tag` makes them recognisable there.
 */
export function malformedVisits(tag: string, count: number): { key: string; value: string }[] {
  const kinds = [
    (i: number) => `${tag}-${i} is not JSON`,
    (i: number) => JSON.stringify({ marker: `${tag}-${i}`, event_time: "2026-01-01T00:00:00.000Z" }),
    (i: number) => JSON.stringify({ marker: `${tag}-${i}`, visit_id: `${tag}-${i}`, event_time: "not a time" }),
  ];
  return Array.from({ length: count }, (_, i) => ({ key: `${tag}-${i}`, value: kinds[i % kinds.length]!(i) }));
}

/** The raw input value a dead-letter record ({reason, detail, raw}) carries, or undefined if it is not one. */
export function deadLetterRaw(record: TopicRecord): string | undefined {
  const object = parseObject(record.value);
  return object.ok && typeof object.value.raw === "string" ? object.value.raw : undefined;
}
