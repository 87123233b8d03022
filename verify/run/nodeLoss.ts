// The node-loss fault's dealings with the cluster (faults.ts declares the fault): which node to stop and whether the
// job can come back without it (pure), and afterwards the node started again, the TaskManagers spread over the nodes
// again and what Kubernetes did meanwhile recorded, from the API's own timestamps.

import { type NodeState, type PodOnNode, type StackNodes, type TaskManagerProcess, taskManagersOf } from "../../lib/stack";
import { type Log, seconds, waitFor } from "../../lib/wait";
import type { NodeLossEvidence } from "./evidence";

/** Why the node of the job's TaskManager cannot be lost with a recovery to show, or the node and what will be left. */
export type NodeLossPlan =
  | { readonly ok: true; readonly node: string; readonly standbys: readonly string[] }
  | { readonly ok: false; readonly problem: string };

/**
 * The node to stop (the one running `taskManager`, the job's active TaskManager) and the TaskManagers on other nodes
 * the job can restart on. Refused when that node is the control-plane (the API server dies with it, nothing could
 * recover) or when no other worker is Ready (the lost TaskManager could not be replaced).
 */
export function planNodeLoss(taskManager: string, pods: readonly PodOnNode[], nodes: readonly NodeState[]): NodeLossPlan {
  const pod = pods.find((p) => p.name === taskManager);
  if (!pod || pod.node === "")
    return { ok: false, problem: `the job's TaskManager ${taskManager} is on no node (pods: ${podsShown(pods)})` };
  const node = nodes.find((n) => n.name === pod.node);
  if (!node) return { ok: false, problem: `the cluster lists no node ${pod.node}, where ${taskManager} runs` };
  if (node.controlPlane) {
    return {
      ok: false,
      problem:
        `the job's TaskManager ${taskManager} runs on the control-plane ${node.name}: losing it loses the cluster's API server, and nothing ` +
        "could recover; node-loss needs a cluster of a control-plane and at least two workers (infra/kubernetes/kind-cluster.yaml)",
    };
  }
  const otherWorkers = nodes.filter((n) => n.name !== node.name && n.ready && !n.controlPlane);
  if (otherWorkers.length === 0) {
    return {
      ok: false,
      problem: `no Ready worker besides ${node.name} (nodes: ${nodes.map((n) => `${n.name}${n.ready ? "" : " NotReady"}`).join(", ")}): the lost TaskManager could not be replaced`,
    };
  }
  const standbys = pods
    .filter((p) => p.role === pod.role && p.name !== taskManager && p.node !== node.name && p.ready && !p.terminating)
    .map((p) => p.name);
  return { ok: true, node: node.name, standbys };
}

const podsShown = (pods: readonly PodOnNode[]): string => pods.map((p) => `${p.name}@${p.node || "unscheduled"}`).join(", ") || "none";

/** The TaskManager pods (of `role`) that live: not terminating, scheduled. */
const liveOf = (pods: readonly PodOnNode[], role: string): PodOnNode[] =>
  pods.filter((p) => p.role === role && !p.terminating && p.node !== "");

/**
 * Which TaskManager pod to replace so the TaskManagers run on different nodes again: after a node loss the lost one's
 * replacement shares the surviving worker with the others, and pods are never moved back by themselves. The one to
 * go shares a node with another, runs none of the job's tasks (so the job is not touched) and has a Ready worker with
 * no TaskManager to go to; null when none need move.
 */
export function taskManagerToSpread(
  taskManagers: readonly PodOnNode[],
  nodes: readonly NodeState[],
  runningTheJob: readonly string[],
): string | null {
  const perNode = new Map<string, PodOnNode[]>();
  for (const tm of taskManagers) perNode.set(tm.node, [...(perNode.get(tm.node) ?? []), tm]);
  const freeWorker = nodes.some((n) => n.ready && !n.controlPlane && !perNode.has(n.name));
  if (!freeWorker) return null;
  for (const sharing of perNode.values()) {
    if (sharing.length < 2) continue;
    const idle = sharing.find((tm) => !runningTheJob.includes(tm.name));
    if (idle) return idle.name;
  }
  return null;
}

/** ms from `fromMs`, or undefined when the moment is unknown. */
const after = (fromMs: number, atMs: number | null | undefined): number | undefined =>
  atMs === null || atMs === undefined ? undefined : atMs - fromMs;

/** What the rejoin works with. */
export interface RejoinContext {
  readonly nodes: StackNodes;
  /** The TaskManager processes (pods) and the addresses Flink knows them by. */
  readonly taskManagers: () => Promise<TaskManagerProcess[]>;
  /** Where the recovered job's tasks run, as Flink names the hosts. */
  readonly jobHosts: () => Promise<string[]>;
  readonly log: Log;
  /** How long each step may take. */
  readonly timeoutMs: number;
}

/** Runs a step of the rejoin; what fails is recorded, and the rejoin goes on (the node must come back whatever failed). */
async function step(loss: NodeLossEvidence, log: Log, what: string, act: () => Promise<void>): Promise<void> {
  try {
    await act();
  } catch (error) {
    const problem = `${what}: ${(error as Error).message}`;
    loss.rejoinProblems.push(problem);
    log(`      ${problem}`);
  }
}

/**
 * After the judged part of the cycle: records where Kubernetes put the lost pods and when (the API's timestamps, whole
 * seconds), starts the node again, waits for the pods it held to be gone, spreads the TaskManagers over the nodes
 * again and records the placement. Never throws: what went wrong is in `rejoinProblems`, which the judging reports.
 */
export async function rejoinLostNode(loss: NodeLossEvidence, rc: RejoinContext): Promise<void> {
  const { nodes, log } = rc;
  const role = loss.taskManagerRole;
  await step(loss, log, `while ${loss.node} was away`, async () => {
    const replaced = await waitFor(
      `Kubernetes to mark ${loss.node} NotReady and replace ${loss.taskManager} on another node`,
      rc.timeoutMs,
      async () => {
        const [states, pods] = await Promise.all([nodes.list(), nodes.pods()]);
        const lost = states.find((n) => n.name === loss.node);
        const replacement = liveOf(pods, role).find((p) => !loss.podsBefore.includes(p.name) && p.node !== loss.node && p.ready);
        return lost && !lost.ready && replacement
          ? { done: true, value: { lost, replacement } }
          : { done: false, status: `${loss.node} ${lost?.ready ? "Ready" : "NotReady"}; pods ${podsShown(liveOf(pods, role))}` };
      },
      log,
    );
    loss.timings.nodeNotReady = after(loss.stoppedAtMs, replaced.lost.readySinceMs);
    loss.timings.replacementCreated = after(loss.stoppedAtMs, replaced.replacement.createdAtMs);
    loss.timings.replacementReady = after(loss.stoppedAtMs, replaced.replacement.readySinceMs);
    loss.replacement = { pod: replaced.replacement.name, node: replaced.replacement.node };
    const recovered = taskManagersOf(await rc.taskManagers(), await rc.jobHosts());
    const pods = await nodes.pods();
    loss.recoveredOn = recovered.map((name) => ({ taskManager: name, node: pods.find((p) => p.name === name)?.node ?? "" }));
    loss.placement.duringLoss = await nodes.podsWide();
    log(
      `      ${loss.node} NotReady ${seconds(loss.timings.nodeNotReady ?? 0)} after it stopped; ${loss.replacement.pod} replaced ${loss.taskManager} on ${loss.replacement.node}, Ready ${seconds(loss.timings.replacementReady ?? 0)} after; the job runs on ${loss.recoveredOn.map((r) => `${r.taskManager} (${r.node})`).join(", ") || "no TaskManager Flink names"}`,
    );
  });

  const startedAtMs = Date.now();
  await step(loss, log, `starting ${loss.node} again`, async () => {
    loss.timings.nodeStarted = startedAtMs - loss.stoppedAtMs;
    log(`      ${await nodes.start(loss.node)}`);
    loss.timings.nodeReadyAgain = Date.now() - startedAtMs;
  });
  await step(loss, log, `the pods that ran on ${loss.node}`, async () => {
    await waitFor(
      `the pods that ran on ${loss.node} to be gone`,
      rc.timeoutMs,
      async () => {
        const stale = (await nodes.pods()).filter((p) => p.node === loss.node && p.terminating);
        return stale.length === 0 ? { done: true, value: true } : { done: false, status: `terminating: ${podsShown(stale)}` };
      },
      log,
    );
    loss.timings.lostPodsGone = Date.now() - startedAtMs;
  });
  await step(loss, log, "spreading the TaskManagers again", async () => {
    const running = taskManagersOf(await rc.taskManagers(), await rc.jobHosts());
    const spread = taskManagerToSpread(liveOf(await nodes.pods(), role), await nodes.list(), running);
    if (!spread) return;
    loss.respread = spread;
    log(
      `      ${await nodes.replace(spread)}: ${spread} runs none of the job's tasks and shares its node; its replacement goes to a free node`,
    );
    await waitFor(
      `${spread}'s replacement to be Ready`,
      rc.timeoutMs,
      async () => {
        const tms = liveOf(await nodes.pods(), role);
        return tms.length === loss.podsBefore.length && tms.every((p) => p.ready) && !tms.some((p) => p.name === spread)
          ? { done: true, value: true }
          : { done: false, status: podsShown(tms) };
      },
      log,
    );
  });
  loss.placement.afterRejoin = await nodes.podsWide().catch((error: Error) => `(could not list the pods: ${error.message})`);
  if (loss.timings.nodeReadyAgain !== undefined)
    log(`      ${loss.node} rejoined: Ready ${seconds(loss.timings.nodeReadyAgain)} after it started`);
}
