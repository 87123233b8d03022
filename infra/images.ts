import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type BuildInputs, FLINK_JOB_CONTEXT, GENERATOR_CONTEXT } from "./buildInputs";
import type { StackConfig } from "./config";
import { flinkJobBuildArgs, imageBuildArgs } from "./specs";

/** An image in the local Docker Engine: the name it was built or pulled as, and its id (which changes with it). */
export interface LocalImage {
  readonly name: pulumi.Output<string>;
  readonly id: pulumi.Output<string>;
}

/** Every image the stack's containers run, in the local Docker Engine. */
export interface StackImages {
  /** Flink + Python + connector + job: the JobManager, the TaskManagers and the submission run it. */
  readonly flinkJob: LocalImage;
  /** The visit generator. */
  readonly generator: LocalImage;
  /** The broker and the topic creation (apache/kafka or a local equivalent). */
  readonly kafka: LocalImage;
  /** The stack's own S3 server (checkpointStorage s3 without s3Endpoint): SeaweedFS or its local equivalent. */
  readonly s3Server?: LocalImage;
}

/** Arguments of {@link ProjectImage}. */
export interface ProjectImageArgs {
  /** Image name with tag, e.g. `flink-checkpointer/flink-job:flink-checkpointer-docker`. */
  readonly imageName: string;
  /** Absolute path of the Docker build context (holds the Dockerfile). */
  readonly context: string;
  /** Digest of the build context's files (see buildInputs.contextDigest): a change rebuilds the image. */
  readonly contextDigest: string;
  /** Build arguments, e.g. the base image. */
  readonly buildArgs: Record<string, string>;
}

/** One of the project's own images (the Flink job image, the generator image), built by the local Docker Engine. */
export class ProjectImage extends pulumi.ComponentResource implements LocalImage {
  public readonly name: pulumi.Output<string>;
  public readonly id: pulumi.Output<string>;

  constructor(name: string, args: ProjectImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:images:ProjectImage", name, {}, opts);
    const image = new docker.RemoteImage(
      `${name}-build`,
      {
        name: args.imageName,
        build: {
          context: args.context,
          dockerfile: "Dockerfile",
          buildArgs: args.buildArgs,
          platform: "linux/amd64",
        },
        triggers: { contextDigest: args.contextDigest },
        keepLocally: true,
      },
      { parent: this },
    );
    this.name = image.name;
    this.id = image.imageId;
    this.registerOutputs({ name: this.name, id: this.id });
  }
}

/** Name and tag of a project image: one repository per image, tagged with the stack's name prefix. */
export function projectImageName(image: string, namePrefix: string): string {
  return `flink-checkpointer/${image}:${namePrefix}`;
}

/**
 * The stack's images, children `${name}-flink-job`, `${name}-generator` (built from jobs/), `${name}-kafka-image` and
 * with the stack's own S3 server `${name}-s3-image` (pulled only when absent: a local image of that name, see `bash scripts/setup.sh local-images`, is used as it is).
 */
export function stackImages(
  name: string,
  cfg: StackConfig,
  inputs: BuildInputs,
  namePrefix: string,
  opts: pulumi.ComponentResourceOptions,
): StackImages {
  const kafka = new docker.RemoteImage(`${name}-kafka-image`, { name: cfg.kafkaImage, keepLocally: true }, opts);
  const s3Server = cfg.s3?.inStack
    ? new docker.RemoteImage(`${name}-s3-image`, { name: cfg.s3.image, keepLocally: true }, opts)
    : undefined;
  return {
    ...(s3Server ? { s3Server: { name: s3Server.name, id: s3Server.imageId } } : {}),
    flinkJob: new ProjectImage(
      `${name}-flink-job`,
      {
        imageName: projectImageName("flink-job", namePrefix),
        context: FLINK_JOB_CONTEXT,
        contextDigest: inputs.contextDigests.flinkJob,
        buildArgs: imageBuildArgs(flinkJobBuildArgs(cfg), inputs.extraCaCerts),
      },
      opts,
    ),
    generator: new ProjectImage(
      `${name}-generator`,
      {
        imageName: projectImageName("visit-generator", namePrefix),
        context: GENERATOR_CONTEXT,
        contextDigest: inputs.contextDigests.generator,
        buildArgs: imageBuildArgs({ NODE_IMAGE: cfg.nodeImage }, inputs.extraCaCerts),
      },
      opts,
    ),
    kafka: { name: kafka.name, id: kafka.imageId },
  };
}
