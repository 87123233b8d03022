/**
 * Pure parts of loading a local Docker image into a kind cluster's node (`docker save`, then
 * `kind load image-archive`, which works with every kind provider: Docker, podman, nerdctl): the reference pods run,
 * the commands, and what a failure means. The commands run in kindImage.ts.
 */

/** A command line: the program and its arguments. */
export interface CommandLine {
  readonly file: string;
  readonly args: readonly string[];
}

/** Repository and tag of an image name (`registry:port/path/name:tag`, `name@sha256:…`, `name`). */
export function splitImageName(imageName: string): { repository: string; tag?: string } {
  const withoutDigest = imageName.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.indexOf(":", lastSlash + 1);
  return colon < 0 ? { repository: withoutDigest } : { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
}

/**
 * The name an image is loaded under: its repository and tag plus the first 12 hex digits of its id, e.g.
 * `apache/kafka:4.1.1-0123456789ab`. A rebuilt or re-pulled image gets a new name, so the pods running it roll.
 */
export function loadedImageReference(imageName: string, imageId: string): string {
  const hex = imageId.replace(/^sha256:/, "");
  if (!/^[0-9a-f]{12,64}$/.test(hex)) throw new Error(`"${imageId}" is not a Docker image id (sha256:<hex digits>)`);
  const { repository, tag } = splitImageName(imageName);
  // A Docker tag has at most 128 characters.
  return `${repository}:${(tag ?? "latest").slice(0, 114)}-${hex.slice(0, 12)}`;
}

/** The environment variable that selects kind's node provider (docker, podman, nerdctl); unset means docker. */
export const KIND_PROVIDER_VARIABLE = "KIND_EXPERIMENTAL_PROVIDER";

/** The name kind gives a cluster's control-plane node (its only node, or the first of several). */
export const controlPlaneNode = (cluster: string): string => `${cluster}-control-plane`;

/**
 * What kind is asked, and how `docker save` + `kind load` run, in order: into every node, or only into `nodes` (an
 * image only pods pinned to the control-plane run need not be imported by every worker).
 */
export function loadCommands(
  cluster: string,
  imageId: string,
  reference: string,
  archive: string,
  nodes?: readonly string[],
): {
  readonly clusters: CommandLine;
  readonly steps: readonly CommandLine[];
} {
  return {
    clusters: { file: "kind", args: ["get", "clusters"] },
    steps: [
      { file: "docker", args: ["image", "tag", imageId, reference] },
      { file: "docker", args: ["image", "save", "--output", archive, reference] },
      { file: "kind", args: ["load", "image-archive", archive, "--name", cluster, ...(nodes ? ["--nodes", nodes.join(",")] : [])] },
    ],
  };
}

/** kind's provider as the environment selects it, for messages. */
export function kindProviderName(env: Readonly<Record<string, string | undefined>>): string {
  const chosen = env[KIND_PROVIDER_VARIABLE];
  return chosen ? `${chosen} (${KIND_PROVIDER_VARIABLE})` : `docker (${KIND_PROVIDER_VARIABLE} is unset)`;
}

/** The next step when kind does not list the cluster. */
export function missingClusterMessage(
  cluster: string,
  listed: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string {
  return (
    `kind lists no cluster "${cluster}" (provider ${kindProviderName(env)}; clusters: ${listed.join(", ") || "none"}). ` +
    `Create it: kind create cluster --config infra/kubernetes/kind-cluster.yaml` +
    (cluster === "flink-checkpointer" ? "" : ` --name ${cluster}`) +
    `, or set ${KIND_PROVIDER_VARIABLE} to the provider that runs it`
  );
}

/** A failed command explained: a missing program, a missing image, or the command's own error text. */
export function commandFailureMessage(command: CommandLine, code: string | number | undefined, stderr: string): string {
  const shown = [command.file, ...command.args].join(" ");
  if (code === "ENOENT") {
    return command.file === "kind"
      ? "kind is not on PATH: install kind (https://kind.sigs.k8s.io), then run pulumi up again"
      : `${command.file} is not on PATH: the kind target builds its images with the local Docker Engine; install Docker`;
  }
  if (command.file === "docker" && /No such image|reference does not exist/i.test(stderr)) {
    return (
      `\`${shown}\` failed: the image is not in the local Docker Engine any more (${stderr.trim()}); ` +
      "`pulumi refresh` notices that, then `pulumi up` builds or pulls it again"
    );
  }
  return `\`${shown}\` failed (exit ${code ?? "?"}): ${stderr.trim() || "no error output"}`;
}
