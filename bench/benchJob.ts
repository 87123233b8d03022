// A benchmark's own copy of the stack's job: the same PyFlink program on the stack's Flink cluster and Kafka broker,
// reading, writing and committing only topics and a group of its own, so a benchmark never touches the stack's
// data. When the cluster has no free slots for it, the stack's job is set aside (setAsideStackJob) and, on a stack the
// benchmark does not own, resubmitted afterwards with the stack's own recovery command from its retained checkpoint,
// as the cancel-restore fault does.

import { type JobSettings, programArguments } from "../jobs/flink/settings";
import { ENDED_STATES, findJob, waitRunning } from "../lib/flink/jobs";
import { type CheckpointFigures, FlinkRest } from "../lib/flink/rest";
import type { PartitionOffsets } from "../lib/kafka/offsets";
import { KafkaReader } from "../lib/kafka/reader";
import { stackTarget } from "../lib/stack";
import type { StackOutputs } from "../lib/stack/outputs";
import { type Log, seconds, waitFor } from "../lib/wait";

/** The names a benchmark's job works under; all start with `bench-state-`, so any left behind is recognised. */
export interface BenchNames {
  input: string;
  output: string;
  dlq: string;
  /** Each submission commits to a group of its own, `<group>-<n>`: a fresh job must not find an earlier one's offsets. */
  group: string;
  jobName: string;
}

export function benchNames(benchmark: string, runId: string): BenchNames {
  const base = `bench-state-${benchmark}-${runId}`;
  return { input: `${base}-visits`, output: `${base}-windows`, dlq: `${base}-dlq`, group: base, jobName: base };
}

/** The stack's job settings turned to the benchmark's topics, group, job name and transactions, and `changes`. */
export function benchJobSettings(settings: JobSettings, names: BenchNames, changes: Partial<JobSettings> = {}): JobSettings {
  return {
    ...settings,
    inputTopic: names.input,
    outputTopic: names.output,
    dlqTopic: names.dlq,
    groupId: names.group,
    jobName: names.jobName,
    transactionalIdPrefix: names.jobName,
    ...changes,
  };
}

export const totalOf = (offsets: PartitionOffsets): number => Object.values(offsets).reduce((sum, o) => sum + o, 0);

/** Records from `from` up to `to`, summed over the partitions of `to`. */
export function recordsBetween(from: PartitionOffsets, to: PartitionOffsets): number {
  return Object.entries(to).reduce((sum, [p, end]) => sum + Math.max(0, end - (from[Number(p)] ?? 0)), 0);
}

/** One point of a catch-up: ms since the submission and the input records whose processing was not committed yet. */
export interface CatchUpSample {
  atMs: number;
  behind: number;
}

/** A submission of the benchmark's job and how it caught up with the input, in ms since the submission. */
export interface CatchUp {
  jobId: string;
  /** The submission (POST /jars/:id/run) answered with the job id: the job graph is built. */
  submittedMs: number;
  /** The job and all its tasks RUNNING. */
  runningMs: number;
  /** The group's committed offsets reached the input's end: a checkpoint covering all of it completed. */
  caughtUpMs: number;
  /** The checkpoint whose completion committed the end. */
  checkpointId: number | null;
  samples: CatchUpSample[];
}

/** A submitted job that runs; times in ms since `startMs`, when it was submitted. */
export interface Submission {
  jobId: string;
  /** The consumer group it commits its offsets to. */
  group: string;
  startMs: number;
  submittedMs: number;
  runningMs: number;
}

const SUBMIT_TIMEOUT_MS = 180_000;
const CANCEL_TIMEOUT_MS = 60_000;
const POLL_MS = 200;
const TRIGGER_SPACING_MS = 1_000;
const STATISTICS_TIMEOUT_MS = 15_000;

/** The benchmark's job on one stack: its topics and its submissions. */
export class BenchJob {
  private readonly jobs: Submission[] = [];

  private constructor(
    readonly flink: FlinkRest,
    readonly kafka: KafkaReader,
    readonly outputs: StackOutputs,
    readonly names: BenchNames,
    private readonly log: Log,
  ) {}

  /** Creates the benchmark's topics, with the stack's partition count. */
  static async open(outputs: StackOutputs, names: BenchNames, log: Log): Promise<BenchJob> {
    const kafka = await KafkaReader.connect(outputs.kafkaBootstrap);
    try {
      await kafka.createTopics([names.input, names.output, names.dlq], outputs.partitions);
    } catch (error) {
      await kafka.disconnect().catch(() => undefined);
      throw error;
    }
    log(`   topics ${names.input}, ${names.output}, ${names.dlq} (${outputs.partitions} partitions each) on ${outputs.kafkaBootstrap}`);
    return new BenchJob(new FlinkRest(outputs.flinkRestUrl), kafka, outputs, names, log);
  }

  /** Submits the benchmark's job (from `savepointPath`, or without state from the earliest offsets) and waits until it runs. */
  async submit(settings: JobSettings, savepointPath: string | null): Promise<Submission> {
    const group = `${this.names.group}-${this.jobs.length + 1}`;
    const startMs = Date.now();
    const jobId = await this.flink.runPythonJob({
      entryClass: this.outputs.jobSubmission.entryClass,
      programArgsList: programArguments({ ...settings, groupId: group }),
      parallelism: settings.parallelism,
      ...(savepointPath ? { savepointPath } : {}),
    });
    const submission: Submission = { jobId, group, startMs, submittedMs: Date.now() - startMs, runningMs: 0 };
    this.jobs.push(submission);
    this.log(
      `   job ${jobId} submitted ${savepointPath ? `from ${savepointPath}` : "without state (earliest offsets)"} in ${seconds(submission.submittedMs)}`,
    );
    await waitRunning(this.flink, jobId, SUBMIT_TIMEOUT_MS, this.log);
    return { ...submission, runningMs: Date.now() - startMs };
  }

  /** Submits the job and times its catch-up with `end`, from the submission. */
  async submitAndCatchUp(settings: JobSettings, savepointPath: string | null, end: PartitionOffsets, timeoutMs: number): Promise<CatchUp> {
    const submission = await this.submit(settings, savepointPath);
    return this.catchUp(submission, end, timeoutMs);
  }

  /**
   * Waits until the submission's group has committed offsets reaching `end`. The source commits them when a
   * checkpoint completes, after every operator has processed the input before its barrier, so that is when the job
   * has caught up. Checkpoints are asked for one after another (at most one a second) rather than waiting for the
   * periodic ones, so the moment is seen within about a second. (The readers' offset metrics would not do: Flink's
   * REST serves metrics fetched every 10 s, and records read are not yet processed.)
   */
  async catchUp(submission: Submission, end: PartitionOffsets, timeoutMs: number): Promise<CatchUp> {
    const { jobId, startMs } = submission;
    const samples: CatchUpSample[] = [];
    let trigger: string | null = null;
    let triggeredAtMs = Number.NEGATIVE_INFINITY;
    return waitFor(
      `job ${jobId} to commit the input up to ${JSON.stringify(end)} (${totalOf(end)} records)`,
      timeoutMs,
      async () => {
        const atMs = Date.now() - startMs;
        const state = (await this.flink.job(jobId)).state;
        if (ENDED_STATES.includes(state))
          throw new Error(`job ${jobId} is ${state} while catching up: ${(await this.flink.rootException(jobId)).split("\n")[0]}`);
        const committed = await this.kafka.committedOffsets(submission.group, this.names.input);
        const behind = recordsBetween(committed, end);
        samples.push({ atMs, behind });
        if (behind === 0) {
          const checkpointId = (await this.flink.checkpoints(jobId)).latestCompleted?.id ?? null;
          return {
            done: true,
            value: { jobId, submittedMs: submission.submittedMs, runningMs: submission.runningMs, caughtUpMs: atMs, checkpointId, samples },
          };
        }
        if (trigger !== null && (await this.flink.checkpointTrigger(jobId, trigger)).done) trigger = null;
        if (trigger === null && atMs - triggeredAtMs >= TRIGGER_SPACING_MS) {
          trigger = await this.flink.triggerCheckpoint(jobId);
          triggeredAtMs = atMs;
        }
        return { done: false, status: `${behind} records not committed yet` };
      },
      this.log,
      { pollMs: POLL_MS },
    );
  }

  /**
   * Asks for a checkpoint, waits until it completed and returns what it cost. Flink's REST caches checkpoint
   * statistics for a few seconds (rest.cache.checkpoint-statistics.timeout), so its details may answer 404 at first.
   */
  async checkpointNow(jobId: string, timeoutMs: number): Promise<CheckpointFigures> {
    const trigger = await this.flink.triggerCheckpoint(jobId);
    const id = await waitFor(
      `the checkpoint asked of job ${jobId}`,
      timeoutMs,
      async () => {
        const status = await this.flink.checkpointTrigger(jobId, trigger);
        if (!status.done) return { done: false, status: "in progress" };
        if ("failure" in status) throw new Error(`the checkpoint asked of job ${jobId} failed: ${status.failure}`);
        return { done: true, value: status.checkpointId };
      },
      this.log,
      { pollMs: 100 },
    );
    return waitFor(
      `the statistics of checkpoint ${id} of job ${jobId}`,
      STATISTICS_TIMEOUT_MS,
      async () => {
        const figures = await this.flink.checkpointFigures(jobId, id).catch((error: Error) => error);
        return figures instanceof Error ? { done: false, status: figures.message.split("\n")[0]! } : { done: true, value: figures };
      },
      this.log,
      { pollMs: 500 },
    );
  }

  /** Cancels a job and waits until it is CANCELED; its checkpoints are retained. */
  async cancel(jobId: string): Promise<void> {
    await cancelAndWait(this.flink, jobId, this.log);
  }

  /** Cancels the benchmark's jobs still alive and deletes its topics and groups. */
  async close(): Promise<void> {
    try {
      for (const { jobId } of this.jobs) {
        const state = (await this.flink.job(jobId).catch(() => null))?.state;
        if (state && !ENDED_STATES.includes(state))
          await this.cancel(jobId).catch((error: Error) => this.log(`   cancelling ${jobId} failed: ${error.message}`));
      }
      await this.kafka
        .deleteTopics([this.names.input, this.names.output, this.names.dlq])
        .catch((error: Error) => this.log(`   ${error.message}`));
      await this.kafka.deleteGroups(this.jobs.map((j) => j.group)).catch((error: Error) => this.log(`   ${error.message}`));
    } finally {
      await this.kafka.disconnect().catch(() => undefined);
    }
  }
}

async function cancelAndWait(flink: FlinkRest, jobId: string, log: Log): Promise<void> {
  await flink.cancel(jobId);
  await waitFor(
    `job ${jobId} to be CANCELED`,
    CANCEL_TIMEOUT_MS,
    async () => {
      const state = (await flink.job(jobId)).state;
      return ENDED_STATES.includes(state) ? { done: true, value: state } : { done: false, status: state };
    },
    log,
    { pollMs: 250 },
  );
}

/**
 * Frees the slots a benchmark's job needs: when the cluster has fewer free than the stack's job takes, that job is
 * cancelled (its checkpoints are retained). Returns whether it was.
 */
export async function setAsideStackJob(outputs: StackOutputs, log: Log): Promise<boolean> {
  const flink = new FlinkRest(outputs.flinkRestUrl);
  const needed = outputs.jobSubmission.settings.parallelism;
  const overview = await flink.overview();
  if (overview.slotsAvailable >= needed) return false;
  log(`   ${overview.slotsAvailable} of ${overview.slotsTotal} slots free, ${needed} needed`);
  await cancelStackJob(outputs, log);
  return true;
}

/** Cancels the stack's job (its checkpoints are retained), so a benchmark's job has the machine to itself. */
export async function cancelStackJob(outputs: StackOutputs, log: Log): Promise<void> {
  const flink = new FlinkRest(outputs.flinkRestUrl);
  const stackJob = await findJob(flink, outputs, undefined);
  log(`   cancelling the stack's job ${stackJob} while the benchmarks run (its checkpoints are retained)`);
  await cancelAndWait(flink, stackJob, log);
}

/** Resubmits the stack's job from its newest retained checkpoint with the stack's own recovery command, and waits until it runs. */
export async function resubmitStackJob(outputs: StackOutputs, log: Log): Promise<void> {
  log(`   resubmitting the stack's job with its recovery command: ${outputs.recoverCommand.join(" ")}`);
  const ran = await stackTarget(outputs.processes).runInJobManager(outputs.recoverCommand, SUBMIT_TIMEOUT_MS);
  if (ran.output === null) throw new Error(`the stack's recovery command failed, so its job is not running: ${ran.problem}`);
  const flink = new FlinkRest(outputs.flinkRestUrl);
  await waitRunning(flink, await findJob(flink, outputs, undefined), SUBMIT_TIMEOUT_MS, log);
}
