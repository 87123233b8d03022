/**
 * What infra/kubernetes/kind-cluster.yaml fixes when the cluster is created (kindCluster.test.ts keeps the two in
 * step), and the check that the stack's host ports are the ones the running cluster publishes (kind cannot change
 * the port mappings of a running cluster).
 */
import type { StackConfig } from "../config";

export const KIND_CLUSTER = {
  /** Default cluster name; kind names its kubeconfig context `kind-<name>`. */
  name: "flink-checkpointer",
  /** NodePort of the Flink REST Service and the host port kind-cluster.yaml publishes it on (127.0.0.1). */
  flinkRestNodePort: 30081,
  flinkRestHostPort: 8081,
  /** NodePort of Kafka's external listener and its host port (127.0.0.1). */
  kafkaNodePort: 30094,
  kafkaHostPort: 9094,
  /** Seconds without a lease renewal before a node is NotReady (kube-controller-manager's node-monitor-grace-period). */
  nodeMonitorGraceSeconds: 16,
} as const;

/** One published port of a kind node container: its container port (a NodePort) and where the host has it. */
export interface PortMapping {
  readonly containerPort: number;
  readonly hostIp: string;
  readonly hostPort: number;
}

/** Parses `docker port <node>` / `podman port <node>` output: lines like `30081/tcp -> 127.0.0.1:8081`. */
export function parsePortMappings(output: string): PortMapping[] {
  return output.split("\n").flatMap((line) => {
    const match = /^(\d+)\/tcp -> \[?([^\]\s]*?)\]?:(\d+)\s*$/.exec(line.trim());
    return match ? [{ containerPort: Number(match[1]), hostIp: match[2], hostPort: Number(match[3]) }] : [];
  });
}

/** Where the stack's host ports disagree with what the cluster publishes, each naming the key and the fix. */
export function portMappingProblems(cfg: StackConfig, mappings: readonly PortMapping[]): string[] {
  const check = (key: string, configured: number, nodePort: number, what: string): string[] => {
    const published = mappings.filter((m) => m.containerPort === nodePort);
    if (published.some((m) => m.hostPort === configured && m.hostIp === "127.0.0.1")) return [];
    const where =
      published.length === 0
        ? "does not publish it at all"
        : `publishes it on ${published.map((m) => `${m.hostIp}:${m.hostPort}`).join(", ")}`;
    return [
      `flink-checkpointer:${key} is ${configured}, but kind cluster "${cfg.kindCluster}" ${where} (NodePort ${nodePort}, ${what}); ` +
        (published.length === 0
          ? `recreate the cluster from infra/kubernetes/kind-cluster.yaml`
          : `set ${key} to ${published[0].hostPort}, or recreate the cluster with hostPort ${configured}`),
    ];
  };
  return [
    ...check("flinkRestPort", cfg.flinkRestPort, KIND_CLUSTER.flinkRestNodePort, "the Flink REST API"),
    ...check("kafkaExternalPort", cfg.kafkaExternalPort, KIND_CLUSTER.kafkaNodePort, "Kafka's external listener"),
  ];
}
