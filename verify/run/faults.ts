// The faults, as data: each contributes its injection and its recovery to the shared sequence of cycle.ts.
// What each shows is in the README ("Faults").

import { programArguments } from "../../jobs/flink/settings";
import type { CheckpointRef } from "../../lib/checkpoints/paths";
import { normalizeCheckpointPath } from "../../lib/checkpoints/paths";
import { listMetadata } from "../../lib/checkpoints/volume";
import { ENDED_STATES, findJob } from "../../lib/flink/jobs";
import type { FlinkRest, JobDetail } from "../../lib/flink/rest";
import { pickTaskManager } from "../../lib/stack";
import type { StackControl } from "../../lib/stack/lifecycle";
import { parseStackOutputs } from "../../lib/stack/outputs";
import { FLINK_LINES } from "../../lib/versions";
import { pause, seconds, sleep, waitFor } from "../../lib/wait";
import { CycleError, type Fault, type FaultContext, type Recovered, type RepairContext } from "./cycle";
import { planNodeLoss, rejoinLostNode } from "./nodeLoss";

export const FAULT_NAMES = [
  "cancel-restore",
  "cancel-restore-latest",
  "taskmanager-crash",
  "jobmanager-crash",
  "broker-restart",
  "crash-during-checkpoint",
  "rescale-down",
  "rescale-up",
  "upgrade-line",
  "upgrade-line-checkpoint",
  "node-loss",
  "object-store-outage",
  "object-store-outage-taskmanager-crash",
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];
/** The faults that change the stack itself (its Flink line): never part of `--faults all`, and best run last. */
export const STACK_CHANGING_FAULTS: readonly FaultName[] = ["upgrade-line", "upgrade-line-checkpoint"];
/** `--faults all`: every fault that leaves the stack as it found it. */
export const ALL_FAULTS: readonly FaultName[] = FAULT_NAMES.filter((name) => !STACK_CHANGING_FAULTS.includes(name));

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

/** The retained checkpoint shown where it lives (volume or bucket): in the REST history of its job and its `_metadata` listed. */
async function showRetained(ctx: FaultContext, checkpoint: CheckpointRef, inRestHistory: boolean, historyLost?: string): Promise<void> {
  const volume = await listMetadata(ctx.target, ctx.outputs.checkpointStorage, checkpoint.path);
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

/** Cancels the job through REST and waits for CANCELED; the latest retained checkpoint is the one to restore. */
async function cancelRetaining(ctx: FaultContext): Promise<void> {
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
    inject: cancelRetaining,
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
  const completedAsItDied = (await listMetadata(ctx.target, outputs.checkpointStorage, next.path)).listing !== null;
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

/** The Flink line after `line` among `lines` (versions.json's), by version; undefined for the newest. */
export function nextFlinkLine(line: string, lines: readonly string[] = Object.keys(FLINK_LINES)): string | undefined {
  const parts = (l: string) => l.split(".").map(Number);
  const newer = (a: string, b: string) => {
    const [x, y] = [parts(a), parts(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
    return false;
  };
  return lines.filter((l) => newer(l, line)).sort((a, b) => (newer(a, b) ? 1 : -1))[0];
}

/** A checkpoint or savepoint as the stack's restoreFrom takes it: a file:/// URI of its folder. */
export function restoreFromUri(path: string): string {
  return `file://${normalizeCheckpointPath(path)}`;
}

/** The stack to change and the line to upgrade it to; checked before the fault touches the job. */
function upgradeTarget(ctx: FaultContext): { stack: StackControl; to: string } {
  if (ctx.stack === null)
    throw new CycleError(
      "upgrade-line changes the stack's config and brings it up with the Automation API: give the stack's name (--stack), not an outputs file",
    );
  const to = nextFlinkLine(ctx.outputs.flinkLine);
  if (to === undefined)
    throw new CycleError(
      `the stack runs Flink ${ctx.outputs.flinkLine}, the newest line of versions.json (${Object.keys(FLINK_LINES).join(", ")}): there is no line to upgrade it to; run upgrade-line on a stack of an older line (flinkVersion)`,
    );
  return { stack: ctx.stack, to };
}

/** Stops the job with a savepoint and waits for it; that savepoint is the one to restore. */
async function stopWithSavepoint(ctx: FaultContext): Promise<void> {
  const { flink, jobId, options, evidence, log } = ctx;
  const trigger = await flink.stopWithSavepoint(jobId);
  const location = await waitFor(
    `job ${jobId}'s savepoint (stop-with-savepoint ${trigger})`,
    options.cancelTimeoutMs,
    async () => {
      const status = await flink.savepointTrigger(jobId, trigger);
      if (!status.done) return { done: false, status: "being taken" };
      if ("failure" in status) throw new CycleError(`the stop-with-savepoint of job ${jobId} failed: ${status.failure}`);
      return { done: true, value: status.location };
    },
    log,
    { pollMs: 250 },
  );
  await waitFor(
    `job ${jobId} to be FINISHED`,
    options.cancelTimeoutMs,
    async () => {
      const job = await flink.job(jobId);
      return job.state === "FINISHED" ? { done: true, value: job } : { done: false, status: job.state };
    },
    log,
    { pollMs: 250 },
  );
  evidence.timings.faultToDetected = Date.now() - ctx.faultAtMs;
  const stats = await flink.checkpoints(jobId);
  const savepoint = stats.latestSavepoint;
  if (!savepoint || normalizeCheckpointPath(savepoint.externalPath) !== normalizeCheckpointPath(location))
    throw new CycleError(
      `job ${jobId}'s checkpoint statistics do not show its savepoint ${location} (latest savepoint: ${savepoint ? `${savepoint.id} at ${savepoint.externalPath}` : "none"})`,
    );
  evidence.expectedRestore = { id: savepoint.id, path: savepoint.externalPath };
  log(`      FINISHED after ${evidence.timings.faultToDetected} ms with savepoint ${savepoint.id} at ${savepoint.externalPath}`);
  await showRetained(
    ctx,
    evidence.expectedRestore,
    stats.history.some((h) => h.id === savepoint.id && h.status === "COMPLETED"),
  );
}

/**
 * The upgrade to the next Flink line, as a user makes it: the job's state kept in a savepoint (stop-with-savepoint)
 * or a retained checkpoint (cancel), then `flinkVersion` and `restoreFrom` changed in the stack's config and `pulumi up`
 * (the Automation API), whose submission restores the state on the new line's cluster. Afterwards the config says
 * the new line (which the stack runs) and restoreFrom is as the run found it; a failed `pulumi up` puts both back.
 */
function upgradeLine(name: FaultName, through: "savepoint" | "checkpoint"): Fault {
  return {
    name,
    injects:
      through === "savepoint"
        ? "stop the job with a savepoint (POST /jobs/:id/stop, not drained), as before an upgrade"
        : "cancel the job through REST (PATCH /jobs/:id?mode=cancel); its checkpoints are retained",
    recovers: `set the stack's flinkVersion to the next Flink line and restoreFrom to that ${through} (Pulumi Automation API) and run pulumi up: the new line's cluster restores it; restoreFrom is then set back as found`,
    async inject(ctx) {
      upgradeTarget(ctx);
      await (through === "savepoint" ? stopWithSavepoint(ctx) : cancelRetaining(ctx));
    },
    async recover(ctx): Promise<Recovered> {
      const { stack, to } = upgradeTarget(ctx);
      const { log, evidence } = ctx;
      await pause("letting the generator write while no job runs", ctx.options.backlogMs, ctx.log);
      const found = await stack.config();
      const restoreFrom = restoreFromUri(evidence.expectedRestore!.path);
      evidence.savepointPath = restoreFrom;
      evidence.parallelismAfterRecovery = ctx.outputs.jobSubmission.settings.parallelism;
      log(`      stack ${stack.name}: flinkVersion ${ctx.outputs.flinkLine} → ${to}, restoreFrom ${restoreFrom}; pulumi up`);
      const recoveryStartMs = Date.now();
      await stack.setConfig({ flinkVersion: to, restoreFrom });
      let raw: Record<string, unknown>;
      try {
        raw = await stack.up(log);
      } catch (error) {
        await stack.setConfig({ flinkVersion: found.flinkVersion, restoreFrom: found.restoreFrom });
        throw new CycleError(
          `pulumi up of stack ${stack.name} on Flink ${to}, restoring ${restoreFrom}, failed (its config is back as found: flinkVersion ${found.flinkVersion ?? "unset"}, restoreFrom ${found.restoreFrom ?? "unset"}): ${(error as Error).message}`,
        );
      }
      await stack.setConfig({ restoreFrom: found.restoreFrom });
      const upMs = Date.now() - recoveryStartMs;
      const outputs = parseStackOutputs(raw, {}, `stack "${stack.name}"`);
      evidence.notes.push(
        `upgraded from Flink ${ctx.outputs.flinkLine} to ${outputs.flinkLine} with pulumi up (${seconds(upMs)}), restoring the ${through} ${evidence.expectedRestore!.id}; the stack's config now says flinkVersion ${to}, restoreFrom is back to ${found.restoreFrom ?? "unset"}`,
      );
      log(`      pulumi up done in ${seconds(upMs)}: the stack runs Flink ${outputs.flinkLine}`);
      return { jobId: await findJob(ctx.flink, outputs, undefined), recoveryStartMs, outputs };
    },
  };
}

/** Stops the node of the job's active TaskManager, where the target has nodes and the checkpoints are off them. */
async function stopTaskManagersNode(ctx: FaultContext): Promise<void> {
  const { flink, jobId, target, outputs, evidence, log } = ctx;
  const nodes = target.nodes;
  if (!nodes) {
    throw new CycleError(
      `node-loss needs a target of several nodes: the kind target on a cluster of a control-plane and workers (infra/kubernetes/kind-cluster.yaml); the ${target.name} target runs on one machine`,
    );
  }
  if (outputs.checkpointStorage.kind === "volume") {
    throw new CycleError(
      `node-loss needs the checkpoints off the nodes, but they are at ${outputs.checkpointDir}, on the one node that holds the ReadWriteOnce volume: ` +
        "losing it would stop Flink until it came back. Run it on a stack with checkpointStorage s3",
    );
  }
  const hosts = await flink.jobTaskManagerHosts(jobId);
  const taskManager = pickTaskManager(await target.taskManagers(), hosts);
  const [pods, nodeStates] = await Promise.all([nodes.pods(), nodes.list()]);
  const plan = planNodeLoss(taskManager, pods, nodeStates);
  if (!plan.ok) throw new CycleError(`node-loss cannot run here: ${plan.problem}`);
  const role = pods.find((p) => p.name === taskManager)!.role;
  const placementBefore = await nodes.podsWide();
  log(
    `      the job's tasks run on ${hosts.join(", ")}: ${taskManager} on ${plan.node}; standby on other nodes: ${plan.standbys.join(", ") || "none"}`,
  );
  if (plan.standbys.length === 0)
    evidence.notes.push(
      `no standby TaskManager ran on another node than ${plan.node}: the job waited for Kubernetes to replace ${taskManager}`,
    );
  ctx.faultAtMs = Date.now();
  evidence.nodeLoss = {
    node: plan.node,
    taskManager,
    taskManagerRole: role,
    podsBefore: pods.filter((p) => p.role === role && !p.terminating).map((p) => p.name),
    standbys: [...plan.standbys],
    stoppedAtMs: ctx.faultAtMs,
    placement: { before: placementBefore },
    timings: {},
    rejoinProblems: [],
  };
  log(`      ${await nodes.stop(plan.node)}`);
  await detectFailure(ctx, `Flink to notice the lost TaskManager ${taskManager} of job ${jobId}`);
  evidence.expectedRestore = await latestCompleted(flink, jobId);
}

/** After node-loss: the node started again and rejoined, and what Kubernetes did meanwhile recorded. */
async function rejoinNode(rc: RepairContext): Promise<void> {
  const loss = rc.evidence.nodeLoss;
  const nodes = rc.target.nodes;
  if (!loss || !nodes) return;
  const jobId = rc.evidence.recoveredJobId ?? rc.evidence.jobIdAtFault!;
  await rejoinLostNode(loss, {
    nodes,
    taskManagers: () => rc.target.taskManagers(),
    jobHosts: () => rc.flink.jobTaskManagerHosts(jobId),
    log: rc.log,
    timeoutMs: rc.options.restoreTimeoutMs,
  });
}

/**
 * How long the object-store faults keep the store away: longer than a checkpoint interval and than the checkpoint
 * timeout (so the checkpoint in flight fails rather than just taking longer), with a margin of one interval.
 */
export function outageMs(checkpointIntervalMs: number, checkpointTimeoutMs: number): number {
  return Math.max(2 * checkpointIntervalMs, checkpointTimeoutMs + checkpointIntervalMs) + 5_000;
}

/** The stack's checkpoint counts now (completed, failed), or null while the JobManager does not answer. */
async function checkpointCounts(ctx: FaultContext): Promise<{ completed: number; failed: number } | null> {
  const stats = await ctx.flink.checkpoints(ctx.jobId).catch(() => null);
  return stats ? { completed: stats.completedCount, failed: stats.failedCount } : null;
}

/**
 * Takes the stack's own S3 server away for outageMs while the job runs, watching the job's checkpoints; `during` runs
 * `duringAfterMs` into the outage (the TaskManager crash of the variant). The failure counts as detected when the
 * first checkpoint fails, or when `during` says so.
 */
async function objectStoreOutage(ctx: FaultContext, during?: { afterMs: number; act: () => Promise<void> }): Promise<void> {
  const { outputs, log, evidence } = ctx;
  const lasting = outageMs(outputs.checkpointIntervalMs, outputs.checkpointTimeoutMs);
  const before = await checkpointCounts(ctx);
  if (before === null) throw new CycleError(`the JobManager at ${ctx.flink.baseUrl} does not answer before the outage`);
  ctx.faultAtMs = Date.now();
  log(`      ${await ctx.target.objectStoreOutage(true)}: the object store is away for ${seconds(lasting)}`);
  let failedSeenAt: number | undefined;
  let acted = during === undefined;
  let last = before;
  try {
    while (Date.now() - ctx.faultAtMs < lasting) {
      if (!acted && during && Date.now() - ctx.faultAtMs >= during.afterMs) {
        acted = true;
        await during.act();
      }
      const counts = await checkpointCounts(ctx);
      // A restarted job keeps its counts; a failed JobManager answer is no checkpoint news.
      if (counts !== null) last = counts;
      if (failedSeenAt === undefined && last.failed > before.failed) {
        failedSeenAt = Date.now();
        log(`      a checkpoint failed ${seconds(failedSeenAt - ctx.faultAtMs)} into the outage`);
      }
      await sleep(250);
    }
  } finally {
    log(`      ${await ctx.target.objectStoreOutage(false)}: the object store is back`);
  }
  const backAt = Date.now();
  evidence.objectStoreOutage = {
    outageMs: backAt - ctx.faultAtMs,
    failedDuring: last.failed - before.failed,
    completedDuring: last.completed - before.completed,
    backToCheckpointMs: null,
  };
  if (evidence.timings.faultToDetected === undefined && failedSeenAt !== undefined)
    evidence.timings.faultToDetected = failedSeenAt - ctx.faultAtMs;
  storeBackAt.set(ctx, backAt);
  countsBefore.set(ctx, before);
}

/** When each fault's object store came back: its recovery counts from there. */
const storeBackAt = new WeakMap<FaultContext, number>();
/** The job's checkpoint counts when each fault's outage began. */
const countsBefore = new WeakMap<FaultContext, { completed: number; failed: number }>();

/**
 * After the store's return: Flink completes a checkpoint again by itself (restarting the job first if it had to). The
 * wait for that checkpoint runs beside the cycle's own waits (which include one for a checkpoint after the recovery),
 * so the restored checkpoint is inspected before newer ones retire it.
 */
async function checkpointsResume(ctx: FaultContext): Promise<{ jobId: string; recoveryStartMs: number }> {
  const backAt = storeBackAt.get(ctx) ?? Date.now();
  const latestAtReturn = (await ctx.flink.checkpoints(ctx.jobId).catch(() => null))?.latestCompleted?.id ?? 0;
  void waitFor(
    `a checkpoint of job ${ctx.jobId} after ${latestAtReturn}, once the object store is back`,
    ctx.options.restoreTimeoutMs,
    async () => {
      const latest = (await ctx.flink.checkpoints(ctx.jobId).catch(() => null))?.latestCompleted?.id ?? 0;
      return latest > latestAtReturn ? { done: true, value: Date.now() } : { done: false, status: `latest completed ${latest}` };
    },
    () => undefined,
    { pollMs: 250 },
  ).then(
    async (completedAt) => {
      const outage = ctx.evidence.objectStoreOutage;
      if (outage) {
        outage.backToCheckpointMs = completedAt - backAt;
        // Flink 2.2 counts a checkpoint that expired while the store was away as failed only once its abort reached
        // the store again: the failures the outage caused are those counted until checkpoints completed again.
        const before = countsBefore.get(ctx);
        const now = await checkpointCounts(ctx);
        if (before && now) outage.failedDuring = Math.max(outage.failedDuring, now.failed - before.failed);
      }
      ctx.log(`      checkpoints complete again ${seconds(completedAt - backAt)} after the store's return`);
    },
    () => undefined,
  );
  return { jobId: ctx.jobId, recoveryStartMs: ctx.evidence.timings.faultToDetected === undefined ? backAt : detectedAt(ctx) };
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
  "upgrade-line": upgradeLine("upgrade-line", "savepoint"),
  "upgrade-line-checkpoint": upgradeLine("upgrade-line-checkpoint", "checkpoint"),
  "node-loss": {
    name: "node-loss",
    injects: "stop the kind node that runs the job's active TaskManager (its node container stopped at once, as a machine that dies)",
    recovers:
      "Flink notices the lost TaskManager and restores the same job from its latest completed checkpoint on the standby TaskManager of another node; Kubernetes replaces the lost pods on a live node; afterwards the node is started again and rejoins",
    inject: stopTaskManagersNode,
    recover: flinkRestartsItself,
    repair: rejoinNode,
  },
  "object-store-outage": {
    name: "object-store-outage",
    injects:
      "take the stack's own S3 server away (docker pause; kind: its Deployment scaled to none) for longer than a checkpoint interval and the checkpoint timeout, then bring it back",
    recovers:
      "the job rides it out: checkpoints fail meanwhile (fewer in a row than tolerableFailedCheckpoints, so no restart), the output waits for them, and the next one completes once the store is back",
    async inject(ctx) {
      await objectStoreOutage(ctx);
      // A restart (more failures than tolerated) restores the latest checkpoint completed before the outage.
      ctx.evidence.expectedRestore = null;
    },
    recover: checkpointsResume,
  },
  "object-store-outage-taskmanager-crash": {
    name: "object-store-outage-taskmanager-crash",
    injects:
      "take the stack's own S3 server away as object-store-outage does and, one checkpoint interval into the outage, SIGKILL the JVM of a TaskManager running the job's tasks",
    recovers:
      "Flink restarts the job from the latest checkpoint completed before the outage (its metadata is in the JobManager's memory; a state file it must read waits for the store), and checkpoints complete again once the store is back",
    async inject(ctx) {
      await objectStoreOutage(ctx, {
        afterMs: ctx.outputs.checkpointIntervalMs,
        act: async () => {
          const hosts = await ctx.flink.jobTaskManagerHosts(ctx.jobId);
          const taskManager = pickTaskManager(await ctx.target.taskManagers(), hosts);
          const crashedAt = Date.now();
          ctx.log(`      ${await ctx.target.crash("taskmanager", taskManager)}: ${taskManager} crashed during the outage`);
          const seenAt = await waitFor(
            `Flink to notice the lost TaskManager of job ${ctx.jobId}`,
            ctx.options.restoreTimeoutMs,
            async () => {
              const job = await ctx.flink.job(ctx.jobId).catch(() => null);
              const seen = failureSeenAt(job, null, crashedAt, Date.now());
              return seen !== null ? { done: true, value: seen } : { done: false, status: `job ${job?.state}` };
            },
            ctx.log,
            { pollMs: 100 },
          );
          ctx.evidence.timings.faultToDetected = seenAt - ctx.faultAtMs;
          // Flink restores the latest checkpoint completed when it restarts the job: one in flight at the crash may
          // still have completed (its tasks had acknowledged it) before the failover.
          ctx.evidence.expectedRestore = await latestCompleted(ctx.flink, ctx.jobId);
          ctx.evidence.notes.push(
            `the TaskManager crashed ${seconds(crashedAt - ctx.faultAtMs)} into the outage; Flink noticed ${seconds(seenAt - crashedAt)} later`,
          );
        },
      });
    },
    recover: checkpointsResume,
  },
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
