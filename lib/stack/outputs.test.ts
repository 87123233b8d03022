import { describe, expect, it } from "vitest";
import { JOB_DEFAULTS } from "../../jobs/flink/settings";
import { parseStackOutputs } from "./outputs";

const dockerOutputs = {
  target: "docker",
  flinkLine: "1.20",
  flinkRestUrl: "http://127.0.0.1:8081/",
  kafkaBootstrap: "127.0.0.1:9094",
  visitsTopic: "visits",
  outputTopic: "visit_windows",
  dlqTopic: "visits_dlq",
  groupId: "visits_reader",
  partitions: 2,
  checkpointDir: "file:///checkpoints_flink",
  checkpointMode: "EXACTLY_ONCE",
  checkpointIntervalMs: 20000,
  jobName: "visit-windows",
  jobSubmission: {
    entryClass: "org.apache.flink.client.python.PythonDriver",
    script: "/opt/job.py",
    settings: { ...JOB_DEFAULTS, windowSeconds: 30 },
  },
  checkpointStorage: { kind: "volume", name: "vol", mountPath: "/checkpoints_flink" },
  processes: { target: "docker", jobManager: "jm", taskManagers: ["tm-1"], kafka: "kafka", generator: "gen" },
  recoverCommand: ["python3", "/opt/submit.py", "--restore-from", "latest"],
  checkpointListing: ["python3", "/opt/checkpoints.py", "list", "--checkpoint-dir", "file:///checkpoints_flink"],
};

describe("parseStackOutputs", () => {
  it("reads the docker contract", () => {
    const outputs = parseStackOutputs(dockerOutputs, {}, "stack docker");
    expect(outputs.flinkRestUrl).toBe("http://127.0.0.1:8081");
    expect(outputs.jobSubmission.settings).toEqual({ ...JOB_DEFAULTS, windowSeconds: 30 });
    expect(outputs.checkpointStorage).toEqual({ kind: "volume", name: "vol", mountPath: "/checkpoints_flink" });
    expect(outputs.checkpointDir).toBe("file:///checkpoints_flink");
  });

  it("reads the kind contract", () => {
    const volume = { kind: "volume", name: "flink-checkpoints", mountPath: "/checkpoints_flink" };
    const processes = {
      target: "kind",
      context: "kind-fc",
      namespace: "fc",
      jobManagerSelector: "component=jobmanager",
      taskManagerSelector: "component=taskmanager",
      kafkaSelector: "app=kafka",
      generatorSelector: "app=visit-generator",
    };
    const outputs = parseStackOutputs({ ...dockerOutputs, target: "kind", checkpointStorage: volume, processes }, {}, "x");
    expect(outputs.checkpointStorage).toEqual(volume);
    expect(outputs.processes).toEqual(processes);
  });

  it("carries what restoreFrom names, and leaves it out for a stack brought up before that output existed", () => {
    const chk = "file:///checkpoints_flink/0123456789abcdef0123456789abcdef/chk-7";
    expect(parseStackOutputs({ ...dockerOutputs, restoreFrom: chk }, {}, "x").restoreFrom).toBe(chk);
    expect(parseStackOutputs({ ...dockerOutputs, restoreFrom: "" }, {}, "x").restoreFrom).toBe("");
    expect(parseStackOutputs(dockerOutputs, {}, "x").restoreFrom).toBeUndefined();
    expect(() => parseStackOutputs({ ...dockerOutputs, restoreFrom: 7 }, {}, "x")).toThrow(
      'invalid: restoreFrom must be a string (a checkpoint URI, latest, or "" when not set), got 7',
    );
  });

  it("names the processes and the recovery command the fault injection needs", () => {
    const outputs = parseStackOutputs(dockerOutputs, {}, "x");
    expect(outputs.processes).toEqual({ target: "docker", jobManager: "jm", taskManagers: ["tm-1"], kafka: "kafka", generator: "gen" });
    expect(outputs.recoverCommand).toEqual(["python3", "/opt/submit.py", "--restore-from", "latest"]);
    const bad = {
      ...dockerOutputs,
      processes: { target: "docker", jobManager: "jm", taskManagers: [], kafka: "kafka", generator: "gen" },
      recoverCommand: [],
    };
    expect(() => parseStackOutputs(bad, {}, "x")).toThrow(
      /recoverCommand must be a non-empty list[\s\S]*processes.taskManagers must be a non-empty list/,
    );
    const { checkpointListing: _listing, ...withoutListing } = dockerOutputs;
    expect(() => parseStackOutputs(withoutListing, {}, "x")).toThrow("missing: checkpointListing");
  });

  it("names a job setting that is missing or of the wrong type", () => {
    const { countTrigger: _c, ...settings } = JOB_DEFAULTS;
    const bad = {
      ...dockerOutputs,
      jobSubmission: { ...dockerOutputs.jobSubmission, settings: { ...settings, parallelism: "2", checkpointMode: "TWICE" } },
    };
    expect(() => parseStackOutputs(bad, {}, "x")).toThrow(
      /missing: jobSubmission.settings.countTrigger[\s\S]*jobSubmission.settings.parallelism must be a number, got "2"[\s\S]*checkpointMode must be one of EXACTLY_ONCE, AT_LEAST_ONCE, got "TWICE"/,
    );
  });

  it("lets flags override the addresses", () => {
    const outputs = parseStackOutputs(dockerOutputs, { flinkRestUrl: "http://localhost:18081", kafkaBootstrap: "localhost:19094" }, "x");
    expect([outputs.flinkRestUrl, outputs.kafkaBootstrap]).toEqual(["http://localhost:18081", "localhost:19094"]);
  });

  it("reads a bucket as the checkpoint storage, and refuses a checkpointDir outside it", () => {
    const storage = {
      kind: "s3",
      endpoint: "http://s3:8333",
      bucket: "b",
      pathStyle: true,
      inStack: true,
      credentialsFile: "/opt/flink/.aws/credentials",
    };
    const outputs = parseStackOutputs({ ...dockerOutputs, checkpointDir: "s3://b/checkpoints", checkpointStorage: storage }, {}, "x");
    expect(outputs.checkpointStorage).toEqual(storage);
    expect(() => parseStackOutputs({ ...dockerOutputs, checkpointStorage: storage }, {}, "x")).toThrow(
      'checkpointDir "file:///checkpoints_flink" does not lie in checkpointStorage (s3)',
    );
  });

  it("names every missing output and where they were read", () => {
    const { groupId: _g, jobSubmission: _j, checkpointStorage: _c, ...rest } = dockerOutputs;
    expect(() => parseStackOutputs(rest, {}, "stack docker")).toThrow(
      /from stack docker[\s\S]*missing: groupId, jobSubmission, checkpointStorage/,
    );
  });

  it("names invalid values and what is allowed", () => {
    const bad = {
      ...dockerOutputs,
      target: "minikube",
      checkpointMode: "ONCE",
      partitions: 0,
      checkpointStorage: { kind: "volume", name: "v" },
      processes: { target: "nomad" },
    };
    let message = "";
    try {
      parseStackOutputs(bad, { kafkaBootstrap: "127.0.0.1" }, "x");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('target must be one of docker, kind, got "minikube"');
    expect(message).toContain('checkpointMode must be one of EXACTLY_ONCE, AT_LEAST_ONCE, got "ONCE"');
    expect(message).toContain("partitions must be a positive integer, got 0");
    expect(message).toContain("missing: checkpointStorage.mountPath");
    expect(message).toContain('processes.target must be one of docker, kind, got "nomad"');
    expect(message).toContain('kafkaBootstrap must be host:port such as 127.0.0.1:9094, got "127.0.0.1"');
  });

  it("says that nothing was found when the stack has no outputs", () => {
    expect(() => parseStackOutputs({}, {}, "x")).toThrow(/missing: target, flinkLine, flinkRestUrl, kafkaBootstrap/);
  });
});
