import { describe, expect, it } from "vitest";
import type { NodeLossEvidence } from "../run/evidence";
import { judgeNodeLoss } from "./nodes";

const good: NodeLossEvidence = {
  node: "c-worker",
  taskManager: "tm-a",
  taskManagerRole: "taskmanager",
  podsBefore: ["tm-a", "tm-b"],
  standbys: ["tm-b"],
  stoppedAtMs: 0,
  placement: { before: "", duringLoss: "", afterRejoin: "" },
  replacement: { pod: "tm-c", node: "c-worker2" },
  recoveredOn: [{ taskManager: "tm-b", node: "c-worker2" }],
  respread: "tm-c",
  timings: { nodeNotReady: 18_000, replacementReady: 31_000, nodeStarted: 90_000, nodeReadyAgain: 14_000, lostPodsGone: 16_000 },
  rejoinProblems: [],
};
const verdicts = (loss: NodeLossEvidence) => Object.fromEntries(judgeNodeLoss(loss).map((c) => [c.name, c.ok]));

describe("judgeNodeLoss", () => {
  it("holds when the job came back on another node's TaskManager and the node rejoined", () => {
    expect(verdicts(good)).toEqual({ recoveredOnAnotherNode: true, nodeRejoined: true });
    expect(judgeNodeLoss(good)[0]!.detail).toBe(
      "the job ran on tm-a on c-worker, which was stopped; it recovered on tm-b on c-worker2; Kubernetes replaced tm-a with tm-c on c-worker2",
    );
  });

  it("fails a job that runs on the lost node again, or on no TaskManager Flink names", () => {
    expect(verdicts({ ...good, recoveredOn: [{ taskManager: "tm-a", node: "c-worker" }] }).recoveredOnAnotherNode).toBe(false);
    expect(
      verdicts({
        ...good,
        recoveredOn: [
          { taskManager: "tm-b", node: "c-worker2" },
          { taskManager: "tm-d", node: "c-worker" },
        ],
      }),
    ).toMatchObject({
      recoveredOnAnotherNode: false,
    });
    expect(verdicts({ ...good, recoveredOn: [] }).recoveredOnAnotherNode).toBe(false);
  });

  it("fails a node that was not started again or did not come back whole, naming what went wrong", () => {
    const stuck = { ...good, rejoinProblems: ["the pods that ran on c-worker: timed out"] };
    expect(verdicts(stuck).nodeRejoined).toBe(false);
    expect(judgeNodeLoss(stuck)[1]!.detail).toContain("the pods that ran on c-worker: timed out");
    expect(verdicts({ ...good, timings: { nodeNotReady: 18_000 } }).nodeRejoined).toBe(false);
  });
});
