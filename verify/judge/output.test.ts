import { describe, expect, it } from "vitest";
import { JOB_DEFAULTS } from "../../jobs/flink/settings";
import { groundTruth, judgeOutput, windowModelOf } from "./output";
import type { Firing } from "./records";
import { firing, judge, MODEL, nothing, visit, W0 } from "./testing";

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
      model: MODEL,
    });
    expect(withoutFiring).toMatchObject({ missing: [], excluded: { windows: 1, possiblyLateVisits: 4 } });
    const withFiring = judgeOutput({
      mode: "EXACTLY_ONCE",
      visits: lateVisits,
      firings: [firing(0, 0, "d", 4)],
      consumed: { 0: 5 },
      checkpointed: nothing,
      outputEndAtFault: nothing,
      model: MODEL,
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
      model: MODEL,
    });
    expect(result.unexpected).toHaveLength(1);
  });

  it("treats a visit as possibly late when another partition had produced a later window first, under source idleness", () => {
    // "c" of window 1 was produced on partition 1 before the visits of "d" on partition 0: with partition 0
    // idle, partition 1's watermark alone may have closed window 0.
    const idleCase = [visit(1, 0, "c", 50, 5), ...Array.from({ length: 4 }, (_, i) => visit(0, i, "d", 10 + i))];
    const judged = (sourceIdleTimeoutMs: number) =>
      judgeOutput({
        mode: "EXACTLY_ONCE",
        visits: idleCase,
        firings: [],
        consumed: { 0: 4, 1: 1 },
        checkpointed: nothing,
        outputEndAtFault: nothing,
        model: windowModelOf({ ...JOB_DEFAULTS, sourceIdleTimeoutMs }),
      });
    expect(judged(30_000)).toMatchObject({ missing: [], excluded: { windows: 1, possiblyLateVisits: 4 } });
    // Without idleness (the job's default) the minimum watermark waits for partition 0: the gap is real.
    expect(judged(0)).toMatchObject({
      missing: [{ visitId: "d", windowStartMs: W0, count: 4 }],
      excluded: { windows: 0, possiblyLateVisits: 0 },
    });
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
      model: MODEL,
    });
    expect(result.missing).toEqual([{ visitId: "d", windowStartMs: W0, count: 4 }]);
    expect([...groundTruth(crossPartition, MODEL).values()].flatMap((w) => w.visits).some((v) => v.possiblyLate)).toBe(false);
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
