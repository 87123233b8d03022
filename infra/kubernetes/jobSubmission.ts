import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { USERS } from "../specs";
import { podSpec, resources } from "./pods";

/** Longest the submission may run: submit.py waits for the JobManager and its slots, then uploads and runs. */
export const SUBMISSION_DEADLINE_SECONDS = 600;

/**
 * Name of the submission Job, derived from its command: a changed command (a new `restoreFrom`, checkpoint
 * mode, …) is a new Job, so Pulumi replaces it and the job is submitted again.
 */
export function submissionJobName(command: readonly string[]): string {
    const digest = createHash("sha256").update(JSON.stringify(command)).digest("hex");
    return `submit-job-${digest.slice(0, 10)}`;
}

/**
 * One run of submit.py from the job image. Its command replaces the flink entrypoint: this pod is a REST client,
 * not a Flink process. No retries: a retry after a submission that reached the JobManager would start the job twice.
 */
export function submissionJobSpec(image: pulumi.Input<string>, command: string[]): k8s.types.input.batch.v1.JobSpec {
    return {
        backoffLimit: 0,
        activeDeadlineSeconds: SUBMISSION_DEADLINE_SECONDS,
        template: {
            metadata: { labels: { app: "flink-job-submission" } },
            spec: podSpec({
                name: "submit",
                image,
                user: USERS.flink,
                command,
                resources: resources({ cpuRequestMillis: 50, cpuLimitMillis: 500, memoryRequestMb: 128, memoryLimitMb: 256 }),
                restartPolicy: "Never",
            }),
        },
    };
}

/** Arguments of {@link JobSubmission}. */
export interface JobSubmissionArgs {
    /** Namespace of the Job. */
    readonly namespace: pulumi.Input<string>;
    /** The job image, which carries submit.py and the flink-python jar. */
    readonly image: pulumi.Input<string>;
    /** submit.py's command line (see specs.submissionCommand); restores when it names a checkpoint. */
    readonly command: string[];
}

/**
 * Submits the PyFlink job to the session cluster through its REST API as a Kubernetes Job; Pulumi waits for it
 * to complete. Order it after the JobManager, the TaskManagers and the topics with `dependsOn`.
 */
export class JobSubmission extends pulumi.ComponentResource {
    public readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: JobSubmissionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flink-checkpointer:kubernetes:JobSubmission", name, {}, opts);
        this.job = new k8s.batch.v1.Job(`${name}-submit`, {
            metadata: { name: submissionJobName(args.command), namespace: args.namespace },
            spec: submissionJobSpec(args.image, args.command),
        }, { parent: this });
        this.registerOutputs({});
    }
}
