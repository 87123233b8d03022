import { describe, expect, it } from "vitest";
import { firingKey, parseFiring, parseIsoTimeMs, parseVisit, windowStartOf } from "./records";

const at = (value: string | null) => ({ partition: 1, offset: 7, value });

describe("parseVisit", () => {
  it("reads visit_id and event_time of a generator visit", () => {
    const parsed = parseVisit(at(JSON.stringify({ visit_id: "v-1", event_time: "2024-05-01T10:00:44.999Z", user_id: 3, page: "home" })));
    expect(parsed).toEqual({ ok: true, value: { partition: 1, offset: 7, visitId: "v-1", eventTimeMs: Date.UTC(2024, 4, 1, 10, 0, 44, 999) } });
  });

  it("accepts an offset zone and a numeric visit id", () => {
    const parsed = parseVisit(at(JSON.stringify({ visit_id: 42, event_time: "2024-05-01T12:00:00+02:00" })));
    expect(parsed).toEqual({ ok: true, value: { partition: 1, offset: 7, visitId: "42", eventTimeMs: Date.UTC(2024, 4, 1, 10) } });
  });

  it.each([
    [null, "empty record value"],
    ["not json {", "not JSON"],
    ["[1,2]", "not a JSON object"],
    [JSON.stringify({ event_time: "2024-05-01T10:00:00Z" }), "no visit_id"],
    [JSON.stringify({ visit_id: "", event_time: "2024-05-01T10:00:00Z" }), "no visit_id"],
    [JSON.stringify({ visit_id: "v", event_time: "yesterday" }), "bad event_time"],
    [JSON.stringify({ visit_id: "v", event_time: "2024-05-01T10:00:00" }), "bad event_time"],
    [JSON.stringify({ visit_id: "v" }), "bad event_time"],
  ])("refuses %s as the job does (%s)", (value, reason) => {
    expect(parseVisit(at(value))).toEqual({ ok: false, reason });
  });
});

describe("parseFiring", () => {
  it("reads a window firing", () => {
    const value = JSON.stringify({ visit_id: "v-1", window_start: "2024-05-01T10:00:00Z", window_end: "2024-05-01T10:00:45Z", count: 8, processing_time: "x" });
    expect(parseFiring(at(value))).toEqual({
      ok: true,
      value: { partition: 1, offset: 7, visitId: "v-1", windowStartMs: Date.UTC(2024, 4, 1, 10), windowEndMs: Date.UTC(2024, 4, 1, 10, 0, 45), count: 8 },
    });
  });

  it("refuses a count that is not an integer and a missing window end", () => {
    expect(parseFiring(at(JSON.stringify({ visit_id: "v", window_start: "2024-05-01T10:00:00Z", window_end: "2024-05-01T10:00:45Z", count: "4" })))).toEqual({ ok: false, reason: "count is not an integer" });
    expect(parseFiring(at(JSON.stringify({ visit_id: "v", window_start: "2024-05-01T10:00:00Z", count: 4 })))).toEqual({ ok: false, reason: "bad window_end" });
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
    expect(windowStartOf(eventTime)).toBe(start);
  });
});

describe("parseIsoTimeMs and firingKey", () => {
  it("keeps milliseconds and tells firings apart by count", () => {
    expect(parseIsoTimeMs("1970-01-01T00:00:01.5Z")).toBe(1500);
    expect(parseIsoTimeMs(1500)).toBeUndefined();
    expect(firingKey("v", 0, 4)).not.toBe(firingKey("v", 0, 8));
  });
});
