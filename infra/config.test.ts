import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_FLINK_LINE, FLINK_LINES, VERSIONS } from "../lib/versions";
import {
  CONFIG_KEYS,
  ConfigError,
  isImageReference,
  isIsoTime,
  parseStackConfig,
  pemFileProblem,
  projectConfig,
  repositoryOf,
} from "./config";

const LINE = FLINK_LINES[DEFAULT_FLINK_LINE]!;

function problemsOf(raw: Record<string, string>, env: Record<string, string> = {}): string[] {
  try {
    parseStackConfig(raw, env);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("parseStackConfig", () => {
  it("gives the documented defaults for an empty stack config", () => {
    const cfg = parseStackConfig({});
    expect(cfg).toMatchObject({
      target: "docker",
      checkpointMode: "EXACTLY_ONCE",
      checkpointIntervalMs: 20000,
      checkpointDir: "file:///checkpoints_flink",
      retainOnCancellation: true,
      parallelism: 2,
      taskManagers: 2,
      taskSlots: 2,
      partitions: 2,
      visitsTopic: "visits",
      outputTopic: "visit_windows",
      dlqTopic: "visits_dlq",
      groupId: "visits_reader",
      flinkImage: LINE.officialImage,
      kafkaImage: VERSIONS.kafka.officialImage,
      nodeImage: VERSIONS.node.officialImage,
      flinkRestPort: 8081,
      kafkaExternalPort: 9094,
      pythonExecutionMode: "thread",
      stateBackend: "hashmap",
    });
    expect(cfg.flinkLine).toBe(DEFAULT_FLINK_LINE);
    expect(cfg.restoreFrom).toBeUndefined();
  });

  it("documents a default for every key it defaults", () => {
    const s3 = parseStackConfig({ checkpointStorage: "s3" }).s3;
    // The keys of a bucket take effect with checkpointStorage s3 only.
    const cfg = { ...parseStackConfig({}), s3Bucket: s3?.bucket, s3PathStyle: s3?.pathStyle } as unknown as Record<string, unknown>;
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      if (spec.default !== undefined && key !== "flinkVersion") {
        expect(String(cfg[key]), key).toBe(spec.default);
      }
    }
  });

  it("takes AT_LEAST_ONCE, a custom interval and the kafka image from its version", () => {
    const cfg = parseStackConfig({ checkpointMode: "AT_LEAST_ONCE", checkpointIntervalMs: "5000", kafkaVersion: "4.0.0" });
    expect(cfg.checkpointMode).toBe("AT_LEAST_ONCE");
    expect(cfg.checkpointIntervalMs).toBe(5000);
    expect(cfg.kafkaImage).toBe("apache/kafka:4.0.0");
  });

  it("names the key, the value and what is allowed", () => {
    expect(problemsOf({ checkpointMode: "EXACTLY_TWICE" })).toEqual([
      'checkpointMode: "EXACTLY_TWICE" is not allowed; use one of EXACTLY_ONCE, AT_LEAST_ONCE',
    ]);
    expect(problemsOf({ checkpointIntervalMs: "500" })).toEqual([
      'checkpointIntervalMs: "500" is not allowed; use a whole number from 1000 to 86400000',
    ]);
    expect(problemsOf({ flinkRestPort: "70000" })[0]).toContain(
      'flinkRestPort: "70000" is not allowed; use a whole number from 1 to 65535',
    );
    expect(problemsOf({ target: "minikube" })[0]).toContain("use one of docker, kind");
    expect(problemsOf({ flinkVersion: "1.17" })[0]).toContain('flinkVersion: "1.17" is not allowed; use one of 1.20');
    expect(problemsOf({ restartBackoffMs: "5000", restartMaxBackoffMs: "2000" })).toEqual([
      "restartMaxBackoffMs: 2000 is below restartBackoffMs 5000; the longest delay cannot be shorter than the first",
    ]);
    expect(problemsOf({ pythonExecutionMode: "PROCESS" })).toEqual([
      'pythonExecutionMode: "PROCESS" is not allowed; use one of thread, process',
    ]);
    expect(problemsOf({ stateBackend: "rocksdb-incremental" })).toEqual([
      'stateBackend: "rocksdb-incremental" is not allowed; use one of hashmap, rocksdb',
    ]);
  });

  it("takes transactionNaming on a line whose Kafka connector has it, and names the line and connector that lack it", () => {
    expect(parseStackConfig({}).transactionNaming).toBeUndefined();
    expect(parseStackConfig({ flinkVersion: "2.2", transactionNaming: "pooling" }).transactionNaming).toBe("pooling");
    expect(problemsOf({ flinkVersion: "2.2", transactionNaming: "POOLING" })).toEqual([
      'transactionNaming: "POOLING" is not allowed; use one of incrementing, pooling',
    ]);
    expect(problemsOf({ flinkVersion: "1.20", transactionNaming: "incrementing" })).toEqual([
      `transactionNaming: "incrementing" needs a Kafka connector with a transaction naming strategy (4.0 or later), but Flink 1.20's is ${FLINK_LINES["1.20"]!.kafkaConnector}, whose sink starts a new transactional id every checkpoint; use flinkVersion 2.2, or unset transactionNaming`,
    ]);
  });

  it("rejects a parallelism above the total slots", () => {
    expect(problemsOf({ parallelism: "5", taskManagers: "2", taskSlots: "2" })).toEqual([
      "parallelism: 5 is more than the 4 task slots (taskManagers 2 × taskSlots 2); lower it or add slots",
    ]);
    expect(parseStackConfig({ parallelism: "4", taskManagers: "2", taskSlots: "2" }).parallelism).toBe(4);
  });

  it("reports every problem at once, in the thrown message too", () => {
    const raw = { checkpointMode: "x", parallelism: "zero", kafkaExternalPort: "-1", visitsTopic: "bad topic!" };
    const problems = problemsOf(raw);
    expect(problems.map((p) => p.split(":")[0]).sort()).toEqual(
      ["checkpointMode", "kafkaExternalPort", "parallelism", "visitsTopic"].sort(),
    );
    expect(() => parseStackConfig(raw)).toThrow(/4 problems[\s\S]*flink-checkpointer:checkpointMode/);
  });

  it("rejects unknown keys, naming the known ones", () => {
    expect(problemsOf({ checkpointmode: "EXACTLY_ONCE" })[0]).toMatch(
      /^checkpointmode: unknown key; known keys are target, checkpointMode/,
    );
  });

  it("keeps checkpoints on the shared volume", () => {
    expect(problemsOf({ checkpointDir: "s3://bucket/ckpt" })[0]).toContain("checkpointDir");
    expect(problemsOf({ checkpointDir: "file:///tmp/ckpt" })[0]).toContain("at or below /checkpoints_flink");
    expect(problemsOf({ checkpointDir: "file:///checkpoints_flink/../etc" })[0]).toContain("checkpointDir");
    expect(parseStackConfig({ checkpointDir: "file:///checkpoints_flink/visits/" }).checkpointDir).toBe("file:///checkpoints_flink/visits");
  });

  it("puts checkpoints in a bucket of the stack's own S3 server with checkpointStorage s3", () => {
    const cfg = parseStackConfig({ checkpointStorage: "s3" }, { FLINK_CHECKPOINTER_IMAGES: "local" });
    expect(cfg.checkpointDir).toBe("s3://flink-checkpoints/checkpoints");
    expect(cfg.s3).toEqual({ inStack: true, bucket: "flink-checkpoints", pathStyle: true, image: VERSIONS.seaweedfs.localImage });
    expect(parseStackConfig({ checkpointStorage: "s3" }).s3?.image).toBe(VERSIONS.seaweedfs.officialImage);
    expect(parseStackConfig({}).s3).toBeUndefined();
    const restore = "s3://flink-checkpoints/checkpoints/0123456789abcdef0123456789abcdef/chk-7";
    expect(parseStackConfig({ checkpointStorage: "s3", restoreFrom: restore }).restoreFrom).toBe(restore);
    expect(problemsOf({ checkpointStorage: "s3", checkpointDir: "s3://other-bucket/x" })[0]).toMatch(
      /^checkpointDir: "s3:\/\/other-bucket\/x" is not allowed with checkpointStorage s3; .*s3:\/\/flink-checkpoints\/checkpoints/,
    );
    expect(problemsOf({ checkpointStorage: "s3", checkpointDir: "file:///checkpoints_flink" })[0]).toContain("checkpointDir");
    expect(problemsOf({ checkpointStorage: "s3", s3Bucket: "Flink_Checkpoints" })[0]).toMatch(
      /^s3Bucket: "Flink_Checkpoints" is not allowed/,
    );
    expect(problemsOf({ checkpointStorage: "cloud" })[0]).toBe('checkpointStorage: "cloud" is not allowed; use one of volume, s3');
  });

  it("points at an existing store with s3Endpoint, whose credentials must be secrets", () => {
    const raw = {
      checkpointStorage: "s3",
      s3Endpoint: "https://s3.eu-west-1.amazonaws.com/",
      s3PathStyle: "false",
      s3AccessKey: "[secret]",
      s3SecretKey: "[secret]",
    };
    const cfg = parseStackConfig(raw, {}, new Set(["s3AccessKey", "s3SecretKey"]));
    expect(cfg.s3).toMatchObject({ inStack: false, endpoint: "https://s3.eu-west-1.amazonaws.com", pathStyle: false });
    expect(() => parseStackConfig(raw, {}, new Set(["s3SecretKey"]))).toThrow(
      "s3AccessKey: stored in plain text in the stack file; set it again with pulumi config set --secret s3AccessKey <value>",
    );
    expect(problemsOf({ checkpointStorage: "s3", s3Endpoint: "https://s3.example.com" })).toEqual([
      "s3AccessKey: missing; an existing store (s3Endpoint) needs its credentials: pulumi config set --secret s3AccessKey <value>",
      "s3SecretKey: missing; an existing store (s3Endpoint) needs its credentials: pulumi config set --secret s3SecretKey <value>",
    ]);
    expect(problemsOf({ checkpointStorage: "s3", s3Endpoint: "s3.example.com/bucket" })[0]).toMatch(
      /^s3Endpoint: "s3.example.com\/bucket" is not allowed; use http\(s\):\/\/host\[:port\]/,
    );
  });

  it("refuses keys of a bucket without checkpointStorage s3, and credentials for the stack's own server", () => {
    expect(problemsOf({ s3Bucket: "b-1" })[0]).toBe(
      "s3Bucket: set, but checkpointStorage is volume; set checkpointStorage to s3, or unset s3Bucket",
    );
    const own = problemsOf({ checkpointStorage: "s3", s3AccessKey: "[secret]" });
    expect(own[0]).toBe(
      "s3AccessKey: set without s3Endpoint; the stack generates its own server's credentials: unset s3AccessKey, or set s3Endpoint",
    );
    // A credential's value is never part of a message.
    expect(problemsOf({ checkpointStorage: "s3", s3AccessKey: "AKIAVISIBLE" }).join("\n")).not.toContain("AKIAVISIBLE");
  });

  it("accepts restoreFrom only for a retained checkpoint or savepoint under checkpointDir", () => {
    const chk = "file:///checkpoints_flink/0123456789abcdef0123456789abcdef/chk-7";
    expect(parseStackConfig({ restoreFrom: chk }).restoreFrom).toBe(chk);
    expect(parseStackConfig({ restoreFrom: `${chk}/` }).restoreFrom).toBe(chk);
    expect(problemsOf({ restoreFrom: "file:///elsewhere/chk-7" })[0]).toMatch(/^restoreFrom: .*under checkpointDir/);
    expect(problemsOf({ restoreFrom: "file:///checkpoints_flink/abc" })[0]).toContain("restoreFrom");
  });

  it("accepts restoreFrom latest, and names it among the allowed values", () => {
    expect(parseStackConfig({ restoreFrom: "latest" }).restoreFrom).toBe("latest");
    expect(parseStackConfig({ restoreFrom: " latest " }).restoreFrom).toBe("latest");
    expect(problemsOf({ restoreFrom: "newest" })).toEqual([
      'restoreFrom: "newest" is not allowed; use latest (the newest complete retained checkpoint, found at submission) ' +
        "or a retained checkpoint or savepoint under checkpointDir, e.g. file:///checkpoints_flink/<job-id>/chk-<n>",
    ]);
    expect(problemsOf({ restoreFrom: "Latest" })[0]).toMatch(/^restoreFrom: "Latest" is not allowed/);
  });

  it("takes the defaults of the image keys the stack leaves out from FLINK_CHECKPOINTER_IMAGES", () => {
    const official = parseStackConfig({});
    expect(official.imageDefaults).toBe("official");
    expect(official.imageOrigins).toEqual({ flinkImage: "official", kafkaImage: "official", nodeImage: "official" });

    const local = parseStackConfig({ kafkaVersion: "4.0.0", nodeImage: "my/node:22" }, { FLINK_CHECKPOINTER_IMAGES: "local" });
    expect(local).toMatchObject({
      imageDefaults: "local",
      flinkImage: LINE.localImage,
      kafkaImage: `${repositoryOf(VERSIONS.kafka.localImage)}:4.0.0`,
      nodeImage: "my/node:22",
      imageOrigins: { flinkImage: "local", kafkaImage: "local", nodeImage: "stack" },
    });
    // What the stack sets wins over either kind of default.
    expect(parseStackConfig({ flinkImage: "mine/flink:1" }, { FLINK_CHECKPOINTER_IMAGES: "official" }).flinkImage).toBe("mine/flink:1");
    expect(parseStackConfig({}, { FLINK_CHECKPOINTER_IMAGES: " " }).imageDefaults).toBe("official");
  });

  it("names the environment variable, not a stack key, when its value is wrong", () => {
    const problems = problemsOf({ taskSlots: "0" }, { FLINK_CHECKPOINTER_IMAGES: "offline" });
    expect(problems).toContain(
      '$FLINK_CHECKPOINTER_IMAGES: "offline" is not allowed; use one of official, local ' +
        "(the defaults of the image keys the stack does not set), or unset it",
    );
    try {
      parseStackConfig({}, { FLINK_CHECKPOINTER_IMAGES: "offline" });
    } catch (e) {
      expect((e as Error).message).toContain('\n  - $FLINK_CHECKPOINTER_IMAGES: "offline"');
    }
    expect.assertions(2);
  });

  it("still checks image references the stack sets", () => {
    expect(problemsOf({ nodeImage: "-bad image" }, { FLINK_CHECKPOINTER_IMAGES: "local" })[0]).toBe(
      'nodeImage: "-bad image" is not allowed; use an image reference like name:tag ([registry[:port]/]lower-case path[:tag][@sha256:<digest>])',
    );
  });

  it("takes one project's keys out of the full config map", () => {
    expect(
      projectConfig({ "flink-checkpointer:target": "kind", "aws:region": "x", "flink-checkpointerx:y": "z" }, "flink-checkpointer"),
    ).toEqual({ target: "kind" });
  });

  it("checks the generator's delay range and start time", () => {
    expect(problemsOf({ generatorDelayMinMs: "9000" })).toEqual([
      "generatorDelayMaxMs: 7000 is below generatorDelayMinMs 9000; the delay range needs min <= max",
    ]);
    expect(problemsOf({ generatorStartTime: "yesterday" })[0]).toContain("generatorStartTime");
    expect(parseStackConfig({ generatorStartTime: "2026-01-01T00:00:00Z", generatorSeed: "42" })).toMatchObject({
      generatorStartTime: "2026-01-01T00:00:00Z",
      generatorSeed: 42,
    });
  });

  it("names the kind cluster, whose context kind calls kind-<name>", () => {
    expect(parseStackConfig({ target: "kind" })).toMatchObject({
      kindCluster: "flink-checkpointer",
      kubeContext: "kind-flink-checkpointer",
    });
    expect(parseStackConfig({ target: "kind", kindCluster: "dev", kubeContext: "kind-dev" }).kindCluster).toBe("dev");
    expect(problemsOf({ target: "kind", kindCluster: "dev" })).toEqual([
      'kubeContext: "kind-flink-checkpointer" is not the context kind writes for the cluster "dev"; ' +
        "use kind-dev, or set kindCluster to the cluster that context belongs to",
    ]);
    expect(problemsOf({ kindCluster: "Dev_1" })[0]).toContain('kindCluster: "Dev_1" is not allowed');
  });

  it("requires three distinct topics and two distinct host ports", () => {
    expect(problemsOf({ outputTopic: "visits" })[0]).toContain("three different topics");
    expect(problemsOf({ kafkaExternalPort: "8081" })[0]).toContain("two different host ports");
  });
});

describe("the values a key may hold", () => {
  it("takes every image reference the stack uses by default, and references with a registry, a port and a digest", () => {
    const defaults = [VERSIONS.kafka.officialImage, VERSIONS.kafka.localImage, VERSIONS.node.officialImage, VERSIONS.node.localImage];
    for (const line of Object.values(FLINK_LINES)) defaults.push(line.officialImage, line.localImage);
    for (const image of [
      ...defaults,
      "registry.example:5000/team/flink_job:v1.2-rc.1",
      `busybox@sha256:${"ab".repeat(32)}`,
      "localhost/x",
    ]) {
      expect(isImageReference(image), image).toBe(true);
    }
    for (const image of [
      "Flink:1",
      "flink:",
      "flink::1",
      "/flink",
      "flink/",
      "flink//x",
      "fl ink",
      "flink:1 ",
      "-flink",
      "flink@sha256:12",
    ]) {
      expect(isImageReference(image), image).toBe(false);
    }
  });

  it("takes an ISO-8601 date-time with a zone on the calendar, as the generator does", () => {
    for (const time of ["2026-01-01T00:00:00Z", "2024-02-29T23:59:59.123456789Z", "2026-06-01T12:30+02:00", "1970-01-01T00:00:00Z"]) {
      expect(isIsoTime(time), time).toBe(true);
    }
    for (const time of [
      "2025-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01 00:00:00Z",
      "2026-01-01T00:00:00+25:00",
    ]) {
      expect(isIsoTime(time), time).toBe(false);
    }
  });

  it("checks the CA file through the file system it is given", () => {
    const pem = "# proxy\n-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
    expect(pemFileProblem("/etc/proxy.pem", () => ({ text: pem }))).toBeUndefined();
    expect(pemFileProblem("/etc/proxy.pem", () => ({ error: "cannot be read by this user" }))).toMatch(
      /^cannot be read by this user; give/,
    );
    expect(parseStackConfig({ extraCaCertsFile: "/etc/proxy.pem" }, {}, new Set(), () => ({ text: pem })).extraCaCertsFile).toBe(
      "/etc/proxy.pem",
    );
  });
});

describe("the committed stack files", () => {
  // The stack files are flat: `config:` then `  flink-checkpointer:<key>: <value>` lines.
  const stackFiles = readdirSync(join(__dirname, "..")).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f));
  const configOf = (file: string): Record<string, string> => {
    const config: Record<string, string> = {};
    for (const line of readFileSync(join(__dirname, "..", file), "utf8").split("\n")) {
      const match = /^ {2}([\w-]+:\w+):\s*"?(.*?)"?\s*$/.exec(line);
      if (match) config[match[1]!] = match[2]!;
    }
    return config;
  };

  it("include the docker, kind and both CI stacks", () => {
    expect(stackFiles).toEqual(expect.arrayContaining(["Pulumi.docker.yaml", "Pulumi.kind.yaml", "Pulumi.ci.yaml", "Pulumi.ci-kind.yaml"]));
  });

  it.each(stackFiles)("%s is a valid stack configuration", (file) => {
    expect(() => parseStackConfig(projectConfig(configOf(file), "flink-checkpointer"))).not.toThrow();
  });

  it("give the two CI stacks the same settings but the target, the host ports and kind's checkpoints in S3", () => {
    const {
      "flink-checkpointer:target": dockerTarget,
      "flink-checkpointer:flinkRestPort": _r,
      "flink-checkpointer:kafkaExternalPort": _k,
      ...ci
    } = configOf("Pulumi.ci.yaml");
    const {
      "flink-checkpointer:target": kindTarget,
      "flink-checkpointer:checkpointStorage": kindStorage,
      ...ciKind
    } = configOf("Pulumi.ci-kind.yaml");
    expect([dockerTarget, kindTarget, kindStorage]).toEqual(["docker", "kind", "s3"]);
    expect(ciKind).toEqual(ci);
  });
});
