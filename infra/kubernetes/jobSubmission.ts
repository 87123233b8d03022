import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHECKPOINT_MOUNT_PATH, PROCESS_MEMORY_MB, USERS } from "../specs";
import type { JobSubmissionArgs as SharedArgs } from "../stack";
import { CHECKPOINT_VOLUME_LABEL, storageOf, submissionPlacement } from "./placement";
import { credentialsVolume, podSpec, resources } from "./pods";

/** Longest the submission may run: submit.py waits for the JobManager and its slots, then uploads and runs. */
export const SUBMISSION_DEADLINE_SECONDS = 600;
/**
 * Retries of a failed submission pod within one `pulumi up`. Safe: submit.py does nothing when a job of that name
 * is already alive, so a retry after an attempt that reached the JobManager does not start a second copy.
 */
export const SUBMISSION_RETRIES = 2;

/**
 * Pulumi's annotation for a Job that failed in an earlier update: replace it (so it runs again) on the next
 * `pulumi up`, instead of waiting once more for a Job that will never complete.
 */
export const RERUN_FAILED_JOB = { "pulumi.com/replaceUnready": "true" } as const;

/**
 * Name of the submission Job, derived from its command and image: a changed command (a new `restoreFrom`,
 * checkpoint mode, …) or a rebuilt job image is a new Job, so Pulumi replaces it and the job is submitted again.
 */
export function submissionJobName(command: readonly string[], image: string): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([command, image]))
    .digest("hex");
  return `submit-job-${digest.slice(0, 10)}`;
}

const CHECKPOINT_VOLUME = "checkpoints";

/**
 * Runs of submit.py from the job image, retried on failure. Its command replaces the flink entrypoint: this pod is
 * a REST client, not a Flink process. The checkpoint claim is mounted read-only: restoreFrom `latest` is looked up
 * on it, so the pod runs on the node of the Flink pods that mount it too; with checkpoints in a bucket (no claim) the
 * S3 credentials file is, to look it up there.
 */
export function submissionJobSpec(
  image: pulumi.Input<string>,
  command: string[],
  checkpointClaimName: pulumi.Input<string> | undefined,
): k8s.types.input.batch.v1.JobSpec {
  const credentials = credentialsVolume();
  const storage = storageOf(checkpointClaimName);
  return {
    backoffLimit: SUBMISSION_RETRIES,
    activeDeadlineSeconds: SUBMISSION_DEADLINE_SECONDS,
    template: {
      metadata: { labels: { app: "flink-job-submission", ...(storage === "volume" ? CHECKPOINT_VOLUME_LABEL : {}) } },
      spec: podSpec({
        name: "submit",
        image,
        user: USERS.flink,
        command,
        resources: resources({
          cpuRequestMillis: 50,
          cpuLimitMillis: 500,
          memoryRequestMb: PROCESS_MEMORY_MB.submission.request,
          memoryLimitMb: PROCESS_MEMORY_MB.submission.limit,
        }),
        volumes:
          checkpointClaimName === undefined
            ? [credentials.volume]
            : [{ name: CHECKPOINT_VOLUME, persistentVolumeClaim: { claimName: checkpointClaimName, readOnly: true } }],
        volumeMounts:
          checkpointClaimName === undefined
            ? [credentials.mount]
            : [{ name: CHECKPOINT_VOLUME, mountPath: CHECKPOINT_MOUNT_PATH, readOnly: true }],
        restartPolicy: "Never",
        placement: submissionPlacement(storage),
      }),
    },
  };
}

/** Arguments of {@link JobSubmission}: the shared ones and the namespace. */
export interface JobSubmissionArgs extends SharedArgs {
  /** Namespace of the Job. */
  readonly namespace: pulumi.Input<string>;
  /** The Flink cluster's checkpoint claim; none with checkpoints in a bucket. */
  readonly checkpointClaimName?: pulumi.Input<string>;
}

/**
 * Submits the PyFlink job to the session cluster through its REST API as a Kubernetes Job; Pulumi waits for it
 * to complete, and replaces it on the next update if it failed.
 */
export class JobSubmission extends pulumi.ComponentResource {
  public readonly job: k8s.batch.v1.Job;

  constructor(name: string, args: JobSubmissionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:kubernetes:JobSubmission", name, {}, opts);
    this.job = new k8s.batch.v1.Job(
      `${name}-submit`,
      {
        metadata: {
          name: pulumi.output(args.image).apply((image) => submissionJobName(args.command, image)),
          namespace: args.namespace,
          annotations: RERUN_FAILED_JOB,
        },
        spec: submissionJobSpec(args.image, args.command, args.checkpointClaimName),
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({});
  }
}
