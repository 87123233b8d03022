import { describe, expect, it } from "vitest";
import { flinkLabels, flinkPodLabels } from "./flinkCluster";
import {
  CHECKPOINT_VOLUME_LABEL,
  CONTROL_PLANE_ROLE,
  flinkPlacement,
  HOSTNAME_TOPOLOGY,
  NODE_LOSS_TOLERATION_SECONDS,
  nodeLossTolerations,
  onControlPlane,
  type Placement,
  submissionPlacement,
} from "./placement";

const labels = { jobManager: flinkLabels("jobmanager"), taskManager: flinkLabels("taskmanager") };

/** Every rule of a placement the scheduler must meet, whatever it prefers. */
const requiredRules = (p: Placement): unknown[] => {
  const a: any = p.affinity ?? {};
  return [
    ...(a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ? [a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution]
      : []),
    ...(a.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(a.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(p.nodeSelector ? [p.nodeSelector] : []),
  ];
};

/** Seconds the placement lets the pod stay on a node with the given NoExecute taint (undefined: no toleration, 300 s by default). */
const secondsOnLostNode = (p: Placement, taint: string): number | undefined =>
  (p.tolerations as any[] | undefined)?.find((t) => t.key === taint && t.effect === "NoExecute")?.tolerationSeconds;

describe("nodeLossTolerations", () => {
  it("keep a pod on a NotReady or unreachable node for seconds, not the default 300", () => {
    expect(nodeLossTolerations()).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: NODE_LOSS_TOLERATION_SECONDS },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: NODE_LOSS_TOLERATION_SECONDS },
    ]);
    expect(NODE_LOSS_TOLERATION_SECONDS).toBeLessThan(30);
  });
});

describe("onControlPlane", () => {
  it("selects the control-plane node and tolerates its NoSchedule taint", () => {
    expect(onControlPlane()).toEqual({
      nodeSelector: { [CONTROL_PLANE_ROLE]: "" },
      tolerations: [{ key: CONTROL_PLANE_ROLE, operator: "Exists", effect: "NoSchedule" }],
    });
  });
});

describe("flinkPlacement with checkpoints in S3", () => {
  const jobManager = flinkPlacement("jobmanager", "s3", labels);
  const taskManager = flinkPlacement("taskmanager", "s3", labels);

  it("requires nothing of a node, so a lost pod's replacement runs on whatever node is left", () => {
    expect(requiredRules(jobManager)).toEqual([]);
    expect(requiredRules(taskManager)).toEqual([]);
  });

  it("puts the JobManager on the control-plane when it can, away from the workers the TaskManagers run on", () => {
    const preferred = (jobManager.affinity as any).nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(preferred).toEqual([{ weight: 100, preference: { matchExpressions: [{ key: CONTROL_PLANE_ROLE, operator: "Exists" }] } }]);
    expect(jobManager.tolerations).toContainEqual({ key: CONTROL_PLANE_ROLE, operator: "Exists", effect: "NoSchedule" });
  });

  it("spreads the TaskManagers over nodes, each away from the others first and from the JobManager second", () => {
    const terms = (taskManager.affinity as any).podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(terms).toEqual([
      { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: labels.taskManager }, topologyKey: HOSTNAME_TOPOLOGY } },
      { weight: 50, podAffinityTerm: { labelSelector: { matchLabels: labels.jobManager }, topologyKey: HOSTNAME_TOPOLOGY } },
    ]);
    // TaskManagers stay off the control-plane, which keeps Kafka's and the JobManager's memory.
    expect(taskManager.tolerations).not.toContainEqual(expect.objectContaining({ key: CONTROL_PLANE_ROLE }));
  });

  it("leave a lost node within seconds", () => {
    for (const placement of [jobManager, taskManager]) {
      expect(secondsOnLostNode(placement, "node.kubernetes.io/unreachable")).toBe(NODE_LOSS_TOLERATION_SECONDS);
      expect(secondsOnLostNode(placement, "node.kubernetes.io/not-ready")).toBe(NODE_LOSS_TOLERATION_SECONDS);
    }
  });
});

describe("flinkPlacement with checkpoints on the volume", () => {
  it("holds every pod that mounts the ReadWriteOnce claim on one node, and wants no spreading", () => {
    for (const role of ["jobmanager", "taskmanager"] as const) {
      const placement = flinkPlacement(role, "volume", labels);
      expect(requiredRules(placement)).toEqual([
        { labelSelector: { matchLabels: CHECKPOINT_VOLUME_LABEL }, topologyKey: HOSTNAME_TOPOLOGY },
      ]);
      expect((placement.affinity as any).podAntiAffinity).toBeUndefined();
      expect((placement.affinity as any).nodeAffinity).toBeUndefined();
    }
  });

  it("labels the pods that mount the claim, and only those", () => {
    for (const role of ["jobmanager", "taskmanager"] as const) {
      expect(flinkPodLabels(role, "volume")).toEqual({ ...flinkLabels(role), ...CHECKPOINT_VOLUME_LABEL });
      expect(flinkPodLabels(role, "s3")).toEqual(flinkLabels(role));
    }
  });
});

describe("submissionPlacement", () => {
  it("runs the submission beside the volume it mounts, or anywhere with S3", () => {
    expect(submissionPlacement("volume")).toEqual(flinkPlacement("taskmanager", "volume", labels));
    expect(requiredRules(submissionPlacement("s3"))).toEqual([]);
    expect(secondsOnLostNode(submissionPlacement("s3"), "node.kubernetes.io/unreachable")).toBe(NODE_LOSS_TOLERATION_SECONDS);
  });
});
