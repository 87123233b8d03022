import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import {
  FlinkRest,
  FlinkServerError,
  findPythonJar,
  flinkErrorText,
  parseCheckpointFigures,
  parseCheckpointStats,
  parseCheckpointTrigger,
  parseSavepointTrigger,
  taskManagerHostsOf,
} from "./rest";

describe("Flink REST answers", () => {
  it("keeps Flink's error texts", () => {
    expect(
      flinkErrorText(JSON.stringify({ errors: ["Could not execute application.", "Caused by: state of operator x not mapped"] })),
    ).toBe("Could not execute application.\nCaused by: state of operator x not mapped");
    expect(flinkErrorText("<html>Bad Gateway</html>")).toBe("<html>Bad Gateway</html>");
  });

  it("reads latest.completed, latest.restored and the history of /jobs/:id/checkpoints", () => {
    const stats = parseCheckpointStats({
      counts: { restored: 1, total: 2, in_progress: 0, completed: 2, failed: 0 },
      latest: {
        completed: { id: 9, status: "COMPLETED", external_path: "file:/checkpoints_flink/j2/chk-9", is_savepoint: false },
        savepoint: null,
        failed: null,
        restored: { id: 7, restore_timestamp: 1, is_savepoint: true, external_path: "file:/checkpoints_flink/j1/chk-7" },
      },
      history: [
        {
          id: 9,
          status: "COMPLETED",
          external_path: "file:/checkpoints_flink/j2/chk-9",
          trigger_timestamp: 1_700_000_000_000,
          latest_ack_timestamp: 1_700_000_000_450,
          end_to_end_duration: 450,
          state_size: 26_112,
          checkpointed_size: 20_480,
        },
        { id: 8, status: "FAILED", latest_ack_timestamp: 1_699_999_980_300, end_to_end_duration: 9_000 },
      ],
    });
    expect(stats).toEqual({
      completedCount: 2,
      failedCount: 0,
      latestCompleted: { id: 9, externalPath: "file:/checkpoints_flink/j2/chk-9" },
      restored: { id: 7, externalPath: "file:/checkpoints_flink/j1/chk-7", restoredAtMs: 1 },
      latestSavepoint: null,
      history: [
        {
          id: 9,
          status: "COMPLETED",
          externalPath: "file:/checkpoints_flink/j2/chk-9",
          completedAtMs: 1_700_000_000_450,
          triggeredAtMs: 1_700_000_000_000,
          durationMs: 450,
          stateSizeBytes: 26_112,
          checkpointedSizeBytes: 20_480,
        },
        {
          id: 8,
          status: "FAILED",
          externalPath: null,
          completedAtMs: null,
          triggeredAtMs: null,
          durationMs: null,
          stateSizeBytes: null,
          checkpointedSizeBytes: null,
        },
      ],
    });
  });

  it("reads a job without checkpoints yet", () => {
    expect(parseCheckpointStats({ counts: { completed: 0 }, latest: { completed: null, restored: null }, history: [] })).toEqual({
      completedCount: 0,
      failedCount: 0,
      latestCompleted: null,
      restored: null,
      latestSavepoint: null,
      history: [],
    });
  });

  it("reads a checkpoint's size, duration and state per vertex from /jobs/:id/checkpoints/details/:checkpointId", () => {
    const figures = parseCheckpointFigures({
      className: "completed",
      id: 4,
      status: "COMPLETED",
      is_savepoint: false,
      savepointFormat: null,
      trigger_timestamp: 1_764_648_101_120,
      latest_ack_timestamp: 1_764_648_101_161,
      checkpointed_size: 19_873,
      state_size: 19_873,
      end_to_end_duration: 41,
      alignment_buffered: 0,
      processed_data: 0,
      persisted_data: 0,
      num_subtasks: 6,
      num_acknowledged_subtasks: 6,
      checkpoint_type: "CHECKPOINT",
      tasks: {
        cbc357ccb763df2852fee8c4fc7d55f2: {
          id: "cbc357ccb763df2852fee8c4fc7d55f2",
          status: "COMPLETED",
          state_size: 13_610,
          checkpointed_size: 13_610,
          end_to_end_duration: 35,
        },
        c27dcf7b54ef6bfd6cff02ca8870b681: {
          id: "c27dcf7b54ef6bfd6cff02ca8870b681",
          status: "COMPLETED",
          state_size: 6_263,
          checkpointed_size: 6_263,
          end_to_end_duration: 41,
        },
      },
      external_path: "file:/checkpoints_flink/4a1c/chk-4",
      discarded: false,
    });
    expect(figures).toEqual({
      id: 4,
      status: "COMPLETED",
      stateSizeBytes: 19_873,
      checkpointedSizeBytes: 19_873,
      durationMs: 41,
      triggeredAtMs: 1_764_648_101_120,
      vertexStateBytes: { cbc357ccb763df2852fee8c4fc7d55f2: 13_610, c27dcf7b54ef6bfd6cff02ca8870b681: 6_263 },
    });
  });

  it("follows a checkpoint asked for through REST until it completed or failed", () => {
    expect(parseCheckpointTrigger({ status: { id: "IN_PROGRESS" }, operation: null })).toEqual({ done: false });
    expect(parseCheckpointTrigger({ status: { id: "COMPLETED" }, operation: { checkpointId: 7 } })).toEqual({
      done: true,
      checkpointId: 7,
    });
    expect(
      parseCheckpointTrigger({
        status: { id: "COMPLETED" },
        operation: {
          failureCause: {
            class: "java.util.concurrent.CompletionException",
            "stack-trace":
              "java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint triggering task Source: visits source (1/2) of job f188 is not being executed at the moment. Aborting checkpoint. Failure reason: Not all required tasks are currently running.\n\tat java.base/java.util.concurrent.CompletableFuture.encodeThrowable(CompletableFuture.java:332)",
            "serialized-throwable": "rO0ABXNyAClvcmcuYXBhY2hl",
          },
        },
      }),
    ).toEqual({
      done: true,
      failure:
        "java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint triggering task Source: visits source (1/2) of job f188 is not being executed at the moment. Aborting checkpoint. Failure reason: Not all required tasks are currently running.",
    });
  });

  it("follows a stop-with-savepoint until its savepoint is written, and finds it among the job's checkpoints", () => {
    // Answers of Flink 1.20 (GET /jobs/:id/savepoints/:triggerId, then GET /jobs/:id/checkpoints), abridged.
    expect(parseSavepointTrigger({ status: { id: "IN_PROGRESS" }, operation: null })).toEqual({ done: false });
    expect(
      parseSavepointTrigger({
        status: { id: "COMPLETED" },
        operation: { location: "file:/checkpoints_flink/savepoints/savepoint-f74e83-7a367984983e" },
      }),
    ).toEqual({ done: true, location: "file:/checkpoints_flink/savepoints/savepoint-f74e83-7a367984983e" });
    expect(
      parseSavepointTrigger({
        status: { id: "COMPLETED" },
        operation: {
          failureCause: { class: "org.apache.flink.util.FlinkException", "stack-trace": "org.apache.flink.util.FlinkException: x\n\tat y" },
        },
      }),
    ).toEqual({ done: true, failure: "org.apache.flink.util.FlinkException: x" });
    const stats = parseCheckpointStats({
      counts: { completed: 5 },
      latest: {
        completed: { id: 6, is_savepoint: false, external_path: "file:/checkpoints_flink/f74e83d13e470a6a8a0c9dbb942c56f1/chk-6" },
        savepoint: {
          id: 7,
          is_savepoint: true,
          savepointFormat: "CANONICAL",
          checkpoint_type: "SYNC_SAVEPOINT",
          external_path: "file:/checkpoints_flink/savepoints/savepoint-f74e83-7a367984983e",
        },
        failed: null,
        restored: null,
      },
      history: [],
    });
    expect(stats.latestSavepoint).toEqual({ id: 7, externalPath: "file:/checkpoints_flink/savepoints/savepoint-f74e83-7a367984983e" });
    expect(stats.latestCompleted?.id).toBe(6);
  });

  it("picks the most recent flink-python jar", () => {
    const jars = [
      { id: "a_flink-python-9.9.9.jar", name: "flink-python-9.9.9.jar", uploaded: 1 },
      { id: "b_other.jar", name: "other.jar", uploaded: 9 },
      { id: "c_flink-python-9.9.9.jar", name: "flink-python-9.9.9.jar", uploaded: 5 },
    ];
    expect(findPythonJar(jars)?.id).toBe("c_flink-python-9.9.9.jar");
    expect(findPythonJar([jars[1]!])).toBeUndefined();
  });

  it("finds where the job's tasks run, busiest TaskManager first, in Flink 1.19+ answers (endpoint) and older ones (host)", () => {
    const vertex = (...managers: [string, number][]) => ({
      taskmanagers: managers.map(([endpoint, running]) => ({
        endpoint,
        "status-counts": { RUNNING: running, CREATED: 0 },
        "taskmanager-id": `${endpoint}-abc`,
      })),
    });
    expect(taskManagerHostsOf([vertex(["172.18.0.5:41234", 1]), vertex(["172.18.0.4:39999", 1], ["172.18.0.5:41234", 1])])).toEqual([
      "172.18.0.5",
      "172.18.0.4",
    ]);
    expect(taskManagerHostsOf([{ taskmanagers: [{ host: "tm-1:6121" }] }])).toEqual(["tm-1"]);
    expect(taskManagerHostsOf([{ errors: ["not found"] }, {}])).toEqual([]);
  });
});

describe("a JobManager's transient server errors", () => {
  // A real HTTP server that fails the first `failures` requests with Flink's 500 answer, then answers.
  const jobManager = async (failures: number) => {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      response.setHeader("content-type", "application/json");
      if (seen.length <= failures) {
        response.statusCode = 500;
        response.end(
          JSON.stringify({ errors: ["Internal server error.", "<Exception on server side: NullArgumentException: input array"] }),
        );
      } else response.end(JSON.stringify({ counts: { in_progress: 1 } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return { flink: new FlinkRest(url), seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  };

  it("asks a read again after a 5xx and gets the answer", async () => {
    const { flink, seen, close } = await jobManager(2);
    try {
      expect(await flink.checkpointInProgress("j1")).toBe(true);
      expect(seen).toEqual(["GET /jobs/j1/checkpoints", "GET /jobs/j1/checkpoints", "GET /jobs/j1/checkpoints"]);
    } finally {
      await close();
    }
  });

  it("gives up after three reads, and never repeats a write", async () => {
    const { flink, seen, close } = await jobManager(10);
    try {
      await expect(flink.checkpointInProgress("j1")).rejects.toBeInstanceOf(FlinkServerError);
      expect(seen).toHaveLength(3);
      await expect(flink.cancel("j1")).rejects.toThrow("PATCH");
      expect(seen.slice(3)).toEqual(["PATCH /jobs/j1?mode=cancel"]);
    } finally {
      await close();
    }
  });
});
