import { describe, expect, it } from "vitest";
import {
  deadLetterKey,
  deadLetterRaw,
  firingKey,
  MALFORMED_KINDS,
  malformedVisits,
  parseFiring,
  parseIsoTimeMs,
  parseVisit,
  windowStartOf,
} from "./records";

const at = (value: string | null) => ({ partition: 1, offset: 7, timestampMs: 1_000, value });

describe("parseVisit", () => {
  it("reads visit_id and event_time of a generator visit", () => {
    const parsed = parseVisit(at(JSON.stringify({ visit_id: "v-1", event_time: "2024-05-01T10:00:44.999Z", user_id: 3, page: "home" })));
    expect(parsed).toEqual({
      ok: true,
      value: { partition: 1, offset: 7, producedAtMs: 1_000, visitId: "v-1", eventTimeMs: Date.UTC(2024, 4, 1, 10, 0, 44, 999) },
    });
  });

  it.each([
    [null, "empty record value"],
    ["not json {", "not JSON"],
    ["[1,2]", "not a JSON object"],
    [JSON.stringify({ event_time: "2024-05-01T10:00:00Z" }), "visit_id is not a non-empty string"],
    [JSON.stringify({ visit_id: "", event_time: "2024-05-01T10:00:00Z" }), "visit_id is not a non-empty string"],
    [JSON.stringify({ visit_id: 17, event_time: "2024-05-01T10:00:00Z" }), "visit_id is not a non-empty string"],
    [JSON.stringify({ visit_id: "v", event_time: "yesterday" }), "bad event_time"],
    [JSON.stringify({ visit_id: "v", event_time: "2024-05-01T10:00:00" }), "bad event_time"],
    [JSON.stringify({ visit_id: "v" }), "bad event_time"],
  ])("refuses %s as the job does (%s)", (value, reason) => {
    expect(parseVisit(at(value))).toEqual({ ok: false, reason });
  });
});

describe("parseFiring", () => {
  it("reads a window firing", () => {
    const value = JSON.stringify({
      visit_id: "v-1",
      window_start: "2024-05-01T10:00:00Z",
      window_end: "2024-05-01T10:00:45Z",
      count: 8,
      processing_time: "x",
    });
    expect(parseFiring(at(value))).toEqual({
      ok: true,
      value: {
        partition: 1,
        offset: 7,
        visitId: "v-1",
        windowStartMs: Date.UTC(2024, 4, 1, 10),
        windowEndMs: Date.UTC(2024, 4, 1, 10, 0, 45),
        count: 8,
      },
    });
  });

  it("refuses a count that is not an integer and a missing window end", () => {
    expect(
      parseFiring(
        at(JSON.stringify({ visit_id: "v", window_start: "2024-05-01T10:00:00Z", window_end: "2024-05-01T10:00:45Z", count: "4" })),
      ),
    ).toEqual({ ok: false, reason: "count is not an integer" });
    expect(parseFiring(at(JSON.stringify({ visit_id: "v", window_start: "2024-05-01T10:00:00Z", count: 4 })))).toEqual({
      ok: false,
      reason: "bad window_end",
    });
  });
});

describe("windowStartOf", () => {
  it.each([
    [0, 0],
    [44_999, 0],
    [45_000, 45_000],
    [90_001, 90_000],
    [-1, -45_000],
  ])("puts %i ms into the 45 s window starting at %i", (eventTime, start) => {
    expect(windowStartOf(eventTime, 45_000)).toBe(start);
  });
});

// The same cases as the job's own tests of parse_event_time_ms (jobs/flink/test_visits_logic.py).
const T0_MS = 1795600803000; // 2026-11-25T10:00:03.000Z

describe("parseIsoTimeMs reads event times as the job does", () => {
  it.each([
    ["2026-11-25T10:00:03.000Z", T0_MS],
    ["2026-11-25T10:00:03Z", T0_MS],
    ["2026-11-25T10:00:03.25z", T0_MS + 250],
    ["2026-11-25T10:00:03.123456789Z", T0_MS + 123],
    ["2026-11-25T11:00:03.000+01:00", T0_MS],
    ["2026-11-25T05:30:03.000-0430", T0_MS],
    ["2026-11-25 10:00:03.007Z", T0_MS + 7],
    [" 2026-11-25T10:00:03.000Z ", T0_MS],
    ["1970-01-01T00:00:00.000Z", 0],
  ])("%s is %i ms", (text, ms) => {
    expect(parseIsoTimeMs(text)).toBe(ms);
  });

  it.each([
    "2026-11-25T10:00:03.000",
    "25/11/2026 10:00:03Z",
    "yesterday",
    "2026-13-25T10:00:03.000Z",
    "2026-02-30T10:00:03.000Z",
    "2026-11-25T24:00:03.000Z",
    "2026-11-25T10:00Z",
  ])("refuses %s", (text) => {
    expect(parseIsoTimeMs(text)).toBeUndefined();
  });

  it("refuses what is not a string and tells firings apart by count", () => {
    expect(parseIsoTimeMs(T0_MS)).toBeUndefined();
    expect(firingKey("v", 0, 4)).not.toBe(firingKey("v", 0, 8));
  });
});

describe("malformedVisits", () => {
  it("gives one record of each kind the job dead-letters, none of which parses as a visit", () => {
    const records = malformedVisits("t", 4);
    expect(records.map((r) => r.key)).toEqual(["t-0", "t-1", "t-2", "t-3"]);
    const reasons = records.map((r, offset) => {
      const parsed = parseVisit({ partition: 0, offset, timestampMs: 0, value: r.value });
      return parsed.ok ? "parsed" : parsed.reason;
    });
    expect(reasons.slice(0, 3)).toEqual(
      ["not JSON", "not a JSON object", "visit_id is not a non-empty string"].map((r) => expect.stringContaining(r)),
    );
    expect(new Set(records.map((r) => r.value)).size).toBe(4);
  });

  it("matches a value the job cut by its digest and length", () => {
    const big = JSON.stringify({ visit_id: "v", padding: "é".repeat(40_000) });
    const bytes = Buffer.byteLength(big, "utf8");
    const key = deadLetterKey(big);
    expect(key).toMatch(new RegExp(`^sha256:[0-9a-f]{64} \\(${bytes} bytes\\)$`));
    const letter = { reason: "unparsable_event_time", raw: "cut", raw_truncated: true, raw_bytes: bytes, raw_sha256: key.slice(7, 71) };
    expect(deadLetterRaw({ partition: 0, offset: 0, timestampMs: 0, value: JSON.stringify(letter) })).toBe(key);
    expect(deadLetterKey("small")).toBe("small");
  });

  it("writes one of each malformed kind, each a value the job refuses", () => {
    const records = malformedVisits("k", MALFORMED_KINDS.length);
    expect(new Set(records.map((r) => r.value)).size).toBe(MALFORMED_KINDS.length);
    for (const record of records) expect(parseVisit({ partition: 0, offset: 0, timestampMs: 0, value: record.value }).ok).toBe(false);
  });

  it("reads the raw value back from a dead-letter record", () => {
    expect(
      deadLetterRaw({ partition: 0, offset: 0, timestampMs: 0, value: JSON.stringify({ reason: "not_json", raw: "t-0 is not JSON" }) }),
    ).toBe("t-0 is not JSON");
    expect(deadLetterRaw({ partition: 0, offset: 0, timestampMs: 0, value: "{}" })).toBeUndefined();
  });
});
