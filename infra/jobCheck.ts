/**
 * The check that ends every `pulumi up`: after the submission, a job of the configured name must run — RUNNING with all
 * its tasks, and staying so. Without it an update could report success while no job runs (a submission that
 * completed before the JobManager rolled, a job that failed after it started), or while the job restores a checkpoint
 * and fails again in a loop (a checkpoint whose Kafka transactions the broker never had: RUNNING for moments at a time).
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

/** One look at the job: its state, whether all its tasks run, its restarts and completed checkpoints so far. */
export interface JobObservation {
  readonly atMs: number;
  readonly state: string;
  readonly allTasksRunning: boolean;
  readonly restarts: number;
  readonly completedCheckpoints: number;
}

/** Restarts without a completed checkpoint after which a job is judged to fail in a loop. */
export const LOOP_RESTARTS = 3;
/** How long a RUNNING job must go without a restart to count as running, when no checkpoint completed meanwhile. */
export const SETTLE_MS = 15_000;

export type JobHealth = "running" | "looping" | "undecided";

/**
 * Whether a job runs, fails in a loop, or cannot be told yet, from what was seen of it: it runs once a checkpoint
 * completed while it was RUNNING with every task, or it stayed so for SETTLE_MS without a restart; it loops when it
 * restarted LOOP_RESTARTS times without completing a checkpoint.
 */
export function judgeJobHealth(seen: readonly JobObservation[], settleMs = SETTLE_MS): JobHealth {
  const first = seen[0];
  const last = seen[seen.length - 1];
  if (!first || !last) return "undecided";
  if (last.restarts - first.restarts >= LOOP_RESTARTS && last.completedCheckpoints === first.completedCheckpoints) return "looping";
  if (!(last.state === "RUNNING" && last.allTasksRunning)) return "undecided";
  // A checkpoint completed since the latest restart (or the first look) proves the job runs.
  const sinceRestart = seen.find((o) => o.restarts === last.restarts)!;
  if (last.completedCheckpoints > sinceRestart.completedCheckpoints) return "running";
  // Otherwise the run of observations up to now in which the job ran with all tasks and did not restart.
  let since = seen.length - 1;
  while (since > 0) {
    const before = seen[since - 1]!;
    if (!(before.state === "RUNNING" && before.allTasksRunning) || before.restarts !== last.restarts) break;
    since--;
  }
  const running = seen[since]!;
  return last.atMs - running.atMs >= settleMs ? "running" : "undecided";
}

/** A Java stack trace cut to its headline and its last causes: what a person needs in one line. */
export function exceptionSummary(trace: string): string {
  const lines = trace.split("\n").map((line) => line.trim());
  const causes = lines.filter((line) => line.startsWith("Caused by:"));
  return [lines[0] ?? "", ...causes.slice(-2)].filter(Boolean).join(" / ");
}

/** The failure message of the check: what was asked where, what was found, and what to do next. */
export function jobNotRunningMessage(restUrl: string, waitedSeconds: number, problem: string, nextSteps: readonly string[]): string {
  return (
    `after the submission, ${problem} (asked ${restUrl} for ${waitedSeconds} s).\n` + nextSteps.map((step) => `  - ${step}`).join("\n")
  );
}

/**
 * Polls Flink's REST API until a job of that name runs (a job recovering after a JobManager restart takes a while),
 * is seen to fail in a loop, or the time is up; resolves to undefined, or to what was found last.
 */
export async function awaitRunningJob(restUrl: string, jobName: string, timeoutMs: number, pollMs = 3000): Promise<string | undefined> {
  const flink = new FlinkRest(restUrl, 10_000);
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, JobObservation[]>();
  for (;;) {
    let problem: string | undefined;
    try {
      const jobs = await flink.jobs();
      problem = runningJobProblem(jobs, jobName);
      const alive = jobs.filter((job) => job.name === jobName && ["RUNNING", "RESTARTING", "INITIALIZING", "CREATED"].includes(job.state));
      for (const summary of alive) {
        const job = await flink.job(summary.id);
        const observation: JobObservation = {
          atMs: Date.now(),
          state: job.state,
          allTasksRunning: job.vertexStates.length > 0 && job.vertexStates.every((s) => s === "RUNNING" || s === "FINISHED"),
          restarts: await flink.restarts(job.id),
          completedCheckpoints: (await flink.checkpoints(job.id)).completedCount,
        };
        const history = [...(seen.get(job.id) ?? []), observation];
        seen.set(job.id, history);
        const health = judgeJobHealth(history);
        if (health === "running") return undefined;
        if (health === "looping") {
          const exception = exceptionSummary(await flink.rootException(job.id).catch(() => ""));
          return (
            `job ${job.id} restores and fails in a loop (${observation.restarts - history[0]!.restarts} restarts in ${Math.round((observation.atMs - history[0]!.atMs) / 1000)} s, no checkpoint completed); ` +
            `Flink's last exception: ${exception || "none reported"}. A checkpoint whose Kafka transactions the broker does not know (one written against another broker, or older than its transactional.id.expiration.ms) cannot be restored by the exactly-once sink: restore from a savepoint taken with stop-with-savepoint, or start without restoreFrom`
          );
        }
        problem = `job ${job.id} is ${job.state}, not yet seen running for ${SETTLE_MS / 1000} s or through a completed checkpoint`;
      }
    } catch (error) {
      problem = `the JobManager did not answer as expected (${(error as Error).message})`;
    }
    if (Date.now() + pollMs > deadline) return problem;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
