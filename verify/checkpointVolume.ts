// Looking inside the checkpoint volume: the retained checkpoint's `_metadata` file must still be there
// after the cancel. Docker: `docker exec` into the JobManager; kind: `kubectl exec` into its pod.

import { normalizeCheckpointPath } from "./checks";
import { Command, runCommand as run, shown } from "./processes";
import { CheckpointVolume } from "./stackOutputs";

/** The `_metadata` file of a checkpoint, as a path inside the container; it must lie on the volume. */
export function metadataPath(externalPath: string, mountPath: string): string {
  const directory = normalizeCheckpointPath(externalPath);
  const mount = normalizeCheckpointPath(mountPath);
  if (!directory.startsWith(`${mount}/`)) {
    throw new Error(`checkpoint ${externalPath} is not on the checkpoint volume mounted at ${mountPath}: the job's checkpoint directory and the stack's volume disagree`);
  }
  return `${directory}/_metadata`;
}

export function podLookupCommand(volume: Extract<CheckpointVolume, { kind: "kubernetes" }>): Command {
  return {
    file: "kubectl",
    args: ["--context", volume.context, "-n", volume.namespace, "get", "pods", "-l", volume.podSelector, "--field-selector", "status.phase=Running", "-o", "jsonpath={.items[0].metadata.name}"],
  };
}

/** `argv` run where the volume is mounted (the JobManager); `pod` is needed for kubernetes. */
export function execCommand(volume: CheckpointVolume, argv: readonly string[], pod?: string): Command {
  if (volume.kind === "docker") return { file: "docker", args: ["exec", volume.container, ...argv] };
  return { file: "kubectl", args: ["--context", volume.context, "-n", volume.namespace, "exec", pod ?? "", "--", ...argv] };
}

/** Runs `argv` where the volume is mounted: its output, or why it could not run; `command` is what ran. */
export async function runOnVolume(volume: CheckpointVolume, argv: readonly string[], timeoutMs = 30_000): Promise<{ output: string | null; problem?: string; command: string }> {
  let pod: string | undefined;
  if (volume.kind === "kubernetes") {
    const lookup = podLookupCommand(volume);
    const found = await run(lookup, 30_000);
    if (!found.ok || found.stdout.length === 0) {
      return { output: null, command: shown(lookup), problem: `no running JobManager pod found with \`${shown(lookup)}\`: ${found.stderr || "no pod matched"}` };
    }
    pod = found.stdout;
  }
  const command = execCommand(volume, argv, pod);
  const ran = await run(command, timeoutMs);
  return ran.ok ? { output: ran.stdout, command: shown(command) } : { output: null, command: shown(command), problem: `\`${shown(command)}\` failed: ${[ran.stdout, ran.stderr].filter(Boolean).join("\n")}` };
}

/** `ls -l` of the checkpoint's `_metadata`, or why it could not be shown. */
export async function listMetadata(volume: CheckpointVolume, externalPath: string): Promise<{ listing: string | null; problem?: string; command: string }> {
  let file: string;
  try {
    file = metadataPath(externalPath, volume.mountPath);
  } catch (error) {
    return { listing: null, command: "(none)", problem: (error as Error).message };
  }
  const { output, ...rest } = await runOnVolume(volume, ["ls", "-l", file]);
  return { listing: output, ...rest };
}
