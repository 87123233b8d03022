import * as pulumi from "@pulumi/pulumi";
import {
  type CommandLine,
  commandFailureMessage,
  controlPlaneNode,
  loadCommands,
  loadedImageReference,
  missingClusterMessage,
} from "./imageLoad";

/** Inputs of a {@link KindLoadedImage}, resolved. */
interface LoadInputs {
  readonly cluster: string;
  /** kube-system's uid: a recreated cluster of the same name has a new one and needs the image again. */
  readonly clusterUid: string;
  readonly imageName: string;
  readonly imageId: string;
  /** Only the control-plane node gets it (its pods are pinned there); else every node. */
  readonly controlPlaneOnly: boolean;
}

// The provider's functions run in Pulumi's dynamic provider process, serialized with what they capture: Node's own
// modules are required where they are used, so that only their names are captured.

/** Runs a command with the provider's own environment (KIND_EXPERIMENTAL_PROVIDER and the like pass through). */
function run(command: CommandLine): Promise<string> {
  const { execFile }: typeof import("child_process") = require("node:child_process");
  return new Promise((resolve, reject) => {
    execFile(command.file, [...command.args], { env: process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(commandFailureMessage(command, (error as NodeJS.ErrnoException).code, stderr)));
      else resolve(stdout);
    });
  });
}

async function load(inputs: LoadInputs): Promise<string> {
  const fs: typeof import("fs") = require("node:fs");
  const os: typeof import("os") = require("node:os");
  const path: typeof import("path") = require("node:path");
  const reference = loadedImageReference(inputs.imageName, inputs.imageId);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flink-checkpointer-image-"));
  try {
    const commands = loadCommands(
      inputs.cluster,
      inputs.imageId,
      reference,
      path.join(dir, "image.tar"),
      inputs.controlPlaneOnly ? [controlPlaneNode(inputs.cluster)] : undefined,
    );
    const clusters = (await run(commands.clusters))
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    if (!clusters.includes(inputs.cluster)) throw new Error(missingClusterMessage(inputs.cluster, clusters, process.env));
    for (const step of commands.steps) await run(step);
    return reference;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const REPLACING_INPUTS: readonly (keyof LoadInputs)[] = ["cluster", "clusterUid", "imageName", "imageId", "controlPlaneOnly"];

/**
 * Loads a local image into the kind node. Replaced whenever the image or the cluster changes; deleting it only
 * removes the extra tag on the host (the node's copy goes with the cluster, or to the kubelet's image collection).
 */
const kindImageProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: LoadInputs) {
    const reference = await load(inputs);
    return { id: `${inputs.cluster}/${reference}`, outs: { ...inputs, reference } };
  },
  async diff(_id: string, olds: LoadInputs, news: LoadInputs) {
    const replaces = REPLACING_INPUTS.filter((key) => olds[key] !== news[key]);
    return { changes: replaces.length > 0, replaces };
  },
  async delete(_id: string, props: LoadInputs & { reference: string }) {
    await run({ file: "docker", args: ["image", "rm", props.reference] }).catch(() => undefined);
  },
};

/** Arguments of {@link KindLoadedImage}. */
export interface KindLoadedImageArgs {
  /** The kind cluster whose nodes get the image. */
  readonly cluster: pulumi.Input<string>;
  /** Identity of that cluster (kube-system's uid), so a recreated cluster is loaded again. */
  readonly clusterUid: pulumi.Input<string>;
  /** Name of the local image (repository:tag). */
  readonly imageName: pulumi.Input<string>;
  /** Its id in the local Docker Engine. */
  readonly imageId: pulumi.Input<string>;
  /** Only the control-plane node gets it: every pod that runs it is pinned there (placement.onControlPlane). */
  readonly controlPlaneOnly: boolean;
}

/** A local Docker image loaded into a kind cluster; `reference` is what its pods run (imagePullPolicy Never). */
export class KindLoadedImage extends pulumi.dynamic.Resource {
  // `declare`: a class field would be initialised after super() and hide the output the SDK set up.
  declare public readonly reference: pulumi.Output<string>;

  constructor(name: string, args: KindLoadedImageArgs, opts?: pulumi.CustomResourceOptions) {
    super(kindImageProvider, name, { ...args, reference: undefined }, opts, "kind", "KindLoadedImage");
  }
}
