import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  crc32c,
  decodeApiVersionsResponse,
  decodeFetchResponse,
  decodeRecordBatches,
  encodeFetchRequest,
  encodeRequest,
  KafkaProtocolError,
  Reader,
  Writer,
} from "./protocol";
import { readCommitted } from "./readCommitted";

// An encoder of the protocol's spec, for these tests only: RecordBatch v2 and a Fetch v11 response.

function zigzag(v: bigint): bigint {
  return v >= 0n ? v << 1n : (-v << 1n) - 1n;
}
function varint(v: number | bigint): Buffer {
  let u = zigzag(BigInt(v));
  const bytes: number[] = [];
  do {
    let byte = Number(u & 0x7fn);
    u >>= 7n;
    if (u > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (u > 0n);
  return Buffer.from(bytes);
}
const varBytes = (b: Buffer | null) => (b === null ? varint(-1) : Buffer.concat([varint(b.length), b]));

interface TestRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: [string, string][];
}

interface TestBatch {
  baseOffset: number;
  producerId: bigint;
  transactional?: boolean;
  control?: boolean;
  codec?: number;
  logAppendTime?: boolean;
  baseTimestamp: number;
  records: TestRecord[];
}

function encodeBatch(b: TestBatch): Buffer {
  const records = Buffer.concat(
    b.records.map((r) => {
      const headers = r.headers ?? [];
      const body = Buffer.concat([
        Buffer.from([0]),
        varint(r.timestampDelta),
        varint(r.offsetDelta),
        varBytes(r.key),
        varBytes(r.value),
        varint(headers.length),
        ...headers.flatMap(([k, v]) => [varBytes(Buffer.from(k)), varBytes(Buffer.from(v))]),
      ]);
      return Buffer.concat([varint(body.length), body]);
    }),
  );
  const codec = b.codec ?? 0;
  const payload = codec === 1 ? gzipSync(records) : records;
  const attributes = codec | (b.logAppendTime ? 0x08 : 0) | (b.transactional ? 0x10 : 0) | (b.control ? 0x20 : 0);
  const lastOffsetDelta = Math.max(...b.records.map((r) => r.offsetDelta));
  const afterCrc = new Writer()
    .int16(attributes)
    .int32(lastOffsetDelta)
    .int64(b.baseTimestamp)
    .int64(b.baseTimestamp + Math.max(...b.records.map((r) => r.timestampDelta)))
    .int64(b.producerId)
    .int16(b.producerId >= 0n ? 0 : -1)
    .int32(b.producerId >= 0n ? 0 : -1)
    .int32(b.records.length)
    .raw(payload)
    .toBuffer();
  const fromEpoch = new Writer().int32(0).int8(2).raw(Buffer.alloc(4)).raw(afterCrc).toBuffer();
  fromEpoch.writeUInt32BE(crc32c(afterCrc), 5);
  return new Writer().int64(b.baseOffset).int32(fromEpoch.length).raw(fromEpoch).toBuffer();
}

const controlRecord = (type: number): TestRecord => ({
  offsetDelta: 0,
  timestampDelta: 0,
  key: Buffer.from([0, 0, 0, type]),
  value: Buffer.from([0, 0, 0, 0, 0, 0]),
});
const record = (offsetDelta: number, value: string): TestRecord => ({
  offsetDelta,
  timestampDelta: offsetDelta * 10,
  key: null,
  value: Buffer.from(value),
});

interface TestPartition {
  partition: number;
  errorCode?: number;
  aborted: [bigint, number][] | null;
  records: Buffer | null;
}

function encodeFetchResponse(topic: string, partitions: TestPartition[]): Buffer {
  return new Writer()
    .int32(0) // throttle
    .int16(0) // error
    .int32(0) // session
    .array([topic], (w, t) =>
      w.string(t).array(partitions, (pw, p) => {
        pw.int32(p.partition)
          .int16(p.errorCode ?? 0)
          .int64(100)
          .int64(90)
          .int64(0);
        if (p.aborted === null) pw.int32(-1);
        else pw.array(p.aborted, (aw, [producerId, firstOffset]) => aw.int64(producerId).int64(firstOffset));
        pw.int32(-1);
        if (p.records === null) pw.int32(-1);
        else pw.int32(p.records.length).raw(p.records);
      }),
    )
    .toBuffer();
}

describe("crc32c", () => {
  it("is CRC-32C (Castagnoli), not CRC-32", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });
});

describe("varints", () => {
  it("decode zigzag varints and varlongs, also the extremes", () => {
    for (const v of [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(new Reader(varint(v), "t").varint()).toBe(v);
    }
    for (const v of [2n ** 63n - 1n, -(2n ** 63n), 1_700_000_000_000n]) expect(new Reader(varint(v), "t").varlong()).toBe(v);
  });
  it("refuse a varint beyond 32 bits and one that never ends", () => {
    expect(() => new Reader(varint(2 ** 31), "t").varint()).toThrow(/does not fit 32 bits/);
    expect(() => new Reader(Buffer.alloc(11, 0xff), "t").varlong()).toThrow(/longer than 10 bytes/);
  });
});

describe("encodeFetchRequest", () => {
  it("lays out Fetch v11 as FetchRequest.json says, read_committed, without a session", () => {
    const body = encodeFetchRequest({
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      topic: "t",
      partitions: [{ partition: 1, fetchOffset: 42, partitionMaxBytes: 4096 }],
    });
    const r = new Reader(body, "request");
    expect([r.int32(), r.int32(), r.int32(), r.int32(), r.int8(), r.int32(), r.int32()]).toEqual([-1, 500, 1, 1 << 20, 1, 0, -1]);
    expect(r.int32()).toBe(1);
    expect(r.string("topic")).toBe("t");
    expect(r.int32()).toBe(1);
    expect([r.int32(), r.int32(), r.int64(), r.int64(), r.int32()]).toEqual([1, -1, 42n, -1n, 4096]);
    expect(r.int32()).toBe(0); // forgotten topics
    expect(r.string("rack")).toBe("");
    expect(r.remaining).toBe(0);
  });
  it("frames a request with header v1", () => {
    const frame = encodeRequest(1, 11, 7, "me", Buffer.from([9]));
    expect([...frame]).toEqual([0, 0, 0, 13, 0, 1, 0, 11, 0, 0, 0, 7, 0, 2, 0x6d, 0x65, 9]);
  });
});

describe("decodeApiVersionsResponse", () => {
  it("reads the served version ranges", () => {
    const body = new Writer()
      .int16(0)
      .array(
        [
          [1, 4, 17],
          [18, 0, 4],
        ],
        (w, [k, min, max]) => w.int16(k!).int16(min!).int16(max!),
      )
      .toBuffer();
    expect(decodeApiVersionsResponse(body)).toEqual({
      errorCode: 0,
      apis: [
        { apiKey: 1, minVersion: 4, maxVersion: 17 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ],
    });
  });
});

describe("decodeFetchResponse and decodeRecordBatches", () => {
  const A = 7n;
  const B = 8n;
  const log = Buffer.concat([
    encodeBatch({ baseOffset: 0, producerId: -1n, baseTimestamp: 1000, records: [record(0, "plain0"), record(1, "plain1")] }),
    encodeBatch({ baseOffset: 2, producerId: A, transactional: true, baseTimestamp: 2000, records: [record(0, "a2")] }),
    encodeBatch({
      baseOffset: 3,
      producerId: B,
      transactional: true,
      codec: 1,
      baseTimestamp: 3000,
      records: [record(0, "b3"), { ...record(1, "b4"), headers: [["h", "x"]] }],
    }),
    encodeBatch({ baseOffset: 5, producerId: B, transactional: true, control: true, baseTimestamp: 4000, records: [controlRecord(0)] }),
    encodeBatch({ baseOffset: 6, producerId: A, transactional: true, control: true, baseTimestamp: 4000, records: [controlRecord(0)] }),
    encodeBatch({
      baseOffset: 7,
      producerId: 9n,
      transactional: true,
      codec: 1,
      logAppendTime: true,
      baseTimestamp: 5000,
      records: [record(0, "c7"), record(1, "c8")],
    }),
    encodeBatch({ baseOffset: 9, producerId: 9n, transactional: true, control: true, baseTimestamp: 6000, records: [controlRecord(1)] }),
  ]);

  it("decodes a response with aborted transactions, gzip and control batches, and filters it read_committed", () => {
    const response = decodeFetchResponse(
      encodeFetchResponse("visit_windows", [
        {
          partition: 1,
          aborted: [
            [B, 3],
            [A, 2],
          ],
          records: log,
        },
        { partition: 0, aborted: null, records: null },
      ]),
    );
    expect(response.topics).toHaveLength(1);
    const [p1, p0] = response.topics[0]!.partitions;
    expect(p0).toMatchObject({ partition: 0, errorCode: 0, abortedTransactions: null, records: null });
    expect(p1).toMatchObject({
      partition: 1,
      highWatermark: 100,
      lastStableOffset: 90,
      abortedTransactions: [
        { producerId: B, firstOffset: 3 },
        { producerId: A, firstOffset: 2 },
      ],
    });

    const batches = decodeRecordBatches(p1!.records!, "visit_windows/1");
    expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.producerId, b.isTransactional, b.isControl, b.controlType])).toEqual([
      [0, 1, -1n, false, false, null],
      [2, 2, A, true, false, null],
      [3, 4, B, true, false, null],
      [5, 5, B, true, true, 0],
      [6, 6, A, true, true, 0],
      [7, 8, 9n, true, false, null],
      [9, 9, 9n, true, true, 1],
    ]);
    expect(batches[0]!.records.map((r) => [r.offset, r.timestampMs, r.value?.toString()])).toEqual([
      [0, 1000, "plain0"],
      [1, 1010, "plain1"],
    ]);
    expect(batches[2]!.records.map((r) => r.value?.toString())).toEqual(["b3", "b4"]);
    // LOG_APPEND_TIME: every record carries the batch's max timestamp.
    expect(batches[5]!.records.map((r) => r.timestampMs)).toEqual([5010, 5010]);

    const read = readCommitted({ fetchOffset: 0, abortedTransactions: p1!.abortedTransactions, batches });
    expect(read.records.map((r) => r.value?.toString())).toEqual(["plain0", "plain1", "c7", "c8"]);
    expect(read.nextOffset).toBe(10);
  });

  it("leaves a batch cut off at the end of the bytes for the next fetch", () => {
    const cut = log.subarray(0, log.length - 5);
    expect(decodeRecordBatches(cut, "t/0").map((b) => b.baseOffset)).toEqual([0, 2, 3, 5, 6, 7]);
  });

  it("refuses a corrupt batch, naming where", () => {
    const corrupt = Buffer.from(log);
    corrupt[30] = corrupt[30]! ^ 0xff;
    expect(() => decodeRecordBatches(corrupt, "topic t partition 0")).toThrow(/topic t partition 0, batch at offset 0: CRC-32C/);
  });

  it("refuses codecs other than none and gzip, naming the codec, topic and partition", () => {
    for (const [codec, name] of [
      [2, "snappy"],
      [3, "lz4"],
      [4, "zstd"],
    ] as const) {
      const batch = encodeBatch({ baseOffset: 40, producerId: -1n, codec: 0, baseTimestamp: 0, records: [record(0, "x")] });
      // Set the codec bits and fix the CRC, as a producer with that codec would have written it.
      batch.writeInt16BE(codec, 21);
      batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
      expect(() => decodeRecordBatches(batch, "topic visit_windows partition 1")).toThrow(
        new KafkaProtocolError(
          `topic visit_windows partition 1, batch at offset 40: compressed with ${name}; this reader decodes only none and gzip. Next: produce that topic without compression or with gzip.`,
        ),
      );
    }
  });

  it("refuses message formats before 2", () => {
    const batch = encodeBatch({ baseOffset: 0, producerId: -1n, baseTimestamp: 0, records: [record(0, "x")] });
    batch.writeInt8(1, 16);
    expect(() => decodeRecordBatches(batch, "t/0")).toThrow(/message format \(magic\) 1/);
  });

  it("refuses a response cut short, naming the field's place", () => {
    const body = encodeFetchResponse("t", [{ partition: 0, aborted: null, records: log }]);
    expect(() => decodeFetchResponse(body.subarray(0, body.length - 3))).toThrow(/Fetch v11 response: needs/);
  });
});
