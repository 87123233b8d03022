import type * as docker from "@pulumi/docker";
import type { MemorySize } from "../specs";

/** Docker's json-file log of a container is cut at this size and this many files are kept. */
export const LOG_ROTATION = { maxSizeMb: 10, files: 3 } as const;

/**
 * What every container of the stack runs with, as kind's pods do: no Linux capabilities (every process runs as its
 * image's unprivileged user and needs none), no privilege gain through set-uid files, a memory cap without swap,
 * and a log that rotates instead of filling the disk during a soak.
 */
export function lockedDown(
  memory: MemorySize,
): Pick<docker.ContainerArgs, "capabilities" | "securityOpts" | "memory" | "memorySwap" | "logDriver" | "logOpts"> {
  return {
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    memory: memory.limit,
    memorySwap: memory.limit,
    logDriver: "json-file",
    logOpts: { "max-size": `${LOG_ROTATION.maxSizeMb}m`, "max-file": String(LOG_ROTATION.files) },
  };
}
