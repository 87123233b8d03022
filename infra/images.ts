import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link ProjectImage}. */
export interface ProjectImageArgs {
    /** Local image name, e.g. `flink-checkpointer/flink-job:docker`. */
    readonly imageName: pulumi.Input<string>;
    /** Absolute path of the Docker build context (holds the Dockerfile). */
    readonly context: string;
    /** Build arguments, e.g. the base image. */
    readonly buildArgs: Record<string, string>;
    /** Whether to push to the registry named in `imageName` (the kind target's local registry). */
    readonly push: boolean;
}

/** One of the project's own images (the Flink job image, the generator image), built from a Dockerfile in jobs/. */
export class ProjectImage extends pulumi.ComponentResource {
    /** What a container should run: the local image id, or `repo@digest` when pushed, so a rebuild replaces it. */
    public readonly ref: pulumi.Output<string>;

    constructor(name: string, args: ProjectImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flink-checkpointer:images:ProjectImage", name, {}, opts);
        const image = new docker.Image(`${name}-image`, {
            imageName: args.imageName,
            build: {
                context: args.context,
                dockerfile: `${args.context}/Dockerfile`,
                args: args.buildArgs,
                platform: "linux/amd64",
            },
            skipPush: !args.push,
            buildOnPreview: false,
        }, { parent: this });
        this.ref = image.repoDigest;
        this.registerOutputs({ ref: this.ref });
    }
}
