import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../config";
import type { Probe } from "../probe";
import { parsePortMappings } from "./kindCluster";
import { type PreflightFacts, preflightProblems, publishingNode } from "./preflight";

const ok = (stdout: string): Probe => ({ ok: true, stdout, missing: false, error: "" });
const missing: Probe = { ok: false, stdout: "", missing: true, error: "spawn ENOENT" };
const failed = (error: string): Probe => ({ ok: false, stdout: "", missing: false, error });

const healthy: PreflightFacts = {
  projectDir: "/repo",
  missingProjectFiles: [],
  env: { KIND_EXPERIMENTAL_PROVIDER: "podman" },
  docker: ok("20.10.24\n"),
  kindClusters: ok("flink-checkpointer\nother\n"),
  kubeContexts: ok("kind-other\nkind-flink-checkpointer\n"),
  clusterUid: ok("7c9d"),
  portMappings: parsePortMappings("30081/tcp -> 127.0.0.1:8081\n30094/tcp -> 127.0.0.1:9094\n"),
};
const cfg = parseStackConfig({ target: "kind" });

describe("preflightProblems", () => {
  it("finds nothing wrong with a running cluster made from kind-cluster.yaml", () => {
    expect(preflightProblems(cfg, healthy)).toEqual([]);
  });

  it("names a project folder without the files the program reads, and where to run from", () => {
    expect(
      preflightProblems(cfg, { ...healthy, projectDir: "/tmp/copy", missingProjectFiles: ["Pulumi.yaml", "jobs/flink/Dockerfile"] }),
    ).toEqual([
      "the program's project folder /tmp/copy lacks Pulumi.yaml, jobs/flink/Dockerfile: the program must run from the " +
        "repository's infra/ folder (pulumi up or npm run up in the repository), not from a copy",
    ]);
  });

  it("names each missing tool and how to get it", () => {
    const problems = preflightProblems(cfg, { ...healthy, docker: missing, kindClusters: missing, kubeContexts: missing });
    expect(problems).toEqual([
      "docker is not on PATH: the kind target builds its images with the local Docker Engine and saves them for kind; install Docker",
      "kind is not on PATH: install kind (https://kind.sigs.k8s.io; this machine: bash scripts/setup.sh kind)",
      "kubectl is not on PATH: install kubectl (the verification reads the checkpoint volume with kubectl exec)",
    ]);
  });

  it("names a Docker Engine that does not answer", () => {
    expect(
      preflightProblems(cfg, { ...healthy, docker: failed("Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n") }),
    ).toEqual([
      "`docker version` failed: Cannot connect to the Docker daemon at unix:///var/run/docker.sock.; " +
        "start the Docker Engine (this project: bash scripts/docker-engine.sh)",
    ]);
  });

  it("names a missing cluster, the provider asked and the command that creates it", () => {
    expect(preflightProblems(cfg, { ...healthy, env: {}, kindClusters: ok("") })).toEqual([
      'kind (provider docker (KIND_EXPERIMENTAL_PROVIDER is unset)) lists no cluster "flink-checkpointer" (clusters: none); ' +
        "create it: kind create cluster --config infra/kubernetes/kind-cluster.yaml (this machine: bash scripts/kind-cluster.sh create), " +
        "or set KIND_EXPERIMENTAL_PROVIDER if another provider runs it",
    ]);
    const dev = parseStackConfig({ target: "kind", kindCluster: "dev", kubeContext: "kind-dev" });
    expect(preflightProblems(dev, { ...healthy, kubeContexts: ok("kind-dev\n") })[0]).toContain(
      "create it: kind create cluster --config infra/kubernetes/kind-cluster.yaml --name dev",
    );
  });

  it("names a missing kube context and how to write it", () => {
    expect(preflightProblems(cfg, { ...healthy, env: { ...healthy.env, KUBECONFIG: "/k" }, kubeContexts: ok("kind-other\n") })).toEqual([
      'the kubeconfig (/k) has no context "kind-flink-checkpointer" (contexts: kind-other); ' +
        "write it: kind export kubeconfig --name flink-checkpointer, or set kubeContext",
    ]);
  });

  it("names an API server that does not answer", () => {
    expect(
      preflightProblems(cfg, { ...healthy, clusterUid: failed("The connection to the server 127.0.0.1:41234 was refused\n") }),
    ).toEqual([
      'the API server of context "kind-flink-checkpointer" does not answer (`kubectl --context kind-flink-checkpointer get namespace kube-system`: ' +
        "The connection to the server 127.0.0.1:41234 was refused); is the cluster's node running? (`kind get nodes --name flink-checkpointer`)",
    ]);
  });

  it("names host ports the running cluster does not publish", () => {
    const problems = preflightProblems(parseStackConfig({ target: "kind", flinkRestPort: "27081" }), healthy);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      'flink-checkpointer:flinkRestPort is 27081, but kind cluster "flink-checkpointer" publishes it on 127.0.0.1:8081',
    );
  });

  it("skips the port check when the node's ports could not be read", () => {
    const { portMappings: _, ...withoutPorts } = healthy;
    expect(preflightProblems(parseStackConfig({ target: "kind", flinkRestPort: "27081" }), withoutPorts)).toEqual([]);
  });
});

describe("publishingNode", () => {
  it("reads the published ports on the control-plane, wherever kind lists it among the nodes", () => {
    expect(publishingNode(["fc-worker2", "fc-control-plane", "fc-worker"])).toBe("fc-control-plane");
    expect(publishingNode(["fc-control-plane"])).toBe("fc-control-plane");
    expect(publishingNode([])).toBeUndefined();
  });
});
