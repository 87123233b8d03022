// Kafka for the verification: end offsets, the source group's committed offsets and the malformed records it
// writes go through kafkajs; every read of records goes through ReadCommittedFetcher, our own Fetch client
// with Kafka's read_committed filter (kafkajs's drops records of aborted transactions only when the broker
// happens to list them by first offset; see readCommitted.ts).
//
// Offsets are positions, not counts: transaction markers (the sink is transactional in EXACTLY_ONCE
// mode) and aborted records take offsets, so a partition's end offset minus its start says nothing about
// how many records it holds. Reading up to an end offset therefore tracks the offsets the fetches have
// passed (control batches included), not the number of records seen.

import { type Admin, Kafka, logLevel } from "kafkajs";
import { sleep } from "../wait";
import { ReadCommittedFetcher, RetriableFetchError } from "./fetch";
import type { PartitionOffsets } from "./offsets";
import type { FetchedRecord } from "./readCommitted";

/** One record as read from a topic partition; `value` is the UTF-8 text of the record value. */
export interface TopicRecord {
  partition: number;
  offset: number;
  /** The record's Kafka timestamp: for `visits`, when the generator produced it. */
  timestampMs: number;
  value: string | null;
}

export class KafkaReadError extends Error {}

/** The partitions of `end` that still have offsets to pass, with how far each got. */
export function unfinishedPartitions(start: PartitionOffsets, reached: PartitionOffsets, end: PartitionOffsets): string[] {
  return Object.keys(end)
    .map(Number)
    .filter((p) => Math.max(reached[p] ?? 0, start[p] ?? 0) < (end[p] ?? 0))
    .map((p) => `partition ${p} at ${Math.max(reached[p] ?? 0, start[p] ?? 0)} of ${end[p]}`);
}

/** How long the broker may hold a fetch that finds nothing new. */
const FETCH_MAX_WAIT_MS = 500;
const RETRY_PAUSE_MS = 500;
/** How long a read of committed offsets waits for the group's coordinator (a broker just started or restarted). */
const COORDINATOR_WAIT_MS = 30_000;

/** The answers of a broker whose group coordinator is still being elected or loading `__consumer_offsets`. */
const COORDINATOR_NOT_READY = new Set(["GROUP_LOAD_IN_PROGRESS", "GROUP_COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR_FOR_GROUP"]);

/** Whether `error` (a kafkajs error, or one whose retries it wraps) says the coordinator is not ready yet. */
export function coordinatorNotReady(error: unknown): boolean {
  const typeOf = (e: unknown) => (e as { type?: unknown } | null)?.type;
  return [typeOf(error), typeOf((error as { cause?: unknown } | null)?.cause)].some(
    (t) => typeof t === "string" && COORDINATOR_NOT_READY.has(t),
  );
}

/**
 * `call`'s answer, asked again while the coordinator is not ready, for up to `timeoutMs`. kafkajs's admin
 * does not retry an offset fetch the coordinator refuses, and a broker refuses them for seconds after it starts.
 */
export async function whenCoordinatorReady<T>(call: () => Promise<T>, timeoutMs: number, pauseMs = RETRY_PAUSE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!coordinatorNotReady(error) || Date.now() >= deadline) throw error;
    }
    await sleep(pauseMs);
  }
}

export function toTopicRecord(partition: number, record: FetchedRecord): TopicRecord {
  return {
    partition,
    offset: record.offset,
    timestampMs: record.timestampMs,
    value: record.value === null ? null : record.value.toString("utf8"),
  };
}

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
      throw new KafkaReadError(
        `cannot read the offsets of topic ${topic} on ${this.bootstrap}: ${(error as Error).message}. Next: check that the stack created the topic.`,
      );
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

  /** Creates topics of `partitions` partitions each (replication 1: the stack's single broker). */
  async createTopics(topics: readonly string[], partitions: number): Promise<void> {
    try {
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    } catch (error) {
      throw new KafkaReadError(`creating topics ${topics.join(", ")} on ${this.bootstrap} failed: ${(error as Error).message}`);
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    try {
      await this.admin.deleteTopics({ topics: [...topics] });
    } catch (error) {
      throw new KafkaReadError(`deleting topics ${topics.join(", ")} on ${this.bootstrap} failed: ${(error as Error).message}`);
    }
  }

  async deleteGroups(groups: readonly string[]): Promise<void> {
    try {
      await this.admin.deleteGroups([...groups]);
    } catch (error) {
      throw new KafkaReadError(`deleting consumer groups ${groups.join(", ")} on ${this.bootstrap} failed: ${(error as Error).message}`);
    }
  }

  /**
   * The group's committed offsets on `topic`; partitions without a commit are absent. Waits up to
   * `coordinatorWaitMs` for a coordinator that is not ready (0: fail at once, for a sample that must be timely).
   */
  async committedOffsets(groupId: string, topic: string, coordinatorWaitMs = COORDINATOR_WAIT_MS): Promise<PartitionOffsets> {
    const answer = await whenCoordinatorReady(() => this.admin.fetchOffsets({ groupId, topics: [topic] }), coordinatorWaitMs);
    const committed: Record<number, number> = {};
    for (const p of answer.find((t) => t.topic === topic)?.partitions ?? []) {
      const offset = Number(p.offset);
      if (offset >= 0) committed[p.partition] = offset;
    }
    return committed;
  }

  /**
   * Reads `topic` read_committed from each partition's first offset (or `start`) until every partition has passed
   * its offset in `end`, and returns the records below `end`. Fetches of our own (ReadCommittedFetcher): no
   * consumer group, so the read leaves no trace in the broker's offsets.
   */
  async readTopic(topic: string, end: PartitionOffsets, timeoutMs: number, start?: PartitionOffsets): Promise<TopicRecord[]> {
    // From `start` when given (a benchmark reads only its own part of a long topic), else from the beginning.
    const from = start ?? (await this.topicOffsets(topic)).low;
    const records: TopicRecord[] = [];
    await this.consume(
      topic,
      from,
      timeoutMs,
      (record) => {
        if (record.offset < (end[record.partition] ?? 0)) records.push(record);
      },
      (reached) =>
        Object.keys(end)
          .map(Number)
          .filter((p) => Math.max(reached[p] ?? 0, from[p] ?? 0) < (end[p] ?? 0)),
      (reached) => unfinishedPartitions(from, reached, end).length === 0,
      (reached) => `reading ${topic} up to ${JSON.stringify(end)}: still ${unfinishedPartitions(from, reached, end).join(", ")}`,
    );
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  /** Waits for the first committed record at or beyond `from`; resolves with it and when it arrived. */
  async firstRecordAfter(topic: string, from: PartitionOffsets, timeoutMs: number): Promise<{ record: TopicRecord; seenAtMs: number }> {
    let first: { record: TopicRecord; seenAtMs: number } | undefined;
    await this.consume(
      topic,
      from,
      timeoutMs,
      (record) => {
        if (!first) first = { record, seenAtMs: Date.now() };
      },
      () => Object.keys(from).map(Number),
      () => first !== undefined,
      () => `no committed record in ${topic} beyond ${JSON.stringify(from)}`,
    );
    return first!;
  }

  /**
   * Reads `topic` read_committed from `from` until `stop()` says so, handing each committed record to `onRecord`
   * with the wall-clock time it was first seen: a fetch returns as soon as the broker has committed data, or after
   * at most FETCH_MAX_WAIT_MS without any.
   */
  async watch(
    topic: string,
    from: PartitionOffsets,
    timeoutMs: number,
    stop: () => boolean,
    onRecord: (record: TopicRecord, seenAtMs: number) => void,
  ): Promise<void> {
    await this.consume(
      topic,
      from,
      timeoutMs,
      (record) => onRecord(record, Date.now()),
      () => Object.keys(from).map(Number),
      stop,
      () => `watching ${topic} from ${JSON.stringify(from)}: not told to stop`,
    );
  }

  private async consume(
    topic: string,
    from: PartitionOffsets,
    timeoutMs: number,
    onRecord: (record: TopicRecord) => void,
    partitionsToFetch: (reached: PartitionOffsets) => number[],
    isDone: (reached: PartitionOffsets) => boolean,
    describeTimeout: (reached: PartitionOffsets) => string,
  ): Promise<void> {
    const reached: Record<number, number> = { ...from };
    const deadline = Date.now() + timeoutMs;
    const fetcher = new ReadCommittedFetcher(this.admin, topic);
    // The last refusal that may pass (a leader moving): retried until the deadline, then named.
    let lastRetriable: string | undefined;
    try {
      while (!isDone(reached)) {
        if (Date.now() >= deadline) {
          const problem = lastRetriable ? ` (last fetch problem: ${lastRetriable})` : "";
          throw new KafkaReadError(
            `timed out after ${Math.round(timeoutMs / 1000)} s on ${this.bootstrap}: ${describeTimeout(reached)}${problem}`,
          );
        }
        const offsets = Object.fromEntries(partitionsToFetch(reached).map((p) => [p, reached[p] ?? 0]));
        let reads: Awaited<ReturnType<ReadCommittedFetcher["fetchOnce"]>>;
        try {
          reads = await fetcher.fetchOnce(offsets, FETCH_MAX_WAIT_MS);
          lastRetriable = undefined;
        } catch (error) {
          if (!(error instanceof RetriableFetchError)) throw error;
          lastRetriable = error.message;
          await sleep(RETRY_PAUSE_MS);
          continue;
        }
        for (const [partition, read] of [...reads].sort(([a], [b]) => a - b)) {
          for (const record of read.records) onRecord(toTopicRecord(partition, record));
          reached[partition] = Math.max(reached[partition] ?? 0, read.nextOffset);
        }
      }
    } catch (error) {
      if (error instanceof KafkaReadError) throw error;
      throw new KafkaReadError(`reading topic ${topic} on ${this.bootstrap} failed: ${(error as Error).message}`);
    } finally {
      fetcher.close();
    }
  }
}
