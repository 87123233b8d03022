/**
 * The contract between the Pulumi program (infra/) and the verification (verify/): the stack outputs every target
 * writes and the verification reads, and the values they take. Types and constants only, no Pulumi import, so
 * verify/ can use them without loading the SDK.
 */
import type { CheckpointMode, JobSettings } from "../jobs/flink/settings";

export { CHECKPOINT_MODES, type CheckpointMode } from "../jobs/flink/settings";

/** Label on every Docker container, volume and network of a stack (its name prefix), so leftovers can be found by it. */
export const STACK_LABEL = "flink-checkpointer.stack";

/** Where the broker keeps its data in its container (Kafka's tools read its segments there). */
export const KAFKA_DATA_DIR = "/var/lib/kafka/data";
/** The broker's listener inside the stack's network (and its own container). */
export const KAFKA_INTERNAL_PORT = 9092;

/**
 * Environment variable choosing the defaults of the image keys a stack does not set: `official` (the default) or
 * `local`, the equivalents `bash scripts/setup.sh local-images` builds. scripts/up.sh sets it when the official images
 * can be neither found nor pulled, so a machine without registry access runs every stack without a change to its stack
 * file; the output `images.defaults` records which a stack was brought up with (infra/config.ts reads it).
 */
export const IMAGES_ENV = "FLINK_CHECKPOINTER_IMAGES";

/** The output restoreFrom's value (and the config's) asking for the newest complete retained checkpoint at submission. */
export const RESTORE_FROM_LATEST = "latest";

/** Where the stack runs. */
export type Target = "docker" | "kind";
export const TARGETS: readonly Target[] = ["docker", "kind"];

/** How the stack submits the job (and the verifier resubmits it): the flink-python jar's PythonDriver over REST. */
export interface JobSubmissionSpec {
  readonly entryClass: string;
  /** The job's Python file in the image, PythonDriver's `-py`. */
  readonly script: string;
  /** Everything the job is told on its command line (jobs/flink/settings.ts renders it). */
  readonly settings: JobSettings;
}

/** The checkpoint volume: mounted at `mountPath` in the JobManager and every TaskManager; `name` is its name on the target. */
export interface CheckpointVolume {
  readonly mountPath: string;
  /** The Docker volume, or the PersistentVolumeClaim on kind. */
  readonly name: string;
}

/** Checkpoints in an S3 bucket (checkpointStorage s3), as the JobManager reaches it; never a credential. */
export interface BucketStorageOutput {
  readonly kind: "s3";
  /** The endpoint inside the stack (Flink's s3.endpoint). */
  readonly endpoint: string;
  readonly bucket: string;
  readonly pathStyle: boolean;
  /** Whether the stack runs the S3 server itself (StackProcesses' objectStore), or an existing store serves. */
  readonly inStack: boolean;
  /** Where the credentials file is mounted in the JobManager and TaskManagers (the tools read it there). */
  readonly credentialsFile: string;
}

/** Where the retained checkpoints live: the shared volume, or a bucket. checkpointDir says where in it. */
export type CheckpointStorageOutput = ({ readonly kind: "volume" } & CheckpointVolume) | BucketStorageOutput;

/**
 * The stack's processes as the host reaches them: containers by name on Docker, pods by label selector in a
 * namespace on kind. The fault injection signals them; the checkpoint tools run in the JobManager.
 */
export type StackProcesses =
  | {
      readonly target: "docker";
      readonly jobManager: string;
      readonly taskManagers: readonly string[];
      readonly kafka: string;
      readonly generator: string;
      /** The stack's own S3 server's container (checkpointStorage s3 without s3Endpoint). */
      readonly objectStore?: string;
    }
  | {
      readonly target: "kind";
      readonly context: string;
      readonly namespace: string;
      readonly jobManagerSelector: string;
      readonly taskManagerSelector: string;
      readonly kafkaSelector: string;
      readonly generatorSelector: string;
      /** The stack's own S3 server's pods (checkpointStorage s3 without s3Endpoint). */
      readonly objectStoreSelector?: string;
    };

/** Every stack output (README "Stack outputs"); addresses are reachable from the host, on 127.0.0.1. */
export interface StackOutputs {
  readonly target: Target;
  /** The Flink line the stack runs (versions.json's flinkLines): the checkpoint tools are built for it. */
  readonly flinkLine: string;
  readonly flinkRestUrl: string;
  readonly kafkaBootstrap: string;
  readonly visitsTopic: string;
  readonly outputTopic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  readonly partitions: number;
  readonly checkpointDir: string;
  readonly checkpointMode: CheckpointMode;
  readonly checkpointIntervalMs: number;
  /** How long a checkpoint may take before Flink aborts it as failed (execution.checkpointing.timeout). */
  readonly checkpointTimeoutMs: number;
  readonly jobName: string;
  readonly jobSubmission: JobSubmissionSpec;
  /** Where the checkpoints live, for the checkpoint tools and the faults that look at them. */
  readonly checkpointStorage: CheckpointStorageOutput;
  /** The Flink and Kafka processes, for the fault injection. */
  readonly processes: StackProcesses;
  /** Run beside the JobManager: resubmits the job from the newest complete retained checkpoint. */
  readonly recoverCommand: string[];
  /** Run in the JobManager (see checkpointStorage): lists every retained checkpoint; inspect and prune derive from it. */
  readonly checkpointListing: string[];
  /**
   * What the stack's config `restoreFrom` names: a checkpoint or savepoint URI, `latest`, or "" when the job starts
   * from the earliest offsets. `npm run checkpoints -- prune` never removes the checkpoint it names. Absent in the
   * outputs of a stack last brought up before this output existed.
   */
  readonly restoreFrom?: string;
}

/** Outputs for people and `npm run checkpoints`, which the verification does not read. */
export interface InformationalOutputs {
  /** Which images the stack runs, and which of them its stack file sets. */
  readonly images: {
    readonly defaults: "official" | "local";
    readonly flinkImage: string;
    readonly kafkaImage: string;
    readonly nodeImage: string;
    readonly setByStack: readonly string[];
  };
  /** What the submission restored from and why, where the target can read the submission's log (Docker). */
  readonly jobRestore?: string;
}
