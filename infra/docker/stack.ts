import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { stackImages } from "../images";
import { BuildInputs } from "../buildInputs";
import {
    CHECKPOINT_MOUNT_PATH, commonOutputs, flinkProperties, flinkPropertiesText, generatorEnvironment,
    submissionCommand, topics,
} from "../specs";
import { FlinkCluster } from "./flinkCluster";
import { JobSubmission } from "./jobSubmission";
import { KafkaBroker } from "./kafka";
import { VisitGenerator } from "./visitGenerator";

/** Arguments of {@link DockerStack}. */
export interface DockerStackArgs {
    readonly config: StackConfig;
    /** Prefix of every Docker object's name, unique per Pulumi stack. */
    readonly namePrefix: string;
    /** What the image builds take from disk (see buildInputs.readBuildInputs). */
    readonly buildInputs: BuildInputs;
}

/** Label on every container, volume and network of a stack, so leftovers can be found by it. */
export const STACK_LABEL = "flink-checkpointer.stack";

/** The whole stack on the local Docker Engine, in the shape of the pattern's docker-compose setup. */
export class DockerStack extends pulumi.ComponentResource {
    public readonly outputs: Record<string, pulumi.Input<unknown>>;

    constructor(name: string, args: DockerStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flink-checkpointer:docker:DockerStack", name, {}, opts);
        const cfg = args.config;
        const labels = [{ label: STACK_LABEL, value: args.namePrefix }];

        const network = new docker.Network(`${name}-network`, {
            name: `${args.namePrefix}-net`,
            labels,
        }, { parent: this });

        const images = stackImages(name, cfg, args.buildInputs, image => `flink-checkpointer/${image}:${args.namePrefix}`,
            false, { parent: this });

        const kafka = new KafkaBroker(`${name}-kafka`, {
            namePrefix: args.namePrefix,
            image: cfg.kafkaImage,
            networkName: network.name,
            externalPort: cfg.kafkaExternalPort,
            topics: topics(cfg),
            labels,
        }, { parent: this });

        const flink = new FlinkCluster(`${name}-flink`, {
            namePrefix: args.namePrefix,
            image: images.flinkJob.ref,
            networkName: network.name,
            flinkProperties: flinkPropertiesText(flinkProperties(cfg)),
            taskManagers: cfg.taskManagers,
            restPort: cfg.flinkRestPort,
            labels,
        }, { parent: this });

        new VisitGenerator(`${name}-visits`, {
            namePrefix: args.namePrefix,
            image: images.generator.ref,
            networkName: network.name,
            environment: generatorEnvironment(cfg),
            labels,
        }, { parent: this, dependsOn: [kafka.topicsReady] });

        const submission = new JobSubmission(`${name}-job`, {
            namePrefix: args.namePrefix,
            image: images.flinkJob.ref,
            networkName: network.name,
            command: submissionCommand(cfg),
            restoreFrom: cfg.restoreFrom,
            checkpointVolumeName: flink.checkpointVolume.name,
            jobManagerId: flink.jobManager.id,
            labels,
        }, { parent: this, dependsOn: [flink.jobManager, ...flink.taskManagers, kafka.topicsReady] });

        this.outputs = {
            ...commonOutputs(cfg),
            jobRestore: submission.restore,
            checkpointVolume: {
                kind: "docker",
                container: flink.jobManager.name,
                mountPath: CHECKPOINT_MOUNT_PATH,
                volumeName: flink.checkpointVolume.name,
            },
            processes: {
                kind: "docker",
                jobManager: flink.jobManager.name,
                taskManagers: flink.taskManagers.map(tm => tm.name),
                kafka: kafka.container.name,
            },
        };
        this.registerOutputs(this.outputs);
    }
}
