// What differs between the end-to-end run's targets: the stack each uses, which faults it runs, what it prepares
// before the stack (kind: the cluster) and removes after it, how its logs are gathered and what would be left over.

import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { STACK_LABEL } from "../infra/contract";
import { mustRun, runCommand } from "../lib/exec";
import { REPO_ROOT } from "../lib/paths";
import type { FaultName } from "../verify";
import type { Log, Phases } from "./phases";
import { runScript } from "./shell";

export interface E2eTarget {
  readonly name: "docker" | "kind";
  /** The stack it brings up (Pulumi.<stack>.yaml). */
  readonly stack: string;
  /** The faults of its matrix, in order. */
  readonly faults: readonly FaultName[];
  /** Whether the reader is checked against Kafka's Java consumer (target-neutral: once, on docker). */
  readonly readerCheck: boolean;
  /** Whether the benchmarks' miniatures run (on docker, where the benchmarks run). */
  readonly benchSmoke: boolean;
  /** Readies what the stack needs besides the machine's setup (kind: a cluster). */
  prepare(phases: Phases, log: Log): Promise<void>;
  /** What of the stack is left after its destroy, one line each (empty: nothing). */
  leftovers(): Promise<string[]>;
  /** Writes every process's log into `dir`. */
  collectLogs(dir: string): Promise<void>;
  /** Removes what `prepare` made. */
  finish(phases: Phases, log: Log): Promise<void>;
}

/**
 * docker runs all faults but cancel-restore-latest, whose recovery command its JobManager crashes run; kind those
 * whose injection or recovery is its own (pod deletes, Flink's Kubernetes HA, the recovery command in the
 * JobManager's pod, which HA otherwise spares): the rest differ from docker's only in what both targets share.
 */
export const DOCKER_FAULTS: readonly FaultName[] = [
  "cancel-restore",
  "taskmanager-crash",
  "jobmanager-crash",
  "broker-restart",
  "crash-during-checkpoint",
  "rescale-down",
  "rescale-up",
];
export const KIND_FAULTS: readonly FaultName[] = ["cancel-restore-latest", "taskmanager-crash", "jobmanager-crash", "broker-restart"];

const lines = (text: string): string[] => text.split("\n").filter((line) => line.trim() !== "");

export function dockerTarget(stack = "ci"): E2eTarget {
  const label = `${STACK_LABEL}=flink-checkpointer-${stack}`;
  return {
    name: "docker",
    stack,
    faults: DOCKER_FAULTS,
    readerCheck: true,
    benchSmoke: true,
    prepare: async () => undefined,
    async leftovers() {
      const listed = await Promise.all(
        (
          [
            ["container", ["ps", "-a"], "{{.Names}}"],
            ["volume", ["volume", "ls"], "{{.Name}}"],
            ["network", ["network", "ls"], "{{.Name}}"],
          ] as const
        ).map(async ([kind, list, format]) => {
          const out = await mustRun({ file: "docker", args: [...list, "--filter", `label=${label}`, "--format", format] });
          return lines(out).map((name) => `${kind} ${name}`);
        }),
      );
      return listed.flat();
    },
    async collectLogs(dir) {
      const names = lines(await mustRun({ file: "docker", args: ["ps", "-a", "--filter", `label=${label}`, "--format", "{{.Names}}"] }));
      for (const name of names) {
        const logs = await runCommand({ file: "docker", args: ["logs", name] }, 60_000);
        await writeFile(join(dir, `${name}.log`), `${logs.stdout}\n${logs.stderr}`);
      }
    },
    finish: async () => undefined,
  };
}

/** The kind run's stack and the cluster it runs on: CI's, or another's beside it (E2E_KIND_STACK, E2E_KIND_CONFIG). */
export interface KindRun {
  readonly stack: string;
  /** The kind config the cluster is created from (its `name:` is the cluster's), from the repository root. */
  readonly clusterConfig: string;
  readonly namespace: string;
}

export const CI_KIND_RUN: KindRun = {
  stack: "ci-kind",
  clusterConfig: "infra/kubernetes/kind-cluster.yaml",
  namespace: "flink-checkpointer",
};

/** The kind run an environment asks for: CI's unless E2E_KIND_STACK / E2E_KIND_CONFIG name another stack and cluster config. */
export function kindRunOf(env: Readonly<Record<string, string | undefined>>): KindRun {
  return {
    ...CI_KIND_RUN,
    ...(env.E2E_KIND_STACK ? { stack: env.E2E_KIND_STACK } : {}),
    ...(env.E2E_KIND_CONFIG ? { clusterConfig: env.E2E_KIND_CONFIG } : {}),
  };
}

/** The cluster name a kind config gives (its top-level `name:`), as kind reads it. */
export function clusterNameOf(config: string): string {
  const name = /^name:\s*["']?([a-z0-9.-]+)["']?\s*$/m.exec(config)?.[1];
  if (!name) throw new Error("the kind config has no top-level name: (allowed: lower-case letters, digits, '.' and '-')");
  return name;
}

export function kindTarget(run: KindRun = CI_KIND_RUN): E2eTarget {
  const { stack, namespace } = run;
  const context = `kind-${clusterNameOf(readFileSync(resolve(REPO_ROOT, run.clusterConfig), "utf8"))}`;
  const config = ["--config", run.clusterConfig];
  const kubectl = (...args: string[]) => ({ file: "kubectl", args: ["--context", context, ...args] });
  return {
    name: "kind",
    stack,
    faults: KIND_FAULTS,
    readerCheck: false,
    benchSmoke: false,
    async prepare(phases, log) {
      await phases.run("kind: cluster setup (kind, node image)", () => runScript(["scripts/setup.sh", "kind"], log));
      // A run killed half-way leaves its cluster behind (a stopped node after a restart): create keeps a healthy one
      // and refuses an unhealthy one, which this run, the cluster's owner, removes first.
      const status = await runCommand({ file: "bash", args: ["scripts/kind-cluster.sh", "status", ...config] }, 120_000);
      if (status.stdout.includes("NOT healthy")) {
        await phases.run("kind: remove an earlier run's unhealthy cluster", () =>
          runScript(["scripts/kind-cluster.sh", "delete", ...config], log),
        );
      }
      await phases.run("kind: create the cluster", () => runScript(["scripts/kind-cluster.sh", "create", ...config], log));
    },
    async leftovers() {
      const found: string[] = [];
      if ((await runCommand(kubectl("get", "namespace", namespace))).ok) {
        found.push(`namespace ${namespace}`);
        const volumes = await runCommand(kubectl("get", "pv", "--no-headers"));
        for (const line of lines(volumes.stdout)) {
          const [name, , , , , claim] = line.split(/\s+/);
          if (claim?.startsWith(`${namespace}/`)) found.push(`persistent volume ${name} (${claim})`);
        }
      }
      // The tags `kind load` gave the stack's own images (<image>:<tag>-<image id>); the node's copies go with the cluster.
      const images = await mustRun({ file: "docker", args: ["images", "--format", "{{.Repository}}:{{.Tag}}"] });
      const loaded = new RegExp(`:flink-checkpointer-${stack}-[0-9a-f]{12}$`);
      found.push(
        ...lines(images)
          .filter((image) => loaded.test(image))
          .map((image) => `image tag loaded into kind: ${image}`),
      );
      return found;
    },
    async collectLogs(dir) {
      const pods = lines((await runCommand(kubectl("-n", namespace, "get", "pods", "-o", "name"))).stdout);
      for (const pod of pods) {
        const name = pod.replace(/^pod\//, "");
        const current = await runCommand(kubectl("-n", namespace, "logs", "--all-containers", "--prefix", pod), 60_000);
        await writeFile(join(dir, `${name}.log`), `${current.stdout}\n${current.stderr}`);
        const previous = await runCommand(kubectl("-n", namespace, "logs", "--all-containers", "--prefix", "--previous", pod), 60_000);
        if (previous.ok) await writeFile(join(dir, `${name}.previous.log`), previous.stdout);
      }
      const events = await runCommand(kubectl("-n", namespace, "get", "events", "--sort-by=.lastTimestamp"), 60_000);
      await writeFile(join(dir, "events.txt"), `${events.stdout}\n${events.stderr}`);
    },
    async finish(phases, log) {
      // The cluster goes too: its node containers, volumes, network and iptables rules (the script checks each).
      await phases.run("kind: delete the cluster", () => runScript(["scripts/kind-cluster.sh", "delete", ...config], log));
    },
  };
}
