// Looking where the checkpoints live, from the JobManager that mounts the volume or holds the bucket's credentials: a
// retained checkpoint's `_metadata` must still be there after a cancel or a crash.

import type { CheckpointStorageOutput } from "../../infra/contract";
import { OBJECTSTORE_SCRIPT } from "../../jobs/flink/settings";
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

/**
 * The command run in the JobManager that shows a checkpoint's `_metadata`: `ls -l` of it on the volume, or a HEAD
 * request for the object in the bucket (objectstore.py, with the credentials file mounted there).
 */
export function metadataCommand(storage: CheckpointStorageOutput, externalPath: string): string[] {
  if (storage.kind === "volume") return ["ls", "-l", metadataPath(externalPath, storage.mountPath)];
  const uri = `${externalPath.replace(/\/+$/, "")}/_metadata`;
  if (!uri.startsWith(`s3://${storage.bucket}/`))
    throw new Error(
      `checkpoint ${externalPath} is not in the bucket ${storage.bucket}: the job's checkpoint directory and the stack's storage disagree`,
    );
  return [
    "python3",
    OBJECTSTORE_SCRIPT,
    "--endpoint",
    storage.endpoint,
    "--path-style",
    String(storage.pathStyle),
    "--credentials-file",
    storage.credentialsFile,
    "head",
    uri,
  ];
}

/** The checkpoint's `_metadata` as the JobManager sees it (volume or bucket), or why it could not be shown. */
export async function listMetadata(
  target: StackTarget,
  storage: CheckpointStorageOutput,
  externalPath: string,
): Promise<{ listing: string | null; problem?: string; command: string }> {
  let command: string[];
  try {
    command = metadataCommand(storage, externalPath);
  } catch (error) {
    return { listing: null, command: "(none)", problem: (error as Error).message };
  }
  const { output, ...rest } = await target.runInJobManager(command);
  return { listing: output, ...rest };
}
