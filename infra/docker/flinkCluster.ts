import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CHECKPOINT_MOUNT_PATH, envList, HOSTS, PORTS, USERS } from "../specs";

/** Arguments of {@link FlinkCluster}. */
export interface FlinkClusterArgs {
    /** Prefix of container and volume names, unique per stack. */
    readonly namePrefix: string;
    /** The job image (Flink + Python + connector + job); JobManager and TaskManagers run it. */
    readonly image: pulumi.Input<string>;
    /** The stack's network; the JobManager is `jobmanager` on it. */
    readonly networkName: pulumi.Input<string>;
    /** FLINK_PROPERTIES text shared by every Flink process. */
    readonly flinkProperties: string;
    /** Number of TaskManager containers. */
    readonly taskManagers: number;
    /** Host port on 127.0.0.1 of the REST API and web UI. */
    readonly restPort: number;
    /** Labels put on every Docker object of the stack. */
    readonly labels: docker.types.input.ContainerLabel[];
}

/**
 * A Flink session cluster: one JobManager and N TaskManagers sharing one named checkpoint volume at
 * /checkpoints_flink. The volume starts as a copy of the image's /checkpoints_flink, which the job image creates
 * owned by the flink user (uid 9999): writable by Flink without opening it to everyone.
 */
export class FlinkCluster extends pulumi.ComponentResource {
    public readonly jobManager: docker.Container;
    public readonly taskManagers: docker.Container[];
    public readonly checkpointVolume: docker.Volume;

    constructor(name: string, args: FlinkClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flink-checkpointer:docker:FlinkCluster", name, {}, opts);
        this.checkpointVolume = new docker.Volume(`${name}-checkpoints`, {
            name: `${args.namePrefix}-checkpoints`,
            labels: args.labels,
        }, { parent: this });

        // Containers have fixed names: a changed one (a Flink property, a new image) must go before its replacement comes.
        const common = {
            image: args.image,
            user: USERS.flink,
            envs: envList({ FLINK_PROPERTIES: args.flinkProperties }),
            volumes: [{ volumeName: this.checkpointVolume.name, containerPath: CHECKPOINT_MOUNT_PATH }],
            restart: "unless-stopped",
            labels: args.labels,
        };

        this.jobManager = new docker.Container(`${name}-jobmanager`, {
            ...common,
            name: `${args.namePrefix}-jobmanager`,
            command: ["jobmanager"],
            networksAdvanced: [{ name: args.networkName, aliases: [HOSTS.jobmanager] }],
            ports: [{ internal: PORTS.flinkRest, external: args.restPort, ip: "127.0.0.1" }],
        }, { parent: this, deleteBeforeReplace: true });

        this.taskManagers = Array.from({ length: args.taskManagers }, (_, i) =>
            new docker.Container(`${name}-taskmanager-${i + 1}`, {
                ...common,
                name: `${args.namePrefix}-taskmanager-${i + 1}`,
                command: ["taskmanager"],
                networksAdvanced: [{ name: args.networkName }],
            }, { parent: this, dependsOn: [this.jobManager], deleteBeforeReplace: true }));

        this.registerOutputs({});
    }
}
