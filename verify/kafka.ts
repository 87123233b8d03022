// Kafka for the verification with kafkajs: end offsets, the source group's committed offsets, whole topics
// read read_committed up to end offsets captured at a given moment, and the malformed records it writes.
//
// Offsets are positions, not counts: transaction markers (the sink is transactional in EXACTLY_ONCE
// mode) and aborted records take offsets, so a partition's end offset minus its start says nothing about
// how many records it holds. Reading up to an end offset therefore tracks the offsets the fetches have
// passed (control batches included), not the number of records seen.

import { Admin, Consumer, Kafka, logLevel } from "kafkajs";
import { PartitionOffsets } from "./checks";
import { TopicRecord } from "./records";

export class KafkaReadError extends Error {}

/** The partitions of `end` that still have offsets to pass, with how far each got. */
export function unfinishedPartitions(start: PartitionOffsets, reached: PartitionOffsets, end: PartitionOffsets): string[] {
  return Object.keys(end)
    .map(Number)
    .filter((p) => Math.max(reached[p] ?? 0, start[p] ?? 0) < (end[p] ?? 0))
    .map((p) => `partition ${p} at ${Math.max(reached[p] ?? 0, start[p] ?? 0)} of ${end[p]}`);
}

let consumerCounter = 0;

export class KafkaReader {
  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    readonly bootstrap: string,
  ) {}

  static async connect(bootstrap: string): Promise<KafkaReader> {
    const kafka = new Kafka({
      clientId: "flink-checkpointer-verify",
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 5_000,
      retry: { retries: 3, initialRetryTime: 300 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
    } catch (error) {
      throw new KafkaReadError(
        `Kafka broker unreachable at ${bootstrap} (${(error as Error).message}). Next: check that the stack's Kafka container/pod is running and that its external listener is published on that address (--kafka-bootstrap).`,
      );
    }
    return new KafkaReader(kafka, admin, bootstrap);
  }

  async disconnect(): Promise<void> {
    await this.admin.disconnect();
  }

  private async topicOffsets(topic: string): Promise<{ low: Record<number, number>; end: Record<number, number> }> {
    let offsets: Array<{ partition: number; low: string; offset: string }>;
    try {
      offsets = await this.admin.fetchTopicOffsets(topic);
    } catch (error) {
      throw new KafkaReadError(`cannot read the offsets of topic ${topic} on ${this.bootstrap}: ${(error as Error).message}. Next: check that the stack created the topic.`);
    }
    const low: Record<number, number> = {};
    const end: Record<number, number> = {};
    for (const o of offsets) {
      low[o.partition] = Number(o.low);
      end[o.partition] = Number(o.offset);
    }
    return { low, end };
  }

  /** The end offset of every partition as a read_committed reader sees it (the last stable offset). */
  async endOffsets(topic: string): Promise<PartitionOffsets> {
    return (await this.topicOffsets(topic)).end;
  }

  /** Whether the topic holds anything: an offset taken (a record, or in a transactional topic a marker). */
  async hasRecords(topic: string): Promise<boolean> {
    const { low, end } = await this.topicOffsets(topic);
    return Object.keys(end).some((p) => (end[Number(p)] ?? 0) > (low[Number(p)] ?? 0));
  }

  /** Writes records (acks from all replicas) and waits until the broker has them. */
  async produce(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    try {
      await producer.connect();
      await producer.send({ topic, acks: -1, messages });
    } catch (error) {
      throw new KafkaReadError(`writing to topic ${topic} on ${this.bootstrap} failed: ${(error as Error).message}`);
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  /** The group's committed offsets on `topic`; partitions without a commit are absent. */
  async committedOffsets(groupId: string, topic: string): Promise<PartitionOffsets> {
    const answer = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    const committed: Record<number, number> = {};
    for (const p of answer.find((t) => t.topic === topic)?.partitions ?? []) {
      const offset = Number(p.offset);
      if (offset >= 0) committed[p.partition] = offset;
    }
    return committed;
  }

  /**
   * Consumes `topic` read_committed from each partition's first offset until every partition has passed
   * its offset in `end`, and returns the records below `end`.
   * A throwaway group without commits: the read leaves no trace in the broker's offsets.
   */
  async readTopic(topic: string, end: PartitionOffsets, timeoutMs: number): Promise<TopicRecord[]> {
    const from = (await this.topicOffsets(topic)).low;
    const records: TopicRecord[] = [];
    await this.consume(topic, from, timeoutMs, (record) => {
      if (record.offset < (end[record.partition] ?? 0)) records.push(record);
    }, (reached) => unfinishedPartitions(from, reached, end).length === 0, (reached) => `reading ${topic} up to ${JSON.stringify(end)}: still ${unfinishedPartitions(from, reached, end).join(", ")}`);
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  /** Waits for the first committed record at or beyond `from`; resolves with it and when it arrived. */
  async firstRecordAfter(topic: string, from: PartitionOffsets, timeoutMs: number): Promise<{ record: TopicRecord; seenAtMs: number }> {
    let first: { record: TopicRecord; seenAtMs: number } | undefined;
    await this.consume(topic, from, timeoutMs, (record) => {
      if (!first && record.offset >= (from[record.partition] ?? 0)) first = { record, seenAtMs: Date.now() };
    }, () => first !== undefined, () => `no committed record in ${topic} beyond ${JSON.stringify(from)}`);
    return first!;
  }

  private async consume(
    topic: string,
    from: PartitionOffsets,
    timeoutMs: number,
    onRecord: (record: TopicRecord) => void,
    isDone: (reached: PartitionOffsets) => boolean,
    describeTimeout: (reached: PartitionOffsets) => string,
  ): Promise<void> {
    const reached: Record<number, number> = {};
    if (isDone(reached)) return;
    const consumer: Consumer = this.kafka.consumer({
      groupId: `flink-checkpointer-verify-${process.pid}-${Date.now()}-${consumerCounter++}`,
      readUncommitted: false,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    // END_BATCH_PROCESS also fires for fetches that held only control records or aborted ones, whose
    // offsets the reader must pass without seeing a record.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== topic) return;
      reached[payload.partition] = Math.max(reached[payload.partition] ?? 0, Number(payload.lastOffset) + 1);
      if (isDone(reached)) resolveDone();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            onRecord({
              partition: batch.partition,
              offset: Number(message.offset),
              timestampMs: Number(message.timestamp),
              value: message.value === null ? null : message.value.toString("utf8"),
            });
          }
        },
      });
      for (const [partition, offset] of Object.entries(from)) consumer.seek({ topic, partition: Number(partition), offset: String(offset) });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new KafkaReadError(`timed out after ${Math.round(timeoutMs / 1000)} s on ${this.bootstrap}: ${describeTimeout(reached)}`)), timeoutMs);
      });
      await Promise.race([done, timeout]);
    } catch (error) {
      if (error instanceof KafkaReadError) throw error;
      throw new KafkaReadError(`reading topic ${topic} on ${this.bootstrap} failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
  }
}
