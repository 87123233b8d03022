// The cancel-and-restore cycle against a running stack (issue 4, steps 1-7). It only gathers evidence;
// the judging is done by the pure functions of checks.ts (through report.ts).

import { listMetadata } from "./checkpointVolume";
import { CheckpointRef, PartitionOffsets, RetainedEvidence } from "./checks";
import { findPythonJar, FlinkRest, JobDetail } from "./flinkRest";
import { KafkaReader } from "./kafka";
import { malformedVisits, TopicRecord } from "./records";
import { StackOutputs } from "./stackOutputs";
import { Log, seconds, sleep, waitFor } from "./wait";

export class CycleError extends Error {}

export interface CycleOptions {
  minCheckpoints: number;
  checkpointTimeoutMs: number;
  cancelTimeoutMs: number;
  backlogMs: number;
  restoreTimeoutMs: number;
  outputTimeoutMs: number;
  readTimeoutMs: number;
  /** Malformed records written into the input topic during the backlog; the job must dead-letter them. */
  malformedRecords: number;
  /** The deliberately broken case: resubmit without the checkpoint, so the job starts from earliest. */
  restoreFromEarliest: boolean;
  jobId?: string;
}

/** Durations in ms; see the command's --help for what each one spans. */
export interface Timings {
  cancel?: number;
  restoreToRunning?: number;
  restoreToFirstCommittedOutput?: number;
  cycle?: number;
  total?: number;
}

/** Everything the cycle saw, filled step by step so that a failed cycle still reports how far it got. */
export interface CycleEvidence {
  cancelledJobId?: string;
  checkpointBeforeCancel?: CheckpointRef;
  groupOffsetsBeforeCancel?: PartitionOffsets;
  checkpoint?: CheckpointRef;
  retained?: RetainedEvidence;
  /** The source group's committed offsets after the cancel: at most the retained checkpoint's offsets. */
  checkpointed?: PartitionOffsets;
  outputEndAtCancel?: PartitionOffsets;
  inputEndAtCancel?: PartitionOffsets;
  inputEndAfterBacklog?: PartitionOffsets;
  restoredJobId?: string;
  savepointPath?: string | null;
  restored?: CheckpointRef | null;
  firstCheckpointAfterRestore?: number | null;
  /** The source group's committed offsets at the end: the input whose output is committed. */
  consumed?: PartitionOffsets;
  outputEnd?: PartitionOffsets;
  inputEnd?: PartitionOffsets;
  outputRecords?: TopicRecord[];
  inputRecords?: TopicRecord[];
  /** Raw values of the malformed records written during the backlog. */
  malformedSent?: string[];
  deadLetterRecords?: TopicRecord[];
  /** The resubmitted job's state once everything was read. */
  restoredJobStateAtEnd?: string;
  notes: string[];
  timings: Timings;
}

/** How long after a completed checkpoint its asynchronous commits (source offsets, sink transactions) are surely done. */
const COMMIT_SETTLE_MS = 3_000;

const ALIVE_STATES = ["INITIALIZING", "CREATED", "RUNNING", "RESTARTING", "RECONCILING"];
const ENDED_STATES = ["FAILED", "CANCELED", "FINISHED", "SUSPENDED"];

const formatOffsets = (offsets: PartitionOffsets): string =>
  Object.entries(offsets)
    .map(([p, o]) => `p${p}=${o}`)
    .join(" ") || "none";

async function findJob(flink: FlinkRest, outputs: StackOutputs, jobId: string | undefined): Promise<string> {
  if (jobId) return (await flink.job(jobId)).id;
  const jobs = await flink.jobs();
  const alive = jobs.filter((j) => j.name === outputs.jobName && ALIVE_STATES.includes(j.state));
  if (alive.length === 1) return alive[0]!.id;
  const shown = jobs.slice(0, 5).map((j) => `${j.name} ${j.id} ${j.state}`);
  const listing = jobs.length === 0 ? "none" : `${shown.join("; ")}${jobs.length > shown.length ? `; … ${jobs.length - shown.length} more` : ""}`;
  if (alive.length === 0) {
    throw new CycleError(
      `no running job named "${outputs.jobName}" on ${flink.baseUrl} (jobs there: ${listing}). Next: the stack's job submission submits it during \`pulumi up\` (if that ran already, look at the submission's log and re-run it), or pass --job-id.`,
    );
  }
  throw new CycleError(`${alive.length} jobs named "${outputs.jobName}" are alive on ${flink.baseUrl} (${listing}); pass --job-id to choose one.`);
}

async function failureOf(flink: FlinkRest, job: JobDetail): Promise<string> {
  const root = await flink.rootException(job.id).catch(() => "");
  return `job ${job.id} is ${job.state}${root ? `; Flink's root exception: ${root}` : ""}`;
}

export async function runCycle(outputs: StackOutputs, options: CycleOptions, log: Log, evidence: CycleEvidence): Promise<void> {
  const flink = new FlinkRest(outputs.flinkRestUrl);
  const overview = await flink.overview();
  log(`JobManager ${outputs.flinkRestUrl}: Flink ${overview.flinkVersion}, ${overview.taskManagers} TaskManager(s), ${overview.slotsAvailable} of ${overview.slotsTotal} slots free`);
  const kafka = await KafkaReader.connect(outputs.kafkaBootstrap);
  log(`Kafka ${outputs.kafkaBootstrap}: input ${outputs.visitsTopic}, output ${outputs.outputTopic}, source group ${outputs.groupId}; mode ${outputs.checkpointMode}`);
  try {
    await cycleSteps(flink, kafka, outputs, options, log, evidence);
  } finally {
    await kafka.disconnect().catch(() => undefined);
  }
}

async function cycleSteps(flink: FlinkRest, kafka: KafkaReader, outputs: StackOutputs, options: CycleOptions, log: Log, evidence: CycleEvidence): Promise<void> {
  const uiUrl = (jobId: string) => `${flink.baseUrl}/#/job/running/${jobId}/checkpoints`;

  // 1. The running job, with enough completed checkpoints.
  log(`[1/7] finding the running job "${outputs.jobName}"`);
  const jobId = await findJob(flink, outputs, options.jobId);
  evidence.cancelledJobId = jobId;
  // Worth resuming: the output must hold window firings whose input a completed checkpoint covers, with
  // that checkpoint's offsets committed to the group (the source commits them asynchronously after the
  // checkpoint completes). Otherwise a fresh start would re-emit nothing and the data could not tell it
  // from a resume. So: the minimum checkpoints and some output, then one more checkpoint, then its commit.
  const next = `look at the checkpoint failures in the Flink UI (${uiUrl(jobId)}) and the TaskManager log; raise --checkpoint-timeout if the cluster is just slow.`;
  const aliveJob = async () => {
    const job = await flink.job(jobId);
    if (ENDED_STATES.includes(job.state)) throw new CycleError(await failureOf(flink, job));
    return job;
  };
  const checkpointWithOutput = await waitFor(
    `job ${jobId} to be RUNNING with ${options.minCheckpoints} completed checkpoints (one every ${seconds(outputs.checkpointIntervalMs)}) and output in ${outputs.outputTopic}`,
    options.checkpointTimeoutMs,
    async () => {
      const job = await aliveJob();
      const stats = await flink.checkpoints(jobId);
      const hasOutput = await kafka.hasRecords(outputs.outputTopic);
      if (job.state === "RUNNING" && stats.completedCount >= options.minCheckpoints && hasOutput) return { done: true, value: stats.latestCompleted?.id ?? 0 };
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
      await aliveJob();
      const latest = (await flink.checkpoints(jobId)).latestCompleted;
      return latest && latest.id > checkpointWithOutput ? { done: true, value: latest } : { done: false, status: `latest completed ${latest?.id ?? "none"}` };
    },
    log,
    { next },
  );
  await sleep(COMMIT_SETTLE_MS);
  evidence.checkpointBeforeCancel = { id: before.id, path: before.externalPath };
  evidence.groupOffsetsBeforeCancel = await kafka.committedOffsets(outputs.groupId, outputs.visitsTopic);
  log(`      latest completed checkpoint ${before.id} at ${before.externalPath}; group ${outputs.groupId} committed ${formatOffsets(evidence.groupOffsetsBeforeCancel)}`);

  // 2. Cancel, and show that the checkpoint is retained.
  log(`[2/7] cancelling job ${jobId}`);
  const cancelStart = Date.now();
  await flink.cancel(jobId);
  await waitFor(`job ${jobId} to be CANCELED`, options.cancelTimeoutMs, async () => {
    const job = await flink.job(jobId);
    if (job.state === "CANCELED") return { done: true, value: job };
    if (ENDED_STATES.includes(job.state)) throw new CycleError(`cancelling ${jobId}: ${await failureOf(flink, job)}`);
    return { done: false, status: job.state };
  }, log, { pollMs: 250 });
  evidence.timings.cancel = Date.now() - cancelStart;
  const afterCancel = await flink.checkpoints(jobId);
  const latest = afterCancel.latestCompleted;
  if (!latest) throw new CycleError(`the cancelled job ${jobId} reports no completed checkpoint any more (GET ${flink.baseUrl}/jobs/${jobId}/checkpoints)`);
  evidence.checkpoint = { id: latest.id, path: latest.externalPath };
  if (latest.id !== before.id) {
    evidence.notes.push(`checkpoint ${latest.id} completed between the record (${before.id}) and the cancel; the restore uses ${latest.id}, the latest retained one`);
  }
  const volume = await listMetadata(outputs.checkpointVolume, latest.externalPath);
  evidence.retained = {
    inRestHistory: afterCancel.history.some((h) => h.id === latest.id && h.status === "COMPLETED"),
    metadataListing: volume.listing,
    ...(volume.problem ? { metadataProblem: volume.problem } : {}),
  };
  evidence.checkpointed = await kafka.committedOffsets(outputs.groupId, outputs.visitsTopic);
  evidence.outputEndAtCancel = await kafka.endOffsets(outputs.outputTopic);
  evidence.inputEndAtCancel = await kafka.endOffsets(outputs.visitsTopic);
  log(`      CANCELED after ${evidence.timings.cancel} ms; retained checkpoint ${latest.id} at ${latest.externalPath}`);
  log(`      ${volume.command}: ${volume.listing ?? volume.problem}`);
  log(`      group committed ${formatOffsets(evidence.checkpointed)}; output ends at ${formatOffsets(evidence.outputEndAtCancel)}`);

  // 3. A backlog builds up while no job runs.
  log(`[3/7] letting the generator write for ${seconds(options.backlogMs)} while no job runs`);
  const malformed = malformedVisits(`verify-malformed-${Date.now()}`, options.malformedRecords);
  if (malformed.length > 0) {
    await kafka.produce(outputs.visitsTopic, malformed);
    evidence.malformedSent = malformed.map((m) => m.value);
    log(`      wrote ${malformed.length} malformed records into ${outputs.visitsTopic} (not JSON, no visit_id, bad event_time): the restored job must dead-letter them into ${outputs.dlqTopic}`);
  } else {
    evidence.malformedSent = [];
  }
  await sleep(options.backlogMs);
  evidence.inputEndAfterBacklog = await kafka.endOffsets(outputs.visitsTopic);
  log(`      ${outputs.visitsTopic} end offsets ${formatOffsets(evidence.inputEndAtCancel)} → ${formatOffsets(evidence.inputEndAfterBacklog)}`);
  if (formatOffsets(evidence.inputEndAtCancel) === formatOffsets(evidence.inputEndAfterBacklog)) {
    evidence.notes.push(`no visit was written during the ${seconds(options.backlogMs)} backlog wait: is the generator running?`);
  }

  // 4. Resubmit from the checkpoint (or, deliberately broken, without it).
  const jars = await flink.jars();
  const jar = findPythonJar(jars);
  if (!jar) {
    throw new CycleError(
      `no flink-python jar is uploaded on the JobManager (GET ${flink.baseUrl}/jars lists ${jars.map((j) => j.name).join(", ") || "nothing"}). Next: re-run the stack's submission with \`pulumi up\`; it uploads the jar.`,
    );
  }
  const savepointPath = options.restoreFromEarliest ? null : latest.externalPath;
  evidence.savepointPath = savepointPath;
  log(
    savepointPath
      ? `[4/7] resubmitting through ${jar.name} restoring from ${savepointPath}`
      : `[4/7] resubmitting through ${jar.name} WITHOUT the checkpoint (--restore-from-earliest: the deliberately broken case, which must fail)`,
  );
  // Watch the output from the moment of the resubmission, so the first committed record is timed exactly.
  const firstOutput = kafka
    .firstRecordAfter(outputs.outputTopic, evidence.outputEndAtCancel, options.restoreTimeoutMs + options.outputTimeoutMs)
    .then((value) => ({ value }), (error: Error) => ({ error }));
  const submitStart = Date.now();
  let newJobId: string;
  try {
    newJobId = await flink.runJar(jar.id, {
      entryClass: outputs.jobSubmission.entryClass,
      programArgsList: outputs.jobSubmission.programArgs,
      parallelism: outputs.jobSubmission.parallelism,
      ...(savepointPath ? { savepointPath } : {}),
    });
  } catch (error) {
    throw new CycleError(
      `Flink refused the resubmission${savepointPath ? ` from ${savepointPath}` : ""}: ${(error as Error).message}\nNext: read Flink's text above; a state that does not map means the job's operator uids changed, a missing path means the checkpoint volume lost it.`,
    );
  }
  evidence.restoredJobId = newJobId;
  log(`      new job ${newJobId}`);

  // 5. The restore happened: RUNNING, and latest.restored names the checkpoint.
  log(`[5/7] waiting for the new job to run`);
  await waitFor(`job ${newJobId} and all its tasks to be RUNNING`, options.restoreTimeoutMs, async () => {
    const job = await flink.job(newJobId);
    if (ENDED_STATES.includes(job.state)) throw new CycleError(`the resubmitted ${await failureOf(flink, job)}`);
    const running = job.state === "RUNNING" && job.vertexStates.length > 0 && job.vertexStates.every((s) => s === "RUNNING" || s === "FINISHED");
    return running ? { done: true, value: job } : { done: false, status: `job ${job.state}, tasks ${job.vertexStates.join(",") || "not deployed"}` };
  }, log, { pollMs: 250 });
  evidence.timings.restoreToRunning = Date.now() - submitStart;
  const restoredStats = await flink.checkpoints(newJobId);
  evidence.restored = restoredStats.restored ? { id: restoredStats.restored.id, path: restoredStats.restored.externalPath } : null;
  log(
    `      RUNNING ${evidence.timings.restoreToRunning} ms after the submission; latest.restored: ${
      evidence.restored ? `checkpoint ${evidence.restored.id} at ${evidence.restored.path}` : "none (started without state)"
    }`,
  );

  // 6. New committed output and a checkpoint after the restore.
  log(`[6/7] waiting for committed output and a checkpoint of the new job`);
  log(`… waiting for the first committed record in ${outputs.outputTopic} beyond ${formatOffsets(evidence.outputEndAtCancel)} (up to ${seconds(options.outputTimeoutMs)})`);
  const first = await firstOutput;
  if ("error" in first) {
    throw new CycleError(`${first.error.message}. Next: the new job commits output only when a checkpoint completes; look at its checkpoints (${uiUrl(newJobId)}) and the TaskManager log.`);
  }
  evidence.timings.restoreToFirstCommittedOutput = first.value.seenAtMs - submitStart;
  log(`      first committed output ${evidence.timings.restoreToFirstCommittedOutput} ms after the submission (partition ${first.value.record.partition}, offset ${first.value.record.offset})`);
  evidence.firstCheckpointAfterRestore = await waitFor(`the first completed checkpoint of job ${newJobId}`, options.outputTimeoutMs, async () => {
    const stats = await flink.checkpoints(newJobId);
    const ids = stats.history.filter((h) => h.status === "COMPLETED").map((h) => h.id);
    return ids.length > 0 ? { done: true, value: Math.min(...ids) } : { done: false, status: `${stats.completedCount} completed` };
  }, log);
  evidence.timings.cycle = Date.now() - cancelStart;
  log(`      first checkpoint after the restore: ${evidence.firstCheckpointAfterRestore}`);

  // 7. Read what to judge. The group's committed offsets name the input whose output the sink committed
  // in the same checkpoint notification. Both commits run asynchronously after a checkpoint completes:
  // read the offsets a moment after a checkpoint, then wait for one more checkpoint (and a moment) so the
  // sink has surely committed the output of that input too.
  log(`[7/7] reading the data to judge`);
  const checkpointAfter = (previous: number, why: string) =>
    waitFor(`a checkpoint of job ${newJobId} after ${previous}, ${why}`, options.outputTimeoutMs, async () => {
      const id = (await flink.checkpoints(newJobId)).latestCompleted?.id ?? 0;
      return id > previous ? { done: true, value: id } : { done: false, status: `latest completed ${id}` };
    }, log);
  const offsetsCheckpoint = await checkpointAfter(evidence.firstCheckpointAfterRestore, "whose offsets the source commits to the group");
  await sleep(COMMIT_SETTLE_MS);
  evidence.consumed = await kafka.committedOffsets(outputs.groupId, outputs.visitsTopic);
  log(`      group ${outputs.groupId} committed ${formatOffsets(evidence.consumed)} (after checkpoint ${offsetsCheckpoint})`);
  const latestId = (await flink.checkpoints(newJobId)).latestCompleted?.id ?? offsetsCheckpoint;
  await checkpointAfter(latestId, "so the output of the consumed input is committed");
  await sleep(COMMIT_SETTLE_MS);
  evidence.outputEnd = await kafka.endOffsets(outputs.outputTopic);
  log(`… reading ${outputs.outputTopic} read_committed up to ${formatOffsets(evidence.outputEnd)} (up to ${seconds(options.readTimeoutMs)})`);
  evidence.outputRecords = await kafka.readTopic(outputs.outputTopic, evidence.outputEnd, options.readTimeoutMs);
  // The input is read after the output, so every input that output could come from is in it.
  evidence.inputEnd = await kafka.endOffsets(outputs.visitsTopic);
  log(`… reading ${outputs.visitsTopic} up to ${formatOffsets(evidence.inputEnd)} (up to ${seconds(options.readTimeoutMs)})`);
  evidence.inputRecords = await kafka.readTopic(outputs.visitsTopic, evidence.inputEnd, options.readTimeoutMs);
  const dlqEnd = await kafka.endOffsets(outputs.dlqTopic);
  log(`… reading ${outputs.dlqTopic} read_committed up to ${formatOffsets(dlqEnd)} (up to ${seconds(options.readTimeoutMs)})`);
  evidence.deadLetterRecords = await kafka.readTopic(outputs.dlqTopic, dlqEnd, options.readTimeoutMs);
  evidence.restoredJobStateAtEnd = (await flink.job(newJobId)).state;
  log(`      ${evidence.outputRecords.length} output records, ${evidence.inputRecords.length} input records, ${evidence.deadLetterRecords.length} dead letters; new job ${evidence.restoredJobStateAtEnd}`);
}
