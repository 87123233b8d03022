import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_FLINK_LINE, FLINK_LINES, type FlinkLine, VERSIONS } from "../lib/versions";
import { CHECKPOINT_MODES, CheckpointMode, IMAGES_ENV, TARGETS, Target } from "./contract";

export { CHECKPOINT_MODES, CheckpointMode, IMAGES_ENV, TARGETS, Target };

/** An image reference without its tag: `apache/kafka:4.1.1` → `apache/kafka`. */
export function repositoryOf(image: string): string {
  const colon = image.lastIndexOf(":");
  return colon > image.lastIndexOf("/") ? image.slice(0, colon) : image;
}

export type ImageDefaults = "official" | "local";
export const IMAGE_DEFAULTS: readonly ImageDefaults[] = ["official", "local"];
/** The stack config keys naming the images of Flink, Kafka and Node.js. */
export const IMAGE_KEYS = ["flinkImage", "kafkaImage", "nodeImage"] as const;
export type ImageKey = (typeof IMAGE_KEYS)[number];

/**
 * PyFlink's python.execution-mode: `thread` (the stack's default) runs the job's Python functions inside the
 * TaskManager's JVM; `process` (Flink's default) runs them in Python worker processes started beside it for every task.
 */
export const PYTHON_EXECUTION_MODES = ["thread", "process"] as const;
export type PythonExecutionMode = (typeof PYTHON_EXECUTION_MODES)[number];
export const STATE_BACKENDS = ["hashmap", "rocksdb"] as const;
/**
 * The exactly-once Kafka sink's transaction naming strategy (connector 4.0 on, Flink 2.x): `incrementing` (a new
 * transactional id per checkpoint, each left on the broker until its transactional.id.expiration.ms) or `pooling`
 * (a few ids reused). Unset: the connector's own (incrementing on 2.x, the only behaviour of 1.20's connector).
 */
export const TRANSACTION_NAMINGS = ["incrementing", "pooling"] as const;
export type TransactionNamingKey = (typeof TRANSACTION_NAMINGS)[number];
/** The first major version of the Kafka connector with a transaction naming strategy (4.0, for Flink 2.0). */
export const NAMING_CONNECTOR_MAJOR = 4;
export type StateBackend = (typeof STATE_BACKENDS)[number];

/** `latest` as restoreFrom: the newest complete retained checkpoint, found when the job is submitted. */
export const RESTORE_LATEST = "latest";

/** Mount path of the shared checkpoint volume in the JobManager and every TaskManager. */
export const CHECKPOINT_MOUNT_PATH = "/checkpoints_flink";

/** Where Flink's checkpoints, savepoints (and on kind HA metadata) live: the shared volume, or an S3 bucket. */
export const CHECKPOINT_STORAGES = ["volume", "s3"] as const;
export type CheckpointStorage = (typeof CHECKPOINT_STORAGES)[number];

/** The bucket's key prefix of the checkpoints with checkpointStorage s3 (the default checkpointDir). */
export const S3_CHECKPOINT_PREFIX = "checkpoints";

/** With checkpointStorage s3: the store, the stack's own S3 server (no s3Endpoint) or the one s3Endpoint names. */
export interface S3Settings {
  /** Whether the stack runs the S3 server itself (s3Endpoint unset), with credentials it generates. */
  readonly inStack: boolean;
  /** The endpoint Flink and the tools reach, with its scheme; undefined for the stack's own server (its address is the target's). */
  readonly endpoint?: string;
  readonly bucket: string;
  /** Path-style addressing (endpoint/bucket/key) rather than virtual-hosted (bucket.endpoint/key). */
  readonly pathStyle: boolean;
  /** The image of the stack's own S3 server. */
  readonly image: string;
}

/** Stack config keys that hold credentials: set only with `pulumi config set --secret`, never read into StackConfig. */
export const SECRET_KEYS = ["s3AccessKey", "s3SecretKey"] as const;

/** The validated stack configuration. Every field has a default; see README "Configuration". */
export interface StackConfig {
  readonly target: Target;
  readonly checkpointMode: CheckpointMode;
  readonly checkpointIntervalMs: number;
  readonly checkpointDir: string;
  readonly checkpointStorage: CheckpointStorage;
  /** Present exactly when checkpointStorage is s3. */
  readonly s3?: S3Settings;
  /** How long a checkpoint may take before Flink aborts it (execution.checkpointing.timeout). */
  readonly checkpointTimeoutMs: number;
  /** Failed checkpoints in a row the job tolerates before it restarts (execution.checkpointing.tolerable-failed-checkpoints). */
  readonly tolerableFailedCheckpoints: number;
  readonly retainOnCancellation: boolean;
  readonly retainedCheckpoints: number;
  /** Where the job's state lives between checkpoints: the JVM heap (hashmap) or RocksDB, checkpointed incrementally. */
  readonly stateBackend: StateBackend;
  /** How often the JobManager and TaskManagers exchange heartbeats (Flink's heartbeat.interval). */
  readonly heartbeatIntervalMs: number;
  /** How long without a heartbeat before a peer counts as lost (Flink's heartbeat.timeout). */
  readonly heartbeatTimeoutMs: number;
  /** First delay of Flink's exponential-delay restart strategy after a failure. */
  readonly restartBackoffMs: number;
  /** The longest delay that strategy grows to over failures in a row. */
  readonly restartMaxBackoffMs: number;
  /** Where the job's Python functions run (PyFlink's python.execution-mode). */
  readonly pythonExecutionMode: PythonExecutionMode;
  /** How the exactly-once sink names its transactions; undefined: the connector's own choice. */
  readonly transactionNaming?: TransactionNamingKey;
  /** A TaskManager keeps its ResourceID across restarts (Flink's taskmanager.resource-id = its host name). */
  readonly stableTaskManagerIds: boolean;
  /** The Flink line (flinkVersion) and what it pins. */
  readonly flinkLine: string;
  readonly flink: FlinkLine;
  readonly parallelism: number;
  /** The JobManager's and each TaskManager's Flink process size in MiB; their containers are capped a little above. */
  readonly jobManagerMemoryMb: number;
  readonly taskManagerMemoryMb: number;
  readonly taskManagers: number;
  readonly taskSlots: number;
  readonly kafkaVersion: string;
  readonly partitions: number;
  readonly visitsTopic: string;
  readonly outputTopic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  readonly jobName: string;
  readonly generatorVisits: number;
  readonly generatorDelayMinMs: number;
  readonly generatorDelayMaxMs: number;
  /** ISO-8601 start of the generated event time; undefined means "now" when the generator starts. */
  readonly generatorStartTime?: string;
  readonly generatorSeed?: number;
  /** A retained checkpoint (or savepoint) to restore the job from, as a `file://` URI, or RESTORE_LATEST. */
  readonly restoreFrom?: string;
  readonly flinkImage: string;
  readonly kafkaImage: string;
  readonly nodeImage: string;
  /** The defaults of the image keys the stack does not set, from IMAGES_ENV. */
  readonly imageDefaults: ImageDefaults;
  /** Where each image came from: the stack's config or those defaults. */
  readonly imageOrigins: Readonly<Record<ImageKey, "stack" | ImageDefaults>>;
  /** Host path of a PEM bundle added to the images' trust store at build time (TLS-inspecting proxies). */
  readonly extraCaCertsFile?: string;
  readonly flinkRestPort: number;
  readonly kafkaExternalPort: number;
  readonly kindCluster: string;
  readonly kubeContext: string;
  readonly namespace: string;
}

/** One configuration key: its default as written in stack config, and what it means. */
interface KeySpec {
  readonly default?: string;
  readonly description: string;
}

/** Every key the stack reads, under the `flink-checkpointer:` namespace. The README's table mirrors this. */
export const CONFIG_KEYS: Readonly<Record<string, KeySpec>> = {
  target: { default: "docker", description: "docker or kind" },
  checkpointMode: { default: "EXACTLY_ONCE", description: "EXACTLY_ONCE or AT_LEAST_ONCE" },
  checkpointIntervalMs: { default: "20000", description: "checkpoint interval in ms, at least 1000" },
  checkpointDir: {
    description: `volume: a file:// URI at or below ${CHECKPOINT_MOUNT_PATH} (default file://${CHECKPOINT_MOUNT_PATH}); s3: an s3:// URI in s3Bucket (default s3://<s3Bucket>/${S3_CHECKPOINT_PREFIX})`,
  },
  checkpointStorage: {
    default: "volume",
    description:
      "where checkpoints, savepoints and (kind) HA metadata live: volume (a shared volume) or s3 (a bucket: the stack's own S3 server, or s3Endpoint's)",
  },
  checkpointTimeoutMs: {
    default: "60000",
    description: "a checkpoint not complete after this many ms is aborted and counts as failed, 1000..3600000 (Flink's default 600000)",
  },
  tolerableFailedCheckpoints: {
    default: "3",
    description: "failed checkpoints in a row the job rides out without a restart, 0..1000 (Flink's default 0)",
  },
  s3Endpoint: {
    description:
      "s3: an existing store's endpoint, http(s)://host[:port] (e.g. https://s3.eu-west-1.amazonaws.com); unset: the stack runs its own S3 server",
  },
  s3Bucket: {
    default: "flink-checkpoints",
    description: "s3: the bucket (3-63 of a-z, 0-9, '.', '-'); the stack creates it on its own server",
  },
  s3PathStyle: {
    default: "true",
    description: "s3: path-style requests (endpoint/bucket/key); false: virtual-hosted (bucket.endpoint/key)",
  },
  s3AccessKey: { description: "s3 with s3Endpoint: the access key id, set with `pulumi config set --secret`" },
  s3SecretKey: { description: "s3 with s3Endpoint: the secret access key, set with `pulumi config set --secret`" },
  s3Image: {
    description: `s3 without s3Endpoint: the S3 server's image (default: ${VERSIONS.seaweedfs.officialImage}; ${IMAGES_ENV}=local: ${VERSIONS.seaweedfs.localImage})`,
  },
  retainOnCancellation: { default: "true", description: "keep externalized checkpoints when the job is cancelled" },
  retainedCheckpoints: { default: "3", description: "completed checkpoints kept, 1..100" },
  stateBackend: {
    default: "hashmap",
    description:
      "hashmap (state on the JVM heap, every checkpoint full) or rocksdb (state in RocksDB on the TaskManager's disk, checkpoints incremental: each writes only new files and shares the rest in <job id>/shared)",
  },
  heartbeatIntervalMs: { default: "2000", description: "Flink heartbeat interval in ms, 100..60000 (Flink's default 10000)" },
  heartbeatTimeoutMs: {
    default: "10000",
    description: "Flink heartbeat timeout in ms, above the interval, at most 300000 (Flink's default 50000)",
  },
  restartBackoffMs: { default: "1000", description: "first delay of the exponential-delay restart strategy in ms, 0..60000" },
  restartMaxBackoffMs: {
    default: "30000",
    description: "longest delay of that strategy in ms, from restartBackoffMs to 3600000 (Flink's default 60000)",
  },
  pythonExecutionMode: {
    default: "thread",
    description:
      "where the job's Python functions run: thread (inside the TaskManager's JVM) or process (Python worker processes, Flink's default)",
  },
  transactionNaming: {
    description:
      "the exactly-once Kafka sink's transactional ids, Flink 2.2 only: incrementing (a new one per checkpoint, each left on the broker until it expires) or pooling (a few reused); unset: the connector's own (incrementing)",
  },
  stableTaskManagerIds: {
    default: "false",
    description:
      "a restarted TaskManager registers under its former ResourceID (its host name), so Flink drops the lost one at once (Flink's default: a new random one)",
  },
  flinkVersion: { default: DEFAULT_FLINK_LINE, description: `the Flink line, one of ${Object.keys(FLINK_LINES).join(", ")}` },
  parallelism: { default: "2", description: "job parallelism, at most taskManagers × taskSlots" },
  taskManagers: {
    default: "2",
    description:
      "TaskManager count, 1..8; more slots than the parallelism needs leave a standby, on which a crashed TaskManager's job restarts at once",
  },
  taskSlots: { default: "2", description: "slots per TaskManager, 1..16" },
  jobManagerMemoryMb: {
    default: "1280",
    description: "the JobManager's Flink process size in MiB, 1024..16384; its container or pod is capped 512 MiB above (Python)",
  },
  taskManagerMemoryMb: {
    default: "2048",
    description:
      "each TaskManager's Flink process size in MiB, 1536..32768 (Flink's own parts and the 512 MiB metaspace need about 1.4 GiB); its container or pod is capped 512 MiB above (Python)",
  },
  kafkaVersion: { default: VERSIONS.kafka.version, description: "Kafka version (the tag of the default images)" },
  partitions: { default: "2", description: "partitions of each topic, 1..64" },
  visitsTopic: { default: "visits", description: "input topic" },
  outputTopic: { default: "visit_windows", description: "output topic" },
  dlqTopic: { default: "visits_dlq", description: "dead-letter topic for malformed visits" },
  groupId: { default: "visits_reader", description: "consumer group of the job's Kafka source" },
  jobName: { default: "visit-windows", description: "Flink job name" },
  generatorVisits: { default: "2", description: "concurrent visits, 1..1000" },
  generatorDelayMinMs: { default: "1000", description: "least delay between a visit's events, ms" },
  generatorDelayMaxMs: { default: "7000", description: "greatest delay between a visit's events, ms" },
  generatorStartTime: { description: "ISO-8601 start of event time (default: now)" },
  generatorSeed: { description: "integer seed for deterministic visits (default: random)" },
  restoreFrom: {
    description:
      `checkpoint to restore from: ${RESTORE_LATEST} (the newest complete retained one of the job's latest run, ` +
      "found at submission) or a file:// URI under checkpointDir",
  },
  flinkImage: { description: `Flink base image (default: the official image of flinkVersion; ${IMAGES_ENV}=local: its local equivalent)` },
  kafkaImage: {
    description: `Kafka image (default: ${repositoryOf(VERSIONS.kafka.officialImage)}:<kafkaVersion>; ${IMAGES_ENV}=local: ${repositoryOf(VERSIONS.kafka.localImage)}:<kafkaVersion>)`,
  },
  nodeImage: {
    description: `Node.js base image of the generator (default: ${VERSIONS.node.officialImage}; ${IMAGES_ENV}=local: ${VERSIONS.node.localImage})`,
  },
  extraCaCertsFile: { description: "PEM file trusted during image builds (TLS-inspecting proxy)" },
  flinkRestPort: { default: "8081", description: "host port of the Flink REST API/UI on 127.0.0.1" },
  kafkaExternalPort: { default: "9094", description: "host port of Kafka's external listener on 127.0.0.1" },
  kindCluster: { default: "flink-checkpointer", description: "kind: cluster name, whose node gets the images (kind load)" },
  kubeContext: { default: "kind-flink-checkpointer", description: "kind: kubeconfig context, kind-<kindCluster>" },
  namespace: { default: "flink-checkpointer", description: "kind: namespace" },
};

/** All the problems found in a stack configuration, reported together. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.startsWith("$") ? p : `flink-checkpointer:${p}`}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const GROUP_OR_JOB_NAME = /^[a-zA-Z0-9._-]{1,200}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Validates raw stack config values (strings as Pulumi stores them; absent keys undefined) and the environment
 * variables the stack honours (IMAGES_ENV), and returns the typed configuration. Collects every problem before failing.
 */
export function parseStackConfig(
  raw: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string | undefined>> = {},
  secretKeys: ReadonlySet<string> = new Set(),
): StackConfig {
  const problems: string[] = [];
  const setByStack = (key: string): boolean => (raw[key] ?? "").trim() !== "";
  const value = (key: string): string | undefined => {
    const v = raw[key];
    return v === undefined || v.trim() === "" ? CONFIG_KEYS[key]?.default : v.trim();
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[]): T => {
    const v = value(key) as string;
    if (!(allowed as readonly string[]).includes(v)) {
      problems.push(`${key}: "${v}" is not allowed; use one of ${allowed.join(", ")}`);
    }
    return v as T;
  };
  const int = (key: string, min: number, max: number): number => {
    const v = value(key) as string;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || n > max) {
      problems.push(`${key}: "${v}" is not allowed; use a whole number from ${min} to ${max}`);
    }
    return n;
  };
  const bool = (key: string): boolean => {
    const v = value(key) as string;
    if (v !== "true" && v !== "false") problems.push(`${key}: "${v}" is not allowed; use true or false`);
    return v === "true";
  };
  const matching = (key: string, pattern: RegExp, allowed: string): string => {
    const v = value(key) as string;
    if (!pattern.test(v)) problems.push(`${key}: "${v}" is not allowed; use ${allowed}`);
    return v;
  };
  const optional = (key: string): string | undefined => value(key);

  for (const key of Object.keys(raw)) {
    if (!(key in CONFIG_KEYS)) {
      problems.push(`${key}: unknown key; known keys are ${Object.keys(CONFIG_KEYS).join(", ")}`);
    }
  }

  const target = oneOf("target", TARGETS);
  const checkpointMode = oneOf("checkpointMode", CHECKPOINT_MODES);
  const checkpointIntervalMs = int("checkpointIntervalMs", 1000, 24 * 3600 * 1000);
  const checkpointStorage = oneOf("checkpointStorage", CHECKPOINT_STORAGES);
  const s3Keys = ["s3Endpoint", "s3Bucket", "s3PathStyle", "s3Image", ...SECRET_KEYS].filter(setByStack);
  if (checkpointStorage !== "s3" && s3Keys.length > 0) {
    problems.push(
      `${s3Keys[0]}: set, but checkpointStorage is ${checkpointStorage}; set checkpointStorage to s3, or unset ${s3Keys.join(", ")}`,
    );
  }
  const s3Endpoint = optional("s3Endpoint")?.replace(/\/+$/, "");
  if (s3Endpoint !== undefined && !isEndpoint(s3Endpoint)) {
    problems.push(
      `s3Endpoint: "${s3Endpoint}" is not allowed; use http(s)://host[:port] without a path, e.g. https://s3.eu-west-1.amazonaws.com ` +
        "or http://127.0.0.1:9000 (unset: the stack runs its own S3 server)",
    );
  }
  for (const key of SECRET_KEYS) {
    if (checkpointStorage === "s3" && s3Endpoint !== undefined && !setByStack(key)) {
      problems.push(`${key}: missing; an existing store (s3Endpoint) needs its credentials: pulumi config set --secret ${key} <value>`);
    } else if (setByStack(key) && s3Endpoint === undefined) {
      problems.push(`${key}: set without s3Endpoint; the stack generates its own server's credentials: unset ${key}, or set s3Endpoint`);
    }
    if (setByStack(key) && !secretKeys.has(key)) {
      problems.push(`${key}: stored in plain text in the stack file; set it again with pulumi config set --secret ${key} <value>`);
    }
  }
  const s3Bucket = matching("s3Bucket", S3_BUCKET, "3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit");
  const s3PathStyle = bool("s3PathStyle");
  const defaultCheckpointDir = checkpointStorage === "s3" ? `s3://${s3Bucket}/${S3_CHECKPOINT_PREFIX}` : `file://${CHECKPOINT_MOUNT_PATH}`;
  const checkpointDir = (optional("checkpointDir") ?? defaultCheckpointDir).replace(/\/+$/, "");
  if (checkpointStorage === "s3" && !isInBucket(checkpointDir, s3Bucket)) {
    problems.push(
      `checkpointDir: "${checkpointDir}" is not allowed with checkpointStorage s3; use an s3:// URI with a key prefix in the bucket ` +
        `s3Bucket names, e.g. s3://${s3Bucket}/${S3_CHECKPOINT_PREFIX}`,
    );
  } else if (checkpointStorage !== "s3" && !isUnderMount(checkpointDir)) {
    problems.push(
      `checkpointDir: "${checkpointDir}" is not allowed; use a file:// URI at or below ${CHECKPOINT_MOUNT_PATH} ` +
        "(the shared checkpoint volume), e.g. file:///checkpoints_flink",
    );
  }
  const checkpointTimeoutMs = int("checkpointTimeoutMs", 1000, 3_600_000);
  const tolerableFailedCheckpoints = int("tolerableFailedCheckpoints", 0, 1000);
  const retainOnCancellation = bool("retainOnCancellation");
  const retainedCheckpoints = int("retainedCheckpoints", 1, 100);
  const stateBackend = oneOf("stateBackend", STATE_BACKENDS);
  const heartbeatIntervalMs = int("heartbeatIntervalMs", 100, 60_000);
  const heartbeatTimeoutMs = int("heartbeatTimeoutMs", 200, 300_000);
  if (heartbeatTimeoutMs <= heartbeatIntervalMs) {
    problems.push(
      `heartbeatTimeoutMs: ${heartbeatTimeoutMs} is not above heartbeatIntervalMs ${heartbeatIntervalMs}; ` +
        "a peer would count as lost between two heartbeats",
    );
  }
  const restartBackoffMs = int("restartBackoffMs", 0, 60_000);
  const restartMaxBackoffMs = int("restartMaxBackoffMs", 0, 3_600_000);
  if (restartMaxBackoffMs < restartBackoffMs) {
    problems.push(
      `restartMaxBackoffMs: ${restartMaxBackoffMs} is below restartBackoffMs ${restartBackoffMs}; ` +
        "the longest delay cannot be shorter than the first",
    );
  }
  const pythonExecutionMode = oneOf("pythonExecutionMode", PYTHON_EXECUTION_MODES);
  const stableTaskManagerIds = bool("stableTaskManagerIds");

  const flinkVersion = value("flinkVersion") as string;
  const flink = FLINK_LINES[flinkVersion];
  if (!flink) {
    problems.push(`flinkVersion: "${flinkVersion}" is not allowed; use one of ${Object.keys(FLINK_LINES).join(", ")}`);
  }
  const transactionNaming = optional("transactionNaming") === undefined ? undefined : oneOf("transactionNaming", TRANSACTION_NAMINGS);
  if (transactionNaming !== undefined && flink && Number.parseInt(flink.kafkaConnector, 10) < NAMING_CONNECTOR_MAJOR) {
    const lines = Object.entries(FLINK_LINES)
      .filter(([, pinned]) => Number.parseInt(pinned.kafkaConnector, 10) >= NAMING_CONNECTOR_MAJOR)
      .map(([line]) => line);
    problems.push(
      `transactionNaming: "${transactionNaming}" needs a Kafka connector with a transaction naming strategy (${NAMING_CONNECTOR_MAJOR}.0 or later), ` +
        `but Flink ${flinkVersion}'s is ${flink.kafkaConnector}, whose sink starts a new transactional id every checkpoint; ` +
        `use flinkVersion ${lines.join(" or ")}, or unset transactionNaming`,
    );
  }

  const parallelism = int("parallelism", 1, 128);
  const taskManagers = int("taskManagers", 1, 8);
  const taskSlots = int("taskSlots", 1, 16);
  const jobManagerMemoryMb = int("jobManagerMemoryMb", 1024, 16_384);
  const taskManagerMemoryMb = int("taskManagerMemoryMb", 1536, 32_768);
  if (parallelism > taskManagers * taskSlots) {
    problems.push(
      `parallelism: ${parallelism} is more than the ${taskManagers * taskSlots} task slots ` +
        `(taskManagers ${taskManagers} × taskSlots ${taskSlots}); lower it or add slots`,
    );
  }

  const kafkaVersion = matching("kafkaVersion", /^\d+\.\d+\.\d+$/, "a release like 4.1.1");
  const partitions = int("partitions", 1, 64);
  const topicRule = "1-249 characters of letters, digits, '.', '_' or '-'";
  const visitsTopic = matching("visitsTopic", TOPIC_NAME, topicRule);
  const outputTopic = matching("outputTopic", TOPIC_NAME, topicRule);
  const dlqTopic = matching("dlqTopic", TOPIC_NAME, topicRule);
  if (new Set([visitsTopic, outputTopic, dlqTopic]).size < 3) {
    problems.push(
      `outputTopic: visitsTopic, outputTopic and dlqTopic must be three different topics ` +
        `(got ${visitsTopic}, ${outputTopic}, ${dlqTopic})`,
    );
  }
  const groupId = matching("groupId", GROUP_OR_JOB_NAME, "letters, digits, '.', '_' or '-'");
  const jobName = matching("jobName", GROUP_OR_JOB_NAME, "letters, digits, '.', '_' or '-'");

  const generatorVisits = int("generatorVisits", 1, 1000);
  const generatorDelayMinMs = int("generatorDelayMinMs", 0, 3_600_000);
  const generatorDelayMaxMs = int("generatorDelayMaxMs", 0, 3_600_000);
  if (generatorDelayMinMs > generatorDelayMaxMs) {
    problems.push(
      `generatorDelayMaxMs: ${generatorDelayMaxMs} is below generatorDelayMinMs ${generatorDelayMinMs}; ` +
        "the delay range needs min <= max",
    );
  }
  const generatorStartTime = optional("generatorStartTime");
  if (generatorStartTime !== undefined && Number.isNaN(Date.parse(generatorStartTime))) {
    problems.push(`generatorStartTime: "${generatorStartTime}" is not allowed; use an ISO-8601 time like 2026-01-01T00:00:00Z`);
  }
  const generatorSeed = optional("generatorSeed") === undefined ? undefined : int("generatorSeed", 0, 2 ** 32 - 1);

  const restoreFrom = optional("restoreFrom")?.replace(/\/+$/, "");
  if (
    restoreFrom !== undefined &&
    restoreFrom !== RESTORE_LATEST &&
    !(restoreFrom.startsWith(`${checkpointDir}/`) && /\/(chk-\d+|savepoint-[^/]+)$/.test(restoreFrom))
  ) {
    problems.push(
      `restoreFrom: "${restoreFrom}" is not allowed; use ${RESTORE_LATEST} (the newest complete retained ` +
        `checkpoint, found at submission) or a retained checkpoint or savepoint under checkpointDir, ` +
        `e.g. ${checkpointDir}/<job-id>/chk-<n>`,
    );
  }

  const imageDefaults = (env[IMAGES_ENV] ?? "").trim() || "official";
  if (!(IMAGE_DEFAULTS as readonly string[]).includes(imageDefaults)) {
    problems.push(
      `$${IMAGES_ENV}: "${imageDefaults}" is not allowed; use one of ${IMAGE_DEFAULTS.join(", ")} ` +
        "(the defaults of the image keys the stack does not set), or unset it",
    );
  }
  const local = imageDefaults === "local";
  const defaultImages: Record<ImageKey, string> = {
    flinkImage: (local ? flink?.localImage : flink?.officialImage) ?? "",
    kafkaImage: `${repositoryOf(local ? VERSIONS.kafka.localImage : VERSIONS.kafka.officialImage)}:${kafkaVersion}`,
    nodeImage: local ? VERSIONS.node.localImage : VERSIONS.node.officialImage,
  };
  const imageRule = "an image reference like name:tag";
  const imageRef = /^[a-z0-9][a-z0-9._\-/:@]*$/i;
  const image = (key: ImageKey): string => (setByStack(key) ? matching(key, imageRef, imageRule) : defaultImages[key]);
  const [flinkImage, kafkaImage, nodeImage] = IMAGE_KEYS.map(image);
  const imageOrigins = Object.fromEntries(IMAGE_KEYS.map((key) => [key, setByStack(key) ? "stack" : imageDefaults])) as Record<
    ImageKey,
    "stack" | ImageDefaults
  >;
  const extraCaCertsFile = optional("extraCaCertsFile");
  const s3Image = setByStack("s3Image")
    ? matching("s3Image", imageRef, imageRule)
    : local
      ? VERSIONS.seaweedfs.localImage
      : VERSIONS.seaweedfs.officialImage;
  const s3: S3Settings | undefined =
    checkpointStorage === "s3"
      ? {
          inStack: s3Endpoint === undefined,
          ...(s3Endpoint ? { endpoint: s3Endpoint } : {}),
          bucket: s3Bucket,
          pathStyle: s3PathStyle,
          image: s3Image,
        }
      : undefined;

  const flinkRestPort = int("flinkRestPort", 1, 65535);
  const kafkaExternalPort = int("kafkaExternalPort", 1, 65535);
  if (flinkRestPort === kafkaExternalPort) {
    problems.push(`kafkaExternalPort: ${kafkaExternalPort} is also flinkRestPort; use two different host ports`);
  }
  const kindCluster = matching("kindCluster", DNS_LABEL, "a kind cluster name: lower-case letters, digits and '-', at most 63");
  const kubeContext = value("kubeContext") as string;
  if (target === "kind" && kubeContext !== `kind-${kindCluster}`) {
    problems.push(
      `kubeContext: "${kubeContext}" is not the context kind writes for the cluster "${kindCluster}"; ` +
        `use kind-${kindCluster}, or set kindCluster to the cluster that context belongs to`,
    );
  }
  const namespace = matching("namespace", DNS_LABEL, "a DNS label: lower-case letters, digits and '-', at most 63");

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    target,
    checkpointMode,
    checkpointIntervalMs,
    checkpointDir,
    checkpointStorage,
    ...(s3 ? { s3 } : {}),
    checkpointTimeoutMs,
    tolerableFailedCheckpoints,
    retainOnCancellation,
    retainedCheckpoints,
    stateBackend,
    heartbeatIntervalMs,
    heartbeatTimeoutMs,
    restartBackoffMs,
    restartMaxBackoffMs,
    pythonExecutionMode,
    ...(transactionNaming !== undefined ? { transactionNaming } : {}),
    stableTaskManagerIds,
    flinkLine: flinkVersion,
    flink: flink as FlinkLine,
    parallelism,
    jobManagerMemoryMb,
    taskManagerMemoryMb,
    taskManagers,
    taskSlots,
    kafkaVersion,
    partitions,
    visitsTopic,
    outputTopic,
    dlqTopic,
    groupId,
    jobName,
    generatorVisits,
    generatorDelayMinMs,
    generatorDelayMaxMs,
    generatorStartTime,
    generatorSeed,
    restoreFrom,
    flinkImage,
    kafkaImage,
    nodeImage,
    imageDefaults: imageDefaults as ImageDefaults,
    imageOrigins,
    extraCaCertsFile,
    flinkRestPort,
    kafkaExternalPort,
    kindCluster,
    kubeContext,
    namespace,
  };
}

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function isEndpoint(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.pathname === "/" && !parsed.search && !parsed.username;
  } catch {
    return false;
  }
}

/** s3://<bucket>/<prefix>, a prefix of at least one segment and no `..`. */
function isInBucket(uri: string, bucket: string): boolean {
  const prefix = `s3://${bucket}/`;
  return uri.startsWith(prefix) && uri.length > prefix.length && !uri.split("/").includes("..") && !uri.includes("//", prefix.length - 1);
}

function isUnderMount(uri: string): boolean {
  const prefix = `file://${CHECKPOINT_MOUNT_PATH}`;
  return (uri === prefix || uri.startsWith(`${prefix}/`)) && !uri.includes("/../") && !uri.endsWith("/..");
}

/** The keys of one project's namespace (`<project>:<key>`) in a map of full config keys, without the prefix. */
export function projectConfig(all: Readonly<Record<string, string>>, project: string): Record<string, string> {
  const namespace = `${project}:`;
  return Object.fromEntries(
    Object.entries(all)
      .filter(([key]) => key.startsWith(namespace))
      .map(([key, v]) => [key.slice(namespace.length), v]),
  );
}

/** The project's keys among the secret ones the Pulumi engine names (PULUMI_CONFIG_SECRET_KEYS, a JSON list of full keys). */
export function secretConfigKeys(env: Readonly<Record<string, string | undefined>>, project: string): Set<string> {
  let keys: unknown = [];
  try {
    keys = JSON.parse(env.PULUMI_CONFIG_SECRET_KEYS ?? "[]");
  } catch {
    keys = [];
  }
  const namespace = `${project}:`;
  return new Set(
    (Array.isArray(keys) ? keys : [])
      .filter((k): k is string => typeof k === "string" && k.startsWith(namespace))
      .map((k) => k.slice(namespace.length)),
  );
}

/** Reads the `flink-checkpointer:*` keys of the current stack and IMAGES_ENV, and validates them. */
export function loadConfig(): StackConfig {
  const project = pulumi.getProject();
  return parseStackConfig(projectConfig(pulumi.runtime.allConfig(), project), process.env, secretConfigKeys(process.env, project));
}

/** The credentials of an existing store (s3Endpoint), as the secrets Pulumi keeps them; read only here. */
export function existingStoreCredentials(): { readonly accessKey: pulumi.Output<string>; readonly secretKey: pulumi.Output<string> } {
  const config = new pulumi.Config();
  return { accessKey: config.requireSecret("s3AccessKey"), secretKey: config.requireSecret("s3SecretKey") };
}
