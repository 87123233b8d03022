import { describe, expect, it } from "vitest";
import { CycleEvidence } from "./cycle";
import { TopicRecord, windowStartOf } from "./records";
import { buildReport, renderSummary, ReportContext } from "./report";

const W0 = windowStartOf(Date.UTC(2024, 4, 1, 10, 0, 0));
const iso = (ms: number) => new Date(ms).toISOString();

const visitRecord = (offset: number, visitId: string, second: number): TopicRecord => ({
  partition: 0,
  offset,
  timestampMs: W0 + second * 1000,
  value: JSON.stringify({ visit_id: visitId, event_time: iso(W0 + second * 1000), user_id: "u" }),
});
const firingRecord = (offset: number, visitId: string, count: number): TopicRecord => ({
  partition: 0,
  offset,
  timestampMs: 0,
  value: JSON.stringify({ visit_id: visitId, window_start: iso(W0), window_end: iso(W0 + 45_000), count, processing_time: iso(W0) }),
});

// 8 visits of "a" and a DLQ-bound record; before the cancel the output holds a:4 (offset 0, then a marker).
const inputRecords = [...Array.from({ length: 8 }, (_, i) => visitRecord(i, "a", i)), { partition: 0, offset: 8, timestampMs: W0 + 9000, value: "garbage" }];

const evidence = (outputRecords: TopicRecord[]): CycleEvidence => ({
  cancelledJobId: "j1",
  restoredJobId: "j2",
  checkpointBeforeCancel: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
  checkpoint: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
  retained: { inRestHistory: true, metadataListing: "-rw-r--r-- 1 flink flink 9000 _metadata" },
  checkpointed: { 0: 4 },
  outputEndAtCancel: { 0: 2 },
  restored: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
  firstCheckpointAfterRestore: 4,
  consumed: { 0: 9 },
  outputRecords,
  inputRecords,
  malformedSent: ["garbage"],
  deadLetterRecords: [{ partition: 0, offset: 0, timestampMs: 0, value: JSON.stringify({ reason: "not_json", detail: "x", raw: "garbage" }) }],
  restoredJobStateAtEnd: "RUNNING",
  notes: [],
  timings: { cancel: 400, restoreToRunning: 9000, restoreToFirstCommittedOutput: 21000, cycle: 60000, total: 120000 },
});

const context: ReportContext = {
  stack: "docker",
  mode: "EXACTLY_ONCE",
  target: "docker",
  partitions: 2,
  parallelism: 2,
  programArgs: ["-py", "job.py"],
  restoreFromEarliest: false,
  startedAt: new Date(0),
  finishedAt: new Date(1000),
};

describe("buildReport", () => {
  it("carries the issue's fields for a passing cycle", () => {
    const report = buildReport(evidence([firingRecord(0, "a", 4), firingRecord(2, "a", 8)]), context);
    expect(report).toMatchObject({
      ok: true,
      mode: "EXACTLY_ONCE",
      checkpoint: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
      restored: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
      resumedFromCheckpoint: true,
      duplicates: 0,
      missing: 0,
      outputsChecked: 2,
      expectedFirings: 2,
      input: { records: 9, visits: 8, invalid: 1 },
      timings: { cancel: 400, restoreToRunning: 9000, restoreToFirstCommittedOutput: 21000, cycle: 60000 },
      error: null,
    });
    expect(report.checks.every((c) => c.ok)).toBe(true);
  });

  it("fails and samples a replay from earliest", () => {
    const report = buildReport(evidence([firingRecord(0, "a", 4), firingRecord(2, "a", 4), firingRecord(3, "a", 8)]), { ...context, restoreFromEarliest: true });
    expect(report).toMatchObject({ ok: false, resumedFromCheckpoint: false, duplicates: 1, preCheckpointReemitted: 1 });
    expect(report.samples.duplicates).toEqual([
      { visitId: "a", windowStart: iso(W0), count: 4, occurrences: [{ partition: 0, offset: 0 }, { partition: 0, offset: 2 }], afterCancel: true, preCheckpoint: true },
    ]);
  });

  it("counts output that is not a firing as unparsable", () => {
    const report = buildReport(evidence([firingRecord(0, "a", 4), { partition: 0, offset: 2, timestampMs: 0, value: "{}" }, firingRecord(3, "a", 8)]), context);
    expect(report).toMatchObject({ ok: false, unparsableOutputs: 1, samples: { unparsableOutputs: [{ partition: 0, offset: 2, reason: "visit_id is not a non-empty string" }] } });
  });

  it("reports a cycle that stopped early as failed, with what it had", () => {
    const partial: CycleEvidence = { cancelledJobId: "j1", checkpoint: { id: 3, path: "p" }, notes: [], timings: { cancel: 400 } };
    const report = buildReport(partial, { ...context, error: "Flink refused the resubmission" });
    expect(report).toMatchObject({ ok: false, error: "Flink refused the resubmission", checks: [], jobs: { cancelled: "j1", restored: null }, checkpoint: { id: 3 } });
  });

  it("notes when a source subtask reads several partitions", () => {
    expect(buildReport(evidence([]), { ...context, parallelism: 1 }).notes[0]).toContain("parallelism 1 is below the 2 partitions");
  });
});

describe("renderSummary", () => {
  it("says the verdict, the figures, the timings and each check", () => {
    const report = buildReport(evidence([firingRecord(0, "a", 4)]), context);
    const summary = renderSummary(report, "reports/verify-latest.json");
    expect(summary).toContain("verify FAILED: EXACTLY_ONCE, docker stack \"docker\"");
    expect(summary).toContain("1 firings checked (0 after the cancel), 0 duplicates, 1 missing of 2 expected, 0 unexpected");
    expect(summary).toContain("cancel 400 ms, restore→running 9000 ms, restore→first committed output 21.0 s, cycle 60.0 s");
    expect(summary).toMatch(/FAIL noMissing: 1 of 2 expected firings absent/);
    expect(summary).toMatch(/ok {3}restoredFromRecordedCheckpoint/);
    expect(summary.endsWith("report: reports/verify-latest.json")).toBe(true);
  });
});

describe("buildReport: dead letters", () => {
  it("fails the run when a malformed record never reached the dead-letter topic", () => {
    const lost = { ...evidence([firingRecord(0, "a", 4), firingRecord(2, "a", 8)]), deadLetterRecords: [] };
    const report = buildReport(lost, context);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === "malformedInputDeadLettered")).toMatchObject({ ok: false });
  });
});
