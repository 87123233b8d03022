import { describe, expect, it } from "vitest";
import { derivedConfig, derivedStackName, modeVariant } from "../../lib/stack/derived";
import type { MatrixRow } from "./model";
import { renderMatrix } from "./text";

describe("the derived stack of another mode", () => {
  it("is named after the base stack and the mode", () => {
    expect(derivedStackName("ci", modeVariant("AT_LEAST_ONCE"))).toBe("ci-at-least-once");
  });

  it("keeps the base config but the mode and moves both host ports so both stacks can run", () => {
    const base = {
      "flink-checkpointer:target": "docker",
      "flink-checkpointer:generatorVisits": "10",
      "flink-checkpointer:kafkaExternalPort": "9200",
    };
    expect(derivedConfig(base, modeVariant("AT_LEAST_ONCE"))).toEqual({
      "flink-checkpointer:target": "docker",
      "flink-checkpointer:generatorVisits": "10",
      "flink-checkpointer:checkpointMode": "AT_LEAST_ONCE",
      "flink-checkpointer:flinkRestPort": "8091",
      "flink-checkpointer:kafkaExternalPort": "9210",
    });
  });
});

describe("a derived stack of other settings", () => {
  it("changes only the variant's keys and the ports", () => {
    const base = {
      "flink-checkpointer:target": "docker",
      "flink-checkpointer:heartbeatTimeoutMs": "10000",
      "flink-checkpointer:flinkRestPort": "18081",
    };
    const variant = { suffix: "flink-heartbeats", changes: { heartbeatIntervalMs: "10000", heartbeatTimeoutMs: "50000" }, portShift: 20 };
    expect(derivedStackName("ci", variant)).toBe("ci-flink-heartbeats");
    expect(derivedConfig(base, variant)).toEqual({
      "flink-checkpointer:target": "docker",
      "flink-checkpointer:heartbeatIntervalMs": "10000",
      "flink-checkpointer:heartbeatTimeoutMs": "50000",
      "flink-checkpointer:flinkRestPort": "18101",
      "flink-checkpointer:kafkaExternalPort": "9114",
    });
  });
});

describe("renderMatrix", () => {
  const row = (over: Partial<MatrixRow>): MatrixRow => ({
    fault: "taskmanager-crash",
    mode: "EXACTLY_ONCE",
    run: 1,
    ok: true,
    duplicates: 0,
    missing: 0,
    unexpected: 0,
    restored: 5,
    expected: 5,
    deadLetters: "10 malformed records written after the fault: 10 in the dead-letter topic",
    timings: { faultToDetected: 2100, faultToRunning: 12_300, faultToFirstCommittedOutput: 30_000, faultToCaughtUp: 41_000 },
    explanation: "",
    error: null,
    ...over,
  });

  it("gives a row per fault and mode with its verdict, counts, restore and timings in seconds", () => {
    const table = renderMatrix([
      row({}),
      row({ mode: "AT_LEAST_ONCE", duplicates: 7, explanation: "7 firings replayed after the checkpoint" }),
      row({ fault: "broker-restart", ok: false, missing: 2, restored: null, expected: null }),
    ]);
    const lines = table.split("\n");
    expect(lines[2]).toBe("| taskmanager-crash | EXACTLY_ONCE | 1 | pass | 0 | 0 | 0 | 5 (5) | 2.1 | 12.3 | 30.0 | 41.0 |");
    expect(lines[3]).toContain("| AT_LEAST_ONCE | 1 | pass | 7 |");
    expect(lines[4]).toContain("| broker-restart | EXACTLY_ONCE | 1 | FAIL | 0 | 2 | 0 | – (any) |");
    expect(table).toContain("AT_LEAST_ONCE duplicates, explained:\n- taskmanager-crash (run 1): 7 firings replayed after the checkpoint");
  });

  it("lists faults that could not complete with why", () => {
    const table = renderMatrix([row({ error: "timed out waiting for the JobManager" })]);
    expect(table).toContain("| INCOMPLETE |");
    expect(table).toContain("Incomplete:\n- taskmanager-crash EXACTLY_ONCE (run 1): timed out waiting for the JobManager");
  });
});
