import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, parseStackConfig } from "../config";
import { KIND_CLUSTER, parsePortMappings, portMappingProblems } from "./kindCluster";

/** kind-cluster.yaml without its comment lines. */
const kindConfig = fs
  .readFileSync(path.join(__dirname, "kind-cluster.yaml"), "utf8")
  .split("\n")
  .filter((line) => !line.trimStart().startsWith("#"))
  .join("\n");

describe("kind-cluster.yaml", () => {
  it("names the cluster so that its name and context are the defaults of kindCluster and kubeContext", () => {
    expect(kindConfig).toMatch(new RegExp(`^name: ${KIND_CLUSTER.name}$`, "m"));
    expect(CONFIG_KEYS.kindCluster.default).toBe(KIND_CLUSTER.name);
    expect(CONFIG_KEYS.kubeContext.default).toBe(`kind-${KIND_CLUSTER.name}`);
  });

  it("publishes the Flink REST and Kafka external NodePorts on 127.0.0.1 at the default host ports", () => {
    const mapping = (containerPort: number, hostPort: number) =>
      new RegExp(`- containerPort: ${containerPort}\\n\\s+hostPort: ${hostPort}\\n\\s+listenAddress: 127\\.0\\.0\\.1\\n`);
    expect(kindConfig).toMatch(mapping(KIND_CLUSTER.flinkRestNodePort, KIND_CLUSTER.flinkRestHostPort));
    expect(kindConfig).toMatch(mapping(KIND_CLUSTER.kafkaNodePort, KIND_CLUSTER.kafkaHostPort));
    expect(kindConfig.match(/hostPort:/g)).toHaveLength(2);
    expect(CONFIG_KEYS.flinkRestPort.default).toBe(String(KIND_CLUSTER.flinkRestHostPort));
    expect(CONFIG_KEYS.kafkaExternalPort.default).toBe(String(KIND_CLUSTER.kafkaHostPort));
  });

  it("has a control-plane and two workers, one for the job's active TaskManager and one for the standby", () => {
    expect(kindConfig.match(/- role: \S+/g)).toEqual(["- role: control-plane", "- role: worker", "- role: worker"]);
  });

  it("notices a node that stopped answering within the grace period the Flink pods' tolerations count on", () => {
    const setting = (name: string) => new RegExp(`^\\s+${name}: "?([^"\\n]+)"?$`, "m").exec(kindConfig)?.[1];
    expect(setting("node-monitor-grace-period")).toBe(`${KIND_CLUSTER.nodeMonitorGraceSeconds}s`);
    expect(setting("node-monitor-period")).toBe("2s");
    // The kubelet renews its lease every quarter of its duration: a live but busy node has eight chances per grace period.
    const renewalSeconds = Number(setting("nodeLeaseDurationSeconds")) / 4;
    expect(KIND_CLUSTER.nodeMonitorGraceSeconds / renewalSeconds).toBeGreaterThanOrEqual(8);
    expect(setting("nodeStatusUpdateFrequency")).toBe("2s");
  });

  it("needs no registry and mounts nothing, so it works from any folder", () => {
    expect(kindConfig).not.toMatch(/containerdConfigPatches|extraMounts|hostPath|registry/);
  });
});

describe("parsePortMappings", () => {
  it("reads docker's and podman's `port` output, IPv6 included", () => {
    expect(parsePortMappings("30081/tcp -> 127.0.0.1:8081\n30094/tcp -> 127.0.0.1:9094\n6443/tcp -> [::1]:41234\n")).toEqual([
      { containerPort: 30081, hostIp: "127.0.0.1", hostPort: 8081 },
      { containerPort: 30094, hostIp: "127.0.0.1", hostPort: 9094 },
      { containerPort: 6443, hostIp: "::1", hostPort: 41234 },
    ]);
    expect(parsePortMappings("")).toEqual([]);
  });
});

describe("portMappingProblems", () => {
  const published = parsePortMappings("30081/tcp -> 127.0.0.1:27081\n30094/tcp -> 127.0.0.1:27094\n");

  it("accepts host ports the cluster publishes on 127.0.0.1", () => {
    const cfg = parseStackConfig({ target: "kind", flinkRestPort: "27081", kafkaExternalPort: "27094" });
    expect(portMappingProblems(cfg, published)).toEqual([]);
  });

  it("names each key that disagrees with the running cluster, what it publishes and the fix", () => {
    const problems = portMappingProblems(parseStackConfig({ target: "kind" }), published);
    expect(problems).toEqual([
      'flink-checkpointer:flinkRestPort is 8081, but kind cluster "flink-checkpointer" publishes it on 127.0.0.1:27081 ' +
        "(NodePort 30081, the Flink REST API); set flinkRestPort to 27081, or recreate the cluster with hostPort 8081",
      'flink-checkpointer:kafkaExternalPort is 9094, but kind cluster "flink-checkpointer" publishes it on 127.0.0.1:27094 ' +
        "(NodePort 30094, Kafka's external listener); set kafkaExternalPort to 27094, or recreate the cluster with hostPort 9094",
    ]);
  });

  it("says when the cluster was not created from kind-cluster.yaml at all", () => {
    expect(portMappingProblems(parseStackConfig({ target: "kind" }), [])[0]).toContain(
      "does not publish it at all (NodePort 30081, the Flink REST API); recreate the cluster from infra/kubernetes/kind-cluster.yaml",
    );
  });
});
