import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobManagerStandIn } from "../../lib/flink/restStandIn";
import { VERSIONS } from "../../lib/versions";
import { parseStackConfig } from "../config";
import { loadedImageReference } from "./imageLoad";

interface Created {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  readonly provider: string;
}

const created: Created[] = [];
/** Resource name → its parent's name and the names of what it explicitly depends on, as its options declare them. */
const declared = new Map<string, { parent?: string; dependsOn: Promise<string[]>; opts: pulumi.ResourceOptions }>();

const imageId = (name: string) => `sha256:${createHash("sha256").update(name).digest("hex")}`;
const LOADED_IMAGE = "pulumi-nodejs:dynamic/kind:KindLoadedImage";

pulumi.runtime.setMocks(
  {
    newResource(args) {
      created.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider ?? "" });
      // The RemoteImage and the loaded image report what the real providers would: an id, the loaded name.
      const state =
        args.type === "docker:index/remoteImage:RemoteImage"
          ? { ...args.inputs, imageId: imageId(args.inputs.name) }
          : args.type === LOADED_IMAGE
            ? { ...args.inputs, reference: loadedImageReference(args.inputs.imageName, args.inputs.imageId) }
            : args.inputs;
      return { id: `${args.name}_id`, state };
    },
    call: (args) => args.inputs,
  },
  "flink-checkpointer",
  "kind",
  false,
);

const buildInputs = { contextDigests: { flinkJob: "job-digest", generator: "generator-digest" } };
const cluster = { uid: "0b3f-kube-system-uid" };

const nameOf = (r: pulumi.Resource): Promise<string> =>
  new Promise((resolve) => r.urn.apply((urn) => resolve(urn.split("::").pop() as string)));

/** Every resource constructed under the stack, by object, so a parent can be named. */
const resourceNames = new Map<pulumi.Resource, string>();

/** A transformation on the stack component sees every descendant's resource options as the program gave them. */
function recordOptions(args: pulumi.ResourceTransformationArgs): undefined {
  resourceNames.set(args.resource, args.name);
  const deps = (args.opts.dependsOn ?? []) as pulumi.Resource[];
  declared.set(args.name, {
    parent: args.opts.parent && resourceNames.get(args.opts.parent),
    dependsOn: Promise.all(deps.map(nameOf)),
    opts: args.opts,
  });
  return undefined;
}

/** The JobManager the check that ends `pulumi up` asks (the mocks run no Flink). */
let flinkRest: JobManagerStandIn;
let checkpointing: ReturnType<typeof setInterval>;
let flinkRestPort = 0;
beforeAll(async () => {
  flinkRest = await JobManagerStandIn.start();
  // The job the check that ends `pulumi up` finds running: it completes a checkpoint now and then.
  const job = flinkRest.addJob({ name: "visit-windows" });
  checkpointing = setInterval(() => flinkRest.checkpoint(job), 100);
  flinkRestPort = flinkRest.port;
});
afterAll(() => {
  clearInterval(checkpointing);
  return flinkRest.close();
});

async function deployKind(name: string, raw: Record<string, string>): Promise<Created[]> {
  const { KindStack } = await import("./stack");
  const start = created.length;
  const stack = new KindStack(
    name,
    {
      config: parseStackConfig({ target: "kind", flinkRestPort: String(flinkRestPort), ...raw }),
      namePrefix: `${name}-test`,
      buildInputs,
      cluster,
    },
    { transformations: [recordOptions] },
  );
  await new Promise<void>((resolve) => pulumi.output(stack.outputs).apply(() => resolve()));
  // Children register concurrently; wait until no new registration arrives.
  for (let seen = -1; seen !== created.length; ) {
    seen = created.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return created.slice(start).filter((r) => r.name.startsWith(`${name}-`));
}

const ofType = (rs: Created[], type: string) => rs.filter((r) => r.type === type);
const named = (rs: Created[], name: string): Created => {
  const r = rs.find((c) => c.name === name);
  if (!r) throw new Error(`no resource ${name} among ${rs.map((c) => c.name).join(", ")}`);
  return r;
};
const podSpecOf = (r: Created): any => r.inputs.spec.template.spec;
const containerOf = (r: Created): any => podSpecOf(r).containers[0];
const envOf = (r: Created): Record<string, string> => Object.fromEntries((containerOf(r).env ?? []).map((e: any) => [e.name, e.value]));
const podWorkloads = (rs: Created[]) =>
  rs.filter((r) => ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job"].includes(r.type));
const flinkProperties = (r: Created): Record<string, string> =>
  Object.fromEntries(
    envOf(r)
      .FLINK_PROPERTIES.split("\n")
      .map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
  );

describe("KindStack", () => {
  let rs: Created[];
  beforeAll(async () => {
    rs = await deployKind("fc", { taskManagers: "2", checkpointIntervalMs: "15000", checkpointMode: "AT_LEAST_ONCE" });
  });

  it("talks to the configured kube context and puts everything in the configured namespace", () => {
    const provider = named(rs, "fc-provider");
    expect(provider.type).toBe("pulumi:providers:kubernetes");
    expect(provider.inputs.context).toBe("kind-flink-checkpointer");
    expect(named(rs, "fc-namespace").inputs.metadata.name).toBe("flink-checkpointer");
    const k8sObjects = rs.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8sObjects.length).toBeGreaterThanOrEqual(14);
    for (const r of k8sObjects) {
      expect(r.provider, r.name).toContain("fc-provider");
      if (r.type !== "kubernetes:core/v1:Namespace") expect(r.inputs.metadata.namespace, r.name).toBe("flink-checkpointer");
    }
  });

  it("loads every image the pods run into the kind node, and the pods run the loaded names, never pulling", () => {
    const loads = ofType(rs, LOADED_IMAGE);
    expect(loads.map((l) => [l.name, l.inputs.cluster, l.inputs.clusterUid, l.inputs.imageName]).sort()).toEqual([
      ["fc-load-flink-job", "flink-checkpointer", cluster.uid, "flink-checkpointer/flink-job:fc-test"],
      ["fc-load-generator", "flink-checkpointer", cluster.uid, "flink-checkpointer/visit-generator:fc-test"],
      ["fc-load-kafka", "flink-checkpointer", cluster.uid, VERSIONS.kafka.officialImage],
    ]);
    for (const load of loads) expect(load.inputs.imageId, load.name).toBe(imageId(load.inputs.imageName));
    const loaded = (image: string) => loadedImageReference(image, imageId(image));
    const jobImage = loaded("flink-checkpointer/flink-job:fc-test");
    expect(jobImage).toMatch(/^flink-checkpointer\/flink-job:fc-test-[0-9a-f]{12}$/);
    for (const name of ["fc-flink-jobmanager", "fc-flink-taskmanagers", "fc-job-submit"]) {
      expect(containerOf(named(rs, name)).image, name).toBe(jobImage);
    }
    expect(containerOf(named(rs, "fc-visits-generator")).image).toBe(loaded("flink-checkpointer/visit-generator:fc-test"));
    expect(containerOf(named(rs, "fc-kafka-broker")).image).toBe(loaded(VERSIONS.kafka.officialImage));
    expect(containerOf(named(rs, "fc-kafka-topics")).image).toBe(loaded(VERSIONS.kafka.officialImage));
    for (const w of podWorkloads(rs)) {
      for (const c of [...podSpecOf(w).containers, ...(podSpecOf(w).initContainers ?? [])]) {
        expect(c.imagePullPolicy, `${w.name} ${c.name}`).toBe("Never");
      }
    }
    // An image loaded into the control-plane only is run only by pods pinned there.
    const controlPlaneOnly = loads.filter((l) => l.inputs.controlPlaneOnly).map((l) => loaded(l.inputs.imageName));
    expect(controlPlaneOnly.sort()).toEqual(
      [loaded("flink-checkpointer/visit-generator:fc-test"), loaded(VERSIONS.kafka.officialImage)].sort(),
    );
    for (const w of podWorkloads(rs)) {
      if (podSpecOf(w).containers.some((c: any) => controlPlaneOnly.includes(c.image)))
        expect(podSpecOf(w).nodeSelector, w.name).toEqual({ "node-role.kubernetes.io/control-plane": "" });
    }
    // No registry of any kind.
    expect(rs.filter((r) => /registry/i.test(r.type) || /registry/i.test(r.name))).toEqual([]);
    expect(ofType(rs, "docker:index/container:Container")).toEqual([]);
  });

  it("builds the job and generator images from jobs/ and pulls Kafka's only when absent", () => {
    const images = ofType(rs, "docker:index/remoteImage:RemoteImage");
    expect(images.map((i) => [i.name, i.inputs.name, i.inputs.triggers, i.inputs.keepLocally]).sort()).toEqual([
      ["fc-flink-job-build", "flink-checkpointer/flink-job:fc-test", { contextDigest: "job-digest" }, true],
      ["fc-generator-build", "flink-checkpointer/visit-generator:fc-test", { contextDigest: "generator-digest" }, true],
      ["fc-kafka-image", VERSIONS.kafka.officialImage, undefined, true],
    ]);
  });

  it("mounts the one checkpoint claim at /checkpoints_flink in the JobManager and the TaskManagers, made flink's first", () => {
    const claims = ofType(rs, "kubernetes:core/v1:PersistentVolumeClaim");
    expect(claims).toHaveLength(1);
    const claim = claims[0];
    expect(claim.inputs.spec.accessModes).toEqual(["ReadWriteOnce"]);
    expect(claim.inputs.spec.storageClassName).toBe("standard");
    expect(claim.inputs.metadata.annotations["pulumi.com/skipAwait"]).toBe("true");
    const jobManager = named(rs, "fc-flink-jobmanager");
    const taskManagers = named(rs, "fc-flink-taskmanagers");
    expect(taskManagers.inputs.spec.replicas).toBe(2);
    for (const flink of [jobManager, taskManagers]) {
      expect(podSpecOf(flink).volumes).toEqual([{ name: "checkpoints", persistentVolumeClaim: { claimName: claim.inputs.metadata.name } }]);
      expect(containerOf(flink).volumeMounts).toEqual([{ name: "checkpoints", mountPath: "/checkpoints_flink" }]);
      expect(podSpecOf(flink).securityContext).toMatchObject({ runAsUser: 9999, runAsGroup: 9999, runAsNonRoot: true });
      expect(podSpecOf(flink).initContainers.map((c: any) => c.command.join(" "))).toEqual([
        "sh -c chown 9999:9999 /checkpoints_flink && chmod 0770 /checkpoints_flink",
      ]);
    }
    expect(containerOf(jobManager).args).toEqual(["jobmanager"]);
    expect(containerOf(taskManagers).args).toEqual(["taskmanager"]);
    // Every pod that mounts the ReadWriteOnce claim carries its label, and runs on the node of the others.
    expect(jobManager.inputs.spec.template.metadata.labels).toEqual({
      app: "flink",
      component: "jobmanager",
      "flink-checkpointer/checkpoint-volume": "mounted",
    });
    const submission = rs.find((r) => r.type === "kubernetes:batch/v1:Job" && r.name.endsWith("-submit"))!;
    for (const pod of [podSpecOf(jobManager), podSpecOf(taskManagers), submission.inputs.spec.template.spec]) {
      expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels).toEqual({
        "flink-checkpointer/checkpoint-volume": "mounted",
      });
    }
  });

  it("runs Flink with Kubernetes HA on the checkpoint volume, under an account that may only handle ConfigMaps", async () => {
    const props = flinkProperties(named(rs, "fc-flink-jobmanager"));
    expect(props).toMatchObject({
      "high-availability.type": "kubernetes",
      "high-availability.storageDir": "file:///checkpoints_flink/ha",
      "kubernetes.cluster-id": "flink-checkpointer",
      "kubernetes.namespace": "flink-checkpointer",
    });
    const account = named(rs, "fc-flink-account");
    const role = named(rs, "fc-flink-ha-role");
    const binding = named(rs, "fc-flink-ha-binding");
    expect(role.inputs.rules).toEqual([
      {
        apiGroups: [""],
        resources: ["configmaps"],
        verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
      },
    ]);
    expect(binding.inputs.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.inputs.metadata.name });
    expect(binding.inputs.subjects).toEqual([
      { kind: "ServiceAccount", name: account.inputs.metadata.name, namespace: "flink-checkpointer" },
    ]);
    for (const name of ["fc-flink-jobmanager", "fc-flink-taskmanagers"]) {
      expect(podSpecOf(named(rs, name)).serviceAccountName, name).toBe(account.inputs.metadata.name);
      expect(await declared.get(name)!.dependsOn, name).toEqual(["fc-flink-ha-binding"]);
    }
    for (const name of ["fc-kafka-broker", "fc-kafka-topics", "fc-visits-generator", "fc-job-submit"]) {
      expect(podSpecOf(named(rs, name)).automountServiceAccountToken, name).toBe(false);
    }
  });

  it("gives checkpoint mode, interval and retention to the cluster and to the submitted job", () => {
    const props = envOf(named(rs, "fc-flink-jobmanager")).FLINK_PROPERTIES;
    expect(props).toContain("execution.checkpointing.interval: 15000ms");
    expect(props).toContain("execution.checkpointing.mode: AT_LEAST_ONCE");
    expect(props).toContain("execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION");
    expect(props).toContain("execution.checkpointing.dir: file:///checkpoints_flink");
    expect(envOf(named(rs, "fc-flink-taskmanagers")).FLINK_PROPERTIES).toBe(props);
    const submit = containerOf(named(rs, "fc-job-submit")).command as string[];
    expect(submit.slice(0, 2)).toEqual(["python3", "/opt/flink/usrlib/jobs/submit.py"]);
    expect(submit.join(" ")).toContain("--checkpoint-mode AT_LEAST_ONCE --checkpoint-interval-ms 15000");
    expect(submit.join(" ")).toContain("--retain-on-cancellation true");
    expect(submit).not.toContain("--restore-from");
  });

  it("mounts the checkpoint claim read-only in the submission, where restoreFrom latest looks", () => {
    const submit = named(rs, "fc-job-submit");
    const claim = named(rs, "fc-flink-checkpoints").inputs.metadata.name;
    expect(podSpecOf(submit).volumes).toEqual([{ name: "checkpoints", persistentVolumeClaim: { claimName: claim, readOnly: true } }]);
    expect(containerOf(submit).volumeMounts).toEqual([{ name: "checkpoints", mountPath: "/checkpoints_flink", readOnly: true }]);
  });

  it("retries a failed submission and replaces a Job that failed in an earlier update", () => {
    const submit = named(rs, "fc-job-submit");
    expect(submit.inputs.spec.backoffLimit).toBeGreaterThan(0);
    expect(submit.inputs.metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
    expect((declared.get("fc-job-submit")!.opts as pulumi.CustomResourceOptions).deleteBeforeReplace).toBe(true);
    expect(named(rs, "fc-kafka-topics").inputs.metadata.annotations).toEqual({ "pulumi.com/replaceUnready": "true" });
  });

  it("creates the topics with their partitions in a Job from the Kafka image", () => {
    const topicsJob = named(rs, "fc-kafka-topics");
    expect(topicsJob.inputs.spec.backoffLimit).toBeGreaterThan(0);
    expect(topicsJob.inputs.spec.activeDeadlineSeconds).toBeLessThanOrEqual(600);
    const script = (containerOf(topicsJob).command as string[]).join(" ");
    for (const topic of ["visits", "visit_windows", "visits_dlq"]) {
      expect(script).toContain(`--create --if-not-exists --topic ${topic} --partitions 2 --replication-factor 1`);
    }
  });

  it("runs Kafka as a one-replica StatefulSet with its data on a claim, governed by the headless Service `kafka`", () => {
    const broker = named(rs, "fc-kafka-broker");
    expect(broker.inputs.spec.replicas).toBe(1);
    expect(broker.inputs.spec.volumeClaimTemplates[0].metadata.name).toBe("data");
    expect(containerOf(broker).volumeMounts).toEqual([{ name: "data", mountPath: "/var/lib/kafka/data" }]);
    const service = named(rs, "fc-kafka-service");
    expect(service.inputs.metadata.name).toBe("kafka");
    expect(service.inputs.spec.clusterIP).toBe("None");
    expect(broker.inputs.spec.serviceName).toBe("kafka");
    expect(named(rs, "fc-flink-jobmanager-service").inputs.metadata.name).toBe("jobmanager");
  });

  it("runs every pod as non-root with probes or a bounded run, and resource requests and limits", () => {
    const workloads = podWorkloads(rs);
    expect(workloads.map((w) => w.name).sort()).toEqual([
      "fc-flink-jobmanager",
      "fc-flink-taskmanagers",
      "fc-job-submit",
      "fc-kafka-broker",
      "fc-kafka-topics",
      "fc-visits-generator",
    ]);
    for (const w of workloads) {
      const pod = podSpecOf(w);
      expect(pod.securityContext.runAsNonRoot, w.name).toBe(true);
      expect(pod.securityContext.runAsUser, w.name).toBeGreaterThan(0);
      expect(containerOf(w).securityContext.allowPrivilegeEscalation, w.name).toBe(false);
      expect(containerOf(w).resources.requests.memory, w.name).toMatch(/^\d+Mi$/);
      expect(containerOf(w).resources.limits.memory, w.name).toMatch(/^\d+Mi$/);
    }
    for (const server of ["fc-flink-jobmanager", "fc-flink-taskmanagers", "fc-kafka-broker"]) {
      expect(containerOf(named(rs, server)).readinessProbe, server).toBeDefined();
      expect(containerOf(named(rs, server)).livenessProbe, server).toBeDefined();
    }
    for (const job of ofType(rs, "kubernetes:batch/v1:Job")) {
      expect(job.inputs.spec.activeDeadlineSeconds, job.name).toBeGreaterThan(0);
    }
  });

  it("exposes Flink REST and Kafka's external listener as NodePorts kind maps, never as LoadBalancers", () => {
    const services = ofType(rs, "kubernetes:core/v1:Service");
    expect(services.map((s) => s.inputs.spec.type)).not.toContain("LoadBalancer");
    const nodePorts = services
      .filter((s) => s.inputs.spec.type === "NodePort")
      .map((s) => [s.inputs.metadata.name, s.inputs.spec.ports[0].port, s.inputs.spec.ports[0].nodePort]);
    expect(nodePorts.sort()).toEqual([
      ["jobmanager-rest", 8081, 30081],
      ["kafka-external", 9094, 30094],
    ]);
  });

  it("orders the generator after the topics and the submission after the JobManager, the TaskManagers and the topics", async () => {
    expect(declared.get("fc-job-submit")?.parent).toBe("fc-job");
    expect((await declared.get("fc-job")!.dependsOn).sort()).toEqual(["fc-flink-jobmanager", "fc-flink-taskmanagers", "fc-kafka-topics"]);
    expect(await declared.get("fc-visits")!.dependsOn).toEqual(["fc-kafka-topics"]);
    expect((await declared.get("fc-kafka-topics")!.dependsOn).sort()).toEqual(["fc-kafka-broker", "fc-kafka-service"]);
    // The broker does not wait for its Service, whose endpoints only the broker's pod can provide.
    expect(await declared.get("fc-kafka-broker")!.dependsOn).toEqual([]);
  });
});

describe("KindStack's update", () => {
  it("ends by asking the JobManager on the host port for a RUNNING job", async () => {
    const before = flinkRest.requests("/jobs/overview");
    await deployKind("fk", {});
    for (let waited = 0; flinkRest.requests("/jobs/overview") === before && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(flinkRest.requests("/jobs/overview")).toBeGreaterThan(before);
  });
});

describe("KindStack restoring from a checkpoint", () => {
  const checkpoint = "file:///checkpoints_flink/0123456789abcdef/chk-4";
  let plain: Created;
  let restoring: Created;
  beforeAll(async () => {
    plain = named(await deployKind("fp", {}), "fp-job-submit");
    restoring = named(await deployKind("fr", { restoreFrom: checkpoint }), "fr-job-submit");
  });

  it("submits the job with --restore-from the configured checkpoint", () => {
    const command = containerOf(restoring).command as string[];
    expect(command[command.indexOf("--restore-from") + 1]).toBe(checkpoint);
    expect(command.indexOf("--restore-from")).toBeLessThan(command.indexOf("--"));
  });

  it("names the submission Job after its command, so changing restoreFrom replaces it and submits again", () => {
    expect(restoring.inputs.metadata.name).toMatch(/^submit-job-[0-9a-f]{10}$/);
    expect(restoring.inputs.metadata.name).not.toBe(plain.inputs.metadata.name);
  });
});

describe("KindStack outputs", () => {
  it("are the common outputs plus where to find the checkpoint volume in the cluster", async () => {
    const { KindStack } = await import("./stack");
    const stack = new KindStack("out", {
      config: parseStackConfig({ target: "kind", flinkRestPort: String(flinkRestPort) }),
      namePrefix: "out-test",
      buildInputs,
      cluster,
    });
    const outputs = await new Promise((resolve) => pulumi.output(stack.outputs).apply(resolve));
    expect(outputs).toMatchObject({
      target: "kind",
      flinkRestUrl: `http://127.0.0.1:${flinkRestPort}`,
      kafkaBootstrap: "127.0.0.1:9094",
      checkpointDir: "file:///checkpoints_flink",
      checkpointStorage: { kind: "volume", name: "flink-checkpoints", mountPath: "/checkpoints_flink" },
      processes: {
        target: "kind",
        context: "kind-flink-checkpointer",
        namespace: "flink-checkpointer",
        jobManagerSelector: "app=flink,component=jobmanager",
        taskManagerSelector: "app=flink,component=taskmanager",
        kafkaSelector: "app=kafka",
        generatorSelector: "app=visit-generator",
      },
      jobName: "visit-windows",
    });
  });
});
