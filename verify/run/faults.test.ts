import { describe, expect, it } from "vitest";
import { FAULT_NAMES, FAULTS, failureSeenAt, incompleteCheckpointPath, nextFlinkLine, parseFaultList, restoreFromUri } from "./faults";

describe("incompleteCheckpointPath", () => {
  it("lies in the job's directory of the checkpoint volume", () => {
    expect(incompleteCheckpointPath("file:///checkpoints_flink", "abc", 1003)).toBe("/checkpoints_flink/abc/chk-1003");
    expect(incompleteCheckpointPath("file:///checkpoints_flink/sub/", "abc", 7)).toBe("/checkpoints_flink/sub/abc/chk-7");
  });
});

describe("parseFaultList", () => {
  it("takes known names in order and names the unknown ones with what is allowed", () => {
    expect(parseFaultList("taskmanager-crash, cancel-restore")).toEqual(["taskmanager-crash", "cancel-restore"]);
    expect(() => parseFaultList("taskmanager-crash,earthquake")).toThrow(`unknown fault "earthquake"; allowed: ${FAULT_NAMES.join(", ")}`);
    expect(() => parseFaultList(" , ")).toThrow(/\(none given\)/);
  });

  it("has a fault for every name, named as listed, each saying what it does and how the job comes back", () => {
    for (const name of FAULT_NAMES) {
      expect(FAULTS[name].name).toBe(name);
      expect(FAULTS[name].injects.length).toBeGreaterThan(10);
      expect(FAULTS[name].recovers.length).toBeGreaterThan(10);
    }
  });
});

describe("failureSeenAt", () => {
  const running = { state: "RUNNING", vertexStates: ["RUNNING", "RUNNING"] };
  it("sees a job that left RUNNING, a task that did, or a JobManager that does not answer", () => {
    expect(failureSeenAt({ state: "RESTARTING", vertexStates: ["CANCELING"] }, null, 1_000, 5_000)).toBe(5_000);
    expect(failureSeenAt({ state: "RUNNING", vertexStates: ["RUNNING", "DEPLOYING"] }, null, 1_000, 5_000)).toBe(5_000);
    expect(failureSeenAt(null, null, 1_000, 5_000)).toBe(5_000);
  });

  it("sees a restart it missed between two looks by the restore after the fault, and dates it by that restore", () => {
    expect(failureSeenAt(running, 3_500, 1_000, 5_000)).toBe(3_500);
    expect(failureSeenAt(running, 900, 1_000, 5_000)).toBeNull();
    expect(failureSeenAt(running, null, 1_000, 5_000)).toBeNull();
  });
});

describe("nextFlinkLine", () => {
  it("is the next line up by version, not by text, and none after the newest", () => {
    expect(nextFlinkLine("1.20", ["2.2", "1.20"])).toBe("2.2");
    expect(nextFlinkLine("1.9", ["1.20", "1.10", "2.2"])).toBe("1.10");
    expect(nextFlinkLine("2.2", ["1.20", "2.2"])).toBeUndefined();
  });
});

describe("restoreFromUri", () => {
  it("names a checkpoint as Flink reports it in the file:/// form restoreFrom takes", () => {
    expect(restoreFromUri("file:/checkpoints_flink/savepoints/savepoint-f74e83-7a367984983e")).toBe(
      "file:///checkpoints_flink/savepoints/savepoint-f74e83-7a367984983e",
    );
    expect(restoreFromUri("file:///checkpoints_flink/abc/chk-4/")).toBe("file:///checkpoints_flink/abc/chk-4");
  });
});
