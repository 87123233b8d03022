import { describe, expect, it } from "vitest";
import { judgeDeadLetters } from "./deadLetters";

describe("judgeDeadLetters", () => {
  const sent = ["x-0 is not JSON", '{"marker":"x-1"}', '{"marker":"x-2","visit_id":"x-2","event_time":"not a time"}'];

  it("passes when every malformed record is dead-lettered once and the job still runs", () => {
    expect(judgeDeadLetters("EXACTLY_ONCE", sent, [...sent, undefined, "an older dead letter"], "RUNNING")).toMatchObject({
      name: "malformedInputDeadLettered",
      ok: true,
    });
  });

  it("fails on a lost record, a stopped job, or (in EXACTLY_ONCE) a second copy", () => {
    expect(judgeDeadLetters("EXACTLY_ONCE", sent, sent.slice(1), "RUNNING")).toMatchObject({
      ok: false,
      detail: expect.stringContaining("2 in the dead-letter topic, 1 absent"),
    });
    expect(judgeDeadLetters("EXACTLY_ONCE", sent, sent, "FAILED")).toMatchObject({
      ok: false,
      detail: expect.stringContaining("is FAILED at the end"),
    });
    expect(judgeDeadLetters("EXACTLY_ONCE", sent, [...sent, sent[0]], "RUNNING").ok).toBe(false);
    expect(judgeDeadLetters("AT_LEAST_ONCE", sent, [...sent, sent[0]], "RUNNING")).toMatchObject({
      ok: true,
      detail: expect.stringContaining("1 extra copies (allowed in AT_LEAST_ONCE)"),
    });
  });

  it("counts values without a marker: an empty value sent twice must be there twice", () => {
    expect(judgeDeadLetters("EXACTLY_ONCE", ["", ""], ["", ""], "RUNNING").ok).toBe(true);
    expect(judgeDeadLetters("EXACTLY_ONCE", ["", ""], [""], "RUNNING")).toMatchObject({
      ok: false,
      detail: expect.stringContaining("1 absent"),
    });
    expect(judgeDeadLetters("EXACTLY_ONCE", [""], ["", ""], "RUNNING").ok).toBe(false);
  });
});
