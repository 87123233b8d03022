/**
 * The one sequence every target wires: images, Kafka, the Flink cluster, the generator after the topics, the
 * submission after Flink and the topics, the check that the job runs, and the outputs. A target supplies only its
 * translation of each part (infra/docker, infra/kubernetes); a third target is a third translation.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BuildInputs } from "./buildInputs";
import type { S3Settings, StackConfig } from "./config";
import type { CheckpointStorageOutput, CheckpointVolume, InformationalOutputs, StackOutputs, StackProcesses } from "./contract";
import { type StackImages, stackImages } from "./images";
import { awaitRunningJob, jobNotRunningMessage } from "./jobCheck";
import { s3Credentials } from "./s3Credentials";
import {
  awsCredentialsFile,
  bucketCommand,
  bucketStorage,
  commonOutputs,
  flinkMemoryMb,
  flinkProperties,
  generatorEnvironment,
  type MemorySize,
  seaweedfsIdentities,
  submissionCommand,
  type TopicSpec,
  topics,
} from "./specs";

/** Arguments of a target's stack component. */
export interface StackArgs {
  readonly config: StackConfig;
  /** Prefix of every object's name and the images' tag, unique per Pulumi stack. */
  readonly namePrefix: string;
  /** What the image builds take from disk (see buildInputs.readBuildInputs). */
  readonly buildInputs: BuildInputs;
}

/** What a container of the target should run for each image; it changes whenever the image does. */
export interface RunnableImages {
  readonly flinkJob: pulumi.Input<string>;
  readonly generator: pulumi.Input<string>;
  readonly kafka: pulumi.Input<string>;
  /** The stack's own S3 server (checkpointStorage s3 without s3Endpoint). */
  readonly s3Server?: pulumi.Input<string>;
}

/** A single-node KRaft broker and the creation of the stack's topics. */
export interface KafkaArgs {
  readonly image: pulumi.Input<string>;
  /** Host port on 127.0.0.1 of the external listener, advertised to host clients. */
  readonly externalPort: number;
  /** Topics created before anything writes. */
  readonly topics: readonly TopicSpec[];
}

/**
 * The S3 store of checkpointStorage s3: the stack's own server (with `serverImage`) or an existing one, and the bucket
 * step that waits for it and checks (on the own server: creates) the bucket before any Flink process starts.
 */
export interface ObjectStoreArgs {
  readonly s3: S3Settings;
  /** The server's image; present exactly when the stack runs its own server. */
  readonly serverImage?: pulumi.Input<string>;
  /** The job image: the bucket step runs objectstore.py in it. */
  readonly jobImage: pulumi.Input<string>;
  /** The command of the bucket step (specs.bucketCommand). */
  readonly bucketCommand: string[];
  /** The AWS credentials file the Flink processes and the bucket step mount read-only (a secret). */
  readonly credentialsFile: pulumi.Output<string>;
  /** The server's identities file holding the same key pair (a secret); with the own server only. */
  readonly serverIdentities?: pulumi.Output<string>;
}

/** A Flink session cluster, its checkpoints on one shared volume at /checkpoints_flink or in a bucket. */
export interface FlinkClusterArgs {
  /** The job image (Flink + Python + connector + job); JobManager and TaskManagers run it. */
  readonly image: pulumi.Input<string>;
  /** The Flink configuration of every Flink process (specs.flinkProperties). */
  readonly flinkProperties: Readonly<Record<string, string>>;
  readonly taskManagers: number;
  /** Host port on 127.0.0.1 of the REST API and web UI. */
  readonly restPort: number;
  /** With checkpoints in a bucket: the AWS credentials file mounted read-only in every Flink process (a secret); no volume then. */
  readonly s3CredentialsFile?: pulumi.Output<string>;
  /** The JobManager's and each TaskManager's memory in MiB: sized for, and capped at (specs.memoryMb). */
  readonly memory: Readonly<Record<"jobmanager" | "taskmanager", MemorySize>>;
}

/** The visit generator, writing into the input topic. */
export interface VisitGeneratorArgs {
  readonly image: pulumi.Input<string>;
  /** Its environment (see specs.generatorEnvironment). */
  readonly environment: Readonly<Record<string, string>>;
}

/** The one-shot submission of the PyFlink job through the JobManager's REST API. */
export interface JobSubmissionArgs {
  /** The job image, which carries submit.py and the flink-python jar. */
  readonly image: pulumi.Input<string>;
  /** submit.py's command line (see specs.submissionCommand); restores when it names a checkpoint or `latest`. */
  readonly command: string[];
  /** The stack's restoreFrom, for the summary of what was restored; `latest` is looked up on the checkpoint volume. */
  readonly restoreFrom: string | undefined;
  /** With checkpoints in a bucket: the credentials file it mounts to look `latest` up there (a secret). */
  readonly s3CredentialsFile?: pulumi.Output<string>;
}

/** What the sequence needs of a target's Kafka. */
export interface KafkaParts {
  /** Completes once every topic exists with its partitions; writers depend on it. */
  readonly topicsReady: pulumi.CustomResource;
}

/** What the sequence needs of a target's Flink cluster. */
export interface FlinkClusterParts {
  /** The JobManager and TaskManager resources; the submission waits for them. */
  readonly processes: readonly pulumi.CustomResource[];
  /** The target's checkpoint volume; none with checkpoints in a bucket. */
  readonly checkpointVolume?: pulumi.Output<CheckpointVolume>;
}

/** What the sequence needs of a target's object store. */
export interface ObjectStoreParts {
  /** Completes once the bucket answers; the Flink processes and the submission wait for it. */
  readonly bucketReady: pulumi.CustomResource;
}

/** What the sequence needs of a target's submission. */
export interface JobSubmissionParts {
  /** Completes once the submission ran (submit.py exits once the job runs and completed a checkpoint of its own). */
  readonly submitted: pulumi.CustomResource;
  /** The command that shows the submission's log, for an error message. */
  readonly logsCommand: pulumi.Input<string>;
  /** What the submission restored from and why (specs.restoreSummary), where the target can read its log. */
  readonly restore?: pulumi.Output<string>;
  /**
   * Set when the submission failed but its resource completed anyway (Docker: a one-shot container's exit code), which
   * then fails the update itself; the check for a running job is skipped rather than waited out.
   */
  readonly failed?: pulumi.Output<boolean>;
}

/** Options every part is created with: the target's component as parent, and the order the sequence needs. */
export type PartOptions = pulumi.ComponentResourceOptions;

/**
 * A target's translation of the stack's parts. Each method creates one component named `name`; what a method
 * returns (K, F) is handed to the later methods that need it, so they can refer to the target's own objects.
 */
export interface TargetTranslation<
  K extends KafkaParts = KafkaParts,
  F extends FlinkClusterParts = FlinkClusterParts,
  G = unknown,
  S extends ObjectStoreParts = ObjectStoreParts,
> {
  /** Keys the target adds to the shared Flink configuration (kind: Kubernetes HA); none on Docker. */
  readonly flinkPropertyAddition: Readonly<Record<string, string>>;
  /** Makes the images built or pulled on the host runnable where the target's containers run. */
  runnableImages(name: string, images: StackImages, opts: PartOptions): RunnableImages;
  kafka(name: string, args: KafkaArgs, opts: PartOptions): K;
  /** The S3 store (checkpointStorage s3 only). */
  objectStore(name: string, args: ObjectStoreArgs, opts: PartOptions): S;
  flinkCluster(name: string, args: FlinkClusterArgs, opts: PartOptions): F;
  visitGenerator(name: string, args: VisitGeneratorArgs, opts: PartOptions): G;
  /** The submission, which may mount the checkpoint volume of `flink` (restoreFrom `latest` is looked up there). */
  jobSubmission(name: string, args: JobSubmissionArgs, flink: F, opts: PartOptions): JobSubmissionParts;
  /** The stack's processes as the host reaches them (the fault injection, the checkpoint tools). */
  processes(kafka: K, flink: F, generator: G, objectStore: S | undefined): pulumi.Output<StackProcesses>;
}

/** How long `pulumi up` waits for a RUNNING job after the submission (a JobManager recovering its job included). */
export const JOB_RUNNING_TIMEOUT_MS = 180_000;

/** Every stack output, each possibly still unknown while Pulumi works. */
export type StackOutputInputs = {
  readonly [K in keyof (StackOutputs & InformationalOutputs)]: pulumi.Input<(StackOutputs & InformationalOutputs)[K]>;
};

/**
 * Wires the stack's parts under `parent` in the order every target shares, and returns the stack outputs.
 * Children are named `${name}-flink-job`, `${name}-generator`, `${name}-kafka-image` (the images), `${name}-load`…
 * (what the target makes of them), `${name}-kafka`, `${name}-flink`, `${name}-visits`, `${name}-job`.
 */
export function wireStack<K extends KafkaParts, F extends FlinkClusterParts, G, S extends ObjectStoreParts>(
  parent: pulumi.ComponentResource,
  name: string,
  args: StackArgs,
  target: TargetTranslation<K, F, G, S>,
): StackOutputInputs {
  const cfg = args.config;
  const opts: PartOptions = { parent };
  const images = target.runnableImages(`${name}-load`, stackImages(name, cfg, args.buildInputs, args.namePrefix, opts), opts);
  const kafka = target.kafka(
    `${name}-kafka`,
    {
      image: images.kafka,
      externalPort: cfg.kafkaExternalPort,
      topics: topics(cfg),
    },
    opts,
  );
  const s3 = cfg.s3;
  const credentials = s3 ? s3Credentials(`${name}-s3-credentials`, s3, opts) : undefined;
  const s3CredentialsFile = credentials
    ? pulumi.secret(
        pulumi
          .all([credentials.accessKey, credentials.secretKey])
          .apply(([accessKey, secretKey]) => awsCredentialsFile({ accessKey, secretKey })),
      )
    : undefined;
  const objectStore =
    s3 && s3CredentialsFile && credentials
      ? target.objectStore(
          `${name}-s3`,
          {
            s3,
            ...(images.s3Server ? { serverImage: images.s3Server } : {}),
            jobImage: images.flinkJob,
            bucketCommand: bucketCommand(s3),
            credentialsFile: s3CredentialsFile,
            ...(s3.inStack
              ? {
                  serverIdentities: pulumi.secret(
                    pulumi
                      .all([credentials.accessKey, credentials.secretKey])
                      .apply(([accessKey, secretKey]) => seaweedfsIdentities({ accessKey, secretKey })),
                  ),
                }
              : {}),
          },
          opts,
        )
      : undefined;
  const afterBucket = objectStore ? [objectStore.bucketReady] : [];
  const flink = target.flinkCluster(
    `${name}-flink`,
    {
      image: images.flinkJob,
      flinkProperties: flinkProperties(cfg, target.flinkPropertyAddition),
      taskManagers: cfg.taskManagers,
      restPort: cfg.flinkRestPort,
      ...(s3CredentialsFile ? { s3CredentialsFile } : {}),
      memory: flinkMemoryMb(cfg),
    },
    { ...opts, dependsOn: afterBucket },
  );
  const generator = target.visitGenerator(
    `${name}-visits`,
    {
      image: images.generator,
      environment: generatorEnvironment(cfg),
    },
    { ...opts, dependsOn: [kafka.topicsReady] },
  );
  const submission = target.jobSubmission(
    `${name}-job`,
    {
      image: images.flinkJob,
      command: submissionCommand(cfg),
      restoreFrom: cfg.restoreFrom,
      ...(s3CredentialsFile ? { s3CredentialsFile } : {}),
    },
    flink,
    { ...opts, dependsOn: [...flink.processes, kafka.topicsReady] },
  );

  const common = commonOutputs(cfg);
  return {
    ...common,
    jobName: runningJobName(common.flinkRestUrl, cfg.jobName, submission, flink),
    ...(submission.restore ? { jobRestore: submission.restore } : {}),
    checkpointStorage: checkpointStorageOutput(s3, flink.checkpointVolume),
    processes: target.processes(kafka, flink, generator, objectStore),
  };
}

/**
 * The job name, known once the submission and every Flink process are done and, in `pulumi up` (never a preview),
 * a job of that name is RUNNING; otherwise the update fails, naming what it found and the next steps. Being a stack
 * output, the update cannot end before this check has.
 */
function runningJobName(restUrl: string, jobName: string, submission: JobSubmissionParts, flink: FlinkClusterParts): pulumi.Output<string> {
  return pulumi
    .all([
      submission.submitted.urn,
      submission.logsCommand,
      submission.failed ?? false,
      submission.submitted.id,
      ...flink.processes.map((p) => p.id),
    ])
    .apply(async ([urn, logsCommand, submissionFailed]) => {
      // A failed submission (submit.py cancels a job it gives up on) leaves no job to wait for: its error says why.
      if (pulumi.runtime.isDryRun() || submissionFailed) return jobName;
      const problem = await awaitRunningJob(restUrl, jobName, JOB_RUNNING_TIMEOUT_MS);
      if (problem !== undefined) {
        throw new pulumi.RunError(
          jobNotRunningMessage(restUrl, JOB_RUNNING_TIMEOUT_MS / 1000, problem, [
            `the submission's log: ${logsCommand}`,
            `submit again: pulumi up --stack ${pulumi.getStack()} --replace '${urn}'`,
          ]),
        );
      }
      return jobName;
    });
}

/** The checkpointStorage output: the bucket, or the target's volume (which every target has without s3). */
function checkpointStorageOutput(
  s3: S3Settings | undefined,
  volume: pulumi.Output<CheckpointVolume> | undefined,
): pulumi.Output<CheckpointStorageOutput> {
  if (s3) return pulumi.output(bucketStorage(s3));
  if (!volume) throw new Error("a target created no checkpoint volume although checkpointStorage is volume");
  return volume.apply((v) => ({ kind: "volume" as const, ...v }));
}
