// The judging of a node loss, beside the recovery's: the job came back on a TaskManager of another node, and the lost
// node rejoined the cluster afterwards. Pure functions of what the fault recorded.

import type { NodeLossEvidence } from "../run/evidence";
import type { Check } from "./check";

const s = (ms: number | undefined): string => (ms === undefined ? "?" : `${(ms / 1000).toFixed(1)} s`);

export function judgeNodeLoss(loss: NodeLossEvidence): Check[] {
  const recoveredOn = loss.recoveredOn ?? [];
  const elsewhere = recoveredOn.length > 0 && recoveredOn.every((r) => r.node !== "" && r.node !== loss.node);
  const where = recoveredOn.map((r) => `${r.taskManager} on ${r.node || "no node"}`).join(", ");
  const rejoined = loss.rejoinProblems.length === 0 && loss.timings.nodeReadyAgain !== undefined;
  return [
    {
      name: "recoveredOnAnotherNode",
      ok: elsewhere,
      detail:
        recoveredOn.length === 0
          ? `Flink names no TaskManager of the recovered job that is a pod of the stack (lost: ${loss.taskManager} on ${loss.node})`
          : `the job ran on ${loss.taskManager} on ${loss.node}, which was stopped; it recovered on ${where}` +
            (loss.replacement ? `; Kubernetes replaced ${loss.taskManager} with ${loss.replacement.pod} on ${loss.replacement.node}` : ""),
    },
    {
      name: "nodeRejoined",
      ok: rejoined,
      detail: rejoined
        ? `${loss.node} was started ${s(loss.timings.nodeStarted)} after it stopped and was Ready ${s(loss.timings.nodeReadyAgain)} later; ` +
          `the pods it held were gone ${s(loss.timings.lostPodsGone)} after the start` +
          (loss.respread ? `; ${loss.respread} was replaced so the TaskManagers run on different nodes again` : "")
        : `${loss.node} did not rejoin as it should: ${loss.rejoinProblems.join("; ") || "it was never started again"}`,
    },
  ];
}
