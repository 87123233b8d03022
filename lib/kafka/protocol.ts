// The few pieces of the Kafka wire protocol the verification's reader speaks, as pure functions over bytes:
// request and response headers, ApiVersions v0, Fetch v11 (the newest version without flexible fields, which
// Kafka 4.x still serves) and RecordBatch v2 (message format 2, the only one Kafka 4.x writes).
// Definitions: Kafka's clients/src/main/resources/common/message/{Fetch,ApiVersions}{Request,Response}.json
// and the "Record Batch" section of the protocol documentation.

import { gunzipSync } from "node:zlib";
import type { AbortedTransaction, FetchedBatch, FetchedRecord } from "./readCommitted";

export class KafkaProtocolError extends Error {}

export const API_KEY = { fetch: 1, apiVersions: 18 } as const;
export const FETCH_VERSION = 11;
export const READ_COMMITTED = 1;

/** Kafka's error codes the reader names in its messages; any other is shown by number. */
export const ERROR_NAMES: Readonly<Record<number, string>> = {
  [-1]: "UNKNOWN_SERVER_ERROR",
  1: "OFFSET_OUT_OF_RANGE",
  2: "CORRUPT_MESSAGE",
  3: "UNKNOWN_TOPIC_OR_PARTITION",
  5: "LEADER_NOT_AVAILABLE",
  6: "NOT_LEADER_OR_FOLLOWER",
  7: "REQUEST_TIMED_OUT",
  9: "REPLICA_NOT_AVAILABLE",
  29: "TOPIC_AUTHORIZATION_FAILED",
  35: "UNSUPPORTED_VERSION",
  56: "KAFKA_STORAGE_ERROR",
  70: "FETCH_SESSION_ID_NOT_FOUND",
  71: "INVALID_FETCH_SESSION_EPOCH",
  74: "FENCED_LEADER_EPOCH",
  75: "UNKNOWN_LEADER_EPOCH",
  78: "OFFSET_NOT_AVAILABLE",
  100: "UNKNOWN_TOPIC_ID",
};

export const errorName = (code: number): string => `${ERROR_NAMES[code] ?? "error"} (code ${code})`;

/** Errors after which the partition's leader may have moved or be about to answer: look it up again and retry. */
export const RETRIABLE_FETCH_ERRORS: ReadonlySet<number> = new Set([3, 5, 6, 7, 9, 56, 74, 75, 78]);

/** Record batch attributes (RecordBatch v2). */
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_LOG_APPEND = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const CODEC_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"];

/** Bytes before the records of a v2 batch: base offset 8, length 4, leader epoch 4, magic 1, CRC 4, attributes 2, last offset delta 4, base and max timestamp 16, producer id 8, epoch 2, base sequence 4, record count 4. */
const BATCH_HEADER_BYTES = 61;
/** Where a batch's length field ends: everything after it is counted by the length. */
const LOG_OVERHEAD = 12;
const MAGIC_OFFSET = 16;
const ATTRIBUTES_OFFSET = 21;

// ---------------------------------------------------------------------------------------------- encoding

/** Big-endian writer for request bodies. */
export class Writer {
  private readonly chunks: Buffer[] = [];

  int8(v: number): this {
    return this.push(1, (b) => b.writeInt8(v));
  }
  int16(v: number): this {
    return this.push(2, (b) => b.writeInt16BE(v));
  }
  int32(v: number): this {
    return this.push(4, (b) => b.writeInt32BE(v));
  }
  int64(v: bigint | number): this {
    return this.push(8, (b) => b.writeBigInt64BE(BigInt(v)));
  }
  /** A non-nullable STRING: int16 length, UTF-8 bytes. */
  string(v: string): this {
    const bytes = Buffer.from(v, "utf8");
    return this.int16(bytes.length).raw(bytes);
  }
  raw(bytes: Buffer): this {
    this.chunks.push(bytes);
    return this;
  }
  /** An ARRAY: int32 count, then each element. */
  array<T>(items: readonly T[], write: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
  private push(size: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    write(b);
    this.chunks.push(b);
    return this;
  }
}

/** A request frame: int32 size, request header v1 (api key, version, correlation id, client id), body. */
export function encodeRequest(apiKey: number, apiVersion: number, correlationId: number, clientId: string, body: Buffer): Buffer {
  const payload = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).string(clientId).raw(body).toBuffer();
  return new Writer().int32(payload.length).raw(payload).toBuffer();
}

export interface FetchPartitionRequest {
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
}

export interface FetchRequest {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly topic: string;
  readonly partitions: readonly FetchPartitionRequest[];
}

/** A Fetch v11 request body of a consumer (replica -1), read_committed, without a fetch session. */
export function encodeFetchRequest(request: FetchRequest): Buffer {
  return new Writer()
    .int32(-1) // replica_id: a consumer
    .int32(request.maxWaitMs)
    .int32(request.minBytes)
    .int32(request.maxBytes)
    .int8(READ_COMMITTED)
    .int32(0) // session_id: no fetch session
    .int32(-1) // session_epoch: a full fetch that opens none
    .array([request.topic], (w, topic) =>
      w.string(topic).array(request.partitions, (pw, p) =>
        pw
          .int32(p.partition)
          .int32(-1) // current_leader_epoch: unknown
          .int64(p.fetchOffset)
          .int64(-1) // log_start_offset: only followers send it
          .int32(p.partitionMaxBytes),
      ),
    )
    .array([], () => undefined) // forgotten_topics_data
    .string("") // rack_id
    .toBuffer();
}

// ---------------------------------------------------------------------------------------------- decoding

/** Big-endian reader that names what it was reading when the bytes run out. */
export class Reader {
  offset = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }
  int8(): number {
    return this.take(1).readInt8(0);
  }
  int16(): number {
    return this.take(2).readInt16BE(0);
  }
  int32(): number {
    return this.take(4).readInt32BE(0);
  }
  uint32(): number {
    return this.take(4).readUInt32BE(0);
  }
  int64(): bigint {
    return this.take(8).readBigInt64BE(0);
  }
  /** An int64 that is an offset or a timestamp: must fit a JavaScript number exactly. */
  int64Number(field: string): number {
    return toSafeNumber(this.int64(), `${field} in ${this.what}`);
  }
  nullableString(): string | null {
    const length = this.int16();
    return length < 0 ? null : this.take(length).toString("utf8");
  }
  string(field: string): string {
    const value = this.nullableString();
    if (value === null) throw new KafkaProtocolError(`${this.what}: ${field} is null where a string is required`);
    return value;
  }
  nullableBytes(): Buffer | null {
    const length = this.int32();
    return length < 0 ? null : this.take(length);
  }
  /** A nullable ARRAY: int32 count (-1 for null), then each element. */
  nullableArray<T>(read: (r: this) => T): T[] | null {
    const count = this.int32();
    if (count < 0) return null;
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(read(this));
    return items;
  }
  array<T>(field: string, read: (r: this) => T): T[] {
    const items = this.nullableArray(read);
    if (items === null) throw new KafkaProtocolError(`${this.what}: ${field} is null where an array is required`);
    return items;
  }
  /** A zigzag varint (int32) of the record format. */
  varint(): number {
    const v = this.varlong();
    if (v < -0x80000000n || v > 0x7fffffffn) throw new KafkaProtocolError(`${this.what}: varint ${v} does not fit 32 bits`);
    return Number(v);
  }
  /** A zigzag varlong (int64) of the record format. */
  varlong(): bigint {
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.take(1)[0]!;
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (raw >> 1n) ^ -(raw & 1n);
    }
    throw new KafkaProtocolError(`${this.what}: a varint longer than 10 bytes`);
  }
  /** Bytes of a varint length (-1 for null). */
  varBytes(): Buffer | null {
    const length = this.varint();
    return length < 0 ? null : this.take(length);
  }
  take(length: number): Buffer {
    if (length > this.remaining) {
      throw new KafkaProtocolError(`${this.what}: needs ${length} bytes at byte ${this.offset}, only ${this.remaining} left`);
    }
    const slice = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

function toSafeNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new KafkaProtocolError(`${what}: ${v} is beyond the integers this reader handles exactly (2^53)`);
  }
  return Number(v);
}

/** Splits a response frame body into its correlation id (response header v0) and the rest. */
export function decodeResponseHeader(frame: Buffer): { correlationId: number; body: Buffer } {
  if (frame.length < 4) throw new KafkaProtocolError(`a response of ${frame.length} bytes has no correlation id`);
  return { correlationId: frame.readInt32BE(0), body: frame.subarray(4) };
}

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** ApiVersions v0 response: error code, then the version range of every API the broker serves. */
export function decodeApiVersionsResponse(body: Buffer): { errorCode: number; apis: ApiVersionRange[] } {
  const r = new Reader(body, "ApiVersions response");
  const errorCode = r.int16();
  const apis = r.array("api_keys", (a) => ({ apiKey: a.int16(), minVersion: a.int16(), maxVersion: a.int16() }));
  return { errorCode, apis };
}

export interface FetchPartitionResponse {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** As the broker sent them: in the order the transactions ended, not by first offset. */
  readonly abortedTransactions: AbortedTransaction[] | null;
  readonly records: Buffer | null;
}

export interface FetchResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly topics: { readonly topic: string; readonly partitions: FetchPartitionResponse[] }[];
}

/** A Fetch v11 response body. */
export function decodeFetchResponse(body: Buffer): FetchResponse {
  const r = new Reader(body, "Fetch v11 response");
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  r.int32(); // session_id: 0, none was asked for
  const topics = r.array("responses", (t) => ({
    topic: t.string("topic"),
    partitions: t.array("partitions", (p) => {
      const partition = p.int32();
      const partitionErrorCode = p.int16();
      const highWatermark = p.int64Number("high_watermark");
      const lastStableOffset = p.int64Number("last_stable_offset");
      const logStartOffset = p.int64Number("log_start_offset");
      const abortedTransactions = p.nullableArray((a) => ({ producerId: a.int64(), firstOffset: a.int64Number("first_offset") }));
      p.int32(); // preferred_read_replica: -1 unless the consumer names a rack, which this one does not
      const records = p.nullableBytes();
      return { partition, errorCode: partitionErrorCode, highWatermark, lastStableOffset, logStartOffset, abortedTransactions, records };
    }),
  }));
  if (r.remaining !== 0) throw new KafkaProtocolError(`Fetch v11 response: ${r.remaining} bytes left after the last field`);
  return { throttleTimeMs, errorCode, topics };
}

// CRC-32C (Castagnoli), which RecordBatch v2 uses over everything from its attributes to its end.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The complete record batches of a partition's fetched bytes. A broker may end the bytes with part of a batch
 * (it cuts at the size limit); that part is left for the next fetch, as Kafka's consumer does.
 * `where` names the topic and partition for errors.
 */
export function decodeRecordBatches(bytes: Buffer, where: string): FetchedBatch[] {
  const batches: FetchedBatch[] = [];
  let position = 0;
  while (bytes.length - position >= LOG_OVERHEAD) {
    const batchLength = bytes.readInt32BE(position + 8);
    const end = position + LOG_OVERHEAD + batchLength;
    if (end > bytes.length) break;
    batches.push(decodeRecordBatch(bytes.subarray(position, end), where));
    position = end;
  }
  return batches;
}

function decodeRecordBatch(batch: Buffer, where: string): FetchedBatch {
  const baseOffsetRaw = batch.readBigInt64BE(0);
  const at = `${where}, batch at offset ${baseOffsetRaw}`;
  if (batch.length < BATCH_HEADER_BYTES) throw new KafkaProtocolError(`${at}: ${batch.length} bytes, shorter than a v2 batch header`);
  const magic = batch.readInt8(MAGIC_OFFSET);
  if (magic !== 2)
    throw new KafkaProtocolError(`${at}: message format (magic) ${magic}; this reader reads only format 2, the one Kafka 4 writes`);
  const r = new Reader(batch, at);
  const baseOffset = r.int64Number("base_offset");
  r.int32(); // batch length
  r.int32(); // partition leader epoch
  r.int8(); // magic
  const crc = r.uint32();
  const computed = crc32c(batch.subarray(ATTRIBUTES_OFFSET));
  if (crc !== computed)
    throw new KafkaProtocolError(`${at}: CRC-32C is ${computed.toString(16)}, the batch says ${crc.toString(16)}: corrupt data`);
  const attributes = r.int16();
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64Number("base_timestamp");
  const maxTimestamp = r.int64Number("max_timestamp");
  const producerId = r.int64();
  r.int16(); // producer epoch
  r.int32(); // base sequence
  const count = r.int32();
  const isControl = (attributes & CONTROL_FLAG) !== 0;
  const logAppendTime = (attributes & TIMESTAMP_TYPE_LOG_APPEND) !== 0;

  const codec = attributes & COMPRESSION_MASK;
  const compressed = r.take(r.remaining);
  let body: Buffer;
  if (codec === 0) body = compressed;
  else if (codec === 1) body = gunzipSync(compressed);
  else {
    throw new KafkaProtocolError(
      `${at}: compressed with ${CODEC_NAMES[codec] ?? `unknown codec ${codec}`}; this reader decodes only none and gzip. Next: produce that topic without compression or with gzip.`,
    );
  }

  const rr = new Reader(body, `${at}, records`);
  const records: FetchedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = rr.varint();
    const record = new Reader(rr.take(length), `${at}, record ${i}`);
    record.int8(); // record attributes: unused
    const timestampDelta = record.varlong();
    const offsetDelta = record.varint();
    const key = record.varBytes();
    const value = record.varBytes();
    const headers = record.varint();
    for (let h = 0; h < headers; h++) {
      record.varBytes();
      record.varBytes();
    }
    records.push({
      offset: baseOffset + offsetDelta,
      timestampMs: logAppendTime ? maxTimestamp : baseTimestamp + Number(timestampDelta),
      key,
      value,
    });
  }
  if (rr.remaining !== 0) throw new KafkaProtocolError(`${at}: ${rr.remaining} bytes after its ${count} records`);

  let controlType: number | null = null;
  if (isControl) {
    const key = records[0]?.key;
    if (!key || key.length < 4)
      throw new KafkaProtocolError(`${at}: a control batch without a control record key (version int16, type int16)`);
    controlType = key.readInt16BE(2);
  }
  return {
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    producerId,
    isTransactional: (attributes & TRANSACTIONAL_FLAG) !== 0,
    isControl,
    controlType,
    records,
  };
}
