import { describe, expect, it } from "vitest";
import { estimatedTextBoxes, labelProblems } from "../lib/chart/labelCheck";
import { spread } from "./recovery";
import { completedCheckpoints, renderStorageChart, renderStorageTable, type StorageResult, summarizeCheckpoints } from "./storage";

// Lines as the JobManager of a docker s3 stack logged them (the 1.20 line), between others of the same logger.
const LOG = [
  "2026-12-07 23:03:04,505 INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator    [] - Completed checkpoint 2 for job 428e01ace59774dc708f91bab56b3fa2 (13179 bytes, checkpointDuration=234 ms, finalizationTime=1 ms).",
  "2026-12-07 23:03:39,339 INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator    [] - Checkpoint 4 of job 428e01ace59774dc708f91bab56b3fa2 expired before completing.",
  "2026-12-07 23:03:52,087 INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator    [] - Completed checkpoint 5 for job 428e01ace59774dc708f91bab56b3fa2 (29228 bytes, checkpointDuration=12648 ms, finalizationTime=4 ms).",
  "2026-12-07 23:03:52,491 INFO  org.apache.flink.runtime.checkpoint.CheckpointCoordinator    [] - Completed checkpoint 6 for job 428e01ace59774dc708f91bab56b3fa2 (14618 bytes, checkpointDuration=400 ms, finalizationTime=3 ms).",
].join("\n");

describe("the storage benchmark", () => {
  it("reads every completed checkpoint's duration and size from the JobManager's log, nothing else", () => {
    expect(completedCheckpoints(LOG)).toEqual([
      { id: 2, jobId: "428e01ace59774dc708f91bab56b3fa2", bytes: 13179, durationMs: 234, finalizationMs: 1 },
      { id: 5, jobId: "428e01ace59774dc708f91bab56b3fa2", bytes: 29228, durationMs: 12648, finalizationMs: 4 },
      { id: 6, jobId: "428e01ace59774dc708f91bab56b3fa2", bytes: 14618, durationMs: 400, finalizationMs: 3 },
    ]);
  });

  it("summarizes them as median, p90, mean and range", () => {
    const summary = summarizeCheckpoints(completedCheckpoints(LOG));
    expect(summary.n).toBe(3);
    expect(summary.durationMs).toMatchObject({ median: 400, min: 234, max: 12648, p90: 12648 });
    expect(summary.bytes.median).toBe(14618);
  });

  const result = (storage: string, durations: number[], running: number[]): StorageResult => ({
    storage,
    stack: `b-${storage}`,
    changes: {},
    checkpoints: summarizeCheckpoints(
      durations.map((durationMs, id) => ({ id, jobId: "j", bytes: 20_000 + id, durationMs, finalizationMs: 1 })),
    ),
    completed: [],
    recovery: {
      label: storage,
      stack: `b-${storage}`,
      changes: {},
      runs: running.length,
      passed: running.length,
      detected: spread(running.map((r) => r / 5)),
      running: spread(running),
      firstCommittedOutput: spread(running.map((r) => r + 4000)),
      caughtUp: spread(running.map((r) => r + 6000)),
      error: null,
    },
    error: null,
  });
  const results = [
    result("volume", [60, 70, 900], [24_000, 28_000]),
    result("s3 (SeaweedFS in the stack)", [150, 250, 1700], [25_000, 31_000]),
  ];

  it("tables both storages side by side", () => {
    const table = renderStorageTable(results);
    expect(table.split("\n")[2]).toBe("| volume | 3 | 70 ms | 900 ms | 900 ms | 20.0 KB | 5.2 s | 26.0 s | 30.0 s | 2/2 |");
    expect(table).toContain("| s3 (SeaweedFS in the stack) | 3 | 250 ms |");
  });

  it("draws every label inside the plot, none on another", () => {
    const { area, boxes } = estimatedTextBoxes(renderStorageChart(results));
    expect(boxes.length).toBeGreaterThan(5);
    expect(labelProblems(boxes, area)).toEqual([]);
  });
});
