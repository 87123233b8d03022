// Naming retained checkpoints: their ids and paths, however Flink or a user writes them.

/** A retained checkpoint: its id and where it is (as Flink reports it: a URI or a path). */
export interface CheckpointRef {
  id: number;
  path: string;
}

/** `file:///a/b/`, `file:/a/b` and `/a/b` all name the same checkpoint directory. */
export function normalizeCheckpointPath(path: string): string {
  const local = path
    .replace(/^file:/, "")
    .replace(/^\/+/, "/")
    .replace(/\/+$/, "");
  return local.startsWith("/") ? local : `/${local}`;
}
