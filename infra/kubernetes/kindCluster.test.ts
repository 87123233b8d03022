import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, parseStackConfig } from "../config";
import { KIND_CLUSTER, kindClusterMismatches } from "./kindCluster";

/** kind-cluster.yaml without its comment lines. */
const kindConfig = fs.readFileSync(path.join(__dirname, "kind-cluster.yaml"), "utf8")
    .split("\n").filter(line => !line.trimStart().startsWith("#")).join("\n");

describe("kind-cluster.yaml", () => {
    it("names the cluster so that its context is the default kubeContext", () => {
        expect(kindConfig).toMatch(new RegExp(`^name: ${KIND_CLUSTER.name}$`, "m"));
        expect(CONFIG_KEYS.kubeContext.default).toBe(`kind-${KIND_CLUSTER.name}`);
    });

    it("publishes the Flink REST and Kafka external NodePorts on 127.0.0.1 at the default host ports", () => {
        const mapping = (containerPort: number, hostPort: number) => new RegExp(
            `- containerPort: ${containerPort}\\n\\s+hostPort: ${hostPort}\\n\\s+listenAddress: 127\\.0\\.0\\.1\\n`);
        expect(kindConfig).toMatch(mapping(KIND_CLUSTER.flinkRestNodePort, KIND_CLUSTER.flinkRestHostPort));
        expect(kindConfig).toMatch(mapping(KIND_CLUSTER.kafkaNodePort, KIND_CLUSTER.kafkaHostPort));
        expect(kindConfig.match(/hostPort:/g)).toHaveLength(2);
        expect(CONFIG_KEYS.flinkRestPort.default).toBe(String(KIND_CLUSTER.flinkRestHostPort));
        expect(CONFIG_KEYS.kafkaExternalPort.default).toBe(String(KIND_CLUSTER.kafkaHostPort));
    });

    it("has one node, so the ReadWriteOnce checkpoint claim can be shared by JobManager and TaskManagers", () => {
        expect(kindConfig.match(/- role:/g)).toHaveLength(1);
    });

    it("points containerd at the repository's registry hosts, which map localhost:<registryPort> to kind-registry", () => {
        expect(kindConfig).toContain('config_path = "/etc/containerd/certs.d"');
        expect(kindConfig).toMatch(/- hostPath: infra\/kubernetes\/containerd-hosts\n\s+containerPath: \/etc\/containerd\/certs\.d\n/);
        expect(kindConfig).not.toContain("registry.mirrors");
        const hostsFile = path.join(__dirname, "containerd-hosts", `localhost:${KIND_CLUSTER.registryPort}`, "hosts.toml");
        const hosts = fs.readFileSync(hostsFile, "utf8");
        const registry = `http://${KIND_CLUSTER.registryHost}:${KIND_CLUSTER.registryContainerPort}`;
        expect(hosts).toContain(`server = "${registry}"`);
        expect(hosts).toContain(`[host."${registry}"]`);
        expect(fs.readdirSync(path.join(__dirname, "containerd-hosts"))).toEqual([`localhost:${KIND_CLUSTER.registryPort}`]);
        expect(CONFIG_KEYS.registryPort.default).toBe(String(KIND_CLUSTER.registryPort));
    });
});

describe("kindClusterMismatches", () => {
    it("accepts the defaults", () => {
        expect(kindClusterMismatches(parseStackConfig({ target: "kind" }))).toEqual([]);
    });

    it("names each key that disagrees with the cluster, its value and the fix", () => {
        const cfg = parseStackConfig({ target: "kind", flinkRestPort: "18081", kafkaExternalPort: "19094", registryPort: "5002" });
        const problems = kindClusterMismatches(cfg);
        expect(problems).toHaveLength(3);
        expect(problems[0]).toBe("flink-checkpointer:flinkRestPort: 18081 does not match infra/kubernetes/kind-cluster.yaml, " +
            "which publishes the Flink REST API on 127.0.0.1:8081; set flinkRestPort to 8081 or change the file and recreate the cluster");
        expect(problems[1]).toContain("flink-checkpointer:kafkaExternalPort: 19094");
        expect(problems[2]).toContain("flink-checkpointer:registryPort: 5002");
    });
});
