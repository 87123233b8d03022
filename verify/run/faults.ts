// The faults, as data: each contributes its injection and its recovery to the shared sequence of cycle.ts.
// What each shows is in the README ("Faults").

import { programArguments } from "../../jobs/flink/settings";
import type { CheckpointRef } from "../../lib/checkpoints/paths";
import { normalizeCheckpointPath } from "../../lib/checkpoints/paths";
import { listMetadata } from "../../lib/checkpoints/volume";
import { ENDED_STATES, findJob } from "../../lib/flink/jobs";
import type { FlinkRest, JobDetail } from "../../lib/flink/rest";
import { pickTaskManager } from "../../lib/stack";
import { pause, seconds, sleep, waitFor } from "../../lib/wait";
import { CycleError, type Fault, type FaultContext } from "./cycle";

export const FAULT_NAMES = [
  "cancel-restore",
  "cancel-restore-latest",
  "taskmanager-crash",
  "jobmanager-crash",
  "broker-restart",
  "crash-during-checkpoint",
  "rescale-down",
  "rescale-up",
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** `<checkpointDir>/<jobId>/chk-<id>` as a path inside the containers, for a directory that must not be restored. */
export function incompleteCheckpointPath(checkpointDir: string, jobId: string, id: number): string {
  return `${normalizeCheckpointPath(checkpointDir)}/${jobId}/chk-${id}`;
}

async function latestCompleted(flink: FlinkRest, jobId: string): Promise<CheckpointRef> {
  const latest = (await flink.checkpoints(jobId)).latestCompleted;
  if (!latest) throw new CycleError(`job ${jobId} reports no completed checkpoint (GET ${flink.baseUrl}/jobs/${jobId}/checkpoints)`);
  return { id: latest.id, path: latest.externalPath };
}

/**
 * When the failure shows, or null while it does not: the job has left RUNNING (or the JobManager does not answer), or
 * it restored a checkpoint after the fault. The REST answers are cached for a few seconds, and with a standby
 * TaskManager Flink can restart the job in less, so the restore may be all that shows; its time bounds the detection.
 */
export function failureSeenAt(
  job: Pick<JobDetail, "state" | "vertexStates"> | null,
  restoredAtMs: number | null,
  faultAtMs: number,
  nowMs: number,
): number | null {
  if (job === null || job.state !== "RUNNING" || job.vertexStates.some((s) => s !== "RUNNING" && s !== "FINISHED")) return nowMs;
  if (restoredAtMs !== null && restoredAtMs >= faultAtMs) return Math.min(restoredAtMs, nowMs);
  return null;
}

/** Polls until the failure shows (failureSeenAt); records when. */
async function detectFailure(ctx: FaultContext, what: string): Promise<void> {
  const seenAt = await waitFor(
    what,
    ctx.options.restoreTimeoutMs,
    async () => {
      const job = await ctx.flink.job(ctx.jobId).catch(() => null);
      const restoredAtMs = job ? ((await ctx.flink.checkpoints(ctx.jobId).catch(() => null))?.restored?.restoredAtMs ?? null) : null;
      const seen = failureSeenAt(job, restoredAtMs, ctx.faultAtMs, Date.now());
      return seen !== null ? { done: true, value: seen } : { done: false, status: `job ${job?.state}` };
    },
    ctx.log,
    { pollMs: 100 },
  );
  ctx.evidence.timings.faultToDetected = seenAt - ctx.faultAtMs;
  ctx.log(`      detected ${seconds(ctx.evidence.timings.faultToDetected)} after the fault`);
}

/** Resubmits the job through the uploaded flink-python jar, from `savepointPath` (null: without state). */
async function resubmit(
  ctx: FaultContext,
  savepointPath: string | null,
  parallelism: number,
): Promise<{ jobId: string; recoveryStartMs: number }> {
  const { flink, outputs, evidence, log } = ctx;
  evidence.savepointPath = savepointPath;
  evidence.parallelismAfterRecovery = parallelism;
  log(
    savepointPath
      ? `      resubmitting through the flink-python jar at parallelism ${parallelism}, restoring from ${savepointPath}`
      : `      resubmitting through the flink-python jar WITHOUT the checkpoint (--restore-from-earliest: the deliberately broken case, which must fail)`,
  );
  const recoveryStartMs = Date.now();
  try {
    const jobId = await flink.runPythonJob({
      entryClass: outputs.jobSubmission.entryClass,
      programArgsList: programArguments({ ...outputs.jobSubmission.settings, parallelism }),
      parallelism,
      ...(savepointPath ? { savepointPath } : {}),
    });
    log(`      new job ${jobId}`);
    return { jobId, recoveryStartMs };
  } catch (error) {
    throw new CycleError(
      `Flink refused the resubmission${savepointPath ? ` from ${savepointPath}` : ""}: ${(error as Error).message}\nNext: read Flink's text above; a state that does not map means the job's operator uids changed, a missing path means the checkpoint volume lost it.`,
    );
  }
}

/** The retained checkpoint shown on the volume: in the REST history of its job and its `_metadata` listed. */
async function showRetained(ctx: FaultContext, checkpoint: CheckpointRef, inRestHistory: boolean, historyLost?: string): Promise<void> {
  const volume = await listMetadata(ctx.target, ctx.outputs.checkpointVolume.mountPath, checkpoint.path);
  ctx.evidence.retained = {
    inRestHistory,
    ...(historyLost ? { historyLost } : {}),
    metadataListing: volume.listing,
    ...(volume.problem ? { metadataProblem: volume.problem } : {}),
  };
  ctx.log(`      ${volume.command}: ${volume.listing ?? volume.problem}`);
}

/** The stack's recovery command (submit.py --restore-from latest) run beside the JobManager; the job it submitted. */
async function runRecoveryCommand(ctx: FaultContext): Promise<{ jobId: string; recoveryStartMs: number }> {
  const { flink, outputs, options, log, evidence } = ctx;
  const recoveryStartMs = Date.now();
  log(`      running the stack's recovery command beside the JobManager: ${outputs.recoverCommand.join(" ")}`);
  const ran = await ctx.target.runInJobManager(outputs.recoverCommand, options.restoreTimeoutMs);
  if (ran.output === null) throw new CycleError(`the stack's recovery command failed: ${ran.problem}`);
  for (const line of ran.output
    .split("\n")
    .filter((l) => /restor|checkpoint|skip/i.test(l))
    .slice(0, 6))
    log(`      | ${line}`);
  evidence.savepointPath = evidence.expectedRestore!.path;
  return { jobId: await findJob(flink, outputs, undefined), recoveryStartMs };
}

/**
 * Cancel, let a backlog build, resubmit from the retained checkpoint: through REST with its path (at `parallelism`,
 * default the stack's), or with the stack's recovery command, which has to find that checkpoint on the volume itself.
 */
function cancelAndRestore(
  name: FaultName,
  resubmitBy: "rest" | "recovery-command",
  parallelism: ((ctx: FaultContext) => number) | undefined,
  recovers: string,
): Fault {
  return {
    name,
    injects: "cancel the job through REST (PATCH /jobs/:id?mode=cancel); its checkpoints are retained",
    recovers,
    async inject(ctx) {
      const { flink, jobId, options, evidence, log } = ctx;
      await flink.cancel(jobId);
      await waitFor(
        `job ${jobId} to be CANCELED`,
        options.cancelTimeoutMs,
        async () => {
          const job = await flink.job(jobId);
          if (job.state === "CANCELED") return { done: true, value: job };
          if (ENDED_STATES.includes(job.state)) throw new CycleError(`cancelling ${jobId}: job is ${job.state}`);
          return { done: false, status: job.state };
        },
        log,
        { pollMs: 250 },
      );
      evidence.timings.faultToDetected = Date.now() - ctx.faultAtMs;
      const afterCancel = await flink.checkpoints(jobId);
      const latest = await latestCompleted(flink, jobId);
      evidence.expectedRestore = latest;
      if (latest.id !== evidence.checkpointBeforeFault?.id) {
        evidence.notes.push(
          `checkpoint ${latest.id} completed between the record (${evidence.checkpointBeforeFault?.id}) and the cancel; the restore uses ${latest.id}, the latest retained one`,
        );
      }
      log(`      CANCELED after ${evidence.timings.faultToDetected} ms; retained checkpoint ${latest.id} at ${latest.path}`);
      await showRetained(
        ctx,
        latest,
        afterCancel.history.some((h) => h.id === latest.id && h.status === "COMPLETED"),
      );
    },
    async recover(ctx) {
      await pause("letting the generator write while no job runs", ctx.options.backlogMs, ctx.log);
      const target = parallelism ? parallelism(ctx) : ctx.outputs.jobSubmission.settings.parallelism;
      if (ctx.options.restoreFromEarliest) return resubmit(ctx, null, target);
      return resubmitBy === "rest" ? resubmit(ctx, ctx.evidence.expectedRestore!.path, target) : runRecoveryCommand(ctx);
    },
  };
}

/** When the fault's failure was seen (the fault itself when it was not seen): where a recovery by Flink starts. */
const detectedAt = (ctx: FaultContext): number => ctx.faultAtMs + (ctx.evidence.timings.faultToDetected ?? 0);

/** Flink restores the same job by itself from its latest completed checkpoint once it noticed the failure. */
async function flinkRestartsItself(ctx: FaultContext): Promise<{ jobId: string; recoveryStartMs: number }> {
  return { jobId: ctx.jobId, recoveryStartMs: detectedAt(ctx) };
}

/** After the JobManager lost its jobs: wait for it and a TaskManager, then run the stack's recovery command beside it. */
async function resubmitLatestFromVolume(ctx: FaultContext): Promise<{ jobId: string; recoveryStartMs: number }> {
  const { flink, outputs, options, log, evidence } = ctx;
  await waitFor(
    `the JobManager at ${flink.baseUrl} to answer again with ${outputs.jobSubmission.settings.parallelism} free slots`,
    options.restoreTimeoutMs,
    async () => {
      const overview = await flink.overview().catch(() => null);
      return overview && overview.slotsTotal >= outputs.jobSubmission.settings.parallelism
        ? { done: true, value: overview }
        : { done: false, status: overview ? `${overview.slotsTotal} slots` : "not answering" };
    },
    log,
    { pollMs: 250 },
  );
  // The checkpoint in flight at the kill may have completed in the moment before it: Flink writes `_metadata` last,
  // so if the next one's is on the volume, that one is the newest complete checkpoint the restore must take.
  const next: CheckpointRef = {
    id: evidence.expectedRestore!.id + 1,
    path: evidence.expectedRestore!.path.replace(/chk-\d+\/?$/, `chk-${evidence.expectedRestore!.id + 1}`),
  };
  const completedAsItDied = (await listMetadata(ctx.target, outputs.checkpointVolume.mountPath, next.path)).listing !== null;
  if (completedAsItDied) {
    evidence.notes.push(
      `checkpoint ${next.id} completed just before the JobManager died (its _metadata is on the volume): it is the newest complete one`,
    );
    evidence.expectedRestore = next;
  }
  const expected = evidence.expectedRestore!;
  // The history was read before the crash; a checkpoint that completed as the JobManager died never reached it.
  await showRetained(ctx, expected, !completedAsItDied, completedAsItDied ? "it completed as its JobManager died" : undefined);
  // With high availability (kind) the restarted JobManager recovers the job by itself.
  const back = (await flink.jobs()).find((j) => j.name === outputs.jobName && !ENDED_STATES.includes(j.state));
  if (back) {
    log(`      the JobManager recovered job ${back.id} by itself (high availability)`);
    return { jobId: back.id, recoveryStartMs: detectedAt(ctx) };
  }
  log(`      no job "${outputs.jobName}" after the restart`);
  return runRecoveryCommand(ctx);
}

/** How long a TaskManager may stay frozen: below the stack's heartbeat timeout, or Flink would count it as lost. */
const HELD_CHECKPOINT_TIMEOUT_MS = 6_000;

/**
 * Runs `act` while a checkpoint of the job is in progress. One completes here in tens of milliseconds, less than the
 * REST statistics' cache, so polling for one in progress would rarely see it; a frozen TaskManager (SIGSTOP)
 * acknowledges nothing, so the checkpoint triggered meanwhile stays open until it goes on (SIGCONT), whatever `act` does.
 */
async function withCheckpointHeldOpen(ctx: FaultContext, act: () => Promise<void>): Promise<void> {
  const { flink, jobId, evidence, log } = ctx;
  const taskManager = pickTaskManager(await ctx.target.taskManagers(), await flink.jobTaskManagerHosts(jobId));
  log(`      ${await ctx.target.freeze(taskManager, true)}: ${taskManager} frozen`);
  try {
    await flink.triggerCheckpoint(jobId);
    await waitFor(
      `a checkpoint of job ${jobId} in progress`,
      HELD_CHECKPOINT_TIMEOUT_MS,
      async () => ((await flink.checkpointInProgress(jobId)) ? { done: true, value: true } : { done: false, status: "none in progress" }),
      log,
      { pollMs: 100 },
    );
    evidence.notes.push(`a checkpoint of job ${jobId} was in progress at the kill, held open by the frozen ${taskManager}`);
    await act();
  } finally {
    log(`      ${await ctx.target.freeze(taskManager, false)}: ${taskManager} goes on`);
  }
}

function jobManagerCrash(name: FaultName, duringCheckpoint: boolean): Fault {
  return {
    name,
    injects: duringCheckpoint
      ? "put an incomplete chk-N (no _metadata) beside the job's checkpoints, freeze a TaskManager of the job (SIGSTOP) and trigger a checkpoint, which then stays in progress, SIGKILL the JobManager's JVM, let the TaskManager go on (SIGCONT)"
      : "SIGKILL the JobManager's JVM; the session cluster loses the job (no HA on docker)",
    recovers:
      "the stack's recovery command resubmits from the newest complete retained checkpoint on the volume (with HA, Flink recovers the job itself)",
    async inject(ctx) {
      const { flink, jobId, outputs, evidence, log } = ctx;
      const killJobManager = async () => {
        evidence.expectedRestore = await latestCompleted(flink, jobId);
        ctx.faultAtMs = Date.now();
        log(`      ${await ctx.target.crash("jobmanager")}; latest completed checkpoint ${evidence.expectedRestore.id}`);
      };
      if (duringCheckpoint) {
        const before = await latestCompleted(flink, jobId);
        const planted = incompleteCheckpointPath(outputs.checkpointDir, jobId, before.id + 1000);
        const made = await ctx.target.runInJobManager(["sh", "-c", `mkdir -p '${planted}' && : > '${planted}/partial-state'`]);
        if (made.output === null) throw new CycleError(`could not put an incomplete checkpoint on the volume: ${made.problem}`);
        evidence.notes.push(`planted ${planted} without _metadata: the recovery must skip it`);
        log(`      planted the incomplete ${planted}`);
        await withCheckpointHeldOpen(ctx, killJobManager);
      } else {
        await killJobManager();
      }
      await detectFailure(ctx, `the JobManager to lose job ${jobId}`);
    },
    recover: resubmitLatestFromVolume,
  };
}

export const FAULTS: Readonly<Record<FaultName, Fault>> = {
  "cancel-restore": cancelAndRestore(
    "cancel-restore",
    "rest",
    undefined,
    "resubmit through REST with savepointPath = the retained checkpoint",
  ),
  "cancel-restore-latest": cancelAndRestore(
    "cancel-restore-latest",
    "recovery-command",
    undefined,
    "the stack's recovery command (submit.py --restore-from latest, as restoreFrom: latest does) finds the newest complete retained checkpoint on the volume and resubmits from it",
  ),
  "taskmanager-crash": {
    name: "taskmanager-crash",
    injects:
      "SIGKILL the JVM of a TaskManager running the job's tasks (Docker restarts the container; on kind the pod is deleted with no grace period)",
    recovers:
      "Flink notices the lost TaskManager and restores the same job from its latest completed checkpoint by itself, on a standby TaskManager's free slots when there is one",
    async inject(ctx) {
      const hosts = await ctx.flink.jobTaskManagerHosts(ctx.jobId);
      const taskManager = pickTaskManager(await ctx.target.taskManagers(), hosts);
      ctx.log(`      the job's tasks run on ${hosts.join(", ")}: crashing ${taskManager}`);
      ctx.log(`      ${await ctx.target.crash("taskmanager", taskManager)}`);
      await detectFailure(ctx, `Flink to notice the lost TaskManager of job ${ctx.jobId}`);
      ctx.evidence.expectedRestore = await latestCompleted(ctx.flink, ctx.jobId);
    },
    recover: flinkRestartsItself,
  },
  "jobmanager-crash": jobManagerCrash("jobmanager-crash", false),
  "broker-restart": {
    name: "broker-restart",
    injects: "restart the Kafka broker (a clean shutdown, then the same data) while the job runs",
    recovers: "the job rides it out, or Flink restarts it from its latest completed checkpoint",
    async inject(ctx) {
      const { flink, jobId, evidence, log, outputs } = ctx;
      let sawFailure: number | undefined;
      let restarting = true;
      const watch = (async () => {
        while (restarting) {
          const job = await flink.job(jobId).catch(() => null);
          if (sawFailure === undefined && job && job.state !== "RUNNING") sawFailure = Date.now();
          await sleep(100);
        }
      })();
      try {
        log(`      ${await ctx.target.restartBroker()}`);
      } finally {
        restarting = false;
        await watch;
      }
      // The broker answers again once its group coordinator and transaction state are loaded.
      await waitFor(
        `the broker at ${outputs.kafkaBootstrap} to serve group ${outputs.groupId} again`,
        ctx.options.restoreTimeoutMs,
        async () => {
          const answer = await ctx.kafka.committedOffsets(outputs.groupId, outputs.visitsTopic).then(
            () => "",
            (error: Error) => error.message,
          );
          return answer === "" ? { done: true, value: true } : { done: false, status: answer };
        },
        log,
        { pollMs: 500 },
      );
      // Any restart restores the latest completed checkpoint at that moment: at or after the one recorded before.
      evidence.expectedRestore = null;
      if (sawFailure !== undefined) {
        evidence.timings.faultToDetected = sawFailure - ctx.faultAtMs;
      }
    },
    recover: flinkRestartsItself,
  },
  "crash-during-checkpoint": jobManagerCrash("crash-during-checkpoint", true),
  "rescale-down": cancelAndRestore(
    "rescale-down",
    "rest",
    (ctx) => Math.max(1, ctx.outputs.jobSubmission.settings.parallelism - 1),
    "resubmit from the retained checkpoint at one less parallelism: the keyed window state is redistributed",
  ),
  "rescale-up": cancelAndRestore(
    "rescale-up",
    "rest",
    (ctx) => ctx.outputs.jobSubmission.settings.parallelism,
    "resubmit from the retained checkpoint at the stack's parallelism again",
  ),
};

/** Parses a comma-separated list of fault names, naming the unknown ones and what is allowed. */
export function parseFaultList(text: string): FaultName[] {
  const names = text
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(FAULT_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `unknown fault${unknown.length === 1 ? "" : "s"} ${unknown.map((n) => `"${n}"`).join(", ") || "(none given)"}; allowed: ${FAULT_NAMES.join(", ")}`,
    );
  }
  return names as FaultName[];
}
