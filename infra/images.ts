import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BuildInputs, FLINK_JOB_CONTEXT, GENERATOR_CONTEXT } from "./buildInputs";
import { StackConfig } from "./config";
import { imageBuildArgs } from "./specs";

/** Arguments of {@link ProjectImage}. */
export interface ProjectImageArgs {
    /** Image name with tag, e.g. `flink-checkpointer/flink-job:docker` or `localhost:5001/…:kind`. */
    readonly imageName: string;
    /** Absolute path of the Docker build context (holds the Dockerfile). */
    readonly context: string;
    /** Digest of the build context's files (see buildInputs.contextDigest): a change rebuilds the image. */
    readonly contextDigest: string;
    /** Build arguments, e.g. the base image. */
    readonly buildArgs: Record<string, string>;
    /** Whether to push to the registry named in `imageName` (the kind target's local registry). */
    readonly push: boolean;
}

/** `name@digest` from a tagged name and a pushed manifest digest: what a pod should pull. */
export function pinnedReference(imageName: string, digest: string): string {
    const lastSlash = imageName.lastIndexOf("/");
    const colon = imageName.indexOf(":", lastSlash + 1);
    return `${colon < 0 ? imageName : imageName.slice(0, colon)}@${digest}`;
}

/**
 * One of the project's own images (the Flink job image, the generator image), built by the local Docker Engine
 * from a Dockerfile in jobs/ and, for kind, pushed to the local registry.
 */
export class ProjectImage extends pulumi.ComponentResource {
    /** What a container should run: the local image id, or `name@digest` when pushed, so a rebuild replaces it. */
    public readonly ref: pulumi.Output<string>;

    constructor(name: string, args: ProjectImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flink-checkpointer:images:ProjectImage", name, {}, opts);
        const image = new docker.RemoteImage(`${name}-build`, {
            name: args.imageName,
            build: {
                context: args.context,
                dockerfile: "Dockerfile",
                buildArgs: args.buildArgs,
                platform: "linux/amd64",
            },
            triggers: { contextDigest: args.contextDigest },
            keepLocally: true,
        }, { parent: this });

        if (args.push) {
            const pushed = new docker.RegistryImage(`${name}-push`, {
                name: image.name,
                triggers: { imageId: image.imageId },
                keepRemotely: true,
            }, { parent: this });
            this.ref = pushed.sha256Digest.apply(digest => pinnedReference(args.imageName, digest));
        } else {
            this.ref = image.imageId;
        }
        this.registerOutputs({ ref: this.ref });
    }
}

/**
 * The stack's two images, named `${name}-flink-job` (JobManager, TaskManagers, submission) and `${name}-generator`.
 * `imageName` gives each its full name from a short one ("flink-job", "visit-generator").
 */
export function stackImages(
    name: string, cfg: StackConfig, inputs: BuildInputs, imageName: (image: string) => string, push: boolean,
    opts: pulumi.ComponentResourceOptions,
): { flinkJob: ProjectImage; generator: ProjectImage } {
    return {
        flinkJob: new ProjectImage(`${name}-flink-job`, {
            imageName: imageName("flink-job"),
            context: FLINK_JOB_CONTEXT,
            contextDigest: inputs.contextDigests.flinkJob,
            buildArgs: imageBuildArgs("FLINK_IMAGE", cfg.flinkImage, inputs.extraCaCerts),
            push,
        }, opts),
        generator: new ProjectImage(`${name}-generator`, {
            imageName: imageName("visit-generator"),
            context: GENERATOR_CONTEXT,
            contextDigest: inputs.contextDigests.generator,
            buildArgs: imageBuildArgs("NODE_IMAGE", cfg.nodeImage, inputs.extraCaCerts),
            push,
        }, opts),
    };
}
