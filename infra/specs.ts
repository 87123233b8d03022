/**
 * Target-neutral description of what Kafka, Flink, the job and the generator need.
 * Pure functions of the stack configuration: the Docker and Kubernetes implementations only translate them,
 * so a change of, say, the checkpoint interval is one edit in config and reaches every place from here.
 */

import {
  CHECKPOINTS_SCRIPT,
  JOB_DEFAULTS,
  JOB_SCRIPT,
  type JobSettings,
  jobArguments,
  OBJECTSTORE_SCRIPT,
  PYTHON_DRIVER_CLASS,
  SUBMIT_SCRIPT,
} from "../jobs/flink/settings";
import { checkpointFormats } from "../lib/versions";
import { CHECKPOINT_MOUNT_PATH, IMAGE_KEYS, type S3Settings, type StackConfig } from "./config";
import type { BucketStorageOutput, InformationalOutputs, JobSubmissionSpec, StackOutputs } from "./contract";
import { KAFKA_DATA_DIR, KAFKA_INTERNAL_PORT, SINK_TRANSACTION_TIMEOUT_MS } from "./contract";

/** Names by which the stack's parts find each other (Docker network aliases, Kubernetes Services). */
export const HOSTS = { kafka: "kafka", jobmanager: "jobmanager", s3: "s3" } as const;

export const PORTS = {
  flinkRest: 8081,
  // Flink picks random blob and TaskManager RPC ports by default; Services, probes and firewalls need them known.
  flinkRpc: 6123,
  flinkBlob: 6124,
  taskManagerRpc: 6122,
  kafkaInternal: KAFKA_INTERNAL_PORT,
  kafkaController: 9093,
  kafkaExternal: 9094,
  // The S3 API of the stack's own server (SeaweedFS's default); the only port of it the stack exposes.
  s3: 8333,
} as const;

/** Users of the official images; the stack runs every container as these, never as root. */
export const USERS = { flink: "9999:9999", kafka: "1000:1000", node: "1000:1000", s3: "10333:10333" } as const;

/** Room for the Python interpreter PyFlink runs beside (process mode) or inside (thread mode) each Flink JVM. */
export const PYTHON_OVERHEAD_MB = 512;

/** Memory in MiB of a process: what it is sized for (`request`) and the cap its container or pod gets (`limit`). */
export interface MemorySize {
  readonly request: number;
  readonly limit: number;
}

/**
 * The Flink processes' memory: their configured process sizes (jobManagerMemoryMb, taskManagerMemoryMb), capped with
 * room for the Python PyFlink runs beside or inside each JVM.
 */
export function flinkMemoryMb(
  cfg: Pick<StackConfig, "jobManagerMemoryMb" | "taskManagerMemoryMb">,
): Record<"jobmanager" | "taskmanager", MemorySize> {
  return {
    jobmanager: { request: cfg.jobManagerMemoryMb, limit: cfg.jobManagerMemoryMb + PYTHON_OVERHEAD_MB },
    taskmanager: { request: cfg.taskManagerMemoryMb, limit: cfg.taskManagerMemoryMb + PYTHON_OVERHEAD_MB },
  };
}

/** The other processes' memory, the same on both targets: the broker's default 1 GiB heap and the JVM's own; small clients. */
export const PROCESS_MEMORY_MB: Readonly<Record<"kafka" | "topics" | "generator" | "submission" | "s3" | "bucket", MemorySize>> = {
  kafka: { request: 1280, limit: 1536 },
  topics: { request: 256, limit: 512 },
  generator: { request: 64, limit: 256 },
  submission: { request: 128, limit: 256 },
  // SeaweedFS's weed mini: 31 MiB idle, 155 MiB after hours of checkpoints on docker, yet OOMKilled at a 512 MiB limit
  // on the kind cluster (its Go heap grows until collected: s3ServerEnvironment bounds it below the limit).
  s3: { request: 256, limit: 1024 },
  bucket: { request: 64, limit: 128 },
};

/** Fixed cluster id (base64 of 16 bytes, as KRaft wants) so a recreated broker reuses its formatted storage. */
export const KAFKA_CLUSTER_ID = "ZmxpbmstY2hlY2twb2ludA";

export const internalBootstrap = (): string => `${HOSTS.kafka}:${PORTS.kafkaInternal}`;
export const internalRestUrl = (): string => `http://${HOSTS.jobmanager}:${PORTS.flinkRest}`;

/**
 * The Flink configuration shared by the JobManager and TaskManagers (FLINK_PROPERTIES of the flink image): the
 * target-neutral core, plus what a target adds (the kind target: Kubernetes HA). An addition may only add keys.
 * Durations carry their unit without a space: the images' configuration tooling drops what follows a space
 * ("30 s" arrived as 30, read as 30 ms).
 */
export function flinkProperties(cfg: StackConfig, addition: Readonly<Record<string, string>> = {}): Record<string, string> {
  const core = flinkCoreProperties(cfg);
  const overridden = Object.keys(addition).filter((key) => key in core);
  if (overridden.length > 0) {
    throw new Error(`a target's Flink properties may only add keys, but it sets ${overridden.join(", ")} of the shared configuration`);
  }
  return { ...core, ...addition };
}

function flinkCoreProperties(cfg: StackConfig): Record<string, string> {
  return {
    "jobmanager.rpc.address": HOSTS.jobmanager,
    "jobmanager.rpc.port": String(PORTS.flinkRpc),
    "blob.server.port": String(PORTS.flinkBlob),
    "taskmanager.rpc.port": String(PORTS.taskManagerRpc),
    "jobmanager.memory.process.size": `${cfg.jobManagerMemoryMb}m`,
    "taskmanager.memory.process.size": `${cfg.taskManagerMemoryMb}m`,
    // Every (re)submission of a Python job loads its classes anew; the default 256m ran out after ~8 runs.
    "taskmanager.memory.jvm-metaspace.size": "512m",
    "taskmanager.numberOfTaskSlots": String(cfg.taskSlots),
    "parallelism.default": String(cfg.parallelism),
    // Uploaded jars on the shared volume, not in the JobManager's temporary folder: a JobManager that comes back
    // (a new pod on kind, a re-created container) still lists the flink-python jar that resubmissions run. With
    // checkpoints in a bucket there is no volume: a local folder, and submit.py uploads the jar again when the
    // JobManager lost it.
    "web.upload.dir": cfg.s3 ? LOCAL_UPLOAD_DIR : FLINK_UPLOAD_DIR,
    "state.backend.type": cfg.stateBackend,
    // Only RocksDB checkpoints incrementally; a hashmap backend would need the changelog for it.
    "execution.checkpointing.incremental": String(cfg.stateBackend === "rocksdb"),
    // The primary key names of Flink 2, which 1.20 knows too (the state.* names are deprecated aliases on both lines).
    "execution.checkpointing.dir": cfg.checkpointDir,
    "execution.checkpointing.num-retained": String(cfg.retainedCheckpoints),
    // A savepoint without a target (`flink savepoint <job-id>`, `flink stop <job-id>`) lands on the volume too,
    // where restoreFrom accepts it; the checkpoint tools read only job-id folders, so it is no job to them.
    "execution.checkpointing.savepoint-dir": `${cfg.checkpointDir}/savepoints`,
    "execution.checkpointing.interval": `${cfg.checkpointIntervalMs}ms`,
    "execution.checkpointing.mode": cfg.checkpointMode,
    // A checkpoint that hangs (a store that stopped answering) is aborted after this and counts as failed; the job
    // rides out this many failed in a row, so an outage of the store shorter than about their product costs no
    // restart (docs/storage.md).
    "execution.checkpointing.timeout": `${cfg.checkpointTimeoutMs}ms`,
    "execution.checkpointing.tolerable-failed-checkpoints": String(cfg.tolerableFailedCheckpoints),
    "execution.checkpointing.externalized-checkpoint-retention": cfg.retainOnCancellation
      ? "RETAIN_ON_CANCELLATION"
      : "DELETE_ON_CANCELLATION",
    // A restore must not silently drop state: the verification relies on every operator being mapped.
    "execution.state-recovery.ignore-unclaimed-state": "false",
    // Recovery speed: a crashed TaskManager is noticed within a few heartbeats (and at once when its
    // RPC connection fails), and the job restarts after a short first backoff.
    "heartbeat.interval": String(cfg.heartbeatIntervalMs),
    "heartbeat.timeout": String(cfg.heartbeatTimeoutMs),
    "restart-strategy.type": "exponential-delay",
    "restart-strategy.exponential-delay.initial-backoff": `${cfg.restartBackoffMs}ms`,
    // Each restart attempt that finds no slots (the TaskManager not back yet) fails at once and grows the delay,
    // so the attempt after the TaskManager's return can come up to this long later.
    "restart-strategy.exponential-delay.max-backoff": `${cfg.restartMaxBackoffMs}ms`,
    // Thread mode spares a restarted task the start of its Python worker processes (Beam SDK harnesses), the
    // largest part of a TaskManager crash's recovery here (README "Performance"). The job image carries the
    // shared libpython it needs.
    "python.execution-mode": cfg.pythonExecutionMode,
    // pemja (thread mode's bridge to CPython) from the image's lib/ only, never from a job's class loader: a JVM
    // loads a native library into one class loader, every (re)submission brings a new one, and pemja 0.5.5's
    // retry on Java 17 then fails (NoSuchFieldException: loadedLibraryNames).
    "classloader.parent-first-patterns.additional": "pemja.",
    // A TaskManager restarted in place (Docker restarting its container) registers under its former ResourceID:
    // the ResourceManager then replaces the lost registration and frees its slots at once, instead of waiting for
    // its own heartbeat to time out while the restarted job's slot requests count the dead slots as held. The
    // images' entrypoints expand ${HOSTNAME} per container; a re-created pod on kind gets a new name and id anyway.
    ...(cfg.stableTaskManagerIds ? { "taskmanager.resource-id": HOSTNAME_REFERENCE } : {}),
    ...(cfg.s3 ? s3Properties(cfg.s3) : {}),
  };
}

/**
 * The S3 plugin's keys (flink-s3-fs-presto): the store and its addressing. No credential: the plugin's AWS SDK reads
 * the credentials file the stack mounts at S3_CREDENTIALS_FILE (keys here would be printed by the images' entrypoints).
 */
function s3Properties(s3: S3Settings): Record<string, string> {
  return {
    "s3.endpoint": s3Endpoint(s3),
    "s3.path.style.access": String(s3.pathStyle),
    // Every stateful subtask writes its state as an object of its own, as a job of real size does, rather than
    // inline in _metadata (Flink inlines up to 20 KB, all of this job's state): the tasks then talk to the store,
    // so a checkpoint whose store is away expires after the checkpoint timeout instead of hanging in the
    // JobManager's _metadata write, which no timeout bounds (docs/storage.md, "When the store is away").
    "execution.checkpointing.data-inline-threshold": "1kb",
  };
}

/** The endpoint of the store: s3Endpoint's, or the stack's own server by its name in the stack. */
export function s3Endpoint(s3: S3Settings): string {
  return s3.endpoint ?? `http://${HOSTS.s3}:${PORTS.s3}`;
}

/** Where the flink user's AWS credentials file is mounted: where the S3 plugin and objectstore.py look for it. */
export const S3_CREDENTIALS_FILE = "/opt/flink/.aws/credentials";

/**
 * The stack's own S3 server: its data folder (a volume of its own) and its identities file. The server runs as
 * USERS.s3 with `weed` as its command on either image (the official image's entrypoint would start as root, chown and
 * drop privileges, which a container without capabilities cannot); a one-shot step owns the data folder first.
 */
export const S3_SERVER = { dataDir: "/data", identitiesFile: "/etc/seaweedfs/s3.json" } as const;

/**
 * `weed mini`'s arguments: all of SeaweedFS (master, volume, filer, S3) in one process keeping its data in dataDir,
 * S3 identities from the mounted file (never the environment, which `docker inspect` shows). -ip=127.0.0.1: its parts
 * talk over loopback, so a container that comes back with another address still finds its volume server;
 * -ip.bind keeps S3 reachable from the stack. WebDAV and the admin UI are not needed.
 */
export function s3ServerArguments(): string[] {
  return [
    "weed",
    "mini",
    `-dir=${S3_SERVER.dataDir}`,
    `-s3.config=${S3_SERVER.identitiesFile}`,
    `-s3.port=${PORTS.s3}`,
    "-webdav=false",
    "-admin.ui=false",
    "-ip=127.0.0.1",
    "-ip.bind=0.0.0.0",
  ];
}

/**
 * The S3 server's environment: Go's soft memory limit at three quarters of the container's, as a Go program does not
 * see its cgroup's limit and lets its heap grow to twice the live data before collecting.
 */
export function s3ServerEnvironment(): Record<string, string> {
  return { GOMEMLIMIT: `${Math.floor((PROCESS_MEMORY_MB.s3.limit * 3) / 4)}MiB` };
}

/** The one-shot command that makes the S3 server's data folder its user's, mode 0750 (it runs as root, CHOWN and FOWNER only). */
export function s3DataOwnerCommand(): string[] {
  return ["sh", "-c", `chown ${USERS.s3} ${S3_SERVER.dataDir} && chmod 0750 ${S3_SERVER.dataDir}`];
}

/** An access key pair for S3. */
export interface S3Credentials {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** The AWS credentials file (its default profile) the S3 plugin and the checkpoint tools read. */
export function awsCredentialsFile(credentials: S3Credentials): string {
  return `[default]\naws_access_key_id = ${credentials.accessKey}\naws_secret_access_key = ${credentials.secretKey}\n`;
}

/** SeaweedFS's S3 identities file: one identity, Flink's, allowed everything on the server. */
export function seaweedfsIdentities(credentials: S3Credentials): string {
  return JSON.stringify({
    identities: [
      {
        name: "flink",
        credentials: [{ accessKey: credentials.accessKey, secretKey: credentials.secretKey }],
        actions: ["Admin", "Read", "Write", "List", "Tagging"],
      },
    ],
  });
}

/** Arguments telling submit.py and checkpoints.py where an s3:// checkpoint directory's store is; none for a volume. */
export function storageArguments(cfg: StackConfig): string[] {
  return cfg.s3 ? ["--s3-endpoint", s3Endpoint(cfg.s3), "--s3-path-style", String(cfg.s3.pathStyle)] : [];
}

/**
 * The one-shot step before Flink writes: waits for the store and checks the bucket with the stack's credentials,
 * creating it on the stack's own server (an existing store's bucket must exist: creating one there is the owner's call).
 */
export function bucketCommand(s3: S3Settings): string[] {
  return [
    "python3",
    OBJECTSTORE_SCRIPT,
    "--endpoint",
    s3Endpoint(s3),
    "--path-style",
    String(s3.pathStyle),
    "--credentials-file",
    S3_CREDENTIALS_FILE,
    "ensure-bucket",
    `s3://${s3.bucket}`,
    ...(s3.inStack ? ["--create"] : []),
    "--wait-seconds",
    "180",
  ];
}

/** What the images' entrypoints replace with each container's host name (envsubst of FLINK_PROPERTIES). */
export const HOSTNAME_REFERENCE = "$" + "{HOSTNAME}";

/** Where the JobManager keeps uploaded jars: on the shared checkpoint volume, beside the checkpoints. */
export const FLINK_UPLOAD_DIR = `${CHECKPOINT_MOUNT_PATH}/jars`;

/** Where the JobManager keeps uploaded jars with checkpoints in a bucket: a folder of the job image. */
export const LOCAL_UPLOAD_DIR = "/opt/flink/web-upload";

/** Where Flink's HA services keep job graphs and checkpoint pointers: beside the checkpoints, on the volume or in the bucket. */
export function haStorageDir(cfg: StackConfig): string {
  return cfg.s3 ? `s3://${cfg.s3.bucket}/ha` : `file://${CHECKPOINT_MOUNT_PATH}/ha`;
}

/**
 * Flink's Kubernetes HA services: leader election and the pointers to job graphs and completed checkpoints live in
 * ConfigMaps named after `clusterId` in `namespace`, the data itself under HA_STORAGE_DIR. A JobManager that
 * restarts (a roll, an OOM kill) then recovers the running job from its latest checkpoint by itself.
 */
export function kubernetesHaProperties(clusterId: string, namespace: string, storageDir: string): Record<string, string> {
  return {
    "high-availability.type": "kubernetes",
    "high-availability.storageDir": storageDir,
    "kubernetes.cluster-id": clusterId,
    // Flink's Kubernetes client looks in "default" unless told otherwise.
    "kubernetes.namespace": namespace,
  };
}

/** `key: value` lines, the format of the flink image's FLINK_PROPERTIES variable. */
export function flinkPropertiesText(properties: Readonly<Record<string, string>>): string {
  return Object.entries(properties)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}

/** Where clients outside the stack reach Kafka's external listener. */
export interface AdvertisedAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * KAFKA_* environment of the apache/kafka image: one KRaft node acting as broker and controller, an internal
 * listener for the stack and an external one for the host. Transaction log settings of 1 let a single broker
 * serve the exactly-once sink.
 */
export function kafkaEnvironment(external: AdvertisedAddress): Record<string, string> {
  return {
    CLUSTER_ID: KAFKA_CLUSTER_ID,
    KAFKA_NODE_ID: "1",
    KAFKA_PROCESS_ROLES: "broker,controller",
    KAFKA_LISTENERS: `PLAINTEXT://:${PORTS.kafkaInternal},CONTROLLER://:${PORTS.kafkaController},EXTERNAL://:${PORTS.kafkaExternal}`,
    KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${internalBootstrap()},EXTERNAL://${external.host}:${external.port}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT",
    KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
    KAFKA_INTER_BROKER_LISTENER_NAME: "PLAINTEXT",
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${PORTS.kafkaController}`,
    KAFKA_LOG_DIRS: KAFKA_DATA_DIR,
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
    KAFKA_TRANSACTION_MAX_TIMEOUT_MS: String(KAFKA_TRANSACTION_MAX_TIMEOUT_MS),
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
  };
}

/** The broker's cap on producer transactions (its default, 15 min); the job's sink timeout must stay below. */
export const KAFKA_TRANSACTION_MAX_TIMEOUT_MS = 900_000;
export { SINK_TRANSACTION_TIMEOUT_MS };

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

export function topics(cfg: StackConfig): TopicSpec[] {
  return [cfg.visitsTopic, cfg.outputTopic, cfg.dlqTopic].map((name) => ({
    name,
    partitions: cfg.partitions,
    replicationFactor: 1,
  }));
}

/**
 * Shell command run once in a container of the Kafka image: wait for the broker, then create the topics
 * (idempotently) and fail if one ends up with fewer partitions than configured.
 */
export function topicCreationCommand(specs: readonly TopicSpec[], bootstrap = internalBootstrap()): string[] {
  const tool = `/opt/kafka/bin/kafka-topics.sh --bootstrap-server ${bootstrap}`;
  const lines = [
    "set -e",
    "tries=0",
    `until ${tool} --list >/dev/null 2>&1; do`,
    "  tries=$((tries + 1))",
    `  if [ "$tries" -ge 60 ]; then echo "topic creation: broker ${bootstrap} did not answer within 120 s" >&2; exit 1; fi`,
    "  sleep 2",
    "done",
    ...specs.map(
      (t) => `${tool} --create --if-not-exists --topic ${t.name} --partitions ${t.partitions} --replication-factor ${t.replicationFactor}`,
    ),
    ...specs.map(
      (t) =>
        `n=$(${tool} --describe --topic ${t.name} | grep -c 'Partition: ') && ` +
        `if [ "$n" -lt ${t.partitions} ]; then echo "topic ${t.name} has $n partitions, ${t.partitions} configured" >&2; exit 1; fi && ` +
        `echo "topic ${t.name}: $n partitions"`,
    ),
  ];
  return ["sh", "-c", lines.join("\n")];
}

/**
 * Parallelism of the job's source and the operators chained to it: one subtask per partition while the slots
 * allow, so each watermark generator reads one partition whatever parallelism the windows are restored at.
 */
export function sourceParallelism(cfg: StackConfig): number {
  return Math.min(cfg.partitions, cfg.taskManagers * cfg.taskSlots);
}

/** The job's settings in this stack (see jobs/flink/settings.ts; visits_logic.py for their meaning). */
export function jobSettings(cfg: StackConfig): JobSettings {
  return {
    ...JOB_DEFAULTS,
    bootstrapServers: internalBootstrap(),
    inputTopic: cfg.visitsTopic,
    outputTopic: cfg.outputTopic,
    dlqTopic: cfg.dlqTopic,
    groupId: cfg.groupId,
    checkpointMode: cfg.checkpointMode,
    checkpointIntervalMs: cfg.checkpointIntervalMs,
    checkpointDir: cfg.checkpointDir,
    retainOnCancellation: cfg.retainOnCancellation,
    parallelism: cfg.parallelism,
    sourceParallelism: sourceParallelism(cfg),
    transactionalIdPrefix: cfg.jobName,
    transactionTimeoutMs: SINK_TRANSACTION_TIMEOUT_MS,
    transactionNaming: cfg.transactionNaming ?? "default",
    jobName: cfg.jobName,
  };
}

/** How the stack submits the job, and the verification and the benchmarks resubmit it. */
export function jobSubmission(cfg: StackConfig): JobSubmissionSpec {
  return { entryClass: PYTHON_DRIVER_CLASS, script: JOB_SCRIPT, settings: jobSettings(cfg) };
}

/** Command of the one-shot submission container/Job; restores when `restoreFrom` is configured. */
export function submissionCommand(cfg: StackConfig): string[] {
  return [
    "python3",
    SUBMIT_SCRIPT,
    "--rest-url",
    internalRestUrl(),
    "--job-name",
    cfg.jobName,
    "--parallelism",
    String(cfg.parallelism),
    ...(cfg.restoreFrom ? ["--restore-from", cfg.restoreFrom] : []),
    ...restoringClusterArguments(cfg),
    ...storageArguments(cfg),
    "--",
    ...jobArguments(jobSettings(cfg)),
  ];
}

/**
 * What submit.py and checkpoints.py must know of the cluster that would restore a checkpoint, to refuse one it cannot
 * restore without failing or losing state: its Flink line, the metadata format every line writes, its execution mode.
 */
export function restoringClusterArguments(cfg: StackConfig): string[] {
  return ["--flink-line", cfg.flinkLine, "--checkpoint-formats", checkpointFormats(), "--python-execution-mode", cfg.pythonExecutionMode];
}

/**
 * Run beside the JobManager after it lost its jobs (a restart without high availability): the submission again,
 * restoring from the newest complete retained checkpoint of the job's latest run on the volume.
 */
export function recoveryCommand(cfg: StackConfig): string[] {
  return submissionCommand({ ...cfg, restoreFrom: "latest" });
}

/** Environment of the visit generator (see jobs/generator). */
export function generatorEnvironment(cfg: StackConfig): Record<string, string> {
  return {
    KAFKA_BOOTSTRAP: internalBootstrap(),
    VISITS_TOPIC: cfg.visitsTopic,
    GENERATOR_VISITS: String(cfg.generatorVisits),
    GENERATOR_DELAY_MIN_MS: String(cfg.generatorDelayMinMs),
    GENERATOR_DELAY_MAX_MS: String(cfg.generatorDelayMaxMs),
    ...(cfg.generatorStartTime ? { GENERATOR_START_TIME: cfg.generatorStartTime } : {}),
    ...(cfg.generatorSeed !== undefined ? { GENERATOR_SEED: String(cfg.generatorSeed) } : {}),
  };
}

/** `KEY=value` strings, as container runtimes take environments. */
export function envList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** Build arguments of the project's images: their own, and the CA bundle every image build may need. */
export function imageBuildArgs(args: Readonly<Record<string, string>>, extraCaCerts: string | undefined): Record<string, string> {
  return { ...args, ...(extraCaCerts ? { EXTRA_CA_CERTS: extraCaCerts } : {}) };
}

/** The job image's build arguments: its Flink base image, the PyFlink of that Flink, and the line's connector jars. */
export function flinkJobBuildArgs(cfg: StackConfig): Record<string, string> {
  return { FLINK_IMAGE: cfg.flinkImage, PYFLINK_VERSION: cfg.flink.pyflink, FLINK_LINE: cfg.flinkLine };
}

/** What submit.py logs, on one line, when it restores: `submit: restoring from <uri> (<why>)`. */
export const RESTORE_LOG_LINE = "submit: restoring from ";

/** What the submission restored from and why, from its log (see jobs/flink/submit.py). */
export function restoreSummary(restoreFrom: string | undefined, submissionLog: string | undefined): string {
  if (restoreFrom === undefined) return "nothing: restoreFrom is not set, so the job starts from the earliest offsets";
  const line = (submissionLog ?? "").split("\n").find((l) => l.includes(RESTORE_LOG_LINE));
  if (line === undefined) return `restoreFrom ${restoreFrom}, but the submission's log names no checkpoint; read that log`;
  return line.slice(line.indexOf(RESTORE_LOG_LINE) + "submit: ".length).trim();
}

/**
 * Where the checkpoints live, as the tools need it: with a volume the target adds its name; with a bucket, the store
 * (no credential: the tools read the credentials file mounted in the JobManager).
 */
export function bucketStorage(s3: S3Settings): BucketStorageOutput {
  return {
    kind: "s3",
    endpoint: s3Endpoint(s3),
    bucket: s3.bucket,
    pathStyle: s3.pathStyle,
    inStack: s3.inStack,
    credentialsFile: S3_CREDENTIALS_FILE,
  };
}

/** The outputs every target writes the same way; a target adds where its checkpoint storage and processes are. */
export function commonOutputs(cfg: StackConfig): Omit<StackOutputs, "checkpointStorage" | "processes"> & InformationalOutputs {
  return {
    target: cfg.target,
    flinkLine: cfg.flinkLine,
    visitsTopic: cfg.visitsTopic,
    outputTopic: cfg.outputTopic,
    dlqTopic: cfg.dlqTopic,
    groupId: cfg.groupId,
    partitions: cfg.partitions,
    checkpointDir: cfg.checkpointDir,
    checkpointMode: cfg.checkpointMode,
    checkpointIntervalMs: cfg.checkpointIntervalMs,
    checkpointTimeoutMs: cfg.checkpointTimeoutMs,
    jobName: cfg.jobName,
    jobSubmission: jobSubmission(cfg),
    recoverCommand: recoveryCommand(cfg),
    // Run in the JobManager (see checkpointVolume): lists every retained checkpoint (npm run checkpoints).
    checkpointListing: [
      "python3",
      CHECKPOINTS_SCRIPT,
      "list",
      "--checkpoint-dir",
      cfg.checkpointDir,
      ...storageArguments(cfg),
      ...restoringClusterArguments(cfg),
    ],
    // Pulumi drops an output that is undefined; "" says "not set", so an older stack's missing output stays telling.
    restoreFrom: cfg.restoreFrom ?? "",
    flinkRestUrl: `http://127.0.0.1:${cfg.flinkRestPort}`,
    kafkaBootstrap: `127.0.0.1:${cfg.kafkaExternalPort}`,
    images: {
      defaults: cfg.imageDefaults,
      flinkImage: cfg.flinkImage,
      kafkaImage: cfg.kafkaImage,
      nodeImage: cfg.nodeImage,
      setByStack: IMAGE_KEYS.filter((key) => cfg.imageOrigins[key] === "stack"),
    },
  };
}

export { CHECKPOINT_MOUNT_PATH };
