import { describe, expect, it } from "vitest";
import { type CycleJudgementInput, judgeCheckpointSourceOffsets, judgeCycle, judgeWatermarkGenerators } from "./recovery";
import { firing, judge } from "./testing";

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

describe("judgeCheckpointSourceOffsets", () => {
  it("holds when the group committed at most the checkpoint's offsets on every partition", () => {
    const check = judgeCheckpointSourceOffsets({ 0: 120, 1: 98 }, { 0: 120, 1: 90 }, 2);
    expect(check).toEqual({
      name: "checkpointSourceOffsets",
      ok: true,
      detail: "the checkpoint's source offsets 0:120 1:98; group committed at the fault 0:120 1:90",
    });
  });

  it("names a partition missing from the checkpoint or committed beyond it", () => {
    const check = judgeCheckpointSourceOffsets({ 0: 100 }, { 0: 101 }, 2);
    expect(check.ok).toBe(false);
    expect(check.detail).toContain("partition 0: the group committed 101, beyond the checkpoint's 100");
    expect(check.detail).toContain("partition 1 is not in the checkpoint's source state");
  });
});
