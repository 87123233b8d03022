import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** The last lines of a container's log, for an error message. */
export function logTail(logs: string | undefined, lines = 20): string {
  const all = (logs ?? "").trimEnd().split("\n");
  return all.slice(-lines).join("\n");
}

/** Message for a one-shot container that ended badly, naming it and where to look. */
export function oneShotFailure(containerName: string, exitCode: number, logs: string | undefined): string {
  return (
    `${containerName} exited with code ${exitCode}; its last log lines:\n${logTail(logs)}\n` + `(full log: docker logs ${containerName})`
  );
}

/**
 * Container arguments of a task that runs to completion during `pulumi up` (topic creation, job submission):
 * Pulumi attaches, waits for the exit and keeps the log; a stopped container is not restarted.
 */
export function oneShotArgs(args: docker.ContainerArgs): docker.ContainerArgs {
  return { ...args, attach: true, logs: true, mustRun: false, restart: "no" };
}

/** Whether a one-shot container's exit code says it failed (unknown during preview: not failed). */
export function exitedBadly(exitCode: number | undefined | null): boolean {
  return exitCode !== undefined && exitCode !== null && exitCode !== 0;
}

/** Fails the update when a one-shot container exited non-zero (unknown during preview, so nothing is checked then). */
export function failOnNonZeroExit(container: docker.Container): void {
  pulumi.all([container.name, container.exitCode, container.containerLogs]).apply(([name, exitCode, logs]) => {
    if (exitedBadly(exitCode)) {
      throw new Error(oneShotFailure(name, exitCode!, logs));
    }
  });
}
