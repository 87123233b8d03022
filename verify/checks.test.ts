import { describe, expect, it } from "vitest";
import {
  type CycleJudgementInput,
  groundTruth,
  judgeCycle,
  judgeDeadLetters,
  judgeOutput,
  judgeWatermarkGenerators,
  normalizeCheckpointPath,
  type OutputJudgement,
  type OutputJudgementInput,
  windowModelFor,
} from "./checks";
import { type Firing, type Visit, windowStartOf } from "./records";

const W0 = windowStartOf(Date.UTC(2024, 4, 1, 10, 0, 0));
const SIZE = 45_000;

// The generator produces each visit at its event time unless a test says otherwise.
const visit = (partition: number, offset: number, visitId: string, second: number, producedAtSecond = second): Visit => ({
  partition,
  offset,
  producedAtMs: W0 + producedAtSecond * 1000,
  visitId,
  eventTimeMs: W0 + second * 1000,
});
const firing = (partition: number, offset: number, visitId: string, count: number, window = 0): Firing => ({
  partition,
  offset,
  visitId,
  windowStartMs: W0 + window * SIZE,
  windowEndMs: W0 + (window + 1) * SIZE,
  count,
});

// "a": 9 visits of window 0 on partition 0 (offsets 0..8) → firings 4 and 8;
// "b": 4 visits of window 0 on partition 1 (offsets 0..3) → firing 4.
const visits: Visit[] = [
  ...Array.from({ length: 9 }, (_, i) => visit(0, i, "a", i)),
  ...Array.from({ length: 4 }, (_, i) => visit(1, i, "b", i)),
];
const all = { 0: 9, 1: 4 };
const nothing = {};

function judge(firings: Firing[], overrides: Partial<OutputJudgementInput> = {}): OutputJudgement {
  return judgeOutput({
    mode: "EXACTLY_ONCE",
    visits,
    firings,
    consumed: all,
    checkpointed: nothing,
    outputEndAtFault: nothing,
    ...overrides,
  });
}

describe("judgeOutput: duplicates, missing, unexpected", () => {
  it("finds nothing wrong in an exactly-once output", () => {
    const result = judge([firing(0, 0, "a", 4), firing(0, 1, "b", 4), firing(1, 0, "a", 8)]);
    expect(result).toMatchObject({ outputsChecked: 3, expected: 3, missing: [], unexpected: [], duplicates: [], duplicateRecords: 0 });
  });

  it("flags a firing the consumed input implies but the output lacks", () => {
    const result = judge([firing(0, 0, "a", 4), firing(0, 1, "b", 4)]);
    expect(result.missing).toEqual([{ visitId: "a", windowStartMs: W0, count: 8 }]);
  });

  it("does not flag what the job has not consumed yet", () => {
    // The 8th visit of "a" sits at offset 7; with the group at offset 7 the job has not counted it.
    const result = judge([firing(0, 0, "a", 4), firing(0, 1, "b", 4)], { consumed: { 0: 7, 1: 4 } });
    expect(result).toMatchObject({ expected: 2, missing: [] });
  });

  it("counts every extra copy of a firing as a duplicate record", () => {
    const result = judge([firing(0, 0, "a", 4), firing(0, 1, "a", 4), firing(1, 0, "a", 4), firing(0, 2, "b", 4), firing(1, 1, "a", 8)]);
    expect(result.duplicateRecords).toBe(2);
    expect(result.duplicates).toHaveLength(1);
    expect(result.duplicates[0]).toMatchObject({
      visitId: "a",
      count: 4,
      occurrences: [
        { partition: 0, offset: 0 },
        { partition: 0, offset: 1 },
        { partition: 1, offset: 0 },
      ],
    });
  });

  it("names firings the input cannot explain", () => {
    const wrongEnd: Firing = { ...firing(0, 3, "a", 4), windowEndMs: W0 + 60_000 };
    const result = judge([
      firing(0, 0, "a", 4),
      firing(0, 1, "b", 4),
      firing(0, 2, "a", 8),
      wrongEnd,
      firing(0, 4, "a", 6),
      firing(0, 5, "a", 12),
      firing(0, 6, "z", 4),
      firing(0, 7, "a", 4, 1),
    ]);
    expect(result.unexpected.map((u) => [u.offset, u.reason])).toEqual([
      [3, expect.stringContaining("is not a 45 s tumbling window")],
      [4, "count 6 is not a positive multiple of 4"],
      [5, "count 12 exceeds the 9 visits of the input in this window"],
      [6, "no visit of the input falls into this window"],
      [7, "no visit of the input falls into this window"],
    ]);
  });
});

describe("judgeOutput: possibly late visits", () => {
  // Partition 0 first carries a visit of window 1, then four visits of window 0: the watermark may
  // have passed window 0's end, so Flink may have dropped them.
  const lateVisits = [visit(0, 0, "c", 50), ...Array.from({ length: 4 }, (_, i) => visit(0, i + 1, "d", 10 + i))];

  it("neither expects nor refuses firings of a window whose visits may have been dropped", () => {
    const withoutFiring = judgeOutput({
      mode: "EXACTLY_ONCE",
      visits: lateVisits,
      firings: [],
      consumed: { 0: 5 },
      checkpointed: nothing,
      outputEndAtFault: nothing,
    });
    expect(withoutFiring).toMatchObject({ missing: [], excluded: { windows: 1, possiblyLateVisits: 4 } });
    const withFiring = judgeOutput({
      mode: "EXACTLY_ONCE",
      visits: lateVisits,
      firings: [firing(0, 0, "d", 4)],
      consumed: { 0: 5 },
      checkpointed: nothing,
      outputEndAtFault: nothing,
    });
    expect(withFiring.unexpected).toEqual([]);
  });

  it("still refuses a count above every visit of such a window", () => {
    const result = judgeOutput({
      mode: "EXACTLY_ONCE",
      visits: lateVisits,
      firings: [firing(0, 0, "d", 8)],
      consumed: { 0: 5 },
      checkpointed: nothing,
      outputEndAtFault: nothing,
    });
    expect(result.unexpected).toHaveLength(1);
  });

  it("treats a visit as possibly late when another partition had produced a later window first, under source idleness", () => {
    // "c" of window 1 was produced on partition 1 before the visits of "d" on partition 0: with partition 0
    // idle, partition 1's watermark alone may have closed window 0.
    const idleCase = [visit(1, 0, "c", 50, 5), ...Array.from({ length: 4 }, (_, i) => visit(0, i, "d", 10 + i))];
    const judged = (programArgs: string[]) =>
      judgeOutput({
        mode: "EXACTLY_ONCE",
        visits: idleCase,
        firings: [],
        consumed: { 0: 4, 1: 1 },
        checkpointed: nothing,
        outputEndAtFault: nothing,
        model: windowModelFor(programArgs),
      });
    expect(judged(["--source-idle-timeout-ms", "30000"])).toMatchObject({ missing: [], excluded: { windows: 1, possiblyLateVisits: 4 } });
    expect(judged(["--source-idle-timeout-ms=30000"])).toMatchObject({ missing: [], excluded: { windows: 1, possiblyLateVisits: 4 } });
    // Without idleness (the job's default) the minimum watermark waits for partition 0: the gap is real.
    expect(judged([])).toMatchObject({
      missing: [{ visitId: "d", windowStartMs: W0, count: 4 }],
      excluded: { windows: 0, possiblyLateVisits: 0 },
    });
    expect(judged(["--source-idle-timeout-ms", "0"]).missing).toHaveLength(1);
  });

  it("does not treat a later event time on another partition as making a visit late", () => {
    const crossPartition = [visit(1, 0, "c", 50), ...Array.from({ length: 4 }, (_, i) => visit(0, i, "d", 10 + i))];
    const result = judgeOutput({
      mode: "EXACTLY_ONCE",
      visits: crossPartition,
      firings: [],
      consumed: { 0: 4, 1: 1 },
      checkpointed: nothing,
      outputEndAtFault: nothing,
    });
    expect(result.missing).toEqual([{ visitId: "d", windowStartMs: W0, count: 4 }]);
    expect([...groundTruth(crossPartition).values()].flatMap((w) => w.visits).some((v) => v.possiblyLate)).toBe(false);
  });
});

describe("judgeOutput: resumed from the checkpoint, not from earliest", () => {
  // Before the cancel the output holds a:4 and b:4 (offsets 0, 1 of partition 0); the checkpoint covered
  // the first 4 visits of "a" and all of "b".
  const checkpointed = { 0: 4, 1: 4 };
  const outputEndAtFault = { 0: 2 };
  const beforeCancel = [firing(0, 0, "a", 4), firing(0, 1, "b", 4)];

  it("passes a restored job that only emits what came after the checkpoint", () => {
    const result = judge([...beforeCancel, firing(0, 2, "a", 8)], { checkpointed, outputEndAtFault });
    expect(result).toMatchObject({
      preCheckpointReemitted: 0,
      preCheckpointFirings: 2,
      firingsAfterFault: 1,
      duplicateRecords: 0,
      missing: [],
    });
  });

  it("catches a fresh start from earliest, which emits the checkpointed firings again", () => {
    const replay = [firing(0, 2, "a", 4), firing(0, 3, "b", 4), firing(0, 4, "a", 8)];
    const result = judge([...beforeCancel, ...replay], { checkpointed, outputEndAtFault });
    expect(result.preCheckpointReemitted).toBe(2);
    expect(result.duplicates.every((d) => d.afterFault && d.preCheckpoint)).toBe(true);
  });

  it("in EXACTLY_ONCE, counts a copy of any firing committed before the cancel, even beyond the group's offsets", () => {
    // The group's commit of the last checkpoint's offsets may not have happened before the cancel.
    const result = judge([...beforeCancel, firing(0, 2, "a", 4)], { checkpointed: nothing, outputEndAtFault });
    expect(result).toMatchObject({ preCheckpointReemitted: 1, preCheckpointFirings: 2 });
    expect(
      judge([...beforeCancel, firing(0, 2, "a", 4)], { mode: "AT_LEAST_ONCE", checkpointed: nothing, outputEndAtFault })
        .preCheckpointReemitted,
    ).toBe(0);
  });

  it("does not count the first copy of a held firing the output lacked before the cancel", () => {
    expect(judge([firing(0, 2, "a", 4)], { checkpointed, outputEndAtFault }).preCheckpointReemitted).toBe(0);
    expect(judge([firing(0, 2, "a", 4), firing(0, 3, "a", 4)], { checkpointed, outputEndAtFault }).preCheckpointReemitted).toBe(1);
  });

  it("tells an at-least-once replay of post-checkpoint output from a replay of the checkpointed state", () => {
    // a:8 was written after the checkpoint and before the cancel, then again by the restored job.
    const result = judge([...beforeCancel, firing(0, 2, "a", 8), firing(0, 3, "a", 8)], {
      mode: "AT_LEAST_ONCE",
      checkpointed,
      outputEndAtFault: { 0: 3 },
    });
    expect(result).toMatchObject({ duplicateRecords: 1, preCheckpointReemitted: 0 });
    expect(result.duplicates[0]).toMatchObject({ count: 8, afterFault: true, preCheckpoint: false });
  });

  it("does not blame the cycle for duplicates that all predate the cancel", () => {
    const result = judge([...beforeCancel, firing(0, 2, "a", 4), firing(0, 3, "a", 8)], { checkpointed, outputEndAtFault: { 0: 3 } });
    expect(result).toMatchObject({ duplicateRecords: 1, preCheckpointReemitted: 0 });
  });
});

describe("judgeCycle", () => {
  const cleanOutput = judge([firing(0, 0, "a", 4), firing(0, 1, "b", 4), firing(0, 2, "a", 8)], {
    checkpointed: { 0: 4, 1: 4 },
    outputEndAtFault: { 0: 2 },
  });
  const good: CycleJudgementInput = {
    mode: "EXACTLY_ONCE",
    retained: { inRestHistory: true, metadataListing: "-rw-r--r-- 1 flink flink 5120 _metadata" },
    restore: {
      expected: { id: 7, path: "file:/checkpoints_flink/abc/chk-7" },
      before: { id: 7, path: "file:/checkpoints_flink/abc/chk-7" },
      restored: { id: 7, path: "file:///checkpoints_flink/abc/chk-7/" },
      restartedItself: false,
      firstCheckpointAfterRestore: 8,
    },
    output: cleanOutput,
    unparsableOutputs: 0,
    consumedKnown: true,
  };
  const failed = (input: CycleJudgementInput) =>
    judgeCycle(input)
      .checks.filter((c) => !c.ok)
      .map((c) => c.name);

  it("holds when every check holds", () => {
    expect(judgeCycle(good)).toMatchObject({ ok: true, resumedFromCheckpoint: true });
  });

  it("fails a job that restored nothing", () => {
    const result = judgeCycle({ ...good, restore: { ...good.restore, restored: null, firstCheckpointAfterRestore: 1 } });
    expect(result).toMatchObject({ ok: false, resumedFromCheckpoint: false });
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["restoredFromRecordedCheckpoint", "checkpointIdsContinue"]);
  });

  it("fails a restore of another checkpoint or path", () => {
    expect(failed({ ...good, restore: { ...good.restore, restored: { id: 6, path: good.restore.expected!.path } } })).toEqual([
      "restoredFromRecordedCheckpoint",
    ]);
    expect(failed({ ...good, restore: { ...good.restore, restored: { id: 7, path: "file:/checkpoints_flink/other/chk-7" } } })).toEqual([
      "restoredFromRecordedCheckpoint",
    ]);
  });

  it("fails when no checkpoint follows the restored one", () => {
    expect(failed({ ...good, restore: { ...good.restore, firstCheckpointAfterRestore: null } })).toEqual(["checkpointIdsContinue"]);
    expect(failed({ ...good, restore: { ...good.restore, firstCheckpointAfterRestore: 7 } })).toEqual(["checkpointIdsContinue"]);
  });

  it("judges Flink's own restart by the latest completed checkpoint at the failure", () => {
    // A TaskManager crash: the same job restarted and restored what was latest when Flink noticed.
    const selfRestart = {
      ...good,
      retained: undefined,
      restore: {
        ...good.restore,
        expected: { id: 8, path: "file:/checkpoints_flink/abc/chk-8" },
        restored: { id: 8, path: "file:/checkpoints_flink/abc/chk-8" },
        restartedItself: true,
        firstCheckpointAfterRestore: 9,
      },
    };
    expect(judgeCycle(selfRestart)).toMatchObject({ ok: true, resumedFromCheckpoint: true });
    expect(judgeCycle(selfRestart).checks.map((c) => c.name)).not.toContain("retainedCheckpoint");
    expect(failed({ ...selfRestart, restore: { ...selfRestart.restore, restored: good.restore.restored } })).toEqual([
      "restoredFromRecordedCheckpoint",
    ]);
  });

  it("lets a job ride a fault out, but not restart into an older checkpoint or into nothing", () => {
    const rideThrough = {
      ...good,
      retained: undefined,
      restore: { ...good.restore, expected: null, restored: null, restartedItself: false, firstCheckpointAfterRestore: 8 },
    };
    expect(judgeCycle(rideThrough).ok).toBe(true);
    expect(failed({ ...rideThrough, restore: { ...rideThrough.restore, firstCheckpointAfterRestore: 7 } })).toEqual([
      "checkpointIdsContinue",
    ]);
    const restarted = { ...rideThrough, restore: { ...rideThrough.restore, restartedItself: true } };
    expect(failed(restarted)).toEqual(["restoredFromRecordedCheckpoint", "checkpointIdsContinue"]);
    expect(failed({ ...restarted, restore: { ...restarted.restore, restored: { id: 6, path: "p" } } })).toEqual([
      "restoredFromRecordedCheckpoint",
    ]);
    expect(judgeCycle({ ...restarted, restore: { ...restarted.restore, restored: { id: 7, path: "p" } } }).ok).toBe(true);
  });

  it("fails a missing _metadata and a checkpoint gone from the history", () => {
    expect(failed({ ...good, retained: { inRestHistory: true, metadataListing: null } })).toEqual(["retainedCheckpoint"]);
    expect(failed({ ...good, retained: { inRestHistory: false, metadataListing: "x" } })).toEqual(["retainedCheckpoint"]);
    // The restored checkpoint's own source offsets, from its _metadata: the group may not be beyond them.
    const source = { groupAtFault: { 0: 40, 1: 38 }, partitions: 2 };
    expect(failed({ ...good, restoredSource: { ...source, offsets: { 0: 40, 1: 39 } } })).toEqual([]);
    expect(failed({ ...good, restoredSource: { ...source, offsets: { 0: 39, 1: 39 } } })).toEqual(["checkpointSourceOffsets"]);
    expect(failed({ ...good, restoredSource: { ...source, offsets: { 0: 40 } } })).toEqual(["checkpointSourceOffsets"]);
    expect(
      judgeCycle({ ...good, restoredSource: { ...source, problem: "no sourceOffsets" } }).checks.find(
        (c) => c.name === "checkpointSourceOffsets",
      )?.detail,
    ).toBe("the restored checkpoint's source offsets could not be read from its _metadata: no sourceOffsets");
    // Completed as its JobManager died: the history never heard of it, the volume proves it.
    expect(
      failed({ ...good, retained: { inRestHistory: false, historyLost: "it completed as its JobManager died", metadataListing: "x" } }),
    ).toEqual([]);
    expect(
      failed({ ...good, retained: { inRestHistory: false, historyLost: "it completed as its JobManager died", metadataListing: null } }),
    ).toEqual(["retainedCheckpoint"]);
  });

  it("fails duplicates in EXACTLY_ONCE but explains them in AT_LEAST_ONCE", () => {
    const output = [firing(0, 0, "a", 4), firing(0, 1, "b", 4), firing(0, 2, "a", 8), firing(0, 3, "a", 8)];
    const exactlyOnce = judge(output, { checkpointed: { 0: 4, 1: 4 }, outputEndAtFault: { 0: 3 } });
    // a:8 was committed before the cancel, so in EXACTLY_ONCE its copy also says the state was not resumed.
    expect(failed({ ...good, output: exactlyOnce })).toEqual(["noPreCheckpointFiringReemitted", "noDuplicates"]);
    const replayed = judge(output, { mode: "AT_LEAST_ONCE", checkpointed: { 0: 4, 1: 4 }, outputEndAtFault: { 0: 3 } });
    const atLeastOnce = judgeCycle({ ...good, mode: "AT_LEAST_ONCE", output: replayed });
    expect(atLeastOnce.ok).toBe(true);
    expect(atLeastOnce.checks.find((c) => c.name === "duplicatesExplained")?.detail).toContain(
      "1 duplicate records counted, not failed: 1 firings emitted after the checkpoint (before the fault, or by the lost job's tasks after it) and again by the restored job, 0 firings the checkpoint already held",
    );
  });

  it("fails loss and re-emitted checkpointed firings in AT_LEAST_ONCE too", () => {
    const lost = judge([firing(0, 0, "a", 4), firing(0, 1, "b", 4)], {
      mode: "AT_LEAST_ONCE",
      checkpointed: { 0: 4, 1: 4 },
      outputEndAtFault: { 0: 1 },
    });
    expect(failed({ ...good, mode: "AT_LEAST_ONCE", output: lost })).toEqual(["noMissing"]);
    const fromEarliest = judge(
      [firing(0, 0, "a", 4), firing(0, 1, "b", 4), firing(0, 2, "a", 4), firing(0, 3, "b", 4), firing(0, 4, "a", 8)],
      { mode: "AT_LEAST_ONCE", checkpointed: { 0: 4, 1: 4 }, outputEndAtFault: { 0: 2 } },
    );
    const result = judgeCycle({ ...good, mode: "AT_LEAST_ONCE", output: fromEarliest });
    expect(result).toMatchObject({ ok: false, resumedFromCheckpoint: false });
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["noPreCheckpointFiringReemitted"]);
  });

  it("fails when nothing new was committed, output is garbage or consumption is unknown", () => {
    const noneAfter = judge([firing(0, 0, "a", 4), firing(0, 1, "b", 4), firing(0, 2, "a", 8)], {
      checkpointed: { 0: 4, 1: 4 },
      outputEndAtFault: { 0: 3 },
    });
    expect(failed({ ...good, output: noneAfter })).toEqual(["newOutputAfterRestore"]);
    expect(failed({ ...good, unparsableOutputs: 2 })).toEqual(["outputParsable"]);
    expect(failed({ ...good, consumedKnown: false })).toEqual(["noMissing"]);
  });
});

describe("judgeWatermarkGenerators", () => {
  it("passes one watermark-generating subtask per partition, and fails fewer, more or none", () => {
    const at = (parallelism: number) => [{ name: "Extract-Timestamp -> Timestamps/Watermarks", parallelism }];
    expect(judgeWatermarkGenerators(at(2), 2).ok).toBe(true);
    expect(judgeWatermarkGenerators(at(1), 2)).toMatchObject({ ok: false, name: "oneWatermarkGeneratorPerPartition" });
    expect(judgeWatermarkGenerators(at(4), 2).ok).toBe(false);
    expect(judgeWatermarkGenerators([], 2).detail).toContain("no vertex with a Timestamps/Watermarks operator");
  });
});

describe("normalizeCheckpointPath", () => {
  it.each(["file:/checkpoints_flink/j/chk-3", "file:///checkpoints_flink/j/chk-3", "/checkpoints_flink/j/chk-3/"])(
    "reads %s as a local path",
    (path) => {
      expect(normalizeCheckpointPath(path)).toBe("/checkpoints_flink/j/chk-3");
    },
  );
});

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
