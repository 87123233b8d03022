// What the verification, the checkpoint tools and the benchmarks do to a running stack's processes, whatever runs
// them: one object per target (docker.ts, kind.ts), chosen from the stack outputs by index.ts's stackTarget.

import type { Target } from "../../infra/contract";
import type { Ran } from "../exec";

export type FlinkRole = "jobmanager" | "taskmanager";

/** A TaskManager process and the addresses Flink may know it by. */
export interface TaskManagerProcess {
  readonly name: string;
  readonly addresses: readonly string[];
}

export interface StackTarget {
  readonly name: Target;
  /** Crashes a Flink process as a machine would (its JVM killed, not stopped); the target brings it back. */
  crash(role: FlinkRole, taskManager?: string): Promise<string>;
  /** Stops (SIGSTOP) or continues (SIGCONT) a TaskManager's JVM: a frozen one acknowledges no checkpoint. */
  freeze(taskManager: string, frozen: boolean): Promise<string>;
  /** A graceful broker restart: Kafka shuts down cleanly, then starts on the same data. */
  restartBroker(): Promise<string>;
  /**
   * Makes the stack's own S3 server unreachable (`down`) or reachable again: Docker pauses its container (connections
   * hang, as with a black-holed store), kind scales its Deployment to none and back (refused, then a restart on the
   * same data). Fails when the stack runs no S3 server of its own.
   */
  objectStoreOutage(down: boolean): Promise<string>;
  /** The TaskManager processes and their addresses. */
  taskManagers(): Promise<TaskManagerProcess[]>;
  /** Runs `argv` in the JobManager, which mounts the checkpoint volume. */
  runInJobManager(argv: readonly string[], timeoutMs?: number): Promise<Ran>;
  /** Copies a local file to `target` in the JobManager. */
  copyToJobManager(file: string, target: string, timeoutMs?: number): Promise<Ran>;
}

/**
 * Which TaskManager to crash: the first of `hosts` (where the job's tasks run, busiest first) that is one of the
 * processes. A crash of an idle standby would prove nothing about the job.
 */
export function pickTaskManager(processes: readonly TaskManagerProcess[], hosts: readonly string[]): string {
  for (const host of hosts) {
    // Docker's DNS gives a container's name with its network appended (name.network).
    const match = processes.find((tm) => tm.addresses.some((address) => host === address || host.startsWith(`${address}.`)));
    if (match) return match.name;
  }
  if (processes.length === 1) return processes[0]!.name;
  const known = processes.map((tm) => `${tm.name} (${tm.addresses.join(", ") || "no address"})`).join("; ") || "none";
  throw new Error(
    `none of the stack's TaskManagers runs the job's tasks: Flink places them on ${hosts.join(", ") || "no TaskManager"}; the TaskManagers are ${known}`,
  );
}
