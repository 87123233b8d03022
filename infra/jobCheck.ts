/**
 * The check that ends every `pulumi up`: after the submission, a job of the configured name must be RUNNING.
 * Without it an update could report success while no job runs (a submission Job that completed before the
 * JobManager rolled, a job that failed after it started).
 */

/** The part of Flink's `GET /jobs/overview` answer the check reads. */
export interface JobsOverview {
  readonly jobs?: readonly { readonly jid?: string; readonly name?: string; readonly state?: string }[];
}

/** Undefined when a job of that name is RUNNING; otherwise what was found instead. */
export function runningJobProblem(overview: JobsOverview, jobName: string): string | undefined {
  const named = (overview.jobs ?? []).filter((job) => job.name === jobName);
  if (named.some((job) => job.state === "RUNNING")) return undefined;
  return named.length === 0
    ? `no job named ${jobName} is known to the JobManager`
    : `the jobs named ${jobName} are ${named.map((job) => `${job.jid} ${job.state}`).join(", ")}, none RUNNING`;
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
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let problem: string | undefined;
    try {
      const response = await fetch(`${restUrl}/jobs/overview`, { signal: AbortSignal.timeout(10_000) });
      problem = response.ok
        ? runningJobProblem((await response.json()) as JobsOverview, jobName)
        : `the JobManager answered HTTP ${response.status}`;
    } catch (error) {
      problem = `the JobManager did not answer (${(error as Error).message})`;
    }
    if (problem === undefined || Date.now() + pollMs > deadline) return problem;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
