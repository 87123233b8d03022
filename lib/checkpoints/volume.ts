// Looking inside the checkpoint volume, from the JobManager that mounts it: a retained checkpoint's `_metadata` must
// still be there after a cancel or a crash.

import type { StackTarget } from "../stack/target";
import { normalizeCheckpointPath } from "./paths";

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

/** `ls -l` of the checkpoint's `_metadata` in the JobManager, or why it could not be shown. */
export async function listMetadata(
  target: StackTarget,
  mountPath: string,
  externalPath: string,
): Promise<{ listing: string | null; problem?: string; command: string }> {
  let file: string;
  try {
    file = metadataPath(externalPath, mountPath);
  } catch (error) {
    return { listing: null, command: "(none)", problem: (error as Error).message };
  }
  const { output, ...rest } = await target.runInJobManager(["ls", "-l", file]);
  return { listing: output, ...rest };
}
