import { afterEach, describe, expect, it } from "vitest";
import { WaitTimeout } from "../wait";
import { findJob, waitRunning } from "./jobs";
import { FlinkRest, FlinkServerError, FlinkUnreachableError } from "./rest";
import { JobManagerStandIn } from "./restStandIn";

let standIn: JobManagerStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

/** A port nothing listens on: the stand-in's, after it closed. */
async function closedPort(): Promise<number> {
  const closed = await JobManagerStandIn.start();
  await closed.close();
  return closed.port;
}

describe("waiting on the JobManager through a moment without answers", () => {
  it("goes on while the JobManager answers 503, and sees the job RUNNING once it answers again", async () => {
    standIn = await JobManagerStandIn.start();
    const job = standIn.addJob({ name: "visit-windows" });
    standIn.answering = false;
    const flink = new FlinkRest(standIn.url);
    const lines: string[] = [];
    setTimeout(() => {
      standIn!.answering = true;
    }, 300);

    await waitRunning(flink, job.id, 10_000, (line) => lines.push(line));

    expect(standIn.requests(`/jobs/${job.id}`)).toBeGreaterThan(1);
  });

  it("times out naming the unreachable address as the last error, not at the first failed probe", async () => {
    const flink = new FlinkRest(`http://127.0.0.1:${await closedPort()}`);
    const started = Date.now();
    const waiting = waitRunning(flink, "0".repeat(32), 600, () => undefined);
    await expect(waiting).rejects.toBeInstanceOf(WaitTimeout);
    await expect(waiting).rejects.toThrow(
      /last seen: the probe failed: JobManager unreachable: GET http:\/\/127\.0\.0\.1:\d+\/jobs\/0+ failed/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it("marks no answer and 5xx answers as transient, and leaves 4xx answers final", async () => {
    expect(new FlinkUnreachableError("x").transient).toBe(true);
    expect(new FlinkServerError("x").transient).toBe(true);
    standIn = await JobManagerStandIn.start();
    const flink = new FlinkRest(standIn.url);
    await expect(findJob(flink, { jobName: "visit-windows" }, "f".repeat(32))).rejects.toThrow("answered 404");
  });

  it("finds the job after the JobManager failed a few reads", async () => {
    standIn = await JobManagerStandIn.start();
    const job = standIn.addJob({ name: "visit-windows" });
    standIn.answering = false;
    setTimeout(() => {
      standIn!.answering = true;
    }, 1_700);
    expect(await findJob(new FlinkRest(standIn.url), { jobName: "visit-windows" }, undefined)).toBe(job.id);
  });
});
