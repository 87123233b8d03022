// For tests: stand-ins of what a fault's run talks to besides the JobManager (whose stand-in is a real HTTP server,
// lib/flink/restStandIn.ts): an in-memory broker and a target whose processes are the stand-in JobManager's model.

import type { PartitionOffsets } from "../../lib/kafka/offsets";
import type { TopicRecord } from "../../lib/kafka/reader";
import type { StackControl } from "../../lib/stack/lifecycle";
import type { FlinkRole, NodeState, PodOnNode, StackNodes, StackTarget, TaskManagerProcess } from "../../lib/stack/target";
import type { KafkaView } from "./connection";

/** Topics as partitions of records, and groups' committed offsets: what the cycle reads and writes on Kafka. */
export class KafkaStandIn implements KafkaView {
  readonly topics = new Map<string, TopicRecord[][]>();
  readonly committed = new Map<string, PartitionOffsets>();

  constructor(topics: readonly string[], partitions: number) {
    for (const topic of topics)
      this.topics.set(
        topic,
        Array.from({ length: partitions }, () => []),
      );
  }

  private partitions(topic: string): TopicRecord[][] {
    const found = this.topics.get(topic);
    if (!found) throw new Error(`no topic ${topic}`);
    return found;
  }

  /** Appends a record to a partition; returns its offset. */
  append(topic: string, partition: number, value: string | null, timestampMs = Date.now()): number {
    const records = this.partitions(topic)[partition]!;
    records.push({ partition, offset: records.length, timestampMs, value });
    return records.length - 1;
  }

  commit(group: string, offsets: PartitionOffsets): void {
    this.committed.set(group, offsets);
  }

  async endOffsets(topic: string): Promise<PartitionOffsets> {
    return Object.fromEntries(this.partitions(topic).map((records, partition) => [partition, records.length]));
  }

  async hasRecords(topic: string): Promise<boolean> {
    return this.partitions(topic).some((records) => records.length > 0);
  }

  async produce(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    for (const [i, message] of messages.entries()) this.append(topic, i % this.partitions(topic).length, message.value);
  }

  async committedOffsets(groupId: string): Promise<PartitionOffsets> {
    return this.committed.get(groupId) ?? {};
  }

  async readTopic(topic: string, end: PartitionOffsets, _timeoutMs: number, start?: PartitionOffsets): Promise<TopicRecord[]> {
    return this.partitions(topic).flatMap((records, p) => records.slice(start?.[p] ?? 0, end[p] ?? 0));
  }

  async firstRecordAfter(topic: string, from: PartitionOffsets, timeoutMs: number): Promise<{ record: TopicRecord; seenAtMs: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = this.partitions(topic).flatMap((records, p) => records.slice(from[p] ?? 0))[0];
      if (record) return { record, seenAtMs: Date.now() };
      if (Date.now() > deadline) throw new Error(`no record in ${topic} after ${JSON.stringify(from)} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** A target whose every action is recorded and answered by the test's `on` handlers. */
export class TargetStandIn implements StackTarget {
  readonly name = "docker" as const;
  /** Nodes for faults that need them (a test sets a NodesStandIn). */
  nodes: StackNodes | null = null;
  /** What was done, one line each: `crash taskmanager tm-1`, `freeze tm-1`, `run ls -l …`. */
  readonly done: string[] = [];
  readonly on: {
    crash?: (role: FlinkRole, taskManager?: string) => void;
    freeze?: (taskManager: string, frozen: boolean) => void;
    restartBroker?: () => void;
    objectStoreOutage?: (down: boolean) => void;
    run?: (argv: readonly string[]) => string | null;
  } = {};

  constructor(readonly processes: readonly TaskManagerProcess[] = [{ name: "tm-1", addresses: ["172.18.0.4"] }]) {}

  async crash(role: FlinkRole, taskManager?: string): Promise<string> {
    this.done.push(`crash ${role}${taskManager ? ` ${taskManager}` : ""}`);
    this.on.crash?.(role, taskManager);
    return `crashed ${role}`;
  }

  async freeze(taskManager: string, frozen: boolean): Promise<string> {
    this.done.push(`${frozen ? "freeze" : "continue"} ${taskManager}`);
    this.on.freeze?.(taskManager, frozen);
    return `${frozen ? "froze" : "continued"} ${taskManager}`;
  }

  async restartBroker(): Promise<string> {
    this.done.push("restart broker");
    this.on.restartBroker?.();
    return "restarted the broker";
  }

  async objectStoreOutage(down: boolean): Promise<string> {
    this.done.push(down ? "object store down" : "object store back");
    this.on.objectStoreOutage?.(down);
    return down ? "paused the object store" : "unpaused the object store";
  }

  async taskManagers(): Promise<TaskManagerProcess[]> {
    return [...this.processes];
  }

  async runInJobManager(argv: readonly string[]): Promise<{ output: string | null; command: string; problem?: string }> {
    this.done.push(`run ${argv.join(" ")}`);
    const output = this.on.run ? this.on.run(argv) : "";
    return output === null ? { output, command: argv.join(" "), problem: `${argv.join(" ")} failed` } : { output, command: argv.join(" ") };
  }

  async copyToJobManager(file: string, target: string): Promise<{ output: string; command: string }> {
    this.done.push(`copy ${file} ${target}`);
    return { output: "", command: `copy ${file} ${target}` };
  }
}

/** A stack whose config is a map and whose `pulumi up` is the test's `onUp`, which returns the outputs after it. */
export class StackStandIn implements StackControl {
  readonly name = "stand-in";
  /** What was done, one line each: `set flinkVersion=2.2`, `remove restoreFrom`, `up`. */
  readonly done: string[] = [];
  onUp: (config: Readonly<Record<string, string>>) => Record<string, unknown> = () => {
    throw new Error("no onUp given");
  };

  constructor(readonly values: Record<string, string> = {}) {}

  async config(): Promise<Record<string, string>> {
    return { ...this.values };
  }

  async setConfig(changes: Readonly<Record<string, string | undefined>>): Promise<void> {
    for (const [key, value] of Object.entries(changes)) {
      this.done.push(value === undefined ? `remove ${key}` : `set ${key}=${value}`);
      if (value === undefined) delete this.values[key];
      else this.values[key] = value;
    }
  }

  async up(): Promise<Record<string, unknown>> {
    this.done.push("up");
    return this.onUp(this.values);
  }
}

/**
 * A cluster's nodes as Kubernetes treats them, in memory: a stopped node goes NotReady and its pods are replaced on
 * another Ready worker at once (the test plays Flink in `on.stop`); a started node is Ready again and its lost pods go.
 */
export class NodesStandIn implements StackNodes {
  readonly done: string[] = [];
  readonly on: { stop?: (node: string) => void } = {};
  private serial = 0;

  constructor(
    public nodeStates: NodeState[],
    public podList: PodOnNode[],
  ) {}

  async list(): Promise<NodeState[]> {
    return this.nodeStates.map((n) => ({ ...n }));
  }

  async pods(): Promise<PodOnNode[]> {
    return this.podList.map((p) => ({ ...p }));
  }

  async podsWide(): Promise<string> {
    return ["NAME READY NODE", ...this.podList.map((p) => `${p.name} ${p.ready ? "1/1" : "0/1"} ${p.node}`)].join("\n");
  }

  /** A new pod of `role` on a Ready worker, one without a pod of that role if there is one. */
  private schedule(role: string): PodOnNode {
    const workers = this.nodeStates.filter((n) => n.ready && !n.controlPlane);
    const free = workers.find((n) => !this.podList.some((p) => p.node === n.name && p.role === role && !p.terminating));
    const now = Date.now();
    const pod = {
      name: `${role}-new-${++this.serial}`,
      role,
      node: (free ?? workers[0])!.name,
      createdAtMs: now,
      ready: true,
      readySinceMs: now,
      terminating: false,
    };
    this.podList.push(pod);
    return pod;
  }

  async stop(node: string): Promise<string> {
    this.done.push(`stop ${node}`);
    this.nodeStates = this.nodeStates.map((n) => (n.name === node ? { ...n, ready: false, readySinceMs: Date.now() } : n));
    const lost = this.podList.filter((p) => p.node === node);
    this.podList = this.podList.map((p) => (p.node === node ? { ...p, ready: false, terminating: true } : p));
    for (const pod of lost) this.schedule(pod.role);
    this.on.stop?.(node);
    return `stopped ${node}`;
  }

  async start(node: string): Promise<string> {
    this.done.push(`start ${node}`);
    this.nodeStates = this.nodeStates.map((n) => (n.name === node ? { ...n, ready: true, readySinceMs: Date.now() } : n));
    this.podList = this.podList.filter((p) => !(p.node === node && p.terminating));
    return `started ${node}`;
  }

  async replace(pod: string): Promise<string> {
    this.done.push(`replace ${pod}`);
    const gone = this.podList.find((p) => p.name === pod)!;
    this.podList = this.podList.filter((p) => p.name !== pod);
    this.schedule(gone.role);
    return `replaced ${pod}`;
  }
}
