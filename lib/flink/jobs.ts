import type { StackOutputs } from "../../infra/contract";
import { type Log, retryTransient, waitFor } from "../wait";
import type { FlinkRest, JobDetail } from "./rest";
// The job the stack runs, as its JobManager's REST API shows it: finding it by name, waiting for it to run, and
// why it failed.

/** A job that can no longer run, or runs no more. */
export class JobError extends Error {}

/** States of a job that holds, or will hold again, its sources and transactions. */
export const ALIVE_STATES = ["INITIALIZING", "CREATED", "RUNNING", "RESTARTING", "RECONCILING"];
/** States a job does not leave by itself. */
export const ENDED_STATES = ["FAILED", "CANCELED", "FINISHED", "SUSPENDED"];

/** How long findJob asks again while the JobManager is unreachable or answers 5xx (a restart, a leader election). */
export const FIND_JOB_RETRY_MS = 60_000;

export async function findJob(flink: FlinkRest, outputs: Pick<StackOutputs, "jobName">, jobId: string | undefined): Promise<string> {
  if (jobId) return (await retryTransient(`finding job ${jobId}`, FIND_JOB_RETRY_MS, () => flink.job(jobId))).id;
  const jobs = await retryTransient(`listing the jobs on ${flink.baseUrl}`, FIND_JOB_RETRY_MS, () => flink.jobs());
  const alive = jobs.filter((j) => j.name === outputs.jobName && ALIVE_STATES.includes(j.state));
  if (alive.length === 1) return alive[0]!.id;
  const shown = jobs.slice(0, 5).map((j) => `${j.name} ${j.id} ${j.state}`);
  const listing =
    jobs.length === 0 ? "none" : `${shown.join("; ")}${jobs.length > shown.length ? `; … ${jobs.length - shown.length} more` : ""}`;
  if (alive.length === 0) {
    throw new JobError(
      `no running job named "${outputs.jobName}" on ${flink.baseUrl} (jobs there: ${listing}). Next: the stack's job submission submits it during \`pulumi up\` (if that ran already, look at the submission's log and re-run it), or pass --job-id.`,
    );
  }
  throw new JobError(
    `${alive.length} jobs named "${outputs.jobName}" are alive on ${flink.baseUrl} (${listing}); pass --job-id to choose one.`,
  );
}

export async function failureOf(flink: FlinkRest, job: JobDetail): Promise<string> {
  const root = await flink.rootException(job.id).catch(() => "");
  return `job ${job.id} is ${job.state}${root ? `; Flink's root exception: ${root}` : ""}`;
}

/** Waits until the job and all its tasks run; ended states are errors naming Flink's root exception. */
export async function waitRunning(
  flink: FlinkRest,
  jobId: string,
  timeoutMs: number,
  log: Log,
  what = `job ${jobId} and all its tasks to be RUNNING`,
): Promise<void> {
  await waitFor(
    what,
    timeoutMs,
    async () => {
      const job = await flink.job(jobId);
      if (ENDED_STATES.includes(job.state)) throw new JobError(`the recovered ${await failureOf(flink, job)}`);
      const running =
        job.state === "RUNNING" && job.vertexStates.length > 0 && job.vertexStates.every((s) => s === "RUNNING" || s === "FINISHED");
      return running
        ? { done: true, value: job }
        : { done: false, status: `job ${job.state}, tasks ${job.vertexStates.join(",") || "not deployed"}` };
    },
    log,
    { pollMs: 250 },
  );
}
