// Looking inside the checkpoint volume: the retained checkpoint's `_metadata` file must still be there
// after the cancel. Docker: `docker exec` into the JobManager; kind: `kubectl exec` into its pod.

import { normalizeCheckpointPath } from "../checkpoints/paths";
import type { CheckpointVolume } from "./outputs";
import { type Command, runCommand as run, shown } from "./processes";

/** The `_metadata` file of a checkpoint, as a path inside the container; it must lie on the volume. */
export function metadataPath(externalPath: string, mountPath: string): string {
  const directory = normalizeCheckpointPath(externalPath);
  const mount = normalizeCheckpointPath(mountPath);
  if (!directory.startsWith(`${mount}/`)) {
    throw new Error(
      `checkpoint ${externalPath} is not on the checkpoint volume mounted at ${mountPath}: the job's checkpoint directory and the stack's volume disagree`,
    );
  }
  return `${directory}/_metadata`;
}

export function podLookupCommand(volume: Extract<CheckpointVolume, { kind: "kubernetes" }>): Command {
  return {
    file: "kubectl",
    args: [
      "--context",
      volume.context,
      "-n",
      volume.namespace,
      "get",
      "pods",
      "-l",
      volume.podSelector,
      "--field-selector",
      "status.phase=Running",
      "-o",
      "jsonpath={.items[0].metadata.name}",
    ],
  };
}

/** `argv` run where the volume is mounted (the JobManager); `pod` is needed for kubernetes. */
export function execCommand(volume: CheckpointVolume, argv: readonly string[], pod?: string): Command {
  if (volume.kind === "docker") return { file: "docker", args: ["exec", volume.container, ...argv] };
  return { file: "kubectl", args: ["--context", volume.context, "-n", volume.namespace, "exec", pod ?? "", "--", ...argv] };
}

type Ran = { output: string | null; problem?: string; command: string };

/** The running JobManager pod (kubernetes), nothing to find (docker), or why none was found. */
async function findPod(volume: CheckpointVolume): Promise<{ pod?: string; failed?: Ran }> {
  if (volume.kind === "docker") return {};
  const lookup = podLookupCommand(volume);
  const found = await run(lookup, 30_000);
  if (!found.ok || found.stdout.length === 0) {
    return {
      failed: {
        output: null,
        command: shown(lookup),
        problem: `no running JobManager pod found with \`${shown(lookup)}\`: ${found.stderr || "no pod matched"}`,
      },
    };
  }
  return { pod: found.stdout };
}

async function runShown(command: Command, timeoutMs: number): Promise<Ran> {
  const ran = await run(command, timeoutMs);
  return ran.ok
    ? { output: ran.stdout, command: shown(command) }
    : {
        output: null,
        command: shown(command),
        problem: `\`${shown(command)}\` failed: ${[ran.stdout, ran.stderr].filter(Boolean).join("\n")}`,
      };
}

/** Runs `argv` where the volume is mounted: its output, or why it could not run; `command` is what ran. */
export async function runOnVolume(volume: CheckpointVolume, argv: readonly string[], timeoutMs = 30_000): Promise<Ran> {
  const { pod, failed } = await findPod(volume);
  return failed ?? runShown(execCommand(volume, argv, pod), timeoutMs);
}

/** `docker cp` or `kubectl cp` of a local file to `target` in the container that mounts the volume. */
export function copyCommand(volume: CheckpointVolume, file: string, target: string, pod?: string): Command {
  if (volume.kind === "docker") return { file: "docker", args: ["cp", file, `${volume.container}:${target}`] };
  return { file: "kubectl", args: ["--context", volume.context, "-n", volume.namespace, "cp", file, `${pod ?? ""}:${target}`] };
}

/** Copies a local file into the container that mounts the volume; null output on failure, with the problem. */
export async function copyToVolumeHost(volume: CheckpointVolume, file: string, target: string, timeoutMs = 60_000): Promise<Ran> {
  const { pod, failed } = await findPod(volume);
  return failed ?? runShown(copyCommand(volume, file, target, pod), timeoutMs);
}

/** `ls -l` of the checkpoint's `_metadata`, or why it could not be shown. */
export async function listMetadata(
  volume: CheckpointVolume,
  externalPath: string,
): Promise<{ listing: string | null; problem?: string; command: string }> {
  let file: string;
  try {
    file = metadataPath(externalPath, volume.mountPath);
  } catch (error) {
    return { listing: null, command: "(none)", problem: (error as Error).message };
  }
  const { output, ...rest } = await runOnVolume(volume, ["ls", "-l", file]);
  return { listing: output, ...rest };
}
