import { describe, expect, it } from "vitest";
import type { NodeState, PodOnNode } from "../../lib/stack";
import type { NodeLossEvidence } from "./evidence";
import { planNodeLoss, rejoinLostNode, taskManagerToSpread } from "./nodeLoss";
import { NodesStandIn } from "./standIns";

const node = (name: string, fields: Partial<NodeState> = {}): NodeState => ({
  name,
  ready: true,
  readySinceMs: 0,
  controlPlane: name.endsWith("control-plane"),
  ...fields,
});
const pod = (name: string, nodeName: string, fields: Partial<PodOnNode> = {}): PodOnNode => ({
  name,
  role: name.startsWith("tm") ? "taskmanager" : name.startsWith("jm") ? "jobmanager" : "kafka",
  node: nodeName,
  createdAtMs: 0,
  ready: true,
  readySinceMs: 0,
  terminating: false,
  ...fields,
});
const cluster = () => [node("c-control-plane"), node("c-worker"), node("c-worker2")];
const spreadPods = () => [
  pod("jm", "c-control-plane"),
  pod("kafka-0", "c-control-plane"),
  pod("tm-a", "c-worker"),
  pod("tm-b", "c-worker2"),
];

describe("planNodeLoss", () => {
  it("stops the node of the job's TaskManager, whose standby on the other worker takes the job", () => {
    expect(planNodeLoss("tm-a", spreadPods(), cluster())).toEqual({ ok: true, node: "c-worker", standbys: ["tm-b"] });
  });

  it("goes ahead without a standby on another node (Kubernetes' replacement takes the job), saying so", () => {
    const together = [pod("tm-a", "c-worker"), pod("tm-b", "c-worker")];
    expect(planNodeLoss("tm-a", together, cluster())).toEqual({ ok: true, node: "c-worker", standbys: [] });
  });

  it("refuses to stop the control-plane, which would take the cluster with it", () => {
    const plan = planNodeLoss("tm-a", [pod("tm-a", "c-control-plane")], [node("c-control-plane")]);
    expect(plan).toMatchObject({ ok: false, problem: expect.stringContaining("runs on the control-plane c-control-plane") });
  });

  it("refuses when no other worker is Ready to take the lost pods", () => {
    const plan = planNodeLoss("tm-a", spreadPods(), [node("c-control-plane"), node("c-worker"), node("c-worker2", { ready: false })]);
    expect(plan).toMatchObject({ ok: false, problem: expect.stringContaining("no Ready worker besides c-worker") });
  });

  it("refuses a TaskManager that is on no node", () => {
    expect(planNodeLoss("tm-x", spreadPods(), cluster())).toMatchObject({
      ok: false,
      problem: expect.stringContaining("tm-x is on no node"),
    });
  });
});

describe("taskManagerToSpread", () => {
  const taskManagers = (...placed: Array<[string, string]>) => placed.map(([name, at]) => pod(name, at));

  it("moves the TaskManager that shares a node and runs none of the job's tasks to the free worker", () => {
    const tms = taskManagers(["tm-b", "c-worker2"], ["tm-c", "c-worker2"]);
    expect(taskManagerToSpread(tms, cluster(), ["tm-b"])).toBe("tm-c");
    expect(taskManagerToSpread(tms, cluster(), ["tm-c"])).toBe("tm-b");
  });

  it("moves nothing that runs the job, nothing already spread, and nothing without a free Ready worker", () => {
    const tms = taskManagers(["tm-b", "c-worker2"], ["tm-c", "c-worker2"]);
    expect(taskManagerToSpread(tms, cluster(), ["tm-b", "tm-c"])).toBeNull();
    expect(taskManagerToSpread(taskManagers(["tm-a", "c-worker"], ["tm-b", "c-worker2"]), cluster(), [])).toBeNull();
    expect(taskManagerToSpread(tms, [node("c-control-plane"), node("c-worker", { ready: false }), node("c-worker2")], [])).toBeNull();
  });
});

describe("rejoinLostNode", () => {
  const loss = (): NodeLossEvidence => ({
    node: "c-worker",
    taskManager: "tm-a",
    taskManagerRole: "taskmanager",
    podsBefore: ["tm-a", "tm-b"],
    standbys: ["tm-b"],
    stoppedAtMs: Date.now(),
    placement: { before: "before" },
    timings: {},
    rejoinProblems: [],
  });
  const processes = [
    { name: "tm-a", addresses: ["10.244.1.5"] },
    { name: "tm-b", addresses: ["10.244.2.7"] },
  ];

  it("records Kubernetes' replacement and the job's new TaskManager, starts the node, and spreads the TaskManagers again", async () => {
    const nodes = new NodesStandIn(cluster(), spreadPods());
    await nodes.stop("c-worker");
    const evidence = loss();
    await rejoinLostNode(evidence, {
      nodes,
      taskManagers: async () => processes,
      jobHosts: async () => ["10.244.2.7"],
      log: () => undefined,
      timeoutMs: 2_000,
    });
    expect(nodes.done).toEqual(["stop c-worker", "start c-worker", "replace taskmanager-new-1"]);
    expect(evidence.rejoinProblems).toEqual([]);
    expect(evidence.replacement).toEqual({ pod: "taskmanager-new-1", node: "c-worker2" });
    expect(evidence.recoveredOn).toEqual([{ taskManager: "tm-b", node: "c-worker2" }]);
    expect(evidence.respread).toBe("taskmanager-new-1");
    expect(evidence.timings).toMatchObject({
      nodeNotReady: expect.any(Number),
      replacementReady: expect.any(Number),
      nodeStarted: expect.any(Number),
      nodeReadyAgain: expect.any(Number),
      lostPodsGone: expect.any(Number),
    });
    expect(evidence.placement.duringLoss).toContain("taskmanager-new-1 1/1 c-worker2");
    expect(evidence.placement.afterRejoin).toContain("taskmanager-new-2 1/1 c-worker");
    expect(evidence.placement.afterRejoin).not.toContain("tm-a");
  });

  it("starts the node again even when Kubernetes never replaced the lost pods, and says what went wrong", async () => {
    const nodes = new NodesStandIn(cluster(), spreadPods());
    await nodes.stop("c-worker");
    // As if the replacement never became Ready.
    nodes.podList = nodes.podList.map((p) => (p.name.startsWith("taskmanager-new") ? { ...p, ready: false } : p));
    const evidence = loss();
    await rejoinLostNode(evidence, {
      nodes,
      taskManagers: async () => processes,
      jobHosts: async () => ["10.244.2.7"],
      log: () => undefined,
      timeoutMs: 300,
    });
    expect(nodes.done).toContain("start c-worker");
    expect(evidence.rejoinProblems).toEqual([expect.stringMatching(/^while c-worker was away: timed out .* replace tm-a on another node/)]);
    expect(evidence.timings.nodeReadyAgain).toEqual(expect.any(Number));
  });
});
