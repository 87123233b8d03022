// A running stack as the host reaches it: its outputs, and the object of its target.

import type { StackProcesses } from "../../infra/contract";
import { DockerTarget } from "./docker";
import { KindTarget } from "./kind";
import type { StackTarget } from "./target";

/** The target object of a stack's processes: the one place that tells docker from kind. */
export function stackTarget(processes: StackProcesses): StackTarget {
  return processes.target === "docker" ? new DockerTarget(processes) : new KindTarget(processes);
}

export type { FlinkRole, NodeState, PodOnNode, StackNodes, StackTarget, TaskManagerProcess } from "./target";
export { pickTaskManager, taskManagersOf } from "./target";
