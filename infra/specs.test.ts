import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jobArguments } from "../jobs/flink/settings";
import { DEFAULT_FLINK_LINE, FLINK_LINES, VERSIONS } from "../lib/versions";
import { parseStackConfig } from "./config";
import {
  awsCredentialsFile,
  bucketCommand,
  commonOutputs,
  envList,
  flinkProperties,
  flinkPropertiesText,
  generatorEnvironment,
  HOSTNAME_REFERENCE,
  haStorageDir,
  jobSettings,
  KAFKA_TRANSACTION_MAX_TIMEOUT_MS,
  kafkaEnvironment,
  kubernetesHaProperties,
  PROCESS_MEMORY_MB,
  recoveryCommand,
  restoreSummary,
  restoringClusterArguments,
  SINK_TRANSACTION_TIMEOUT_MS,
  s3ServerArguments,
  s3ServerEnvironment,
  seaweedfsIdentities,
  submissionCommand,
  topicCreationCommand,
  topics,
} from "./specs";

const LINE = FLINK_LINES[DEFAULT_FLINK_LINE]!;

const defaults = parseStackConfig({});

/** The value following a flag in an argument list. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

describe("flinkProperties", () => {
  it("carries checkpoint directory, interval, mode, retention and retained count", () => {
    const cfg = parseStackConfig({ checkpointIntervalMs: "7000", checkpointMode: "AT_LEAST_ONCE", retainedCheckpoints: "5" });
    expect(flinkProperties(cfg)).toMatchObject({
      "execution.checkpointing.dir": "file:///checkpoints_flink",
      "execution.checkpointing.interval": "7000ms",
      "execution.checkpointing.mode": "AT_LEAST_ONCE",
      "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
      "execution.checkpointing.num-retained": "5",
    });
    expect(
      flinkProperties(parseStackConfig({ retainOnCancellation: "false" }))["execution.checkpointing.externalized-checkpoint-retention"],
    ).toBe("DELETE_ON_CANCELLATION");
  });

  it("sizes slots and parallelism from config and points TaskManagers at the JobManager", () => {
    const props = flinkProperties(parseStackConfig({ taskSlots: "3", parallelism: "3" }));
    expect(props["taskmanager.numberOfTaskSlots"]).toBe("3");
    expect(props["parallelism.default"]).toBe("3");
    expect(props["jobmanager.rpc.address"]).toBe("jobmanager");
    // Fixed, not random: Kubernetes Services and probes name these ports.
    expect(props).toMatchObject({ "jobmanager.rpc.port": "6123", "blob.server.port": "6124", "taskmanager.rpc.port": "6122" });
  });

  it("takes a target's additions, which may add keys but never change the shared ones", () => {
    const withHa = flinkProperties(defaults, kubernetesHaProperties("fc", "ns", haStorageDir(defaults)));
    expect(withHa).toEqual({ ...flinkProperties(defaults), ...kubernetesHaProperties("fc", "ns", haStorageDir(defaults)) });
    expect(() => flinkProperties(defaults, { "execution.checkpointing.dir": "file:///elsewhere", x: "1" })).toThrow(
      "a target's Flink properties may only add keys, but it sets execution.checkpointing.dir of the shared configuration",
    );
  });

  it("has no HA of its own (Docker runs without); the Kubernetes HA addition keeps its data on the checkpoint volume", () => {
    expect(Object.keys(flinkProperties(defaults)).filter((key) => key.startsWith("high-availability"))).toEqual([]);
    expect(kubernetesHaProperties("fc", "ns", haStorageDir(defaults))).toEqual({
      "high-availability.type": "kubernetes",
      "high-availability.storageDir": "file:///checkpoints_flink/ha",
      "kubernetes.cluster-id": "fc",
      "kubernetes.namespace": "ns",
    });
  });

  it("keeps uploaded jars on the checkpoint volume, so a JobManager that comes back still lists them", () => {
    expect(flinkProperties(defaults)["web.upload.dir"]).toBe("/checkpoints_flink/jars");
  });

  it("sends savepoints without a target to the checkpoint volume, under the configured checkpointDir", () => {
    expect(flinkProperties(defaults)["execution.checkpointing.savepoint-dir"]).toBe("file:///checkpoints_flink/savepoints");
    expect(
      flinkProperties(parseStackConfig({ checkpointDir: "file:///checkpoints_flink/team-a/" }))["execution.checkpointing.savepoint-dir"],
    ).toBe("file:///checkpoints_flink/team-a/savepoints");
  });

  it("renders FLINK_PROPERTIES as key: value lines", () => {
    expect(flinkPropertiesText({ "a.b": "1", c: "x y" })).toBe("a.b: 1\nc: x y");
  });
});

describe("kafkaEnvironment", () => {
  it("configures a single KRaft node able to serve transactions, advertising the host address outside", () => {
    const env = kafkaEnvironment({ host: "127.0.0.1", port: 19094 });
    expect(env.KAFKA_PROCESS_ROLES).toBe("broker,controller");
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe("PLAINTEXT://kafka:9092,EXTERNAL://127.0.0.1:19094");
    expect(env.KAFKA_LISTENERS).toContain("EXTERNAL://:9094");
    expect(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe("1");
    expect(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe("1");
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe("1");
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe("false");
    expect(env.CLUSTER_ID).toHaveLength(22);
  });

  it("keeps the sink's transaction timeout under the broker's maximum", () => {
    expect(SINK_TRANSACTION_TIMEOUT_MS).toBeLessThanOrEqual(KAFKA_TRANSACTION_MAX_TIMEOUT_MS);
    expect(jobSettings(defaults).transactionTimeoutMs).toBe(SINK_TRANSACTION_TIMEOUT_MS);
  });
});

describe("topics", () => {
  it("creates the three topics with the configured partitions", () => {
    expect(topics(parseStackConfig({ partitions: "3" }))).toEqual([
      { name: "visits", partitions: 3, replicationFactor: 1 },
      { name: "visit_windows", partitions: 3, replicationFactor: 1 },
      { name: "visits_dlq", partitions: 3, replicationFactor: 1 },
    ]);
  });

  it("waits for the broker, creates idempotently and checks partitions", () => {
    const [shell, flag, script] = topicCreationCommand(topics(defaults));
    expect([shell, flag]).toEqual(["sh", "-c"]);
    expect(script).toMatch(/until .*kafka-topics\.sh --bootstrap-server kafka:9092 --list/);
    expect(script).toContain("--create --if-not-exists --topic visits --partitions 2 --replication-factor 1");
    expect(script).toContain("--create --if-not-exists --topic visits_dlq --partitions 2");
    expect(script).toMatch(/if \[ "\$n" -lt 2 \]; then echo "topic visit_windows has \$n partitions/);
  });
});

describe("flinkProperties values", () => {
  it("hold no space, which the images' configuration tooling would cut the value at", () => {
    const props = flinkProperties(parseStackConfig({ checkpointIntervalMs: "12000", restartBackoffMs: "500" }));
    expect(Object.entries(props).filter(([, v]) => /\s/.test(v))).toEqual([]);
    expect(props["restart-strategy.exponential-delay.initial-backoff"]).toBe("500ms");
    expect(props["restart-strategy.exponential-delay.max-backoff"]).toBe("30000ms");
    expect(props["heartbeat.timeout"]).toBe("10000");
  });

  it("run the job's Python functions where pythonExecutionMode says", () => {
    expect(flinkProperties(parseStackConfig({}))["python.execution-mode"]).toBe("thread");
    expect(flinkProperties(parseStackConfig({ pythonExecutionMode: "process" }))["python.execution-mode"]).toBe("process");
  });

  it("load pemja from the TaskManager's class path, so a resubmitted job in thread mode finds CPython loaded", () => {
    const patterns = flinkProperties(parseStackConfig({}))["classloader.parent-first-patterns.additional"]!.split(";");
    expect(patterns).toContain("pemja.");
    // The image puts the jar that holds pemja where the JVMs' class path is built from.
    expect(readFileSync(join(__dirname, "../jobs/flink/Dockerfile"), "utf8")).toMatch(
      /cp \/opt\/flink\/opt\/flink-python-\*\.jar \/opt\/flink\/lib\//,
    );
  });

  it("keep state on the heap with full checkpoints by default, and in RocksDB with incremental ones when asked", () => {
    const heap = flinkProperties(parseStackConfig({}));
    expect([heap["state.backend.type"], heap["execution.checkpointing.incremental"]]).toEqual(["hashmap", "false"]);
    const rocksdb = flinkProperties(parseStackConfig({ stateBackend: "rocksdb" }));
    expect([rocksdb["state.backend.type"], rocksdb["execution.checkpointing.incremental"]]).toEqual(["rocksdb", "true"]);
  });

  it("keep a restarted TaskManager's ResourceID only when stableTaskManagerIds is true", () => {
    expect(flinkProperties(parseStackConfig({ stableTaskManagerIds: "true" }))["taskmanager.resource-id"]).toBe(HOSTNAME_REFERENCE);
    expect(flinkProperties(parseStackConfig({}))).not.toHaveProperty("taskmanager.resource-id");
  });
});

describe("job settings and submission", () => {
  it("passes mode, interval, directory and retention to the job", () => {
    const cfg = parseStackConfig({ checkpointMode: "AT_LEAST_ONCE", checkpointIntervalMs: "30000", retainOnCancellation: "false" });
    expect(jobSettings(cfg)).toMatchObject({
      checkpointMode: "AT_LEAST_ONCE",
      checkpointIntervalMs: 30_000,
      checkpointDir: "file:///checkpoints_flink",
      retainOnCancellation: false,
      groupId: "visits_reader",
      bootstrapServers: "kafka:9092",
    });
  });

  it("pins the source to one subtask per partition while the slots allow, whatever the window parallelism", () => {
    expect(jobSettings(parseStackConfig({ partitions: "2", parallelism: "1" })).sourceParallelism).toBe(2);
    expect(jobSettings(parseStackConfig({ partitions: "4", parallelism: "2", taskManagers: "1", taskSlots: "2" })).sourceParallelism).toBe(
      2,
    );
    expect(jobSettings(parseStackConfig({ partitions: "4", taskManagers: "2", taskSlots: "2" })).sourceParallelism).toBe(4);
  });

  it("submits fresh by default and restores when restoreFrom is set", () => {
    expect(submissionCommand(defaults)).not.toContain("--restore-from");
    const chk = "file:///checkpoints_flink/abc/chk-3";
    const cmd = submissionCommand(parseStackConfig({ restoreFrom: chk }));
    expect(flagValue(cmd, "--restore-from")).toBe(chk);
    // Everything after "--" belongs to the job, so the restore flag must come before it.
    expect(cmd.indexOf("--restore-from")).toBeLessThan(cmd.indexOf("--"));
    expect(cmd.slice(cmd.indexOf("--") + 1)).toEqual(jobArguments(jobSettings(defaults)));
  });

  it("gives the job the stack's transaction naming, or leaves the connector's own", () => {
    expect(jobSettings(parseStackConfig({ flinkVersion: "2.2", transactionNaming: "pooling" })).transactionNaming).toBe("pooling");
    expect(flagValue(submissionCommand(parseStackConfig({})), "--transaction-naming")).toBe("default");
  });

  it("tells submit.py the cluster that restores: its line, every line's metadata format, its execution mode", () => {
    const cmd = submissionCommand(parseStackConfig({ flinkVersion: "2.2", pythonExecutionMode: "process" }));
    expect(flagValue(cmd, "--flink-line")).toBe("2.2");
    expect(flagValue(cmd, "--python-execution-mode")).toBe("process");
    const formats = flagValue(cmd, "--checkpoint-formats")!.split(",");
    expect(formats).toEqual(Object.entries(FLINK_LINES).map(([line, pinned]) => `${line}=${pinned.checkpointFormat}`));
    expect(cmd.indexOf("--checkpoint-formats")).toBeLessThan(cmd.indexOf("--"));
    // The recovery command is the same submission, restoring the latest checkpoint, checked the same way.
    expect(recoveryCommand(parseStackConfig({ flinkVersion: "2.2" }))).toEqual(expect.arrayContaining(["--flink-line", "2.2"]));
  });
});

describe("generatorEnvironment", () => {
  it("carries the generator settings and leaves unset ones out", () => {
    expect(generatorEnvironment(defaults)).toEqual({
      KAFKA_BOOTSTRAP: "kafka:9092",
      VISITS_TOPIC: "visits",
      GENERATOR_VISITS: "2",
      GENERATOR_DELAY_MIN_MS: "1000",
      GENERATOR_DELAY_MAX_MS: "7000",
    });
    const env = generatorEnvironment(parseStackConfig({ generatorSeed: "7", generatorStartTime: "2026-01-01T00:00:00Z" }));
    expect(env.GENERATOR_SEED).toBe("7");
    expect(env.GENERATOR_START_TIME).toBe("2026-01-01T00:00:00Z");
    expect(envList({ A: "1", B: "x=y" })).toEqual(["A=1", "B=x=y"]);
  });
});

describe("commonOutputs", () => {
  it("gives the verifier host-reachable addresses on loopback", () => {
    const out = commonOutputs(parseStackConfig({ flinkRestPort: "18081", kafkaExternalPort: "19094" }));
    expect(out.flinkRestUrl).toBe("http://127.0.0.1:18081");
    expect(out.kafkaBootstrap).toBe("127.0.0.1:19094");
    expect(out.jobSubmission.entryClass).toBe("org.apache.flink.client.python.PythonDriver");
  });

  it("says what restoreFrom names, and an empty string when it is not set", () => {
    const chk = "file:///checkpoints_flink/0123456789abcdef0123456789abcdef/chk-7";
    expect(commonOutputs(parseStackConfig({ restoreFrom: chk })).restoreFrom).toBe(chk);
    expect(commonOutputs(parseStackConfig({ restoreFrom: "latest" })).restoreFrom).toBe("latest");
    expect(commonOutputs(defaults).restoreFrom).toBe("");
  });

  it("says which images the stack runs and which of them its config names", () => {
    expect(commonOutputs(parseStackConfig({ kafkaImage: "mine/kafka:4" }, { FLINK_CHECKPOINTER_IMAGES: "local" })).images).toEqual({
      defaults: "local",
      flinkImage: LINE.localImage,
      kafkaImage: "mine/kafka:4",
      nodeImage: VERSIONS.node.localImage,
      setByStack: ["kafkaImage"],
    });
    expect(commonOutputs(defaults).images.defaults).toBe("official");
    expect(commonOutputs(parseStackConfig({ checkpointDir: "file:///checkpoints_flink/v2" })).checkpointListing).toEqual([
      "python3",
      "/opt/flink/usrlib/jobs/checkpoints.py",
      "list",
      "--checkpoint-dir",
      "file:///checkpoints_flink/v2",
      ...restoringClusterArguments(defaults),
    ]);
  });
});

describe("restoreSummary", () => {
  // The docker provider returns the log as Docker multiplexes it: an 8-byte frame header before each chunk.
  const log =
    "\u0001\u0000\u0000\u0000\u0000\u0000\u0000$submit: waiting for the Flink REST API at http://jobmanager:8081\n" +
    "\u0001\u0000\u0000\u0000\u0000\u0000\u0000Zsubmit: restoring from file:///checkpoints_flink/ab12/chk-7 " +
    "(newest complete; chk-8 has no _metadata)\n7f3e\n";

  it("names the checkpoint submit.py restored from and why", () => {
    expect(restoreSummary("latest", log)).toBe(
      "restoring from file:///checkpoints_flink/ab12/chk-7 (newest complete; chk-8 has no _metadata)",
    );
  });

  it("says when nothing was restored, or when the log does not tell", () => {
    expect(restoreSummary(undefined, log)).toBe("nothing: restoreFrom is not set, so the job starts from the earliest offsets");
    expect(restoreSummary("latest", "submit: job 7f3e is RUNNING\n")).toBe(
      "restoreFrom latest, but the submission's log names no checkpoint; read that log",
    );
    expect(restoreSummary("latest", undefined)).toContain("names no checkpoint");
  });
});

describe("checkpoints in a bucket", () => {
  const s3 = parseStackConfig({ checkpointStorage: "s3" });
  const external = parseStackConfig(
    { checkpointStorage: "s3", s3Endpoint: "https://s3.eu-west-1.amazonaws.com", s3PathStyle: "false", s3AccessKey: "k", s3SecretKey: "s" },
    {},
    new Set(["s3AccessKey", "s3SecretKey"]),
  );

  it("point Flink's checkpoints, savepoints, HA and the S3 plugin at the store, with no credential among the keys", () => {
    const props = flinkProperties(s3, kubernetesHaProperties("fc", "ns", haStorageDir(s3)));
    expect(props).toMatchObject({
      "execution.checkpointing.dir": "s3://flink-checkpoints/checkpoints",
      "execution.checkpointing.savepoint-dir": "s3://flink-checkpoints/checkpoints/savepoints",
      "high-availability.storageDir": "s3://flink-checkpoints/ha",
      "s3.endpoint": "http://s3:8333",
      "s3.path.style.access": "true",
      "execution.checkpointing.data-inline-threshold": "1kb",
      "web.upload.dir": "/opt/flink/web-upload",
    });
    expect(Object.keys(props).filter((key) => key.startsWith("s3.") && /access-key|secret/.test(key))).toEqual([]);
    expect(flinkProperties(external)).toMatchObject({
      "s3.endpoint": "https://s3.eu-west-1.amazonaws.com",
      "s3.path.style.access": "false",
    });
    expect(flinkProperties(defaults)["s3.endpoint"]).toBeUndefined();
  });

  it("take the checkpoint timeout and the tolerated failures into every Flink process", () => {
    const cfg = parseStackConfig({ checkpointTimeoutMs: "15000", tolerableFailedCheckpoints: "5" });
    expect(flinkProperties(cfg)).toMatchObject({
      "execution.checkpointing.timeout": "15000ms",
      "execution.checkpointing.tolerable-failed-checkpoints": "5",
    });
  });

  it("tell the submission, the recovery and the listing where the store is", () => {
    const storage = ["--s3-endpoint", "http://s3:8333", "--s3-path-style", "true"];
    const submit = submissionCommand({ ...s3, restoreFrom: "latest" });
    expect(submit.slice(submit.indexOf("--restore-from"), submit.indexOf("--"))).toEqual([
      "--restore-from",
      "latest",
      ...restoringClusterArguments(s3),
      ...storage,
    ]);
    expect(recoveryCommand(s3)).toEqual(expect.arrayContaining(storage));
    expect(commonOutputs(s3).checkpointListing).toEqual(expect.arrayContaining(storage));
    expect(submissionCommand(defaults)).not.toContain("--s3-endpoint");
  });

  it("create the bucket on the stack's own server only; an existing store's is only checked", () => {
    expect(bucketCommand(s3.s3!)).toEqual(expect.arrayContaining(["ensure-bucket", "s3://flink-checkpoints", "--create"]));
    expect(bucketCommand(external.s3!)).not.toContain("--create");
    expect(flagValue(bucketCommand(external.s3!), "--endpoint")).toBe("https://s3.eu-west-1.amazonaws.com");
  });

  it("run weed mini with its identities from a file, its parts on loopback and only S3 besides", () => {
    expect(s3ServerArguments()).toEqual(
      expect.arrayContaining([
        "mini",
        "-dir=/data",
        "-s3.config=/etc/seaweedfs/s3.json",
        "-ip=127.0.0.1",
        "-webdav=false",
        "-admin.ui=false",
      ]),
    );
  });

  it("bound the S3 server's Go heap below its container's memory limit, which Go does not see", () => {
    const limit = Number(/^(\d+)MiB$/.exec(s3ServerEnvironment().GOMEMLIMIT ?? "")?.[1]);
    expect(limit).toBeGreaterThan(PROCESS_MEMORY_MB.s3.limit / 2);
    expect(limit).toBeLessThan(PROCESS_MEMORY_MB.s3.limit);
  });

  it("write one key pair into the AWS credentials file and the server's identities", () => {
    const pair = { accessKey: "AK", secretKey: "SK" };
    expect(awsCredentialsFile(pair)).toBe("[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n");
    expect(JSON.parse(seaweedfsIdentities(pair)).identities[0].credentials).toEqual([{ accessKey: "AK", secretKey: "SK" }]);
  });
});
