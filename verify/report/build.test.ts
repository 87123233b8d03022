import { describe, expect, it } from "vitest";
import { JOB_DEFAULTS } from "../../jobs/flink/settings";
import type { TopicRecord } from "../../lib/kafka/reader";
import { windowStartOf } from "../judge/records";
import type { CycleEvidence } from "../run/evidence";
import { buildReport, type ReportContext } from "./build";
import { renderSummary } from "./text";

const W0 = windowStartOf(Date.UTC(2024, 4, 1, 10, 0, 0), 45_000);
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
const inputRecords = [
  ...Array.from({ length: 8 }, (_, i) => visitRecord(i, "a", i)),
  { partition: 0, offset: 8, timestampMs: W0 + 9000, value: "garbage" },
];

const evidence = (outputRecords: TopicRecord[]): CycleEvidence => ({
  fault: "cancel-restore",
  jobIdAtFault: "j1",
  recoveredJobId: "j2",
  checkpointBeforeFault: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
  expectedRestore: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
  retained: { inRestHistory: true, metadataListing: "-rw-r--r-- 1 flink flink 9000 _metadata" },
  checkpointed: { 0: 4, 1: 0 },
  restoredSourceOffsets: { 0: 4, 1: 0 },
  outputEndAtFault: { 0: 2 },
  restored: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
  firstCheckpointAfterRestore: 4,
  consumed: { 0: 9 },
  outputRecords,
  inputRecords,
  malformedSent: ["garbage"],
  deadLetterRecords: [
    { partition: 0, offset: 0, timestampMs: 0, value: JSON.stringify({ reason: "not_json", detail: "x", raw: "garbage" }) },
  ],
  jobStateAtEnd: "RUNNING",
  notes: [],
  timings: {
    faultToDetected: 400,
    faultToRunning: 24000,
    faultToFirstCommittedOutput: 36000,
    faultToCaughtUp: 50000,
    recoveryToRunning: 9000,
    cycle: 60000,
    total: 120000,
  },
});

const context: ReportContext = {
  stack: "docker",
  mode: "EXACTLY_ONCE",
  target: "docker",
  flinkLine: "2.2",
  partitions: 2,
  settings: JOB_DEFAULTS,
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
      fault: "cancel-restore",
      expectedRestore: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
      restored: { id: 3, path: "file:/checkpoints_flink/j1/chk-3" },
      resumedFromCheckpoint: true,
      duplicates: 0,
      missing: 0,
      outputsChecked: 2,
      expectedFirings: 2,
      input: { records: 9, visits: 8, invalid: 1 },
      timings: { faultToDetected: 400, faultToRunning: 24000, recoveryToRunning: 9000, cycle: 60000 },
      error: null,
    });
    expect(report.checks.every((c) => c.ok)).toBe(true);
  });

  it("judges the checkpoint's source offsets only of a restore this recovery made", () => {
    const good = evidence([firingRecord(0, "a", 4), firingRecord(2, "a", 8)]);
    const withOffsets = (e: CycleEvidence) =>
      buildReport(e, context)
        .checks.map((c) => c.name)
        .includes("checkpointSourceOffsets");
    expect(withOffsets(good)).toBe(true);
    // A job that rode the fault out still reports the restore it was started from, whose offsets are long behind.
    const rodeItOut = { ...good, expectedRestore: null, recoveredJobId: "j1", restoredSourceOffsets: { 0: 1, 1: 0 } };
    expect(withOffsets(rodeItOut)).toBe(false);
    expect(buildReport(rodeItOut, context).ok).toBe(true);
  });

  it("fails and samples a replay from earliest", () => {
    const report = buildReport(evidence([firingRecord(0, "a", 4), firingRecord(2, "a", 4), firingRecord(3, "a", 8)]), {
      ...context,
      restoreFromEarliest: true,
    });
    expect(report).toMatchObject({ ok: false, resumedFromCheckpoint: false, duplicates: 1, preCheckpointReemitted: 1 });
    expect(report.samples.duplicates).toEqual([
      {
        visitId: "a",
        windowStart: iso(W0),
        count: 4,
        occurrences: [
          { partition: 0, offset: 0 },
          { partition: 0, offset: 2 },
        ],
        afterFault: true,
        preCheckpoint: true,
      },
    ]);
  });

  it("counts output that is not a firing as unparsable", () => {
    const report = buildReport(
      evidence([firingRecord(0, "a", 4), { partition: 0, offset: 2, timestampMs: 0, value: "{}" }, firingRecord(3, "a", 8)]),
      context,
    );
    expect(report).toMatchObject({
      ok: false,
      unparsableOutputs: 1,
      samples: { unparsableOutputs: [{ partition: 0, offset: 2, reason: "visit_id is not a non-empty string" }] },
    });
  });

  it("reports a cycle that stopped early as failed, with what it had", () => {
    const partial: CycleEvidence = {
      jobIdAtFault: "j1",
      expectedRestore: { id: 3, path: "p" },
      notes: [],
      timings: { faultToDetected: 400 },
    };
    const report = buildReport(partial, { ...context, error: "Flink refused the resubmission" });
    expect(report).toMatchObject({
      ok: false,
      error: "Flink refused the resubmission",
      checks: [],
      jobs: { atFault: "j1", recovered: null },
      expectedRestore: { id: 3 },
    });
  });

  it("fails a recovered job whose watermark generator reads several partitions, whatever its windows' parallelism", () => {
    const generating = (parallelism: number): CycleEvidence => ({
      ...evidence([firingRecord(0, "a", 4), firingRecord(2, "a", 8)]),
      watermarkGenerators: [{ name: "Extract-Timestamp -> Timestamps/Watermarks", parallelism }],
    });
    const check = (report: ReturnType<typeof buildReport>) => report.checks.find((c) => c.name === "oneWatermarkGeneratorPerPartition");
    expect(check(buildReport(generating(2), { ...context, settings: { ...JOB_DEFAULTS, parallelism: 1 } }))).toMatchObject({ ok: true });
    const merged = buildReport(generating(1), { ...context, settings: { ...JOB_DEFAULTS, parallelism: 1 } });
    expect(merged.ok).toBe(false);
    expect(check(merged)?.detail).toContain("at 1 for 2 partitions");
  });

  it("counts only the dead letters written after the fault, so earlier faults' letters are no copies", () => {
    const earlier = { partition: 0, offset: 0, timestampMs: 0, value: JSON.stringify({ reason: "not_json", detail: "x", raw: "garbage" }) };
    const again = { ...earlier, offset: 1 };
    const withEarlier = {
      ...evidence([firingRecord(0, "a", 4), firingRecord(2, "a", 8)]),
      deadLetterRecords: [earlier, again],
      dlqEndAtFault: { 0: 1 },
    };
    expect(buildReport(withEarlier, context).ok).toBe(true);
    expect(buildReport({ ...withEarlier, dlqEndAtFault: { 0: 0 } }, context).ok).toBe(false);
  });
});

describe("renderSummary", () => {
  it("says the verdict, the figures, the timings and each check", () => {
    const report = buildReport(evidence([firingRecord(0, "a", 4)]), context);
    const summary = renderSummary(report, "reports/verify-latest.json");
    expect(summary).toContain('verify FAILED: cancel-restore, EXACTLY_ONCE, docker stack "docker", Flink 2.2');
    expect(summary).toContain("1 firings checked (0 after the fault), 0 duplicates, 1 missing of 2 expected, 0 unexpected");
    expect(summary).toContain("detected 400 ms, RUNNING 24.0 s, first committed output 36.0 s, caught up 50.0 s; recovery→RUNNING 9000 ms");
    expect(summary).toMatch(/FAIL noMissing: 1 of 2 expected firings absent/);
    expect(summary).toMatch(/ok {3}restoredFromRecordedCheckpoint/);
    expect(summary.endsWith("timeline: reports/verify-latest.html\n  report: reports/verify-latest.json")).toBe(true);
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
