import { describe, expect, it } from "vitest";
import { restartedItself, restoreIsOfThisRecovery } from "../judge/recovery";
import { restoreAfter } from "./cycle";

const chk = (id: number) => ({ id, path: `file:/checkpoints_flink/abc/chk-${id}` });

describe("restoreIsOfThisRecovery", () => {
  const sameJob = { jobIdAtFault: "j1", recoveredJobId: "j1" };

  it("holds for a required restore and for a job that restarted by itself", () => {
    expect(restoreIsOfThisRecovery({ expectedRestore: chk(7), restored: chk(7), jobIdAtFault: "j1", recoveredJobId: "j2" })).toBe(true);
    expect(restoreIsOfThisRecovery({ ...sameJob, expectedRestore: null, restored: chk(3), restartsBefore: 0, restartsAfter: 1 })).toBe(
      true,
    );
  });

  it("holds for a restart faster than the restart metric's refresh: a restore after the fault, the count not yet up", () => {
    expect(restartedItself({ ...sameJob, restartsBefore: 2, restartsAfter: 2, restoredAfterFault: true })).toBe(true);
    expect(
      restoreIsOfThisRecovery({
        ...sameJob,
        expectedRestore: null,
        restored: chk(9),
        restartsBefore: 2,
        restartsAfter: 2,
        restoredAfterFault: true,
      }),
    ).toBe(true);
    expect(restartedItself({ jobIdAtFault: "j1", recoveredJobId: "j2", restoredAfterFault: true })).toBe(false);
  });

  it("does not hold for a job that rode the fault out: its restore is the one it was started from", () => {
    expect(
      restoreIsOfThisRecovery({
        ...sameJob,
        expectedRestore: null,
        restored: chk(3),
        restartsBefore: 2,
        restartsAfter: 2,
        restoredAfterFault: false,
      }),
    ).toBe(false);
    expect(restartedItself({ ...sameJob, restartsBefore: 2, restartsAfter: 2, restoredAfterFault: false })).toBe(false);
  });

  it("does not hold when nothing was restored, nor for a restart of another job", () => {
    expect(restoreIsOfThisRecovery({ expectedRestore: chk(7), restored: null, jobIdAtFault: "j1", recoveredJobId: "j2" })).toBe(false);
    expect(restartedItself({ jobIdAtFault: "j1", recoveredJobId: "j2", restartsBefore: 0, restartsAfter: 1 })).toBe(false);
  });
});

describe("restoreAfter", () => {
  it("takes a restore made after the fault, not the one a cached answer still shows from before", () => {
    expect(restoreAfter({ id: 44, externalPath: "p", restoredAtMs: 2_000 }, 1_000)).toBe(true);
    expect(restoreAfter({ id: 40, externalPath: "p", restoredAtMs: 500 }, 1_000)).toBe(false);
    expect(restoreAfter({ id: 44, externalPath: "p", restoredAtMs: null }, 1_000)).toBe(true);
    expect(restoreAfter(null, 1_000)).toBe(false);
  });
});
