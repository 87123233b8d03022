import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobManagerStandIn } from "../lib/flink/restStandIn";
import {
  awaitRunningJob,
  exceptionSummary,
  type JobObservation,
  jobNotRunningMessage,
  judgeJobHealth,
  runningJobProblem,
} from "./jobCheck";

describe("runningJobProblem", () => {
  it("is satisfied by a RUNNING job of that name, even beside ended ones", () => {
    expect(
      runningJobProblem(
        [
          { id: "a", name: "visit-windows", state: "CANCELED" },
          { id: "b", name: "visit-windows", state: "RUNNING" },
        ],
        "visit-windows",
      ),
    ).toBeUndefined();
  });

  it("names what it found instead", () => {
    expect(runningJobProblem([], "visit-windows")).toBe("no job named visit-windows is known to the JobManager");
    expect(
      runningJobProblem(
        [
          { id: "a", name: "visit-windows", state: "RESTARTING" },
          { id: "b", name: "x", state: "RUNNING" },
        ],
        "visit-windows",
      ),
    ).toBe("the jobs named visit-windows are a RESTARTING, none RUNNING");
  });
});

describe("judgeJobHealth", () => {
  const look = (atS: number, state: string, restarts: number, completedCheckpoints: number): JobObservation => ({
    atMs: atS * 1000,
    state,
    allTasksRunning: state === "RUNNING",
    restarts,
    completedCheckpoints,
  });

  it("takes a job as running once a checkpoint completes while it runs, or after it ran SETTLE_MS without a restart", () => {
    expect(judgeJobHealth([look(0, "RUNNING", 0, 0), look(3, "RUNNING", 0, 1)])).toBe("running");
    expect(judgeJobHealth([look(0, "RUNNING", 0, 0), look(9, "RUNNING", 0, 0)])).toBe("undecided");
    expect(judgeJobHealth([look(0, "RUNNING", 0, 0), look(9, "RUNNING", 0, 0), look(15, "RUNNING", 0, 0)])).toBe("running");
    expect(judgeJobHealth([look(0, "INITIALIZING", 0, 0), look(3, "RUNNING", 0, 0)])).toBe("undecided");
  });

  it("takes a job that restarts again and again without a checkpoint as looping, whatever state it shows now", () => {
    const loop = [look(0, "RUNNING", 0, 0), look(3, "RESTARTING", 1, 0), look(6, "RUNNING", 2, 0), look(9, "RUNNING", 3, 0)];
    expect(judgeJobHealth(loop)).toBe("looping");
    // A restart that came back and then completed a checkpoint is a recovery, not a loop.
    expect(judgeJobHealth([look(0, "RUNNING", 0, 0), look(3, "RESTARTING", 1, 0), look(6, "RUNNING", 1, 1)])).toBe("running");
    // Running since the last restart only counts from then.
    expect(judgeJobHealth([look(0, "RUNNING", 0, 0), look(14, "RUNNING", 1, 0), look(16, "RUNNING", 1, 0)])).toBe("undecided");
  });
});

describe("exceptionSummary", () => {
  it("keeps the headline and the last causes of a stack trace", () => {
    const trace = [
      "org.apache.flink.runtime.JobException: Recovery is suppressed",
      "\tat org.apache.flink.Foo.bar(Foo.java:1)",
      "Caused by: java.lang.IllegalStateException: Failed to commit KafkaCommittable{producerId=20}",
      "\tat x",
      "Caused by: org.apache.kafka.common.errors.InvalidPidMappingException: The producer attempted to use a producer id which is not currently assigned",
    ].join("\n");
    expect(exceptionSummary(trace)).toBe(
      "org.apache.flink.runtime.JobException: Recovery is suppressed / Caused by: java.lang.IllegalStateException: Failed to commit KafkaCommittable{producerId=20} / Caused by: org.apache.kafka.common.errors.InvalidPidMappingException: The producer attempted to use a producer id which is not currently assigned",
    );
  });
});

describe("jobNotRunningMessage", () => {
  it("says what was asked where, what was found and the next steps", () => {
    expect(jobNotRunningMessage("http://127.0.0.1:8081", 180, "no job named j is known to the JobManager", ["one", "two"])).toBe(
      "after the submission, no job named j is known to the JobManager (asked http://127.0.0.1:8081 for 180 s).\n" + "  - one\n  - two",
    );
  });
});

describe("awaitRunningJob", () => {
  let flink: JobManagerStandIn;
  beforeAll(async () => {
    flink = await JobManagerStandIn.start();
  });
  afterAll(() => flink.close());

  it("fails a job that restores and fails in a loop, with Flink's exception", async () => {
    flink.jobs.clear();
    const job = flink.addJob({
      name: "visit-windows",
      rootException: "JobException: Recovery\nCaused by: InvalidPidMappingException: no such producer id",
    });
    const looping = setInterval(() => {
      job.restarts += 1;
      job.state = job.state === "RUNNING" ? "RESTARTING" : "RUNNING";
    }, 60);
    const problem = await awaitRunningJob(flink.url, "visit-windows", 5000, 50);
    clearInterval(looping);
    expect(problem).toMatch(
      new RegExp(
        `^job ${job.id} restores and fails in a loop \\(\\d+ restarts in \\d+ s, no checkpoint completed\\); Flink's last exception: JobException: Recovery / Caused by: InvalidPidMappingException: no such producer id\\.`,
      ),
    );
  });

  it("waits for a job that comes back (a JobManager recovering it) and then is satisfied", async () => {
    flink.jobs.clear();
    const job = flink.addJob({ name: "visit-windows", state: "RESTARTING" });
    setTimeout(() => {
      job.state = "RUNNING";
    }, 300);
    setTimeout(() => flink.checkpoint(job), 600);
    expect(await awaitRunningJob(flink.url, "visit-windows", 5000, 100)).toBeUndefined();
  });

  it("gives up after its time with what it found last", async () => {
    flink.jobs.clear();
    const failed = flink.addJob({ name: "visit-windows", state: "FAILED" });
    const started = Date.now();
    expect(await awaitRunningJob(flink.url, "visit-windows", 400, 100)).toBe(
      `the jobs named visit-windows are ${failed.id} FAILED, none RUNNING`,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("names a JobManager that does not answer", async () => {
    const problem = await awaitRunningJob("http://127.0.0.1:1", "visit-windows", 100, 50);
    expect(problem).toMatch(
      /^the JobManager did not answer as expected \(JobManager unreachable: GET http:\/\/127.0.0.1:1\/jobs\/overview failed/,
    );
  });
});
