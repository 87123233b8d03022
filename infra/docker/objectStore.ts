import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  envList,
  HOSTS,
  PROCESS_MEMORY_MB,
  S3_CREDENTIALS_FILE,
  S3_SERVER,
  s3DataOwnerCommand,
  s3ServerArguments,
  s3ServerEnvironment,
  USERS,
} from "../specs";
import type { ObjectStoreArgs as SharedArgs } from "../stack";
import { lockedDown } from "./lockdown";
import { failOnNonZeroExit, oneShotArgs } from "./oneShot";

/** Arguments of {@link ObjectStore}: the shared ones and where on Docker. */
export interface ObjectStoreArgs extends SharedArgs {
  /** Prefix of container and volume names, unique per stack. */
  readonly namePrefix: string;
  readonly networkName: pulumi.Input<string>;
  /** Labels put on every Docker object of the stack. */
  readonly labels: docker.types.input.ContainerLabel[];
}

/**
 * A file a container gets at start, readable by the flink user but not writable by it (root's, mode 0444): Docker
 * copies it in before the process starts, so it never appears in `docker inspect`, an environment or a log.
 */
export function secretUpload(file: string, content: pulumi.Output<string>): docker.types.input.ContainerUpload {
  return { file, content: pulumi.secret(content), permissions: "0444" };
}

/**
 * The S3 store of checkpointStorage s3 on Docker. With the stack's own server: SeaweedFS (`weed mini`) as `s3` on the
 * stack's network, its data on a volume of its own, only its S3 port reachable (nothing published on the host). Then,
 * for either store, the bucket step: a one-shot container of the job image that waits for the store and checks the
 * bucket (on the own server: creates it) with the credentials file Flink gets too.
 */
export class ObjectStore extends pulumi.ComponentResource {
  public readonly server?: docker.Container;
  public readonly bucketStep: docker.Container;

  constructor(name: string, args: ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:docker:ObjectStore", name, {}, opts);
    if (args.serverImage !== undefined && args.serverIdentities !== undefined) {
      const data = new docker.Volume(`${name}-data`, { name: `${args.namePrefix}-s3-data`, labels: args.labels }, { parent: this });
      // The volume starts as the image's /data, whoever owns it there: made the server user's before it starts, by
      // root with the two capabilities that takes and nothing else (kind's pods do the same in an init container).
      const owner = new docker.Container(
        `${name}-data-owner`,
        oneShotArgs({
          name: `${args.namePrefix}-s3-data-owner`,
          image: args.serverImage,
          user: "0:0",
          entrypoints: [s3DataOwnerCommand()[0] as string],
          command: s3DataOwnerCommand().slice(1),
          volumes: [{ volumeName: data.name, containerPath: S3_SERVER.dataDir }],
          ...lockedDown(PROCESS_MEMORY_MB.bucket),
          capabilities: { drops: ["ALL"], adds: ["CHOWN", "FOWNER"] },
          labels: args.labels,
        }),
        { parent: this, deleteBeforeReplace: true },
      );
      failOnNonZeroExit(owner);
      this.server = new docker.Container(
        `${name}-server`,
        {
          name: `${args.namePrefix}-s3`,
          image: args.serverImage,
          user: USERS.s3,
          entrypoints: [s3ServerArguments()[0] as string],
          command: s3ServerArguments().slice(1),
          envs: envList(s3ServerEnvironment()),
          ...lockedDown(PROCESS_MEMORY_MB.s3),
          volumes: [{ volumeName: data.name, containerPath: S3_SERVER.dataDir }],
          uploads: [secretUpload(S3_SERVER.identitiesFile, args.serverIdentities)],
          networksAdvanced: [{ name: args.networkName, aliases: [HOSTS.s3] }],
          restart: "unless-stopped",
          labels: args.labels,
        },
        { parent: this, deleteBeforeReplace: true, dependsOn: [owner] },
      );
    }
    this.bucketStep = new docker.Container(
      `${name}-bucket`,
      oneShotArgs({
        name: `${args.namePrefix}-s3-bucket`,
        image: args.jobImage,
        user: USERS.flink,
        entrypoints: [args.bucketCommand[0] as string],
        command: args.bucketCommand.slice(1),
        ...lockedDown(PROCESS_MEMORY_MB.bucket),
        uploads: [secretUpload(S3_CREDENTIALS_FILE, args.credentialsFile)],
        networksAdvanced: [{ name: args.networkName }],
        labels: args.labels,
      }),
      { parent: this, deleteBeforeReplace: true, dependsOn: this.server ? [this.server] : [] },
    );
    failOnNonZeroExit(this.bucketStep);
    this.registerOutputs({});
  }
}
