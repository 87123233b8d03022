import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobManagerStandIn } from "../lib/flink/restStandIn";
import { awaitRunningJob, jobNotRunningMessage, runningJobProblem } from "./jobCheck";

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

describe("jobNotRunningMessage", () => {
  it("says what was asked where, what was found and the next steps", () => {
    expect(jobNotRunningMessage("http://127.0.0.1:8081", 180, "no job named j is known to the JobManager", ["one", "two"])).toBe(
      "after the submission, no job named j is known to the JobManager (asked http://127.0.0.1:8081/jobs/overview for 180 s).\n" +
        "  - one\n  - two",
    );
  });
});

describe("awaitRunningJob", () => {
  let flink: JobManagerStandIn;
  beforeAll(async () => {
    flink = await JobManagerStandIn.start();
  });
  afterAll(() => flink.close());

  it("waits for a job that comes back (a JobManager recovering it) and then is satisfied", async () => {
    const job = flink.addJob({ name: "visit-windows", state: "RESTARTING" });
    setTimeout(() => {
      job.state = "RUNNING";
    }, 300);
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
