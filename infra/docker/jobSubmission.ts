import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CHECKPOINT_MOUNT_PATH, PROCESS_MEMORY_MB, restoreSummary, S3_CREDENTIALS_FILE, USERS } from "../specs";
import type { JobSubmissionArgs as SharedArgs } from "../stack";
import { lockedDown } from "./lockdown";
import { secretUpload } from "./objectStore";
import { exitedBadly, failOnNonZeroExit, oneShotArgs } from "./oneShot";

/** Arguments of {@link JobSubmission}: the shared ones and where on Docker. */
export interface JobSubmissionArgs extends SharedArgs {
  /** Prefix of container names, unique per stack. */
  readonly namePrefix: string;
  readonly networkName: pulumi.Input<string>;
  /** The checkpoint volume, mounted read-only: `latest` is looked up on it (none with checkpoints in a bucket). */
  readonly checkpointVolumeName?: pulumi.Input<string>;
  /**
   * The JobManager container's id. A new JobManager has no job (there is no high availability on Docker), so a
   * replaced one replaces this submission, which submits again; so does a retry after a failed submission.
   */
  readonly jobManagerId: pulumi.Input<string>;
  /** Labels put on every Docker object of the stack. */
  readonly labels: docker.types.input.ContainerLabel[];
}

/**
 * Submits the PyFlink job to the session cluster through its REST API, once the JobManager, the TaskManagers and
 * the topics are there. A changed command (e.g. a new `restoreFrom`) replaces it and so submits again.
 */
export class JobSubmission extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  /** What the submission restored from and why (see specs.restoreSummary). */
  public readonly restore: pulumi.Output<string>;
  /** Whether submit.py exited non-zero (which fails the update, see failOnNonZeroExit). */
  public readonly failed: pulumi.Output<boolean>;

  constructor(name: string, args: JobSubmissionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:docker:JobSubmission", name, {}, opts);
    this.container = new docker.Container(
      `${name}-submit`,
      oneShotArgs({
        ...lockedDown(PROCESS_MEMORY_MB.submission),
        name: `${args.namePrefix}-submit`,
        image: args.image,
        user: USERS.flink,
        // Bypass the flink entrypoint: this container is a REST client, not a Flink process.
        entrypoints: [args.command[0]],
        command: args.command.slice(1),
        networksAdvanced: [{ name: args.networkName }],
        volumes: args.checkpointVolumeName
          ? [{ volumeName: args.checkpointVolumeName, containerPath: CHECKPOINT_MOUNT_PATH, readOnly: true }]
          : [],
        uploads: args.s3CredentialsFile ? [secretUpload(S3_CREDENTIALS_FILE, args.s3CredentialsFile)] : [],
        labels: [...args.labels, { label: "flink-checkpointer.jobmanager", value: args.jobManagerId }],
      }),
      { parent: this, deleteBeforeReplace: true },
    );
    failOnNonZeroExit(this.container);
    this.restore = this.container.containerLogs.apply((logs) => restoreSummary(args.restoreFrom, logs));
    this.failed = this.container.exitCode.apply(exitedBadly);
    this.registerOutputs({ restore: this.restore, failed: this.failed });
  }
}
