// The shared sequence every fault runs through: gather evidence → inject the fault → recover → judge.
// A fault (faults.ts) contributes only its injection and its recovery; this file gathers what the pure
// functions of checks.ts judge (through report.ts), the same way for every fault, and times the recovery.

import { ENDED_STATES, failureOf, findJob, waitRunning } from "../../lib/flink/jobs";
import type { CheckpointStats, FlinkRest } from "../../lib/flink/rest";
import { formatOffsets, offsetsReach } from "../../lib/kafka/offsets";
import type { StackControl } from "../../lib/stack/lifecycle";
import type { StackOutputs } from "../../lib/stack/outputs";
import type { StackTarget } from "../../lib/stack/target";
import { type Log, seconds, sleep, waitFor } from "../../lib/wait";
import { MALFORMED_KINDS, malformedVisits } from "../judge/records";
import { restoreIsOfThisRecovery, WATERMARK_OPERATOR } from "../judge/recovery";
import type { Connection, KafkaView } from "./connection";
import type { CycleEvidence } from "./evidence";
import { TimelineSampler } from "./timelineSampler";

export class CycleError extends Error {}

export interface CycleOptions {
  minCheckpoints: number;
  checkpointTimeoutMs: number;
  cancelTimeoutMs: number;
  backlogMs: number;
  restoreTimeoutMs: number;
  outputTimeoutMs: number;
  readTimeoutMs: number;
  /** Malformed records written into the input right after the fault; the recovered job must dead-letter them. */
  malformedRecords: number;
  /** The deliberately broken case: resubmit without the checkpoint, so the job starts from earliest. */
  restoreFromEarliest: boolean;
  jobId?: string;
}

/** The options of `npm run verify` when none is given (its --help says what each means). */
export const DEFAULT_CYCLE_OPTIONS: CycleOptions = {
  minCheckpoints: 2,
  checkpointTimeoutMs: 240_000,
  cancelTimeoutMs: 60_000,
  backlogMs: 15_000,
  restoreTimeoutMs: 180_000,
  outputTimeoutMs: 180_000,
  readTimeoutMs: 120_000,
  malformedRecords: MALFORMED_KINDS.length,
  restoreFromEarliest: false,
};

/** How long the checkpoint statistics may take to show a restore: a few times their cache's lifetime. */
const RESTORE_SHOWN_TIMEOUT_MS = 15_000;

/** Whether `restored` is a restore made after the fault (one without a time counts: nothing says otherwise). */
export function restoreAfter(restored: CheckpointStats["restored"], faultAtMs: number): boolean {
  return restored !== null && (restored.restoredAtMs === null || restored.restoredAtMs >= faultAtMs);
}

/** What a fault works with; `faultAtMs` is set just before the injection. */
export interface FaultContext {
  readonly flink: FlinkRest;
  readonly kafka: KafkaView;
  /** The target's processes: what the fault is done to. */
  readonly target: StackTarget;
  /** The stack itself (its config, `pulumi up`), for a fault that changes it; null when its name is not known. */
  readonly stack: StackControl | null;
  readonly outputs: StackOutputs;
  readonly options: CycleOptions;
  readonly log: Log;
  readonly evidence: CycleEvidence;
  readonly jobId: string;
  faultAtMs: number;
}

/** What a recovery brought back: the job that runs again, when its recovery started, and the stack's outputs when the
 * recovery changed the stack (a `pulumi up` with another config). */
export interface Recovered {
  readonly jobId: string;
  readonly recoveryStartMs: number;
  readonly outputs?: StackOutputs;
}

/** One fault: its injection (returns once the fault has happened) and its recovery (returns the job that runs again). */
export interface Fault {
  readonly name: string;
  /** One line: what is done to the stack. */
  readonly injects: string;
  /** One line: how the job comes back. */
  readonly recovers: string;
  inject(ctx: FaultContext): Promise<void>;
  /** Returns the recovered job's id and when its recovery started (resubmission, or Flink's restart). */
  recover(ctx: FaultContext): Promise<Recovered>;
  /**
   * Puts the stack back as the fault found it (a stopped node started again) after the cycle, also one that failed:
   * runFault calls it. Records what it saw in the evidence, and never throws.
   */
  repair?(ctx: RepairContext): Promise<void>;
}

/** What a fault's repair works with: the stack, and the evidence its injection left. */
export interface RepairContext {
  readonly flink: FlinkRest;
  readonly target: StackTarget;
  readonly options: CycleOptions;
  readonly log: Log;
  readonly evidence: CycleEvidence;
}

const uiUrl = (flink: FlinkRest, jobId: string) => `${flink.baseUrl}/#/job/running/${jobId}/checkpoints`;

/**
 * One fault through the shared sequence, on a connection to the stack: gather → inject → recover → judge's data. What
 * it saw goes into `evidence` step by step, so a run that stops early still reports how far it got. Returns the
 * stack's outputs after the fault: those it was given, unless the recovery changed the stack.
 */
export async function runCycle(
  connection: Connection,
  outputs: StackOutputs,
  fault: Fault,
  options: CycleOptions,
  log: Log,
  evidence: CycleEvidence,
): Promise<StackOutputs> {
  const { flink, kafka, target } = connection;
  evidence.fault = fault.name;

  // 1. Gather: the running job with enough completed checkpoints and output, then one more checkpoint.
  // Worth resuming: the output must hold window firings whose input a completed checkpoint covers, with
  // that checkpoint's offsets committed to the group (the source commits them asynchronously after the
  // checkpoint completes). Otherwise a fresh start would re-emit nothing and the data could not tell it
  // from a resume.
  log(`[1/6] ${fault.name}: finding the running job "${outputs.jobName}"`);
  const jobId = await findJob(flink, outputs, options.jobId);
  evidence.jobIdAtFault = jobId;
  const sampler = new TimelineSampler(flink, kafka, outputs, jobId);
  evidence.timeline = sampler.timeline;
  const next = `look at the checkpoint failures in the Flink UI (${uiUrl(flink, jobId)}) and the TaskManager log; raise --checkpoint-timeout if the cluster is just slow.`;
  const aliveJob = async () => {
    const job = await flink.job(jobId);
    if (ENDED_STATES.includes(job.state)) throw new CycleError(await failureOf(flink, job));
    return job;
  };
  const checkpointWithOutput = await waitFor(
    `job ${jobId} to be RUNNING with ${options.minCheckpoints} completed checkpoints (one every ${seconds(outputs.checkpointIntervalMs)}) and output in ${outputs.outputTopic}`,
    options.checkpointTimeoutMs,
    async () => {
      sampler.poke();
      const job = await aliveJob();
      const stats = await flink.checkpoints(jobId);
      const hasOutput = await kafka.hasRecords(outputs.outputTopic);
      if (job.state === "RUNNING" && stats.completedCount >= options.minCheckpoints && hasOutput)
        return { done: true, value: stats.latestCompleted?.id ?? 0 };
      // A restarting job keeps failing: its last failure is what the user needs to see.
      const failure = job.state === "RUNNING" ? "" : (await flink.rootException(jobId).catch(() => "")).split("\n")[0]!.slice(0, 300);
      return {
        done: false,
        status: `job ${job.state}, ${stats.completedCount} of ${options.minCheckpoints} checkpoints completed, output ${hasOutput ? "present" : "empty"}${failure ? `; last failure: ${failure}` : ""}`,
      };
    },
    log,
    { next },
  );
  const before = await waitFor(
    `a checkpoint of job ${jobId} after ${checkpointWithOutput}, covering the output seen so far`,
    options.checkpointTimeoutMs,
    async () => {
      sampler.poke();
      await aliveJob();
      const latest = (await flink.checkpoints(jobId)).latestCompleted;
      return latest && latest.id > checkpointWithOutput
        ? { done: true, value: latest }
        : { done: false, status: `latest completed ${latest?.id ?? "none"}` };
    },
    log,
    { next },
  );
  await sleep(connection.timing.commitSettleMs);
  evidence.checkpointBeforeFault = { id: before.id, path: before.externalPath };
  evidence.groupOffsetsBeforeFault = await kafka.committedOffsets(outputs.groupId, outputs.visitsTopic);
  evidence.restartsBefore = await flink.restarts(jobId);
  log(
    `      latest completed checkpoint ${before.id} at ${before.externalPath}; group ${outputs.groupId} committed ${formatOffsets(evidence.groupOffsetsBeforeFault)}`,
  );

  // 2. Inject the fault; right after it, what the checkpoint can hold and where the output ends.
  log(`[2/6] ${fault.name}: ${fault.injects}`);
  const ctx: FaultContext = {
    flink,
    kafka,
    target,
    stack: connection.stack,
    outputs,
    options,
    log,
    evidence,
    jobId,
    faultAtMs: Date.now(),
  };
  try {
    await sampler.throughout(fault.inject(ctx));
  } finally {
    // Taken after the injection, failed or not: a fault may set its moment inside it (faults.ts).
    sampler.timeline.faultAtMs = ctx.faultAtMs;
  }
  evidence.checkpointed = await kafka.committedOffsets(outputs.groupId, outputs.visitsTopic);
  evidence.outputEndAtFault = await kafka.endOffsets(outputs.outputTopic);
  evidence.inputEndAtFault = await kafka.endOffsets(outputs.visitsTopic);
  evidence.dlqEndAtFault = await kafka.endOffsets(outputs.dlqTopic);
  log(`      group committed ${formatOffsets(evidence.checkpointed)}; output ends at ${formatOffsets(evidence.outputEndAtFault)}`);
  const malformed = malformedVisits(`verify-malformed-${Date.now()}`, options.malformedRecords);
  await kafka.produce(outputs.visitsTopic, malformed);
  evidence.malformedSent = malformed.map((m) => m.value);
  if (malformed.length > 0)
    log(
      `      wrote ${malformed.length} malformed records into ${outputs.visitsTopic}: the recovered job must dead-letter each into ${outputs.dlqTopic} once`,
    );
  // Watch the output from here, so the first committed record after the fault is timed exactly.
  const firstOutput = kafka
    .firstRecordAfter(
      outputs.outputTopic,
      evidence.outputEndAtFault,
      options.backlogMs + options.restoreTimeoutMs + options.outputTimeoutMs,
    )
    .then(
      (value) => ({ value }),
      (error: Error) => ({ error }),
    );

  // 3. Recover, until the job and all its tasks run.
  log(`[3/6] ${fault.name}: ${fault.recovers}`);
  const recovered = await sampler.throughout(fault.recover(ctx));
  const after = recovered.outputs ?? outputs;
  evidence.recoveredJobId = recovered.jobId;
  sampler.jobId = recovered.jobId;
  await sampler.throughout(waitRunning(flink, recovered.jobId, options.restoreTimeoutMs, log));
  const runningAt = Date.now();
  evidence.timings.faultToRunning = runningAt - ctx.faultAtMs;
  evidence.timings.recoveryToRunning = runningAt - recovered.recoveryStartMs;
  evidence.inputEndAtRunning = await kafka.endOffsets(outputs.visitsTopic);
  evidence.restartsAfter = await flink.restarts(recovered.jobId);
  evidence.watermarkGenerators = (await flink.job(recovered.jobId)).vertices
    .filter((v) => v.name.includes(WATERMARK_OPERATOR))
    .map(({ name, parallelism }) => ({ name, parallelism }));
  // The checkpoint statistics are cached for a few seconds: a job that restarted itself (same id) faster than that
  // still shows its previous restore for a while. Where a restore is required, wait for one after the fault; where
  // the job may ride the fault out, or was resubmitted without state on purpose (the broken case), read them once the
  // cache has renewed, so a fast restart is not taken for none.
  const restoreAwaited = evidence.expectedRestore && evidence.savepointPath !== null;
  const restoredStats = restoreAwaited
    ? await waitFor(
        `job ${recovered.jobId} to show its restore after the fault`,
        RESTORE_SHOWN_TIMEOUT_MS,
        async () => {
          const stats = await flink.checkpoints(recovered.jobId);
          return restoreAfter(stats.restored, ctx.faultAtMs)
            ? { done: true, value: stats }
            : { done: false, status: `latest.restored ${stats.restored?.id ?? "none"}` };
        },
        log,
        { pollMs: 250 },
      ).catch(() => flink.checkpoints(recovered.jobId))
    : await sleep(connection.timing.restCacheMs).then(() => flink.checkpoints(recovered.jobId));
  evidence.restoredAfterFault = restoreAfter(restoredStats.restored, ctx.faultAtMs);
  evidence.restored = restoredStats.restored ? { id: restoredStats.restored.id, path: restoredStats.restored.externalPath } : null;
  // The restored checkpoint's own source offsets, read from its _metadata now, before newer checkpoints retire it
  // (the stack retains a few), and beside the waits below so the inspector's JVM delays none of their timings.
  const restored = evidence.restored;
  const restoredSource =
    restored && restoreIsOfThisRecovery(evidence)
      ? connection.sourceOffsetsOf(after, restored.path, outputs.visitsTopic).then(
          (offsets) => ({ offsets }),
          (error: Error) => ({ problem: error.message }),
        )
      : Promise.resolve(undefined);
  log(
    `      RUNNING ${seconds(evidence.timings.faultToRunning)} after the fault (${seconds(evidence.timings.recoveryToRunning)} after the recovery started); latest.restored: ${
      evidence.restored ? `checkpoint ${evidence.restored.id} at ${evidence.restored.path}` : "none"
    }`,
  );

  // 4. New committed output, a checkpoint after the recovery, and the backlog caught up.
  log(`[4/6] waiting for committed output, a checkpoint of job ${recovered.jobId} and the backlog to be consumed`);
  const first = await firstOutput;
  if ("error" in first) {
    throw new CycleError(
      `${first.error.message}. Next: the job commits output only when a checkpoint completes; look at its checkpoints (${uiUrl(flink, recovered.jobId)}) and the TaskManager log.`,
    );
  }
  evidence.timings.faultToFirstCommittedOutput = first.value.seenAtMs - ctx.faultAtMs;
  evidence.timings.recoveryToFirstCommittedOutput = first.value.seenAtMs - recovered.recoveryStartMs;
  log(
    `      first committed output ${seconds(evidence.timings.faultToFirstCommittedOutput)} after the fault (partition ${first.value.record.partition}, offset ${first.value.record.offset})`,
  );
  // A resubmission without state numbers its checkpoints from 1 again; the same job continues after the last one.
  const restoredId = evidence.restored?.id ?? (recovered.jobId === jobId ? before.id : 0);
  evidence.firstCheckpointAfterRestore = await waitFor(
    `the first completed checkpoint of job ${recovered.jobId} after ${restoredId}`,
    options.outputTimeoutMs,
    async () => {
      sampler.poke();
      const stats = await flink.checkpoints(recovered.jobId);
      const ids = stats.history.filter((h) => h.status === "COMPLETED" && h.id > restoredId).map((h) => h.id);
      return ids.length > 0
        ? { done: true, value: Math.min(...ids) }
        : { done: false, status: `${stats.completedCount} completed, latest ${stats.latestCompleted?.id ?? "none"}` };
    },
    log,
  );
  evidence.timings.cycle = Date.now() - ctx.faultAtMs;
  log(`      first checkpoint after the recovery: ${evidence.firstCheckpointAfterRestore}`);
  const backlog = evidence.inputEndAtRunning;
  await waitFor(
    `group ${outputs.groupId} to commit the input written up to the recovery (${formatOffsets(backlog)})`,
    options.outputTimeoutMs,
    async () => {
      sampler.poke();
      const committed = await kafka.committedOffsets(outputs.groupId, outputs.visitsTopic);
      return offsetsReach(committed, backlog)
        ? { done: true, value: committed }
        : { done: false, status: `committed ${formatOffsets(committed)}` };
    },
    log,
  );
  evidence.timings.faultToCaughtUp = Date.now() - ctx.faultAtMs;
  log(`      caught up ${seconds(evidence.timings.faultToCaughtUp)} after the fault`);

  // 5. Read what to judge. The group's committed offsets name the input whose output the sink committed
  // in the same checkpoint notification. Both commits run asynchronously after a checkpoint completes:
  // read the offsets a moment after a checkpoint, then wait for one more checkpoint (and a moment) so the
  // sink has surely committed the output of that input too.
  log(`[5/6] reading the data to judge`);
  const checkpointAfter = (previous: number, why: string) =>
    waitFor(
      `a checkpoint of job ${recovered.jobId} after ${previous}, ${why}`,
      options.outputTimeoutMs,
      async () => {
        sampler.poke();
        const id = (await flink.checkpoints(recovered.jobId)).latestCompleted?.id ?? 0;
        return id > previous ? { done: true, value: id } : { done: false, status: `latest completed ${id}` };
      },
      log,
    );
  const latestNow = (await flink.checkpoints(recovered.jobId)).latestCompleted?.id ?? evidence.firstCheckpointAfterRestore;
  const offsetsCheckpoint = await checkpointAfter(latestNow, "whose offsets the source commits to the group");
  await sleep(connection.timing.commitSettleMs);
  evidence.consumed = await kafka.committedOffsets(outputs.groupId, outputs.visitsTopic);
  log(`      group ${outputs.groupId} committed ${formatOffsets(evidence.consumed)} (after checkpoint ${offsetsCheckpoint})`);
  const latestId = (await flink.checkpoints(recovered.jobId)).latestCompleted?.id ?? offsetsCheckpoint;
  await checkpointAfter(latestId, "so the output of the consumed input is committed");
  await sleep(connection.timing.commitSettleMs);
  evidence.outputEnd = await kafka.endOffsets(outputs.outputTopic);
  log(
    `… reading ${outputs.outputTopic} read_committed up to ${formatOffsets(evidence.outputEnd)} (up to ${seconds(options.readTimeoutMs)})`,
  );
  evidence.outputRecords = await kafka.readTopic(outputs.outputTopic, evidence.outputEnd, options.readTimeoutMs);
  // The input is read after the output, so every input that output could come from is in it.
  evidence.inputEnd = await kafka.endOffsets(outputs.visitsTopic);
  log(`… reading ${outputs.visitsTopic} up to ${formatOffsets(evidence.inputEnd)} (up to ${seconds(options.readTimeoutMs)})`);
  evidence.inputRecords = await kafka.readTopic(outputs.visitsTopic, evidence.inputEnd, options.readTimeoutMs);
  const dlqEnd = await kafka.endOffsets(outputs.dlqTopic);
  log(`… reading ${outputs.dlqTopic} read_committed up to ${formatOffsets(dlqEnd)} (up to ${seconds(options.readTimeoutMs)})`);
  evidence.deadLetterRecords = await kafka.readTopic(outputs.dlqTopic, dlqEnd, options.readTimeoutMs);
  const source = await restoredSource;
  if (source) {
    if ("offsets" in source) {
      evidence.restoredSourceOffsets = source.offsets;
      log(
        `      checkpoint ${evidence.restored!.id}'s source state (its _metadata): the restored job started reading ${outputs.visitsTopic} at ${formatOffsets(source.offsets)}`,
      );
    } else {
      evidence.restoredSourceOffsetsProblem = source.problem;
      log(`      could not read checkpoint ${evidence.restored!.id}'s source offsets: ${source.problem}`);
    }
  }
  evidence.jobStateAtEnd = (await flink.job(recovered.jobId)).state;
  log(
    `[6/6] ${evidence.outputRecords.length} output records, ${evidence.inputRecords.length} input records, ${evidence.deadLetterRecords.length} dead letters; job ${evidence.jobStateAtEnd}`,
  );
  return after;
}
