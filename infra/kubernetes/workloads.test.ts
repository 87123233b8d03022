import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../config";
import { flinkMemoryMb, flinkProperties, PROCESS_MEMORY_MB, PYTHON_OVERHEAD_MB, submissionCommand, topics } from "../specs";
import { FLINK_CLUSTER_PORTS, FLINK_HA_RULES, flinkLabels, flinkPodSpec, flinkResourceSizes } from "./flinkCluster";
import { SUBMISSION_DEADLINE_SECONDS, SUBMISSION_RETRIES, submissionJobName, submissionJobSpec } from "./jobSubmission";
import { kafkaPodSpec, kafkaServiceSpec, TOPICS_DEADLINE_SECONDS, topicsJobSpec } from "./kafka";
import { CHECKPOINT_VOLUME_LABEL, CONTROL_PLANE_ROLE } from "./placement";
import { labelSelector } from "./stack";
import { generatorPodSpec } from "./visitGenerator";

const cfg = parseStackConfig({ target: "kind" });
const container = (spec: any) => spec.containers[0];
const env = (spec: any): Record<string, string> =>
  Object.fromEntries(container(spec).env.map((e: { name: string; value: string }) => [e.name, e.value]));

describe("Flink pods", () => {
  const memory = flinkMemoryMb(parseStackConfig({ target: "kind", taskManagerMemoryMb: "3072" }));
  const jobManager = flinkPodSpec("jobmanager", "job-image", "a: b", "flink-checkpoints", "flink", memory.jobmanager);
  const taskManager = flinkPodSpec("taskmanager", "job-image", "a: b", "flink-checkpoints", "flink", memory.taskmanager);

  it("run the flink image's jobmanager / taskmanager with FLINK_PROPERTIES", () => {
    expect(container(jobManager).args).toEqual(["jobmanager"]);
    expect(container(taskManager).args).toEqual(["taskmanager"]);
    expect(container(jobManager)).not.toHaveProperty("command");
    expect(env(jobManager)).toEqual({ FLINK_PROPERTIES: "a: b" });
  });

  it("mount the checkpoint claim at /checkpoints_flink as uid/gid/fsGroup 9999", () => {
    for (const spec of [jobManager, taskManager]) {
      expect(spec.volumes).toEqual([{ name: "checkpoints", persistentVolumeClaim: { claimName: "flink-checkpoints" } }]);
      expect(container(spec).volumeMounts).toEqual([{ name: "checkpoints", mountPath: "/checkpoints_flink" }]);
      expect(spec.securityContext).toMatchObject({ runAsUser: 9999, runAsGroup: 9999, fsGroup: 9999, runAsNonRoot: true });
    }
  });

  it("make the checkpoint volume flink's, mode 0770, before Flink starts, with only CAP_CHOWN and CAP_FOWNER", () => {
    for (const spec of [jobManager, taskManager]) {
      const [init] = spec.initContainers as any[];
      expect(spec.initContainers).toHaveLength(1);
      expect(init.image).toBe("job-image");
      expect(init.command).toEqual(["sh", "-c", "chown 9999:9999 /checkpoints_flink && chmod 0770 /checkpoints_flink"]);
      expect(init.volumeMounts).toEqual([{ name: "checkpoints", mountPath: "/checkpoints_flink" }]);
      expect(init.securityContext).toEqual({
        runAsUser: 0,
        runAsGroup: 0,
        runAsNonRoot: false,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"], add: ["CHOWN", "FOWNER"] },
      });
      // Flink itself keeps no privilege at all.
      expect(container(spec).securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    }
  });

  it("run under the account of the HA services, which may only handle ConfigMaps", () => {
    for (const spec of [jobManager, taskManager]) {
      expect(spec.serviceAccountName).toBe("flink");
      expect(spec.automountServiceAccountToken).toBe(true);
    }
    expect(FLINK_HA_RULES).toEqual([
      {
        apiGroups: [""],
        resources: ["configmaps"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
      },
    ]);
  });

  it("probe the JobManager's REST API and the TaskManager's RPC port", () => {
    expect(container(jobManager).readinessProbe.httpGet).toEqual({ path: "/overview", port: 8081 });
    expect(container(jobManager).livenessProbe.httpGet).toEqual({ path: "/overview", port: 8081 });
    expect(container(taskManager).readinessProbe.tcpSocket).toEqual({ port: 6122 });
    expect(container(taskManager).livenessProbe.tcpSocket).toEqual({ port: 6122 });
  });

  it("request the configured JVM process size and cap it with room for Python", () => {
    expect(flinkResourceSizes(memory.jobmanager)).toMatchObject({ memoryRequestMb: 1280, memoryLimitMb: 1280 + PYTHON_OVERHEAD_MB });
    expect(container(taskManager).resources).toEqual({
      requests: { cpu: "200m", memory: "3072Mi" },
      limits: { cpu: "2000m", memory: `${3072 + PYTHON_OVERHEAD_MB}Mi` },
    });
    expect(flinkProperties(parseStackConfig({ target: "kind", taskManagerMemoryMb: "3072" }))["taskmanager.memory.process.size"]).toBe(
      "3072m",
    );
  });

  it("are configured with the ports the jobmanager Service exposes and the probes check", () => {
    const props = flinkProperties(cfg);
    expect(FLINK_CLUSTER_PORTS).toEqual({ rpc: 6123, blob: 6124, taskManagerRpc: 6122, rest: 8081 });
    expect(props).toMatchObject({
      "jobmanager.rpc.address": "jobmanager",
      "jobmanager.rpc.port": "6123",
      "blob.server.port": "6124",
      "taskmanager.rpc.port": "6122",
      "execution.checkpointing.dir": "file:///checkpoints_flink",
    });
  });

  it("run on the node of the checkpoint volume they mount", () => {
    for (const spec of [jobManager, taskManager] as any[]) {
      expect(spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
        { labelSelector: { matchLabels: CHECKPOINT_VOLUME_LABEL }, topologyKey: "kubernetes.io/hostname" },
      ]);
    }
    const spread: any = flinkPodSpec("taskmanager", "job-image", "a: b", undefined, "flink", memory.taskmanager);
    expect(spread.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(2);
  });

  it("label the JobManager so the stack output's selector finds it", () => {
    expect(labelSelector(flinkLabels("jobmanager"))).toBe("app=flink,component=jobmanager");
  });
});

describe("Kafka", () => {
  const broker = kafkaPodSpec("apache/kafka:4.1.1", 9094);

  it("runs the broker as uid 1000 with its data directory on the claim, advertising 127.0.0.1 externally", () => {
    expect(broker.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(container(broker).volumeMounts).toEqual([{ name: "data", mountPath: "/var/lib/kafka/data" }]);
    expect(env(broker).KAFKA_LOG_DIRS).toBe("/var/lib/kafka/data");
    expect(env(broker).KAFKA_ADVERTISED_LISTENERS).toBe("PLAINTEXT://kafka:9092,EXTERNAL://127.0.0.1:9094");
  });

  it("runs on the control-plane, where its node-bound data claim survives the loss of a worker", () => {
    expect(broker.nodeSelector).toEqual({ [CONTROL_PLANE_ROLE]: "" });
    expect(broker.tolerations).toEqual([{ key: CONTROL_PLANE_ROLE, operator: "Exists", effect: "NoSchedule" }]);
  });

  it("makes its data volume uid 1000's, mode 0770, before the broker starts", () => {
    const [init] = broker.initContainers as any[];
    expect(init.command).toEqual(["sh", "-c", "chown 1000:1000 /var/lib/kafka/data && chmod 0770 /var/lib/kafka/data"]);
    expect(init.image).toBe("apache/kafka:4.1.1");
  });

  it("is governed by a headless Service `kafka` on the internal listener", () => {
    expect(kafkaServiceSpec()).toEqual({
      clusterIP: "None",
      selector: { app: "kafka" },
      ports: [{ name: "internal", port: 9092, targetPort: 9092 }],
    });
  });

  it("probes the internal listener and sizes memory above the default 1 GiB heap", () => {
    expect(container(broker).readinessProbe.tcpSocket).toEqual({ port: 9092 });
    expect(container(broker).livenessProbe.tcpSocket).toEqual({ port: 9092 });
    expect(container(broker).resources.limits.memory).toBe(`${PROCESS_MEMORY_MB.kafka.limit}Mi`);
    expect(PROCESS_MEMORY_MB.kafka.request).toBeGreaterThan(1024);
  });

  it("creates every topic with its partitions in a bounded, retried Job", () => {
    const job = topicsJobSpec("apache/kafka:4.1.1", topics(parseStackConfig({ target: "kind", partitions: "3" })));
    expect(job.backoffLimit).toBe(3);
    expect(job.activeDeadlineSeconds).toBe(TOPICS_DEADLINE_SECONDS);
    const pod: any = (job.template as any).spec;
    expect(pod.restartPolicy).toBe("Never");
    const script = container(pod).command.join(" ");
    for (const topic of ["visits", "visit_windows", "visits_dlq"]) {
      expect(script).toContain(`--create --if-not-exists --topic ${topic} --partitions 3`);
    }
  });
});

describe("job submission", () => {
  it("runs submit.py in place of the flink entrypoint, retried on failure, within a deadline", () => {
    const command = submissionCommand(cfg);
    const job = submissionJobSpec("job-image", command, "flink-checkpoints");
    const pod: any = (job.template as any).spec;
    expect(container(pod).command).toEqual(command);
    expect(container(pod)).not.toHaveProperty("args");
    expect(job.backoffLimit).toBe(SUBMISSION_RETRIES);
    expect(SUBMISSION_RETRIES).toBeGreaterThan(0);
    expect(job.activeDeadlineSeconds).toBe(SUBMISSION_DEADLINE_SECONDS);
    expect(pod.securityContext).toMatchObject({ runAsUser: 9999, runAsNonRoot: true });
  });

  it("runs beside the Flink pods when it mounts their checkpoint volume", () => {
    const job = submissionJobSpec("job-image", submissionCommand(cfg), "flink-checkpoints");
    const template: any = job.template;
    expect(template.metadata.labels).toMatchObject(CHECKPOINT_VOLUME_LABEL);
    expect(template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels).toEqual(
      CHECKPOINT_VOLUME_LABEL,
    );
  });

  it("is named after its command and image, so a new restoreFrom or a rebuilt image is a new Job", () => {
    const plain = submissionJobName(submissionCommand(cfg), "job:a");
    const restoring = submissionJobName(
      submissionCommand(
        parseStackConfig({
          target: "kind",
          restoreFrom: "file:///checkpoints_flink/abc/chk-7",
        }),
      ),
      "job:a",
    );
    expect(plain).toMatch(/^submit-job-[0-9a-f]{10}$/);
    expect(restoring).not.toBe(plain);
    expect(submissionJobName(submissionCommand(cfg), "job:b")).not.toBe(plain);
    expect(submissionJobName(submissionCommand(cfg), "job:a")).toBe(plain);
  });
});

describe("generator", () => {
  it("runs the generator as uid 1000 with its environment", () => {
    const spec = generatorPodSpec("gen-image", { KAFKA_BOOTSTRAP: "kafka:9092" });
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(env(spec)).toEqual({ KAFKA_BOOTSTRAP: "kafka:9092" });
    expect(container(spec).resources.requests).toBeDefined();
  });

  it("runs beside Kafka on the control-plane, so input goes on while a worker is lost", () => {
    expect(generatorPodSpec("gen-image", {}).nodeSelector).toEqual({ [CONTROL_PLANE_ROLE]: "" });
  });

  it("talks to no Kubernetes API: no account token, and never pulls an image", () => {
    const spec = generatorPodSpec("gen-image", {});
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec).not.toHaveProperty("serviceAccountName");
    expect(container(spec).imagePullPolicy).toBe("Never");
  });
});
