import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CHECKPOINT_MOUNT_PATH, envList, flinkPropertiesText, HOSTS, PORTS, S3_CREDENTIALS_FILE, USERS } from "../specs";
import type { FlinkClusterArgs as SharedArgs } from "../stack";
import { lockedDown } from "./lockdown";
import { secretUpload } from "./objectStore";

/** Arguments of {@link FlinkCluster}: the shared ones and where on Docker. */
export interface FlinkClusterArgs extends SharedArgs {
  /** Prefix of container and volume names, unique per stack. */
  readonly namePrefix: string;
  /** The stack's network; the JobManager is `jobmanager` on it. */
  readonly networkName: pulumi.Input<string>;
  /** Labels put on every Docker object of the stack. */
  readonly labels: docker.types.input.ContainerLabel[];
}

/**
 * A Flink session cluster: one JobManager and N TaskManagers sharing one named checkpoint volume at
 * /checkpoints_flink. The volume starts as a copy of the image's /checkpoints_flink, which the job image creates
 * owned by the flink user (uid 9999): writable by Flink without opening it to everyone. With checkpoints in a bucket
 * there is no volume: each process gets the S3 credentials file instead.
 */
export class FlinkCluster extends pulumi.ComponentResource {
  public readonly jobManager: docker.Container;
  public readonly taskManagers: docker.Container[];
  public readonly checkpointVolume?: docker.Volume;

  constructor(name: string, args: FlinkClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:docker:FlinkCluster", name, {}, opts);
    const credentials = args.s3CredentialsFile;
    this.checkpointVolume = credentials
      ? undefined
      : new docker.Volume(
          `${name}-checkpoints`,
          {
            name: `${args.namePrefix}-checkpoints`,
            labels: args.labels,
          },
          { parent: this },
        );

    // Containers have fixed names: a changed one (a Flink property, a new image) must go before its replacement comes.
    const common = {
      image: args.image,
      user: USERS.flink,
      envs: envList({ FLINK_PROPERTIES: flinkPropertiesText(args.flinkProperties) }),
      volumes: this.checkpointVolume ? [{ volumeName: this.checkpointVolume.name, containerPath: CHECKPOINT_MOUNT_PATH }] : [],
      uploads: credentials ? [secretUpload(S3_CREDENTIALS_FILE, credentials)] : [],
      restart: "unless-stopped",
      labels: args.labels,
    };

    this.jobManager = new docker.Container(
      `${name}-jobmanager`,
      {
        ...common,
        ...lockedDown(args.memory.jobmanager),
        name: `${args.namePrefix}-jobmanager`,
        command: ["jobmanager"],
        networksAdvanced: [{ name: args.networkName, aliases: [HOSTS.jobmanager] }],
        ports: [{ internal: PORTS.flinkRest, external: args.restPort, ip: "127.0.0.1" }],
      },
      { parent: this, deleteBeforeReplace: true },
    );

    this.taskManagers = Array.from(
      { length: args.taskManagers },
      (_, i) =>
        new docker.Container(
          `${name}-taskmanager-${i + 1}`,
          {
            ...common,
            ...lockedDown(args.memory.taskmanager),
            name: `${args.namePrefix}-taskmanager-${i + 1}`,
            command: ["taskmanager"],
            networksAdvanced: [{ name: args.networkName }],
          },
          { parent: this, dependsOn: [this.jobManager], deleteBeforeReplace: true },
        ),
    );

    this.registerOutputs({});
  }
}
