import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { JOB_DEFAULTS } from "../jobs/flink/settings";
import { DEFAULT_FLINK_LINE, FLINK_LINES, type FlinkLine, VERSIONS } from "../lib/versions";
import { CHECKPOINT_MODES, CheckpointMode, IMAGES_ENV, SINK_TRANSACTION_TIMEOUT_MS, TARGETS, Target } from "./contract";

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
    description: `volume: a file:// URI at or below ${CHECKPOINT_MOUNT_PATH}, folders of letters, digits, '.', '_' and '-' (default file://${CHECKPOINT_MOUNT_PATH}); s3: an s3:// URI in s3Bucket (default s3://<s3Bucket>/${S3_CHECKPOINT_PREFIX})`,
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
  restartBackoffMs: { default: "1000", description: "first delay of the exponential-delay restart strategy in ms, 1..60000" },
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
  generatorStartTime: { description: "ISO-8601 start of event time with a zone, e.g. 2026-01-01T00:00:00Z (default: now)" },
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
  extraCaCertsFile: { description: "absolute path of a readable PEM file trusted during image builds (TLS-inspecting proxy)" },
  flinkRestPort: { default: "8081", description: "host port of the Flink REST API/UI on 127.0.0.1" },
  kafkaExternalPort: { default: "9094", description: "host port of Kafka's external listener on 127.0.0.1" },
  kindCluster: { default: "flink-checkpointer", description: "kind: cluster name, whose node gets the images (kind load)" },
  kubeContext: { default: "kind-flink-checkpointer", description: "kind: kubeconfig context, kind-<kindCluster>" },
  namespace: { default: "flink-checkpointer", description: "kind: namespace" },
};

/** The keys only the kind target reads; set on a docker stack they would be silently ignored. */
export const KIND_ONLY_KEYS = ["kindCluster", "kubeContext", "namespace"] as const;

/** All the problems found in a stack configuration, reported together. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.startsWith("$") || isFullKeyProblem(p) ? p : `flink-checkpointer:${p}`}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** A problem about a key of another namespace names the full key (`ns:key: …`), which gets no project prefix. */
const isFullKeyProblem = (problem: string): boolean => problem.slice(0, Math.max(problem.indexOf(": "), 0)).includes(":");

// Names reach the job's command line as option values (`--group-id <value>`), where a leading '-' reads as an option.
const TOPIC_NAME = /^[a-zA-Z0-9._][a-zA-Z0-9._-]{0,248}$/;
const GROUP_OR_JOB_NAME = /^[a-zA-Z0-9._][a-zA-Z0-9._-]{0,199}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/**
 * A folder or file name in a path that reaches Flink's configuration (FLINK_PROPERTIES: lines of `key: value`, split at
 * the first ':', trimmed, expanded by envsubst and read as YAML) or a command line: whitespace, '#', quotes, '$' and
 * YAML's indicators would change the value there; '.' and '..' would leave the folder it names.
 */
const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
/** The stack's own folders on the checkpoint volume (specs: web.upload.dir, Kubernetes HA's storage). */
const RESERVED_VOLUME_FOLDERS = ["jars", "ha"];

/**
 * Validates raw stack config values (strings as Pulumi stores them; absent keys undefined) and the environment
 * variables the stack honours (IMAGES_ENV), and returns the typed configuration. Collects every problem before failing.
 * The files a key names (extraCaCertsFile) are read through `readTextFile`, so the check is pure given it.
 */
export function parseStackConfig(
  raw: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string | undefined>> = {},
  secretKeys: ReadonlySet<string> = new Set(),
  readTextFile: ReadTextFile = readTextFileFromDisk,
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
  const checkpointFolders = checkpointStorage === "s3" ? [] : foldersUnderMount(checkpointDir);
  if (checkpointStorage === "s3" && !isInBucket(checkpointDir, s3Bucket)) {
    problems.push(
      `checkpointDir: "${checkpointDir}" is not allowed with checkpointStorage s3; use an s3:// URI with a key prefix in the bucket ` +
        `s3Bucket names, e.g. s3://${s3Bucket}/${S3_CHECKPOINT_PREFIX}`,
    );
  } else if (checkpointFolders === undefined) {
    problems.push(
      `checkpointDir: ${JSON.stringify(checkpointDir)} is not allowed; use a file:// URI at or below ${CHECKPOINT_MOUNT_PATH} ` +
        "(the shared checkpoint volume) whose folders are letters, digits, '.', '_' and '-' (not starting with '.' or '-'), " +
        "e.g. file:///checkpoints_flink",
    );
  } else if (RESERVED_VOLUME_FOLDERS.includes(checkpointFolders[0] ?? "")) {
    problems.push(
      `checkpointDir: "${checkpointDir}" is not allowed; ${CHECKPOINT_MOUNT_PATH}/${checkpointFolders[0]} is the stack's own ` +
        `folder (${RESERVED_VOLUME_FOLDERS.map((f) => `${CHECKPOINT_MOUNT_PATH}/${f}`).join(" uploaded jars, ")} high availability); ` +
        "use file:///checkpoints_flink or another folder below it",
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
  // Flink refuses an exponential-delay strategy whose backoffs are below 1 ms, and with it the job.
  const restartBackoffMs = int("restartBackoffMs", 1, 60_000);
  const restartMaxBackoffMs = int("restartMaxBackoffMs", 1, 3_600_000);
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
  const topicRule = "1-249 characters of letters, digits, '.', '_' or '-', not starting with '-', and not . or ..";
  const visitsTopic = matching("visitsTopic", TOPIC_NAME, topicRule);
  const outputTopic = matching("outputTopic", TOPIC_NAME, topicRule);
  const dlqTopic = matching("dlqTopic", TOPIC_NAME, topicRule);
  for (const [key, topic] of [
    ["visitsTopic", visitsTopic],
    ["outputTopic", outputTopic],
    ["dlqTopic", dlqTopic],
  ] as const) {
    if (topic === "." || topic === "..") problems.push(`${key}: "${topic}" is not allowed; use ${topicRule}`);
  }
  if (new Set([visitsTopic, outputTopic, dlqTopic]).size < 3) {
    problems.push(
      `outputTopic: visitsTopic, outputTopic and dlqTopic must be three different topics ` +
        `(got ${visitsTopic}, ${outputTopic}, ${dlqTopic})`,
    );
  }
  const nameRule = "1-200 letters, digits, '.', '_' or '-', not starting with '-'";
  const groupId = matching("groupId", GROUP_OR_JOB_NAME, nameRule);
  const jobName = matching("jobName", GROUP_OR_JOB_NAME, nameRule);

  const generatorVisits = int("generatorVisits", 1, 1000);
  const generatorDelayMinMs = int("generatorDelayMinMs", 0, 3_600_000);
  // The generator refuses a greatest delay of 0: its schedule's clock would stand still.
  const generatorDelayMaxMs = int("generatorDelayMaxMs", 1, 3_600_000);
  if (generatorDelayMinMs > generatorDelayMaxMs) {
    problems.push(
      `generatorDelayMaxMs: ${generatorDelayMaxMs} is below generatorDelayMinMs ${generatorDelayMinMs}; ` +
        "the delay range needs min <= max",
    );
  }
  const generatorStartTime = optional("generatorStartTime");
  if (generatorStartTime !== undefined && !isIsoTime(generatorStartTime)) {
    problems.push(
      `generatorStartTime: ${JSON.stringify(generatorStartTime)} is not allowed; use an ISO-8601 date-time with a zone ` +
        "from 1970 to 9999, like 2026-01-01T00:00:00Z or 2026-01-01T01:00:00+01:00",
    );
  }
  const generatorSeed = optional("generatorSeed") === undefined ? undefined : int("generatorSeed", 0, 2 ** 32 - 1);

  const restoreFrom = optional("restoreFrom")?.replace(/\/+$/, "");
  if (
    restoreFrom !== undefined &&
    restoreFrom !== RESTORE_LATEST &&
    !(
      restoreFrom.startsWith(`${checkpointDir}/`) &&
      (checkpointStorage === "s3" ? isInBucket(restoreFrom, s3Bucket) : foldersUnderMount(restoreFrom) !== undefined) &&
      /\/(chk-\d+|savepoint-[^/]+)$/.test(restoreFrom)
    )
  ) {
    problems.push(
      `restoreFrom: ${JSON.stringify(restoreFrom)} is not allowed; use ${RESTORE_LATEST} (the newest complete retained ` +
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
  const imageRule = "an image reference like name:tag ([registry[:port]/]lower-case path[:tag][@sha256:<digest>])";
  const checkedImage = (key: string): string => {
    const reference = value(key) as string;
    if (!isImageReference(reference)) problems.push(`${key}: ${JSON.stringify(reference)} is not allowed; use ${imageRule}`);
    return reference;
  };
  const image = (key: ImageKey): string => (setByStack(key) ? checkedImage(key) : defaultImages[key]);
  const [flinkImage, kafkaImage, nodeImage] = IMAGE_KEYS.map(image);
  const imageOrigins = Object.fromEntries(IMAGE_KEYS.map((key) => [key, setByStack(key) ? "stack" : imageDefaults])) as Record<
    ImageKey,
    "stack" | ImageDefaults
  >;
  const extraCaCertsFile = optional("extraCaCertsFile");
  const s3Image = setByStack("s3Image")
    ? checkedImage("s3Image")
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
  const caProblem = extraCaCertsFile === undefined ? undefined : pemFileProblem(extraCaCertsFile, readTextFile);
  if (caProblem !== undefined) problems.push(`extraCaCertsFile: ${JSON.stringify(extraCaCertsFile)} ${caProblem}`);

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

  problems.push(
    ...combinationProblems(
      { target, checkpointMode, checkpointIntervalMs, generatorDelayMinMs, flinkLine: flinkVersion, flinkImage },
      setByStack,
    ),
  );
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

/** The folders of a file:// URI below the checkpoint mount, each a PATH_SEGMENT; undefined for any other URI. */
function foldersUnderMount(uri: string): string[] | undefined {
  const prefix = `file://${CHECKPOINT_MOUNT_PATH}`;
  if (uri === prefix) return [];
  if (!uri.startsWith(`${prefix}/`)) return undefined;
  const folders = uri.slice(prefix.length + 1).split("/");
  return folders.every((folder) => PATH_SEGMENT.test(folder)) ? folders : undefined;
}

/**
 * An ISO-8601 date-time with a zone, as the visit generator takes it (jobs/generator/options.ts), on the calendar
 * (no 30 February, which Date.parse would move to March) and from 1970 on (Kafka takes no negative timestamps).
 */
export function isIsoTime(text: string): boolean {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d{1,9})?)?(?:Z|[+-](\d\d):(\d\d))$/.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second = "0", zoneHours = "0", zoneMinutes = "0"] = match.slice(1).map((part) => part ?? "0");
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  const ms = Date.parse(text);
  return (
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(zoneHours) <= 14 &&
    Number(zoneMinutes) <= 59 &&
    Number.isFinite(ms) &&
    ms >= 0
  );
}

/**
 * A Docker image reference: [host[:port]/]path[:tag][@digest], the path of lower-case components joined by '/', as the
 * Docker Engine and kind's image loading take it (an upper-case letter, a space or an empty component is refused there).
 */
export function isImageReference(text: string): boolean {
  const component = "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*";
  const host = "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\\d{1,5})?/)?";
  const tag = "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?";
  const digest = "(?:@sha256:[a-f0-9]{64})?";
  return text.length <= 255 && new RegExp(`^${host}${component}(?:/${component})*${tag}${digest}$`).test(text);
}

/** A file's text, or why it cannot be read (its absence, a folder, no permission). */
export type ReadTextFile = (path: string) => { readonly text: string } | { readonly error: string };

/** Reads a file of the machine for the config check. */
export function readTextFileFromDisk(file: string): { text: string } | { error: string } {
  try {
    if (!fs.statSync(file).isFile()) return { error: "is not a file" };
    return { text: fs.readFileSync(file, "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: code === "ENOENT" ? "does not exist" : code === "EACCES" ? "cannot be read by this user" : (error as Error).message };
  }
}

/** What is wrong with a CA bundle for the image builds, or undefined: an absolute path of a readable PEM certificate file. */
export function pemFileProblem(file: string, readTextFile: ReadTextFile): string | undefined {
  const allowed = "give the absolute path of a readable PEM file of certificates (-----BEGIN CERTIFICATE-----), or unset the key";
  if (!path.isAbsolute(file) || /[\0\n\r]/.test(file)) return `is not an absolute path; ${allowed}`;
  const read = readTextFile(file);
  if ("error" in read) return `${read.error}; ${allowed}`;
  const block = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----/;
  return block.test(read.text) ? undefined : `holds no PEM certificate; ${allowed}`;
}

/** The fields combinationProblems judges. */
type Combined = Pick<
  StackConfig,
  "target" | "checkpointMode" | "checkpointIntervalMs" | "generatorDelayMinMs" | "flinkLine" | "flinkImage"
>;

/**
 * Settings that are each allowed but together fail when Flink or the job starts, after the stack was built, or
 * quietly do something else than they say; each problem names both keys.
 */
export function combinationProblems(cfg: Combined, setByStack: (key: string) => boolean): string[] {
  const problems: string[] = [];
  // A transaction stays open from one checkpoint to the next and must be committed after a recovery too: an interval
  // near the sink's timeout lets the broker abort it first (the job itself refuses one at or above it).
  const longestInterval = SINK_TRANSACTION_TIMEOUT_MS / 2;
  if (cfg.checkpointMode === "EXACTLY_ONCE" && cfg.checkpointIntervalMs > longestInterval) {
    problems.push(
      `checkpointIntervalMs: ${cfg.checkpointIntervalMs} with checkpointMode EXACTLY_ONCE is not well below the Kafka ` +
        `transaction timeout of the job's sink (${SINK_TRANSACTION_TIMEOUT_MS} ms): a transaction stays open for an interval ` +
        `and must be committed after a recovery; use at most ${longestInterval}, or checkpointMode AT_LEAST_ONCE`,
    );
  }
  if (cfg.target !== "kind") {
    for (const key of KIND_ONLY_KEYS.filter(setByStack)) {
      problems.push(
        `${key}: set, but target is ${cfg.target}, which never reads it (only the kind target does); remove it, or set target to kind`,
      );
    }
  }
  if (setByStack("kafkaImage") && setByStack("kafkaVersion")) {
    problems.push(
      "kafkaVersion: set beside kafkaImage, which then decides the Kafka version alone; remove kafkaVersion, " +
        "or remove kafkaImage to take the image of kafkaVersion",
    );
  }
  const imageLine = /:(\d+\.\d+)(?:[.-]|$)/.exec(cfg.flinkImage.slice(cfg.flinkImage.lastIndexOf("/") + 1))?.[1];
  if (setByStack("flinkImage") && imageLine !== undefined && cfg.flinkLine in FLINK_LINES && imageLine !== cfg.flinkLine) {
    problems.push(
      `flinkImage: "${cfg.flinkImage}" is tagged for Flink ${imageLine}, but flinkVersion is ${cfg.flinkLine}, whose PyFlink and ` +
        "connector the job image would put on it; use an image of that line, or set flinkVersion to the image's line",
    );
  }
  // Each visit moves on by at least the least delay: countTrigger pages of one visit then never fit into one window.
  const windowMs = JOB_DEFAULTS.windowSeconds * 1000;
  if (cfg.generatorDelayMinMs * (JOB_DEFAULTS.countTrigger - 1) >= windowMs) {
    problems.push(
      `generatorDelayMinMs: ${cfg.generatorDelayMinMs} spreads ${JOB_DEFAULTS.countTrigger} pages of a visit over at least ` +
        `${(cfg.generatorDelayMinMs * (JOB_DEFAULTS.countTrigger - 1)) / 1000} s, more than the job's ${JOB_DEFAULTS.windowSeconds} s window ` +
        `with its count trigger of ${JOB_DEFAULTS.countTrigger}, so no window would ever fire; ` +
        `use below ${Math.ceil(windowMs / (JOB_DEFAULTS.countTrigger - 1))} (and generatorDelayMaxMs to match)`,
    );
  }
  return problems;
}

/** The namespaces of a project stack file's keys that belong to Pulumi and its providers, not to a typo. */
export const PROVIDER_NAMESPACES = ["pulumi", "docker", "kubernetes"] as const;

/**
 * Keys of the stack's config under another namespace than the project's and Pulumi's own: a namespace typo
 * (`flink-checkpointr:target`) would otherwise be silently ignored. (A key without a namespace in a stack file is the
 * project's: Pulumi reads `target` there as `<project>:target`.)
 */
export function foreignKeyProblems(allKeys: readonly string[], project: string): string[] {
  return allKeys
    .filter((key) => {
      const namespace = key.slice(0, Math.max(key.indexOf(":"), 0));
      return namespace !== project && !(PROVIDER_NAMESPACES as readonly string[]).includes(namespace);
    })
    .map((key) => {
      const name = key.slice(key.indexOf(":") + 1);
      return (
        `${key}: namespace "${key.slice(0, Math.max(key.indexOf(":"), 0))}" is neither this project's (${project}) nor Pulumi's ` +
        `or a provider's (${PROVIDER_NAMESPACES.join(", ")}), so nothing reads it: probably mistyped` +
        (name in CONFIG_KEYS ? `; did you mean ${project}:${name}?` : "; remove it")
      );
    });
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

/**
 * Validates a stack's whole config map (`<namespace>:<key>` → value): the project's keys as parseStackConfig does, and
 * every key of another namespace (foreignKeyProblems), all problems in one ConfigError.
 */
export function parseProjectStackConfig(
  all: Readonly<Record<string, string>>,
  project: string,
  env: Readonly<Record<string, string | undefined>> = {},
  secretKeys: ReadonlySet<string> = new Set(),
  readTextFile: ReadTextFile = readTextFileFromDisk,
): StackConfig {
  const foreign = foreignKeyProblems(Object.keys(all), project);
  let cfg: StackConfig;
  try {
    cfg = parseStackConfig(projectConfig(all, project), env, secretKeys, readTextFile);
  } catch (error) {
    throw error instanceof ConfigError ? new ConfigError([...error.problems, ...foreign]) : error;
  }
  if (foreign.length > 0) throw new ConfigError(foreign);
  return cfg;
}

/** Reads the current stack's config and IMAGES_ENV, and validates them. */
export function loadConfig(): StackConfig {
  const project = pulumi.getProject();
  return parseProjectStackConfig(pulumi.runtime.allConfig(), project, process.env, secretConfigKeys(process.env, project));
}

/** The credentials of an existing store (s3Endpoint), as the secrets Pulumi keeps them; read only here. */
export function existingStoreCredentials(): { readonly accessKey: pulumi.Output<string>; readonly secretKey: pulumi.Output<string> } {
  const config = new pulumi.Config();
  return { accessKey: config.requireSecret("s3AccessKey"), secretKey: config.requireSecret("s3SecretKey") };
}
