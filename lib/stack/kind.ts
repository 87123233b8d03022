// The kind target: the stack's processes are pods of a namespace, found by label; kubectl reaches them. Its nodes are
// kind's node containers, stopped and started by scripts/kind-cluster.sh, which knows how this machine runs them.

import { join } from "node:path";
import type { StackProcesses } from "../../infra/contract";
import { type Command, mustRun, type Ran, runCommand, runShown, shown } from "../exec";
import { REPO_ROOT } from "../paths";
import type { FlinkRole, NodeState, PodOnNode, StackNodes, StackTarget, TaskManagerProcess } from "./target";

export type KindProcesses = Extract<StackProcesses, { target: "kind" }>;

const timeOf = (stamp: string | undefined): number | null => (stamp ? Date.parse(stamp) : null);

/** What is read of an object of `kubectl get … -o json`. */
interface ApiObject {
  metadata: { name: string; labels?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
}

const itemsOf = (json: string): ApiObject[] => (JSON.parse(json) as { items: ApiObject[] }).items;
const readyOf = (item: ApiObject) => (item.status?.conditions ?? []).find((c) => c.type === "Ready");

/** The nodes of `kubectl get nodes -o json`. */
export function parseNodes(json: string): NodeState[] {
  return itemsOf(json).map((node) => ({
    name: node.metadata.name,
    ready: readyOf(node)?.status === "True",
    readySinceMs: timeOf(readyOf(node)?.lastTransitionTime),
    controlPlane: "node-role.kubernetes.io/control-plane" in (node.metadata.labels ?? {}),
  }));
}

/** The pods of `kubectl get pods -o json`. */
export function parsePods(json: string): PodOnNode[] {
  return itemsOf(json).map((pod) => {
    const labels = pod.metadata.labels ?? {};
    return {
      name: pod.metadata.name,
      role: labels.component ?? labels.app ?? "",
      node: pod.spec?.nodeName ?? "",
      createdAtMs: timeOf(pod.metadata.creationTimestamp) ?? 0,
      ready: readyOf(pod)?.status === "True",
      readySinceMs: timeOf(readyOf(pod)?.lastTransitionTime),
      terminating: pod.metadata.deletionTimestamp !== undefined,
    };
  });
}

/** kind's nodes through kubectl, stopped and started by scripts/kind-cluster.sh. */
export class KindNodes implements StackNodes {
  constructor(
    private readonly context: string,
    private readonly namespace: string,
    private readonly script = join(REPO_ROOT, "scripts", "kind-cluster.sh"),
  ) {}

  private kubectl(...args: string[]): Command {
    return { file: "kubectl", args: ["--context", this.context, ...args] };
  }

  async list(): Promise<NodeState[]> {
    return parseNodes(await mustRun(this.kubectl("get", "nodes", "-o", "json")));
  }

  async pods(): Promise<PodOnNode[]> {
    return parsePods(await mustRun(this.kubectl("-n", this.namespace, "get", "pods", "-o", "json")));
  }

  podsWide(): Promise<string> {
    return mustRun(this.kubectl("-n", this.namespace, "get", "pods", "-o", "wide"));
  }

  nodeCommand(action: "stop-node" | "start-node", node: string): Command {
    return { file: "bash", args: [this.script, action, node] };
  }

  async stop(node: string): Promise<string> {
    const command = this.nodeCommand("stop-node", node);
    await mustRun(command, 60_000);
    return shown(command);
  }

  async start(node: string): Promise<string> {
    const command = this.nodeCommand("start-node", node);
    await mustRun(command, 240_000);
    return shown(command);
  }

  async replace(pod: string): Promise<string> {
    const command = this.kubectl("-n", this.namespace, "delete", "pod", pod, "--wait=false");
    await mustRun(command);
    return shown(command);
  }
}

export class KindTarget implements StackTarget {
  readonly name = "kind" as const;
  readonly nodes: StackNodes;

  constructor(private readonly processes: KindProcesses) {
    this.nodes = new KindNodes(processes.context, processes.namespace);
  }

  kubectl(...args: string[]): Command {
    return { file: "kubectl", args: ["--context", this.processes.context, "-n", this.processes.namespace, ...args] };
  }

  /** The pod named, or every pod of the role's selector. */
  private pods(role: FlinkRole, taskManager?: string): string[] {
    if (role === "taskmanager" && taskManager) return [taskManager];
    return ["-l", role === "jobmanager" ? this.processes.jobManagerSelector : this.processes.taskManagerSelector];
  }

  /** A crash is the pod deleted with no grace period; its Deployment starts a new one. */
  crashCommand(role: FlinkRole, taskManager?: string): Command {
    return this.kubectl("delete", "pod", ...this.pods(role, taskManager), "--grace-period=0", "--force", "--wait=false");
  }

  async crash(role: FlinkRole, taskManager?: string): Promise<string> {
    const command = this.crashCommand(role, taskManager);
    await mustRun(command);
    return shown(command);
  }

  /** The signal inside the pod, where the JVM is PID 1 (the image's entrypoint execs it). */
  freezeCommand(taskManager: string, frozen: boolean): Command {
    return this.kubectl("exec", taskManager, "--", "kill", frozen ? "-STOP" : "-CONT", "1");
  }

  async freeze(taskManager: string, frozen: boolean): Promise<string> {
    const command = this.freezeCommand(taskManager, frozen);
    await mustRun(command);
    return shown(command);
  }

  brokerRestartCommand(): Command {
    return this.kubectl("delete", "pod", "-l", this.processes.kafkaSelector, "--wait=true");
  }

  async restartBroker(): Promise<string> {
    const command = this.brokerRestartCommand();
    await mustRun(command, 120_000);
    return shown(command);
  }

  /**
   * The S3 server's Deployment scaled to none (its pod stops: connections refused) or back to one (a new pod on the
   * same claim). A paused process is not to be had in a pod: the server is PID 1 there, which a signal from inside
   * cannot stop.
   */
  objectStoreOutageCommand(down: boolean): Command {
    const selector = this.processes.objectStoreSelector;
    if (selector === undefined)
      throw new Error("the stack runs no S3 server of its own (checkpointStorage s3 without s3Endpoint): no object store to take down");
    return this.kubectl("scale", "deployment", "-l", selector, `--replicas=${down ? 0 : 1}`);
  }

  async objectStoreOutage(down: boolean): Promise<string> {
    const command = this.objectStoreOutageCommand(down);
    await mustRun(command);
    if (!down)
      await mustRun(
        this.kubectl("wait", "--for=condition=available", "deployment", "-l", this.processes.objectStoreSelector ?? "", "--timeout=120s"),
        130_000,
      );
    return shown(command);
  }

  /** Each TaskManager pod with its IP and name. */
  async taskManagers(): Promise<TaskManagerProcess[]> {
    const text = await mustRun(
      this.kubectl(
        "get",
        "pods",
        "-l",
        this.processes.taskManagerSelector,
        "-o",
        'jsonpath={range .items[*]}{.metadata.name} {.status.podIP}{"\\n"}{end}',
      ),
    );
    return text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => {
        const [name, ...addresses] = line.trim().split(/\s+/);
        return { name: name!, addresses: [...addresses, name!] };
      });
  }

  jobManagerLookupCommand(): Command {
    return this.kubectl(
      "get",
      "pods",
      "-l",
      this.processes.jobManagerSelector,
      "--field-selector",
      "status.phase=Running",
      "-o",
      "jsonpath={.items[0].metadata.name}",
    );
  }

  /** The running JobManager pod, or why none was found. */
  private async jobManagerPod(): Promise<{ pod: string } | { failed: Ran }> {
    const lookup = this.jobManagerLookupCommand();
    const found = await runCommand(lookup, 30_000);
    if (found.ok && found.stdout.length > 0) return { pod: found.stdout };
    return {
      failed: {
        output: null,
        command: shown(lookup),
        problem: `no running JobManager pod found with \`${shown(lookup)}\`: ${found.stderr || "no pod matched"}`,
      },
    };
  }

  async runInJobManager(argv: readonly string[], timeoutMs = 30_000): Promise<Ran> {
    const found = await this.jobManagerPod();
    return "failed" in found ? found.failed : runShown(this.kubectl("exec", found.pod, "--", ...argv), timeoutMs);
  }

  async copyToJobManager(file: string, target: string, timeoutMs = 60_000): Promise<Ran> {
    const found = await this.jobManagerPod();
    return "failed" in found ? found.failed : runShown(this.kubectl("cp", file, `${found.pod}:${target}`), timeoutMs);
  }
}
