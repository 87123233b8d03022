/**
 * Where the stack's pods run on a kind cluster of a control-plane and workers (infra/kubernetes/kind-cluster.yaml),
 * and how fast they leave a node that died. Pure: each function returns the PodSpec fields it decides, which the
 * components spread into their pod specs. The same specs serve a one-node cluster, where every rule is met by the
 * one node (kind takes the control-plane's NoSchedule taint off when it is the only node).
 *
 * - The control-plane runs what is bound to its disk (Kafka: its data volume) or should outlive a worker (the visit
 *   generator, so input keeps flowing while a worker is lost). Losing the control-plane loses the cluster anyway.
 * - Checkpoints off the nodes (`s3`): nothing of Flink is tied to a node. The JobManager prefers the control-plane and
 *   the TaskManagers prefer nodes without another TaskManager, so on two workers the job's active TaskManager and the
 *   standby run on different workers and a lost worker takes only one TaskManager. Preferred, not required: with a
 *   worker lost, a required rule would leave the lost TaskManager's replacement Pending until the node returns.
 * - Checkpoints on the volume (`volume`, a ReadWriteOnce claim of kind's local-path class): one node's disk holds
 *   them, so every pod that mounts the claim must run on that node: required affinity to one another. Losing that
 *   node stops Flink until it returns (docs/kind.md).
 * - Flink's pods tolerate a NotReady or unreachable node for seconds, not Kubernetes' default 300 s, so they are
 *   evicted (and replaced on a live node) as soon as the node is marked; kind-cluster.yaml marks it after 16 s.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { CheckpointStorage } from "../config";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Toleration = k8s.types.input.core.v1.Toleration;
type PodAffinityTerm = k8s.types.input.core.v1.PodAffinityTerm;

/** Where the checkpoints of pods that mount `claimName` live: on that volume, or (no claim) in a bucket. */
export const storageOf = (claimName: pulumi.Input<string> | undefined): CheckpointStorage => (claimName === undefined ? "s3" : "volume");

/** kind labels and taints (NoSchedule) its control-plane node with this key (empty value). */
export const CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane";
/** Every node's own name, the topology of "the same node". */
export const HOSTNAME_TOPOLOGY = "kubernetes.io/hostname";

/**
 * Seconds a Flink pod stays on a NotReady or unreachable node before it is evicted: the API server's default is 300.
 * Eviction only marks the pod; its Deployment replaces it at once, while the dead kubelet never confirms the end.
 */
export const NODE_LOSS_TOLERATION_SECONDS = 5;

/** Pods that mount the checkpoint claim carry this label, so they can be held on one node. */
export const CHECKPOINT_VOLUME_LABEL = { "flink-checkpointer/checkpoint-volume": "mounted" } as const;

/** The placement fields a component spreads into its PodSpec. */
export type Placement = Pick<PodSpec, "affinity" | "nodeSelector" | "tolerations">;

/** Tolerations of a node that is NotReady or unreachable, for a few seconds only. */
export function nodeLossTolerations(seconds = NODE_LOSS_TOLERATION_SECONDS): Toleration[] {
  return ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map((key) => ({
    key,
    operator: "Exists",
    effect: "NoExecute",
    tolerationSeconds: seconds,
  }));
}

const CONTROL_PLANE_TOLERATION: Toleration = { key: CONTROL_PLANE_ROLE, operator: "Exists", effect: "NoSchedule" };

/** On the control-plane node, always (Kafka, the generator). */
export function onControlPlane(): Placement {
  return { nodeSelector: { [CONTROL_PLANE_ROLE]: "" }, tolerations: [CONTROL_PLANE_TOLERATION] };
}

const nodeOfPodsLabelled = (labels: Readonly<Record<string, string>>): PodAffinityTerm => ({
  labelSelector: { matchLabels: { ...labels } },
  topologyKey: HOSTNAME_TOPOLOGY,
});

/** The labels the placement rules select Flink's pods by (flinkCluster.flinkLabels). */
export interface FlinkPodLabels {
  readonly jobManager: Readonly<Record<string, string>>;
  readonly taskManager: Readonly<Record<string, string>>;
}

/** A pod mounting the checkpoint claim: on the node of the other pods that mount it (the first one anywhere). */
export function besideCheckpointVolume(): Placement {
  return {
    affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [nodeOfPodsLabelled(CHECKPOINT_VOLUME_LABEL)] } },
    tolerations: nodeLossTolerations(),
  };
}

/** Where a JobManager or TaskManager pod runs, for the storage of its checkpoints. */
export function flinkPlacement(role: "jobmanager" | "taskmanager", storage: CheckpointStorage, labels: FlinkPodLabels): Placement {
  if (storage === "volume") return besideCheckpointVolume();
  if (role === "jobmanager") {
    return {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 100, preference: { matchExpressions: [{ key: CONTROL_PLANE_ROLE, operator: "Exists" }] } },
          ],
        },
      },
      tolerations: [CONTROL_PLANE_TOLERATION, ...nodeLossTolerations()],
    };
  }
  return {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: nodeOfPodsLabelled(labels.taskManager) },
          { weight: 50, podAffinityTerm: nodeOfPodsLabelled(labels.jobManager) },
        ],
      },
    },
    tolerations: nodeLossTolerations(),
  };
}

/** The job submission's pod: beside the checkpoint volume when it mounts it, else anywhere. */
export function submissionPlacement(storage: CheckpointStorage): Placement {
  return storage === "volume" ? besideCheckpointVolume() : { tolerations: nodeLossTolerations() };
}
