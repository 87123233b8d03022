// The visit-windows job's settings as one record, and the one function that renders its command line. Every caller
// (the stack's submission, the verification's resubmissions, the benchmarks' jobs) changes fields, never flags; the
// flags are those of visits_logic.job_argument_parser, which settings.test.ts reads so a renamed flag fails npm test.

/** Flink's checkpointing mode; it also selects the Kafka sink's delivery guarantee. */
export type CheckpointMode = "EXACTLY_ONCE" | "AT_LEAST_ONCE";
export const CHECKPOINT_MODES: readonly CheckpointMode[] = ["EXACTLY_ONCE", "AT_LEAST_ONCE"];

/**
 * How the exactly-once Kafka sink names its transactions (the connector's TransactionNamingStrategy, from connector
 * 4.0 on, Flink 2.x): `incrementing` (a new transactional id per checkpoint), `pooling` (a few ids reused), or
 * `default`: the connector's own choice, without asking (incrementing; the only behaviour of older connectors).
 */
export type TransactionNaming = "default" | "incrementing" | "pooling";
export const TRANSACTION_NAMINGS: readonly TransactionNaming[] = ["default", "incrementing", "pooling"];

export interface JobSettings {
  readonly bootstrapServers: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly dlqTopic: string;
  /** The consumer group of the job's Kafka source, where it commits the offsets of completed checkpoints. */
  readonly groupId: string;
  readonly checkpointMode: CheckpointMode;
  readonly checkpointIntervalMs: number;
  readonly checkpointDir: string;
  /** Keep the last checkpoints when the job is cancelled (externalized checkpoints). */
  readonly retainOnCancellation: boolean;
  /** Of the windows and the output sink. */
  readonly parallelism: number;
  /** Of the source and what is chained to it (parsing, event time): one subtask per partition; 0 follows parallelism. */
  readonly sourceParallelism: number;
  /** The tumbling event-time window's size. */
  readonly windowSeconds: number;
  /** A window fires each time its count of visits reaches a multiple of this. */
  readonly countTrigger: number;
  readonly transactionalIdPrefix: string;
  /** The sink's producer transaction timeout: above the checkpoint interval, below the broker's cap. */
  readonly transactionTimeoutMs: number;
  /** How the exactly-once sinks name their transactions; ignored in AT_LEAST_ONCE, which uses none. */
  readonly transactionNaming: TransactionNaming;
  /** 0 (off): a silent partition holds the watermark back rather than letting the others' run ahead. */
  readonly sourceIdleTimeoutMs: number;
  readonly jobName: string;
}

/** Each setting's flag on the job's command line, in the order they are rendered. */
export const JOB_FLAGS: { readonly [K in keyof JobSettings]: string } = {
  bootstrapServers: "--bootstrap-servers",
  inputTopic: "--input-topic",
  outputTopic: "--output-topic",
  dlqTopic: "--dlq-topic",
  groupId: "--group-id",
  checkpointMode: "--checkpoint-mode",
  checkpointIntervalMs: "--checkpoint-interval-ms",
  checkpointDir: "--checkpoint-dir",
  retainOnCancellation: "--retain-on-cancellation",
  parallelism: "--parallelism",
  sourceParallelism: "--source-parallelism",
  windowSeconds: "--window-seconds",
  countTrigger: "--count-trigger",
  transactionalIdPrefix: "--transactional-id-prefix",
  transactionTimeoutMs: "--transaction-timeout-ms",
  transactionNaming: "--transaction-naming",
  sourceIdleTimeoutMs: "--source-idle-timeout-ms",
  jobName: "--job-name",
};

/** The job's own defaults, as its parser has them (settings.test.ts compares). */
export const JOB_DEFAULTS: JobSettings = {
  bootstrapServers: "kafka:9092",
  inputTopic: "visits",
  outputTopic: "visit_windows",
  dlqTopic: "visits_dlq",
  groupId: "visits_reader",
  checkpointMode: "EXACTLY_ONCE",
  checkpointIntervalMs: 20_000,
  checkpointDir: "file:///checkpoints_flink",
  retainOnCancellation: true,
  parallelism: 2,
  sourceParallelism: 0,
  windowSeconds: 45,
  countTrigger: 4,
  transactionalIdPrefix: "visit-windows",
  transactionTimeoutMs: 600_000,
  transactionNaming: "default",
  sourceIdleTimeoutMs: 0,
  jobName: "visit-windows",
};

/** The job's command line: every setting, so nothing falls back to a default the caller did not see. */
export function jobArguments(settings: JobSettings): string[] {
  return (Object.keys(JOB_FLAGS) as (keyof JobSettings)[]).flatMap((key) => [JOB_FLAGS[key], String(settings[key])]);
}

/** Where the job image keeps the job (see jobs/flink/Dockerfile). */
export const JOB_DIR = "/opt/flink/usrlib/jobs";
export const JOB_SCRIPT = `${JOB_DIR}/visit_windows_job.py`;
export const SUBMIT_SCRIPT = `${JOB_DIR}/submit.py`;
export const CHECKPOINTS_SCRIPT = `${JOB_DIR}/checkpoints.py`;
/** The S3 client of the checkpoint tools; the stack's bucket step runs it. */
export const OBJECTSTORE_SCRIPT = `${JOB_DIR}/objectstore.py`;
/** Flink runs a Python job through this entry class of the flink-python jar. */
export const PYTHON_DRIVER_CLASS = "org.apache.flink.client.python.PythonDriver";

/** What the PythonDriver entry class receives: the script, then the job's own arguments. */
export function programArguments(settings: JobSettings): string[] {
  return ["-py", JOB_SCRIPT, ...jobArguments(settings)];
}
