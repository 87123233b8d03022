// Parsing of the records the verification reads from Kafka: the input visits (ground truth) and the
// job's window firings. Pure functions, mirroring what the PyFlink job accepts and emits.

import { createHash } from "node:crypto";
import type { TopicRecord } from "../../lib/kafka/reader";

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
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
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
  return {
    ok: true,
    value: { partition: record.partition, offset: record.offset, producedAtMs: record.timestampMs, visitId, eventTimeMs },
  };
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
export function windowStartOf(eventTimeMs: number, windowSizeMs: number): number {
  return eventTimeMs - (((eventTimeMs % windowSizeMs) + windowSizeMs) % windowSizeMs);
}

export function windowKey(visitId: string, windowStartMs: number): string {
  return JSON.stringify([visitId, windowStartMs]);
}

/** What identifies a firing: the same key twice in the committed output is a duplicate. */
export function firingKey(visitId: string, windowStartMs: number, count: number): string {
  return JSON.stringify([visitId, windowStartMs, count]);
}

/** One kind of malformed input: a value the job must dead-letter rather than count or fail on. */
export interface MalformedKind {
  name: string;
  value: (marker: string) => string;
}

const TIME = "2026-01-01T00:00:00.000Z";

/** The kinds of malformed input the verification writes, one of each by default. */
export const MALFORMED_KINDS: readonly MalformedKind[] = [
  { name: "not JSON", value: (m) => `${m} is not JSON` },
  { name: "not an object", value: (m) => JSON.stringify([m, TIME]) },
  { name: "no visit_id", value: (m) => JSON.stringify({ marker: m, event_time: TIME }) },
  { name: "visit_id not a string", value: (m) => JSON.stringify({ marker: m, visit_id: 42, event_time: TIME }) },
  { name: "no event_time", value: (m) => JSON.stringify({ visit_id: m }) },
  { name: "unparsable event_time", value: (m) => JSON.stringify({ visit_id: m, event_time: "not a time" }) },
  { name: "event_time not a string", value: (m) => JSON.stringify({ visit_id: m, event_time: 1767225600000 }) },
  { name: "event_time without a zone", value: (m) => JSON.stringify({ visit_id: m, event_time: "2026-01-01T00:00:00" }) },
  // Empty values carry no marker, so each one is told from the others only by its count.
  { name: "empty value", value: () => "" },
  // Near the broker's 1 MB record limit: the job's dead letter must cut it (see MAX_DEAD_LETTER_RAW_BYTES).
  { name: "oversized value", value: (m) => JSON.stringify({ visit_id: m, event_time: "bad", padding: "x".repeat(900 * 1024) }) },
];

/** `count` malformed records, cycling through MALFORMED_KINDS, each marked with `tag` so it can be found again. */
export function malformedVisits(tag: string, count: number): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `${tag}-${i}`,
    value: MALFORMED_KINDS[i % MALFORMED_KINDS.length]!.value(`${tag}-${i}`),
  }));
}

/** The job cuts a dead letter's raw value past this many UTF-8 bytes (jobs/flink/visits_logic.py). */
export const MAX_DEAD_LETTER_RAW_BYTES = 64 * 1024;

/** What identifies an input value among dead letters: itself, or for a value the job cuts, its length and SHA-256. */
export function deadLetterKey(raw: string): string {
  const bytes = Buffer.from(raw, "utf8");
  return bytes.length <= MAX_DEAD_LETTER_RAW_BYTES
    ? raw
    : `sha256:${createHash("sha256").update(bytes).digest("hex")} (${bytes.length} bytes)`;
}

/** The key (see deadLetterKey) of the input value a dead-letter record carries, or undefined if it is not one. */
export function deadLetterRaw(record: TopicRecord): string | undefined {
  const object = parseObject(record.value);
  if (!object.ok) return undefined;
  const letter = object.value;
  if (letter.raw_truncated === true) {
    return typeof letter.raw_sha256 === "string" && typeof letter.raw_bytes === "number"
      ? `sha256:${letter.raw_sha256} (${letter.raw_bytes} bytes)`
      : undefined;
  }
  return typeof letter.raw === "string" ? letter.raw : undefined;
}
