/**
 * The check that ends every `pulumi up`: after the submission, a job of the configured name must be RUNNING.
 * Without it an update could report success while no job runs (a submission Job that completed before the
 * JobManager rolled, a job that failed after it started).
 */

import { FlinkRest, type JobSummary } from "../lib/flink/rest";

/** Undefined when a job of that name is RUNNING; otherwise what was found instead. */
export function runningJobProblem(jobs: readonly Pick<JobSummary, "id" | "name" | "state">[], jobName: string): string | undefined {
  const named = jobs.filter((job) => job.name === jobName);
  if (named.some((job) => job.state === "RUNNING")) return undefined;
  return named.length === 0
    ? `no job named ${jobName} is known to the JobManager`
    : `the jobs named ${jobName} are ${named.map((job) => `${job.id} ${job.state}`).join(", ")}, none RUNNING`;
}

/** The failure message of the check: what was asked where, what was found, and what to do next. */
export function jobNotRunningMessage(restUrl: string, waitedSeconds: number, problem: string, nextSteps: readonly string[]): string {
  return (
    `after the submission, ${problem} (asked ${restUrl}/jobs/overview for ${waitedSeconds} s).\n` +
    nextSteps.map((step) => `  - ${step}`).join("\n")
  );
}

/**
 * Polls Flink's REST API until a job of that name is RUNNING (a job recovering after a JobManager restart takes a
 * while) or the time is up; resolves to undefined, or to what was found last.
 */
export async function awaitRunningJob(restUrl: string, jobName: string, timeoutMs: number, pollMs = 3000): Promise<string | undefined> {
  const flink = new FlinkRest(restUrl, 10_000);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let problem: string | undefined;
    try {
      problem = runningJobProblem(await flink.jobs(), jobName);
    } catch (error) {
      problem = `the JobManager did not answer as expected (${(error as Error).message})`;
    }
    if (problem === undefined || Date.now() + pollMs > deadline) return problem;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
