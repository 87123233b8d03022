/**
 * The kind target's preflight, run before any resource is created: the project folder, the tools, the cluster,
 * the kube context and the published host ports, each problem one line naming what was tried and the next step.
 * The facts are gathered by running kind, kubectl and the node provider; judging them is pure.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { type Probe, probe } from "../probe";
import { KIND_PROVIDER_VARIABLE, kindProviderName } from "./imageLoad";
import { type PortMapping, parsePortMappings, portMappingProblems } from "./kindCluster";

/** What the preflight found out, by running commands. */
export interface PreflightFacts {
  /**
   * The project folder as the program derives it from its own location (it reads every file by a path from
   * there, never relative to the working folder, which Pulumi sets to infra/), and which of the files it needs
   * there are missing.
   */
  readonly projectDir: string;
  readonly missingProjectFiles: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `docker version --format …` (the kind target builds and saves its images with Docker). */
  readonly docker: Probe;
  /** `kind get clusters`. */
  readonly kindClusters: Probe;
  /** `kubectl config get-contexts -o name`. */
  readonly kubeContexts: Probe;
  /** `kubectl --context <ctx> get namespace kube-system -o jsonpath={.metadata.uid}`: the API answers. */
  readonly clusterUid: Probe;
  /** The node's published ports (`<provider> port <cluster>-control-plane`), when they could be read. */
  readonly portMappings?: readonly PortMapping[];
}

/** What the kind stack learns of its cluster. */
export interface KindClusterFacts {
  /** kube-system's uid; changes when the cluster is recreated. */
  readonly uid: string;
}

const CREATE = "kind create cluster --config infra/kubernetes/kind-cluster.yaml";

/** What the program reads from the project folder. */
export const PROJECT_FILES = ["Pulumi.yaml", "jobs/flink/Dockerfile", "jobs/generator/Dockerfile", "infra/kubernetes/kind-cluster.yaml"];

/** Every problem of the facts, one line each (empty: go ahead). */
export function preflightProblems(cfg: StackConfig, facts: PreflightFacts): string[] {
  const problems: string[] = [];
  const create = cfg.kindCluster === "flink-checkpointer" ? CREATE : `${CREATE} --name ${cfg.kindCluster}`;
  if (facts.missingProjectFiles.length > 0) {
    problems.push(
      `the program's project folder ${facts.projectDir} lacks ${facts.missingProjectFiles.join(", ")}: ` +
        "the program must run from the repository's infra/ folder (pulumi up or npm run up in the repository), not from a copy",
    );
  }
  if (!facts.docker.ok) {
    problems.push(
      facts.docker.missing
        ? "docker is not on PATH: the kind target builds its images with the local Docker Engine and saves them for kind; install Docker"
        : `\`docker version\` failed: ${firstLine(facts.docker.error)}; start the Docker Engine (this project: bash scripts/docker-engine.sh)`,
    );
  }
  if (!facts.kindClusters.ok) {
    problems.push(
      facts.kindClusters.missing
        ? "kind is not on PATH: install kind (https://kind.sigs.k8s.io; this machine: bash scripts/setup.sh kind)"
        : `\`kind get clusters\` failed (provider ${kindProviderName(facts.env)}): ${firstLine(facts.kindClusters.error)}`,
    );
  } else {
    const clusters = lines(facts.kindClusters.stdout);
    if (!clusters.includes(cfg.kindCluster)) {
      problems.push(
        `kind (provider ${kindProviderName(facts.env)}) lists no cluster "${cfg.kindCluster}" ` +
          `(clusters: ${clusters.join(", ") || "none"}); create it: ${create} (this machine: bash scripts/kind-cluster.sh create)` +
          (facts.env[KIND_PROVIDER_VARIABLE] ? "" : `, or set ${KIND_PROVIDER_VARIABLE} if another provider runs it`),
      );
    }
  }
  if (!facts.kubeContexts.ok) {
    problems.push(
      facts.kubeContexts.missing
        ? "kubectl is not on PATH: install kubectl (the verification reads the checkpoint volume with kubectl exec)"
        : `\`kubectl config get-contexts\` failed: ${firstLine(facts.kubeContexts.error)}`,
    );
  } else if (!lines(facts.kubeContexts.stdout).includes(cfg.kubeContext)) {
    problems.push(
      `the kubeconfig (${facts.env.KUBECONFIG ?? "~/.kube/config"}) has no context "${cfg.kubeContext}" ` +
        `(contexts: ${lines(facts.kubeContexts.stdout).join(", ") || "none"}); ` +
        `write it: kind export kubeconfig --name ${cfg.kindCluster}, or set kubeContext`,
    );
  } else if (!facts.clusterUid.ok) {
    problems.push(
      `the API server of context "${cfg.kubeContext}" does not answer (\`kubectl --context ${cfg.kubeContext} get namespace kube-system\`: ` +
        `${firstLine(facts.clusterUid.error)}); is the cluster's node running? (\`kind get nodes --name ${cfg.kindCluster}\`)`,
    );
  }
  if (facts.portMappings !== undefined) problems.push(...portMappingProblems(cfg, facts.portMappings));
  return problems;
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

function firstLine(text: string): string {
  return lines(text)[0] ?? "no error output";
}

/** The node whose published ports count: kind publishes extraPortMappings on the control-plane (`<cluster>-control-plane`). */
export function publishingNode(nodes: readonly string[]): string | undefined {
  return nodes.find((node) => node.endsWith("-control-plane")) ?? nodes[0];
}

/** Runs the commands the preflight judges. */
export function gatherPreflightFacts(cfg: StackConfig, projectDir: string): PreflightFacts {
  const kindClusters = probe("kind", ["get", "clusters"]);
  const clusterListed = kindClusters.ok && lines(kindClusters.stdout).includes(cfg.kindCluster);
  // kind's node provider is a container engine with the same `port` command.
  const nodes = clusterListed ? probe("kind", ["get", "nodes", "--name", cfg.kindCluster]) : undefined;
  const node = nodes?.ok ? publishingNode(lines(nodes.stdout)) : undefined;
  const ports = node ? probe(process.env[KIND_PROVIDER_VARIABLE] || "docker", ["port", node]) : undefined;
  return {
    projectDir,
    missingProjectFiles: PROJECT_FILES.filter((file) => !fs.existsSync(path.join(projectDir, file))),
    env: process.env,
    docker: probe("docker", ["version", "--format", "{{.Server.Version}}"]),
    kindClusters,
    kubeContexts: probe("kubectl", ["config", "get-contexts", "-o", "name"]),
    clusterUid: probe("kubectl", ["--context", cfg.kubeContext, "get", "namespace", "kube-system", "-o", "jsonpath={.metadata.uid}"]),
    ...(ports?.ok ? { portMappings: parsePortMappings(ports.stdout) } : {}),
  };
}

/** The preflight: throws one error listing every problem, or returns what the stack needs to know of the cluster. */
export function checkKindCluster(cfg: StackConfig, projectDir: string): KindClusterFacts {
  const facts = gatherPreflightFacts(cfg, projectDir);
  const problems = preflightProblems(cfg, facts);
  if (problems.length > 0) {
    // A RunError is shown without a stack trace: the message is the whole story.
    throw new pulumi.RunError(`the kind target cannot start (nothing was created):\n  - ${problems.join("\n  - ")}`);
  }
  return { uid: facts.clusterUid.stdout.trim() };
}
