import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parseStackConfig } from "../config";

interface Created {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly provider: string;
}

const created: Created[] = [];
/** Resource name → its parent's name and the names of what it explicitly depends on, as its options declare them. */
const declared = new Map<string, { parent?: string; dependsOn: Promise<string[]> }>();

pulumi.runtime.setMocks({
    newResource(args) {
        created.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider ?? "" });
        const state = args.type === "docker:index/registryImage:RegistryImage" ? { ...args.inputs, sha256Digest: `sha256:${args.name}` }
            : args.type === "docker:index/remoteImage:RemoteImage" && !args.inputs.build ? { ...args.inputs, imageId: `sha256:${args.inputs.name}` }
            : args.inputs;
        return { id: `${args.name}_id`, state };
    },
    call: args => args.inputs,
}, "flink-checkpointer", "kind", false);

const buildInputs = { contextDigests: { flinkJob: "job-digest", generator: "generator-digest" } };

const nameOf = (r: pulumi.Resource): Promise<string> =>
    new Promise(resolve => r.urn.apply(urn => resolve(urn.split("::").pop() as string)));

/** Every resource constructed under the stack, by object, so a parent can be named. */
const resourceNames = new Map<pulumi.Resource, string>();

/** A transformation on the stack component sees every descendant's resource options as the program gave them. */
function recordOptions(args: pulumi.ResourceTransformationArgs): undefined {
    resourceNames.set(args.resource, args.name);
    const deps = (args.opts.dependsOn ?? []) as pulumi.Resource[];
    declared.set(args.name, {
        parent: args.opts.parent && resourceNames.get(args.opts.parent),
        dependsOn: Promise.all(deps.map(nameOf)),
    });
    return undefined;
}

async function deployKind(name: string, raw: Record<string, string>): Promise<Created[]> {
    const { KindStack } = await import("./stack");
    const start = created.length;
    const stack = new KindStack(name, { config: parseStackConfig({ target: "kind", ...raw }), namePrefix: `${name}-test`, buildInputs },
        { transformations: [recordOptions] });
    const leaves = [stack.submission.job, stack.generator.deployment, stack.flink.jobManager, stack.flink.taskManagers,
        stack.flink.checkpointClaim, stack.kafka.statefulSet, stack.kafka.topicsJob];
    await Promise.all(leaves.map(nameOf));
    // Services and other siblings register concurrently; wait until no new registration arrives.
    for (let seen = -1; seen !== created.length;) {
        seen = created.length;
        await new Promise(resolve => setTimeout(resolve, 20));
    }
    return created.slice(start).filter(r => r.name.startsWith(`${name}-`));
}

const ofType = (rs: Created[], type: string) => rs.filter(r => r.type === type);
const named = (rs: Created[], name: string): Created => {
    const r = rs.find(c => c.name === name);
    if (!r) throw new Error(`no resource ${name} among ${rs.map(c => c.name).join(", ")}`);
    return r;
};
const podSpecOf = (r: Created): any => r.inputs.spec.template.spec;
const containerOf = (r: Created): any => podSpecOf(r).containers[0];
const envOf = (r: Created): Record<string, string> =>
    Object.fromEntries((containerOf(r).env ?? []).map((e: any) => [e.name, e.value]));
const podWorkloads = (rs: Created[]) => rs.filter(r =>
    ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job"].includes(r.type));

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
        const k8sObjects = rs.filter(r => r.type.startsWith("kubernetes:"));
        expect(k8sObjects.length).toBeGreaterThanOrEqual(11);
        for (const r of k8sObjects) {
            expect(r.provider, r.name).toContain("fc-provider");
            if (r.type !== "kubernetes:core/v1:Namespace") expect(r.inputs.metadata.namespace, r.name).toBe("flink-checkpointer");
        }
    });

    it("mounts the one checkpoint claim at /checkpoints_flink in the JobManager and the TaskManagers", () => {
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
            expect(podSpecOf(flink).securityContext).toMatchObject({ runAsUser: 9999, runAsGroup: 9999, fsGroup: 9999, runAsNonRoot: true });
        }
        expect(containerOf(jobManager).args).toEqual(["jobmanager"]);
        expect(containerOf(taskManagers).args).toEqual(["taskmanager"]);
        expect(jobManager.inputs.spec.template.metadata.labels).toEqual({ app: "flink", component: "jobmanager" });
    });

    it("gives checkpoint mode, interval and retention to the cluster and to the submitted job", () => {
        const props = envOf(named(rs, "fc-flink-jobmanager")).FLINK_PROPERTIES;
        expect(props).toContain("execution.checkpointing.interval: 15000ms");
        expect(props).toContain("execution.checkpointing.mode: AT_LEAST_ONCE");
        expect(props).toContain("execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION");
        expect(props).toContain("state.checkpoints.dir: file:///checkpoints_flink");
        expect(envOf(named(rs, "fc-flink-taskmanagers")).FLINK_PROPERTIES).toBe(props);
        const submit = containerOf(named(rs, "fc-job-submit")).command as string[];
        expect(submit.slice(0, 2)).toEqual(["python3", "/opt/flink/usrlib/jobs/submit.py"]);
        expect(submit.join(" ")).toContain("--checkpoint-mode AT_LEAST_ONCE --checkpoint-interval-ms 15000");
        expect(submit.join(" ")).toContain("--retain-on-cancellation true");
        expect(submit).not.toContain("--restore-from");
    });

    it("creates the topics with their partitions in a Job from the Kafka image", () => {
        const topicsJob = named(rs, "fc-kafka-topics");
        expect(topicsJob.inputs.spec.backoffLimit).toBeGreaterThan(0);
        expect(topicsJob.inputs.spec.activeDeadlineSeconds).toBeLessThanOrEqual(600);
        expect(containerOf(topicsJob).image).toBe("apache/kafka:4.1.1");
        const script = (containerOf(topicsJob).command as string[]).join(" ");
        for (const topic of ["visits", "visit_windows", "visits_dlq"]) {
            expect(script).toContain(`--create --if-not-exists --topic ${topic} --partitions 2 --replication-factor 1`);
        }
    });

    it("runs Kafka as a one-replica StatefulSet with its data on a claim, behind the Service `kafka`", () => {
        const broker = named(rs, "fc-kafka-broker");
        expect(broker.inputs.spec.replicas).toBe(1);
        expect(broker.inputs.spec.volumeClaimTemplates[0].metadata.name).toBe("data");
        expect(containerOf(broker).volumeMounts).toEqual([{ name: "data", mountPath: "/var/lib/kafka/data" }]);
        const service = named(rs, "fc-kafka-service");
        expect(service.inputs.metadata.name).toBe("kafka");
        expect(service.inputs.spec.ports).toEqual([{ name: "internal", port: 9092, targetPort: 9092 }]);
        expect(named(rs, "fc-flink-jobmanager-service").inputs.metadata.name).toBe("jobmanager");
    });

    it("runs every pod as non-root with probes or a bounded run, and resource requests and limits", () => {
        const workloads = podWorkloads(rs);
        expect(workloads.map(w => w.name).sort()).toEqual([
            "fc-flink-jobmanager", "fc-flink-taskmanagers", "fc-job-submit", "fc-kafka-broker", "fc-kafka-topics", "fc-visits-generator",
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
        expect(services.map(s => s.inputs.spec.type)).not.toContain("LoadBalancer");
        const nodePorts = services.filter(s => s.inputs.spec.type === "NodePort")
            .map(s => [s.inputs.metadata.name, s.inputs.spec.ports[0].port, s.inputs.spec.ports[0].nodePort]);
        expect(nodePorts.sort()).toEqual([["jobmanager-rest", 8081, 30081], ["kafka-external", 9094, 30094]]);
    });

    it("orders the submission after the JobManager, the TaskManagers and the topics", async () => {
        expect(declared.get("fc-job-submit")?.parent).toBe("fc-job");
        expect((await declared.get("fc-job")!.dependsOn).sort())
            .toEqual(["fc-flink-jobmanager", "fc-flink-taskmanagers", "fc-kafka-topics"]);
        expect(await declared.get("fc-visits")!.dependsOn).toEqual(["fc-kafka-topics"]);
        expect((await declared.get("fc-kafka-topics")!.dependsOn).sort()).toEqual(["fc-kafka-broker", "fc-kafka-service"]);
    });

    it("pushes the images to the local registry on the kind network, and pods run them by digest", async () => {
        const registry = named(rs, "fc-registry-registry");
        // Run by the id of the configured image, pulled only when it is not already local.
        expect(registry.inputs.image).toBe("sha256:registry:2");
        expect(registry.inputs.ports).toEqual([{ internal: 5000, external: 5001, ip: "127.0.0.1" }]);
        expect(registry.inputs.networksAdvanced).toEqual([{ name: "kind", aliases: ["kind-registry"] }]);
        expect(await declared.get("fc-flink-job")!.dependsOn).toEqual(["fc-registry-registry"]);
        expect(await declared.get("fc-generator")!.dependsOn).toEqual(["fc-registry-registry"]);
        const built = ofType(rs, "docker:index/remoteImage:RemoteImage").filter(i => i.inputs.build);
        expect(built.map(i => [i.inputs.name, i.inputs.triggers]).sort()).toEqual([
            ["localhost:5001/flink-checkpointer/flink-job:fc-test", { contextDigest: "job-digest" }],
            ["localhost:5001/flink-checkpointer/visit-generator:fc-test", { contextDigest: "generator-digest" }],
        ]);
        expect(ofType(rs, "docker:index/registryImage:RegistryImage").map(i => i.inputs.name).sort()).toEqual([
            "localhost:5001/flink-checkpointer/flink-job:fc-test",
            "localhost:5001/flink-checkpointer/visit-generator:fc-test",
        ]);
        const jobImage = "localhost:5001/flink-checkpointer/flink-job@sha256:fc-flink-job-push";
        for (const name of ["fc-flink-jobmanager", "fc-flink-taskmanagers", "fc-job-submit"]) {
            expect(containerOf(named(rs, name)).image, name).toBe(jobImage);
        }
        expect(containerOf(named(rs, "fc-visits-generator")).image)
            .toBe("localhost:5001/flink-checkpointer/visit-generator@sha256:fc-generator-push");
        expect(envOf(named(rs, "fc-visits-generator")).KAFKA_BOOTSTRAP).toBe("kafka:9092");
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
        const stack = new KindStack("out", { config: parseStackConfig({ target: "kind" }), namePrefix: "out-test", buildInputs });
        expect(stack.outputs).toMatchObject({
            target: "kind",
            flinkRestUrl: "http://127.0.0.1:8081",
            kafkaBootstrap: "127.0.0.1:9094",
            checkpointDir: "file:///checkpoints_flink",
            checkpointVolume: {
                kind: "kubernetes",
                context: "kind-flink-checkpointer",
                namespace: "flink-checkpointer",
                podSelector: "app=flink,component=jobmanager",
                mountPath: "/checkpoints_flink",
            },
        });
    });
});

describe("KindStack with ports kind-cluster.yaml does not publish", () => {
    it("fails naming the key, its value and the fix", async () => {
        const { KindStack } = await import("./stack");
        expect(() => new KindStack("bad", {
            config: parseStackConfig({ target: "kind", flinkRestPort: "18081" }), namePrefix: "bad-test", buildInputs,
        })).toThrow("flink-checkpointer:flinkRestPort: 18081 does not match infra/kubernetes/kind-cluster.yaml");
    });
});
