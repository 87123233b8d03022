// A read_committed Fetch client of our own over node:net: it sends Fetch v11 to each partition's leader and
// filters each partition's response with readCommitted(), Kafka's own algorithm. kafkajs (the admin) only
// finds the leaders and their addresses.

import { connect, type Socket } from "node:net";
import type { Admin } from "kafkajs";
import {
  API_KEY,
  decodeApiVersionsResponse,
  decodeFetchResponse,
  decodeRecordBatches,
  decodeResponseHeader,
  encodeFetchRequest,
  encodeRequest,
  errorName,
  FETCH_VERSION,
  type FetchPartitionResponse,
  type FetchResponse,
  RETRIABLE_FETCH_ERRORS,
} from "./protocol";
import { type FetchedRecord, type PartitionFetch, readCommitted } from "./readCommitted";

export class KafkaFetchError extends Error {}

/** A fetch the broker refused for a reason that may pass (leader moved, not yet elected): retry after a new look-up. */
export class RetriableFetchError extends KafkaFetchError {}

const CLIENT_ID = "flink-checkpointer-verify";
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_BYTES = 32 * 1024 * 1024;
/** Per partition and fetch: far above a batch's size (the broker's message.max.bytes is about 1 MiB). */
export const PARTITION_MAX_BYTES = 8 * 1024 * 1024;

/** One TCP connection to a broker; requests are matched to responses by correlation id. */
export class BrokerConnection {
  private nextCorrelationId = 1;
  private buffered = Buffer.alloc(0);
  private readonly waiting = new Map<number, { resolve: (body: Buffer) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.fail(new KafkaFetchError(`connection to broker ${address} failed: ${error.message}`)));
    socket.on("close", () => this.fail(new KafkaFetchError(`broker ${address} closed the connection`)));
  }

  static open(host: string, port: number, timeoutMs = REQUEST_TIMEOUT_MS): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaFetchError(`broker ${address} did not accept a connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        resolve(new BrokerConnection(socket, address));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new KafkaFetchError(`cannot connect to broker ${address}: ${error.message}`));
      });
    });
  }

  request(apiKey: number, apiVersion: number, body: Buffer, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new KafkaFetchError(`broker ${this.address} did not answer request ${apiKey} v${apiVersion} within ${timeoutMs} ms`));
        this.socket.destroy();
      }, timeoutMs);
      this.waiting.set(correlationId, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.socket.write(encodeRequest(apiKey, apiVersion, correlationId, CLIENT_ID, body));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
      const frame = this.buffered.subarray(4, 4 + this.buffered.readInt32BE(0));
      this.buffered = this.buffered.subarray(4 + frame.length);
      const { correlationId, body } = decodeResponseHeader(frame);
      const waiter = this.waiting.get(correlationId);
      if (!waiter) {
        this.fail(new KafkaFetchError(`broker ${this.address} answered correlation id ${correlationId}, which no request has`));
        return;
      }
      this.waiting.delete(correlationId);
      waiter.resolve(Buffer.from(body));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
    this.socket.destroy();
  }
}

/** What one fetch gave for one partition. */
export interface PartitionRead {
  readonly records: FetchedRecord[];
  readonly nextOffset: number;
  /** The decoded response, as the broker sent it (aborted transactions in its order). */
  readonly fetch: PartitionFetch;
  /** The partition's high watermark: past every record and marker written, decided or not. */
  readonly highWatermark: number;
  /** The partition's last stable offset: the first offset of its oldest undecided transaction, or the high watermark. */
  readonly lastStableOffset: number;
}

/**
 * Fetches topic partitions read_committed from their leaders. One connection per broker, opened on first use
 * after the broker confirmed it serves Fetch v11; leaders are looked up again after a retriable error.
 */
export class ReadCommittedFetcher {
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private leaders: Map<number, number> | undefined;
  private brokers: Map<number, { host: string; port: number }> | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly partitionMaxBytes = PARTITION_MAX_BYTES,
  ) {}

  /** One Fetch round: every partition of `offsets` once, from the offset given; maxWaitMs bounds the broker's wait for data. */
  async fetchOnce(offsets: Readonly<Record<number, number>>, maxWaitMs: number): Promise<Map<number, PartitionRead>> {
    const byLeader = new Map<number, number[]>();
    const leaders = await this.partitionLeaders();
    for (const partition of Object.keys(offsets).map(Number)) {
      const leader = leaders.get(partition);
      if (leader === undefined || leader < 0) {
        this.forgetMetadata();
        throw new RetriableFetchError(`topic ${this.topic} partition ${partition} has no leader right now`);
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
    }
    const reads = new Map<number, PartitionRead>();
    await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        for (const [partition, read] of await this.fetchFromLeader(leader, partitions, offsets, maxWaitMs)) reads.set(partition, read);
      }),
    );
    return reads;
  }

  close(): void {
    for (const connection of this.connections.values())
      connection.then(
        (c) => c.close(),
        () => undefined,
      );
    this.connections.clear();
  }

  private async fetchFromLeader(
    leader: number,
    partitions: number[],
    offsets: Readonly<Record<number, number>>,
    maxWaitMs: number,
  ): Promise<Map<number, PartitionRead>> {
    const connection = await this.connection(leader);
    const body = encodeFetchRequest({
      maxWaitMs,
      minBytes: 1,
      maxBytes: MAX_BYTES,
      topic: this.topic,
      partitions: partitions.map((partition) => ({
        partition,
        fetchOffset: offsets[partition]!,
        partitionMaxBytes: this.partitionMaxBytes,
      })),
    });
    let answer: Buffer;
    try {
      answer = await connection.request(API_KEY.fetch, FETCH_VERSION, body, maxWaitMs + REQUEST_TIMEOUT_MS);
    } catch (error) {
      this.connections.delete(leader);
      throw new RetriableFetchError(
        `fetching topic ${this.topic} partitions ${partitions.join(", ")} from broker ${connection.address}: ${(error as Error).message}`,
      );
    }
    let response: FetchResponse;
    try {
      response = decodeFetchResponse(answer);
    } catch (error) {
      throw new KafkaFetchError(
        `broker ${connection.address} answered a fetch of topic ${this.topic} partitions ${partitions.join(", ")} with bytes this reader cannot decode: ${(error as Error).message}`,
      );
    }
    if (response.errorCode !== 0) {
      throw new KafkaFetchError(`broker ${connection.address} refused a fetch of topic ${this.topic}: ${errorName(response.errorCode)}`);
    }
    const reads = new Map<number, PartitionRead>();
    for (const topic of response.topics) {
      for (const p of topic.partitions) {
        const fetchOffset = offsets[p.partition];
        if (topic.topic !== this.topic || fetchOffset === undefined) {
          throw new KafkaFetchError(
            `broker ${connection.address} answered for topic ${topic.topic} partition ${p.partition}, which the fetch did not ask for`,
          );
        }
        reads.set(p.partition, this.partitionRead(connection.address, p, fetchOffset));
      }
    }
    const missing = partitions.filter((p) => !reads.has(p));
    if (missing.length > 0)
      throw new KafkaFetchError(
        `broker ${connection.address} left out topic ${this.topic} partitions ${missing.join(", ")} from its fetch response`,
      );
    return reads;
  }

  private partitionRead(address: string, p: FetchPartitionResponse, fetchOffset: number): PartitionRead {
    const where = `topic ${this.topic} partition ${p.partition} at offset ${fetchOffset} from broker ${address}`;
    if (p.errorCode !== 0) {
      // The broker fills the partition's offsets on some errors only.
      const detail = p.logStartOffset >= 0 ? ` (the partition holds offsets ${p.logStartOffset} to ${p.highWatermark})` : "";
      if (RETRIABLE_FETCH_ERRORS.has(p.errorCode)) {
        this.forgetMetadata();
        throw new RetriableFetchError(`fetch of ${where}: ${errorName(p.errorCode)}`);
      }
      throw new KafkaFetchError(`fetch of ${where} failed: ${errorName(p.errorCode)}${detail}`);
    }
    const batches = p.records ? decodeRecordBatches(p.records, where) : [];
    if (batches.length === 0 && (p.records?.length ?? 0) > 0) {
      throw new KafkaFetchError(
        `fetch of ${where}: ${p.records!.length} bytes without one complete record batch; a batch is larger than the ${this.partitionMaxBytes} bytes asked for`,
      );
    }
    const fetch: PartitionFetch = { fetchOffset, abortedTransactions: p.abortedTransactions, batches };
    return { ...readCommitted(fetch), fetch, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset };
  }

  private async partitionLeaders(): Promise<Map<number, number>> {
    if (this.leaders) return this.leaders;
    try {
      const metadata = await this.admin.fetchTopicMetadata({ topics: [this.topic] });
      const partitions = metadata.topics.find((t) => t.name === this.topic)?.partitions ?? [];
      this.leaders = new Map(partitions.map((p) => [p.partitionId, p.leader]));
      const cluster = await this.admin.describeCluster();
      this.brokers = new Map(cluster.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
    } catch (error) {
      throw new RetriableFetchError(`looking up the leaders of topic ${this.topic}: ${(error as Error).message}`);
    }
    return this.leaders;
  }

  private forgetMetadata(): void {
    this.leaders = undefined;
  }

  private connection(nodeId: number): Promise<BrokerConnection> {
    let connection = this.connections.get(nodeId);
    if (!connection) {
      const broker = this.brokers?.get(nodeId);
      if (!broker) {
        this.forgetMetadata();
        return Promise.reject(
          new RetriableFetchError(`broker ${nodeId}, leader of a partition of topic ${this.topic}, is not in the cluster's broker list`),
        );
      }
      connection = openFetchConnection(broker.host, broker.port);
      connection.catch(() => this.connections.delete(nodeId));
      this.connections.set(nodeId, connection);
    }
    return connection;
  }
}

/** Opens a connection and checks that the broker serves the Fetch version this reader speaks. */
async function openFetchConnection(host: string, port: number): Promise<BrokerConnection> {
  let connection: BrokerConnection;
  try {
    connection = await BrokerConnection.open(host, port);
  } catch (error) {
    // A broker that restarts refuses connections for a while: worth another try until the read's deadline.
    throw new RetriableFetchError((error as Error).message);
  }
  try {
    const versions = decodeApiVersionsResponse(await connection.request(API_KEY.apiVersions, 0, Buffer.alloc(0)));
    if (versions.errorCode !== 0)
      throw new KafkaFetchError(`broker ${connection.address} refused ApiVersions: ${errorName(versions.errorCode)}`);
    const fetch = versions.apis.find((a) => a.apiKey === API_KEY.fetch);
    if (!fetch || fetch.minVersion > FETCH_VERSION || fetch.maxVersion < FETCH_VERSION) {
      const served = fetch ? `versions ${fetch.minVersion} to ${fetch.maxVersion}` : "no version";
      throw new KafkaFetchError(`broker ${connection.address} serves Fetch ${served}; this reader speaks Fetch v${FETCH_VERSION}`);
    }
  } catch (error) {
    connection.close();
    throw error;
  }
  return connection;
}
