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

/** A node of the target's cluster, as its API reports it. */
export interface NodeState {
  readonly name: string;
  readonly ready: boolean;
  /** When its Ready condition last changed (the API server's clock, whole seconds), or null if it has none. */
  readonly readySinceMs: number | null;
  readonly controlPlane: boolean;
}

/** A pod of the stack and the node it runs on. */
export interface PodOnNode {
  readonly name: string;
  /** Its `component` label (Flink's roles), else its `app` label. */
  readonly role: string;
  /** Empty while it is not scheduled. */
  readonly node: string;
  readonly createdAtMs: number;
  readonly ready: boolean;
  /** When its Ready condition last changed, or null if it has none yet. */
  readonly readySinceMs: number | null;
  /** Marked for deletion but not gone: on a lost node, until the node returns. */
  readonly terminating: boolean;
}

/** The machines of a target that has several (kind's nodes): what runs where, and losing one. */
export interface StackNodes {
  list(): Promise<NodeState[]>;
  pods(): Promise<PodOnNode[]>;
  /** What runs where, as `kubectl get pods -o wide` shows it to a person. */
  podsWide(): Promise<string>;
  /** Stops a node as a machine that dies: its container stopped at once. */
  stop(node: string): Promise<string>;
  /** Starts a stopped node again and waits until it is Ready. */
  start(node: string): Promise<string>;
  /** Deletes a pod with its grace period: its Deployment starts another, placed anew. */
  replace(pod: string): Promise<string>;
}

export interface StackTarget {
  readonly name: Target;
  /** The nodes the processes run on, where the target has several; null where it has none (Docker). */
  readonly nodes: StackNodes | null;
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

/** Whether Flink's host of a TaskManager is this process (Docker's DNS gives a container's name with its network appended). */
const isHostOf = (tm: TaskManagerProcess, host: string): boolean =>
  tm.addresses.some((address) => host === address || host.startsWith(`${address}.`));

/** The processes among `processes` that Flink's `hosts` (where a job's tasks run) name, in the hosts' order. */
export function taskManagersOf(processes: readonly TaskManagerProcess[], hosts: readonly string[]): string[] {
  const named = hosts.flatMap((host) => processes.filter((tm) => isHostOf(tm, host)).map((tm) => tm.name));
  return [...new Set(named)];
}

/**
 * Which TaskManager to crash: the first of `hosts` (where the job's tasks run, busiest first) that is one of the
 * processes. A crash of an idle standby would prove nothing about the job.
 */
export function pickTaskManager(processes: readonly TaskManagerProcess[], hosts: readonly string[]): string {
  const match = taskManagersOf(processes, hosts)[0];
  if (match) return match;
  if (processes.length === 1) return processes[0]!.name;
  const known = processes.map((tm) => `${tm.name} (${tm.addresses.join(", ") || "no address"})`).join("; ") || "none";
  throw new Error(
    `none of the stack's TaskManagers runs the job's tasks: Flink places them on ${hosts.join(", ") || "no TaskManager"}; the TaskManagers are ${known}`,
  );
}
