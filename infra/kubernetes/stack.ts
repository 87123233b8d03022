import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BuildInputs } from "../buildInputs";
import { StackConfig } from "../config";
import { stackImages } from "../images";
import {
    CHECKPOINT_MOUNT_PATH, commonOutputs, flinkProperties, generatorEnvironment, submissionCommand, topics,
} from "../specs";
import { FlinkCluster, flinkLabels } from "./flinkCluster";
import { JobSubmission } from "./jobSubmission";
import { KAFKA_LABELS, KafkaBroker } from "./kafka";
import { kindClusterMismatches } from "./kindCluster";
import { LocalRegistry, registryImageName } from "./localRegistry";
import { VisitGenerator } from "./visitGenerator";

/** Arguments of {@link KindStack}. */
export interface KindStackArgs {
    readonly config: StackConfig;
    /** Prefix of Docker object names and the images' tag, unique per Pulumi stack. */
    readonly namePrefix: string;
    /** What the image builds take from disk (see buildInputs.readBuildInputs). */
    readonly buildInputs: BuildInputs;
}

/** `key=value,…`, the form of a kubectl label selector. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
    return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

/**
 * The whole stack on a local kind cluster (created with infra/kubernetes/kind-cluster.yaml): the project's images
 * pushed to a local registry the cluster pulls from, then Kafka, the Flink session cluster, the visit generator
 * and the job submission in one namespace.
 */
export class KindStack extends pulumi.ComponentResource {
    public readonly outputs: Record<string, pulumi.Input<unknown>>;
    public readonly kafka: KafkaBroker;
    public readonly flink: FlinkCluster;
    public readonly generator: VisitGenerator;
    public readonly submission: JobSubmission;

    constructor(name: string, args: KindStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flink-checkpointer:kubernetes:KindStack", name, {}, opts);
        const cfg = args.config;
        const mismatches = kindClusterMismatches(cfg);
        if (mismatches.length > 0) {
            throw new Error(`the kind target's configuration does not fit its cluster:\n  - ${mismatches.join("\n  - ")}`);
        }

        const provider = new k8s.Provider(`${name}-provider`, { context: cfg.kubeContext }, { parent: this });
        const inCluster = { parent: this, provider };
        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: cfg.namespace },
        }, inCluster).metadata.name;

        const registry = new LocalRegistry(`${name}-registry`, {
            namePrefix: args.namePrefix,
            image: cfg.registryImage,
            port: cfg.registryPort,
        }, { parent: this });
        // Pushing needs the registry running.
        const pushed = { parent: this, dependsOn: [registry.container] };
        const images = stackImages(name, cfg, args.buildInputs, image => registryImageName(cfg.registryPort, image, args.namePrefix),
            true, pushed);

        this.kafka = new KafkaBroker(`${name}-kafka`, {
            namespace,
            image: cfg.kafkaImage,
            externalPort: cfg.kafkaExternalPort,
            topics: topics(cfg),
        }, inCluster);

        this.flink = new FlinkCluster(`${name}-flink`, {
            namespace,
            image: images.flinkJob.ref,
            flinkProperties: flinkProperties(cfg),
            taskManagers: cfg.taskManagers,
        }, inCluster);

        this.generator = new VisitGenerator(`${name}-visits`, {
            namespace,
            image: images.generator.ref,
            environment: generatorEnvironment(cfg),
        }, { ...inCluster, dependsOn: [this.kafka.topicsJob] });

        this.submission = new JobSubmission(`${name}-job`, {
            namespace,
            image: images.flinkJob.ref,
            command: submissionCommand(cfg),
        }, { ...inCluster, dependsOn: [this.flink.jobManager, this.flink.taskManagers, this.kafka.topicsJob] });

        this.outputs = {
            ...commonOutputs(cfg),
            checkpointVolume: {
                kind: "kubernetes",
                context: cfg.kubeContext,
                namespace: cfg.namespace,
                podSelector: labelSelector(flinkLabels("jobmanager")),
                mountPath: CHECKPOINT_MOUNT_PATH,
            },
            processes: {
                kind: "kubernetes",
                context: cfg.kubeContext,
                namespace: cfg.namespace,
                jobManagerSelector: labelSelector(flinkLabels("jobmanager")),
                taskManagerSelector: labelSelector(flinkLabels("taskmanager")),
                kafkaSelector: labelSelector(KAFKA_LABELS),
            },
        };
        this.registerOutputs(this.outputs);
    }
}
