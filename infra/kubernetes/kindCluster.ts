/**
 * What infra/kubernetes/kind-cluster.yaml fixes when the cluster is created, and the check that the stack
 * configuration agrees with it (kind cannot change port mappings or registry hosts of a running cluster).
 * kindCluster.test.ts keeps these constants and the file in step.
 */
import { StackConfig } from "../config";

export const KIND_CLUSTER = {
    /** Cluster name; kind names its kubeconfig context `kind-<name>`. */
    name: "flink-checkpointer",
    /** Docker network kind attaches its nodes to; the local registry joins it. */
    network: "kind",
    /** NodePort of the Flink REST Service and the host port kind publishes it on (127.0.0.1). */
    flinkRestNodePort: 30081,
    flinkRestHostPort: 8081,
    /** NodePort of Kafka's external listener and its host port (127.0.0.1). */
    kafkaNodePort: 30094,
    kafkaHostPort: 9094,
    /** Host port of the local registry; the node's containerd maps `localhost:<port>` to the registry container. */
    registryPort: 5001,
    /** Name of the registry container on the kind network, as the node's containerd reaches it. */
    registryHost: "kind-registry",
    /** Port the registry image listens on inside its container. */
    registryContainerPort: 5000,
} as const;

/** Where stack config and kind-cluster.yaml disagree, each naming the key and the fix. */
export function kindClusterMismatches(cfg: StackConfig): string[] {
    const file = "infra/kubernetes/kind-cluster.yaml";
    const problems: string[] = [];
    const expect = (key: string, actual: number, expected: number, what: string) => {
        if (actual !== expected) {
            problems.push(`flink-checkpointer:${key}: ${actual} does not match ${file}, which ${what}${expected}; ` +
                `set ${key} to ${expected} or change the file and recreate the cluster`);
        }
    };
    expect("flinkRestPort", cfg.flinkRestPort, KIND_CLUSTER.flinkRestHostPort, "publishes the Flink REST API on 127.0.0.1:");
    expect("kafkaExternalPort", cfg.kafkaExternalPort, KIND_CLUSTER.kafkaHostPort, "publishes Kafka's external listener on 127.0.0.1:");
    expect("registryPort", cfg.registryPort, KIND_CLUSTER.registryPort, "lets the node pull from localhost:");
    return problems;
}
