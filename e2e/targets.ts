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

/** What an end-to-end run checks on its stack beyond its fault matrix and the checkpoint tools. */
export interface E2eChecks {
  /** The reader against Kafka's Java consumer (target-neutral: once, on docker's main run). */
  readonly readerCheck: boolean;
  /** The benchmarks' miniatures (on docker's main run, where the benchmarks run). */
  readonly benchSmoke: boolean;
  /** A restore from the wrong place must be caught by the verification. */
  readonly brokenRestore: boolean;
}

/** One stack of the end-to-end run: where it runs, what it brings up and what it proves there. */
export interface E2eRun extends E2eChecks {
  /** Its name in the phases and its report folder (reports/e2e/<name>/). */
  readonly name: string;
  readonly target: "docker" | "kind";
  /** The stack it brings up (Pulumi.<stack>.yaml, which says how this run differs). */
  readonly stack: string;
  /** The faults of its matrix, in order. */
  readonly faults: readonly FaultName[];
  /** Readies what the stack needs besides the machine's setup (kind: a cluster). */
  prepare(phases: Phases, log: Log): Promise<void>;
  /** What of the stack is left after its destroy, one line each (empty: nothing). */
  leftovers(): Promise<string[]>;
  /** Writes every process's log into `dir`. */
  collectLogs(dir: string): Promise<void>;
  /** Removes what `prepare` made. */
  finish(phases: Phases, log: Log): Promise<void>;
}

/** What a run is: its name, stack and faults, and the checks it adds (none unless given). */
export interface E2eRunSpec extends Partial<E2eChecks> {
  readonly name: string;
  readonly stack: string;
  readonly faults: readonly FaultName[];
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
/** kind's, on its multi-node cluster with checkpoints in S3: and the loss of the node of the job's TaskManager. */
export const KIND_FAULTS: readonly FaultName[] = [
  "cancel-restore-latest",
  "taskmanager-crash",
  "jobmanager-crash",
  "broker-restart",
  "node-loss",
];
/**
 * The Flink line that is not versions.json's default runs these on docker (Pulumi.ci-other-line.yaml names the line):
 * the pattern's own cycle, both Flink processes crashed, the broker's restart. The other faults differ from these only
 * in what both lines share (rescaling, a crash mid-checkpoint).
 */
export const OTHER_LINE_FAULTS: readonly FaultName[] = ["cancel-restore", "taskmanager-crash", "jobmanager-crash", "broker-restart"];
/**
 * Then the upgrade to the next line, from the retained checkpoints a cancel leaves (what a stack of the line users
 * upgrade from has), last as it moves the stack: the checkpoint tools after it list both lines' checkpoints. The
 * savepoint variant (upgrade-line) differs only in how the state was kept; docs/upgrade.md has both measured.
 */
export const UPGRADE_FAULTS: readonly FaultName[] = ["upgrade-line-checkpoint"];
/**
 * docker's run with checkpoints in a bucket of the stack's own S3 server (Pulumi.ci-s3.yaml): what goes through the
 * storage — `latest` found by listing the bucket, Flink's own restore from it — and the store's outage, alone and
 * with a TaskManager crash.
 */
export const DOCKER_S3_FAULTS: readonly FaultName[] = [
  "cancel-restore-latest",
  "taskmanager-crash",
  "object-store-outage",
  "object-store-outage-taskmanager-crash",
];

const noChecks: E2eChecks = { readerCheck: false, benchSmoke: false, brokenRestore: false };

/** The kind config CI's cluster is created from (its `name:` is the cluster's). */
export const CI_KIND_CLUSTER_CONFIG = "infra/kubernetes/kind-cluster.yaml";

/**
 * CI's runs: the docker runs one after the other, in this order, beside the kind run (e2e/run.ts runs the two lanes
 * at once). A new run is one entry here and its Pulumi.<stack>.yaml. E2E_KIND_STACK and
 * E2E_KIND_CONFIG put the kind run on another stack and cluster (their own names and host ports), beside CI's.
 */
export function e2eRuns(env: Readonly<Record<string, string | undefined>> = process.env): E2eRun[] {
  return [
    dockerRun({ name: "docker", stack: "ci", faults: DOCKER_FAULTS, readerCheck: true, benchSmoke: true, brokenRestore: true }),
    dockerRun({ name: "docker-other-line", stack: "ci-other-line", faults: [...OTHER_LINE_FAULTS, ...UPGRADE_FAULTS] }),
    dockerRun({ name: "docker-s3", stack: "ci-s3", faults: DOCKER_S3_FAULTS }),
    kindRun(
      // No broken restore here: its judging is the target's neither, and docker's run has it; it resubmits through REST
      // with the uploaded jar, which a JobManager replaced by an earlier fault no longer holds with checkpoints in S3
      // (no volume keeps uploads; the verification then says to re-run the submission).
      { name: "kind", stack: env.E2E_KIND_STACK || "ci-kind", faults: KIND_FAULTS },
      env.E2E_KIND_CONFIG || CI_KIND_CLUSTER_CONFIG,
    ),
  ];
}

/** The cluster name a kind config gives (its top-level `name:`), as kind reads it. */
export function clusterNameOf(config: string): string {
  const name = /^name:\s*["']?([a-z0-9.-]+)["']?\s*$/m.exec(config)?.[1];
  if (!name) throw new Error("the kind config has no top-level name: (allowed: lower-case letters, digits, '.' and '-')");
  return name;
}

/** The runs E2E_TARGETS names, by target (docker, kind) or by run name; every run when it is empty. */
export function selectRuns(runs: readonly E2eRun[], names: readonly string[]): { runs: E2eRun[]; unknown: string[] } {
  if (names.length === 0) return { runs: [...runs], unknown: [] };
  const unknown = names.filter((name) => !runs.some((run) => run.target === name || run.name === name));
  return { runs: runs.filter((run) => names.includes(run.target) || names.includes(run.name)), unknown };
}

const lines = (text: string): string[] => text.split("\n").filter((line) => line.trim() !== "");

export function dockerRun(spec: E2eRunSpec): E2eRun {
  const label = `${STACK_LABEL}=flink-checkpointer-${spec.stack}`;
  return {
    ...noChecks,
    ...spec,
    target: "docker",
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

/** A run on the kind cluster created from `clusterConfig` (from the repository root). */
export function kindRun(spec: E2eRunSpec, clusterConfig = CI_KIND_CLUSTER_CONFIG, namespace = "flink-checkpointer"): E2eRun {
  const context = `kind-${clusterNameOf(readFileSync(resolve(REPO_ROOT, clusterConfig), "utf8"))}`;
  const config = ["--config", clusterConfig];
  const kubectl = (...args: string[]) => ({ file: "kubectl", args: ["--context", context, ...args] });
  const { stack } = spec;
  return {
    ...noChecks,
    ...spec,
    target: "kind",
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
        // A container that never restarted makes kubectl fail beside the others' logs (an init container has none).
        const previous = await runCommand(kubectl("-n", namespace, "logs", "--all-containers", "--prefix", "--previous", pod), 60_000);
        if (previous.stdout.trim() !== "") await writeFile(join(dir, `${name}.previous.log`), previous.stdout);
      }
      // Why a container restarted (OOMKilled, Error and its exit code), which its log rarely says.
      const restarts = await runCommand(
        kubectl(
          "-n",
          namespace,
          "get",
          "pods",
          "-o",
          "custom-columns=POD:.metadata.name,NODE:.spec.nodeName,RESTARTS:.status.containerStatuses[*].restartCount,LAST:.status.containerStatuses[*].lastState.terminated.reason,EXIT:.status.containerStatuses[*].lastState.terminated.exitCode,AT:.status.containerStatuses[*].lastState.terminated.finishedAt",
        ),
        60_000,
      );
      await writeFile(join(dir, "restarts.txt"), `${restarts.stdout}\n${restarts.stderr}`);
      const events = await runCommand(kubectl("-n", namespace, "get", "events", "--sort-by=.lastTimestamp"), 60_000);
      await writeFile(join(dir, "events.txt"), `${events.stdout}\n${events.stderr}`);
    },
    async finish(phases, log) {
      // The cluster goes too: its node containers, volumes, network and iptables rules (the script checks each).
      await phases.run("kind: delete the cluster", () => runScript(["scripts/kind-cluster.sh", "delete", ...config], log));
    },
  };
}
