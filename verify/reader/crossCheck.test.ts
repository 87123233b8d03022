import { describe, expect, it } from "vitest";
import { isHostPort } from "../../lib/args";
import { argumentLists, assertArgumentsParseOrAreRefused } from "../../lib/argumentsProperty";
import {
  abortsOutOfOrder,
  compareReads,
  parseConsoleConsumerOutput,
  parseLogDump,
  parseReaderCheckArguments,
  parseTxnIndexDump,
  ReaderCheckUsageError,
} from "./crossCheck";

describe("parseReaderCheckArguments", () => {
  it("takes the bootstrap and container, with defaults for the rest", () => {
    expect(parseReaderCheckArguments(["--kafka-bootstrap", "127.0.0.1:9094", "--docker-container", "kafka-ci"])).toEqual({
      help: false,
      args: {
        kafkaBootstrap: "127.0.0.1:9094",
        dockerContainer: "kafka-ci",
        topic: null,
        containerBootstrap: "localhost:9092",
        dataDir: "/var/lib/kafka/data",
        timeoutMs: 15000,
      },
    });
    expect(
      parseReaderCheckArguments([
        "--kafka-bootstrap",
        "h:1",
        "--docker-container",
        "k",
        "--topic",
        "visit_windows",
        "--timeout-ms",
        "5000",
      ]),
    ).toMatchObject({
      args: { topic: "visit_windows", timeoutMs: 5000 },
    });
    expect(parseReaderCheckArguments(["--help"])).toEqual({ help: true });
  });

  it("names every problem at once", () => {
    expect(() => parseReaderCheckArguments(["--topic", "bad topic", "--timeout-ms", "5", "--bogus"])).toThrow(
      [
        'unknown argument "--bogus"; allowed: --kafka-bootstrap, --docker-container, --topic, --container-bootstrap, --data-dir, --timeout-ms, --help',
        "--kafka-bootstrap is required: the broker as this machine reaches it, host:port with a port from 1 to 65535, such as 127.0.0.1:9094",
        "--docker-container is required: a Docker container name (letters, digits, '_', '.', '-', starting with a letter or digit)",
        `--topic "bad topic" is not allowed: a Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-'`,
        '--timeout-ms "5" is not allowed: a whole number of milliseconds from 1000 to 600000',
      ].join("\n"),
    );
    expect(() => parseReaderCheckArguments(["--kafka-bootstrap", "kafka:0", "--docker-container", "k"])).toThrow(
      '--kafka-bootstrap "kafka:0" is not allowed',
    );
    expect(() => parseReaderCheckArguments(["--kafka-bootstrap"])).toThrow(/--kafka-bootstrap needs a value/);
  });
});

describe("parseConsoleConsumerOutput", () => {
  it("reads partition, offset and value, and keeps other lines apart", () => {
    const out = 'Partition:1\tOffset:17\t{"visit_id":"v1","count":4}\nPartition:0\tOffset:3\tnull\nProcessed a total of 2 messages\n\n';
    expect(parseConsoleConsumerOutput(out)).toEqual({
      records: [
        { partition: 1, offset: 17, value: '{"visit_id":"v1","count":4}' },
        { partition: 0, offset: 3, value: "null" },
      ],
      otherLines: ["Processed a total of 2 messages"],
    });
  });
});

describe("parseTxnIndexDump and abortsOutOfOrder", () => {
  const dump = [
    "Dumping /var/lib/kafka/data/t-0/00000000000000000000.txnindex",
    "version: 0 producerId: 1001 firstOffset: 5 lastOffset: 8 lastStableOffset: 3",
    "version: 0 producerId: 1000 firstOffset: 3 lastOffset: 9 lastStableOffset: 10",
    "version: 0 producerId: 1002 firstOffset: 12 lastOffset: 13 lastStableOffset: 14",
  ].join("\n");

  it("lists the aborted transactions in the order they ended and finds the pairs kafkajs mishandles", () => {
    const entries = parseTxnIndexDump(dump);
    expect(entries).toEqual([
      { producerId: "1001", firstOffset: 5, lastOffset: 8 },
      { producerId: "1000", firstOffset: 3, lastOffset: 9 },
      { producerId: "1002", firstOffset: 12, lastOffset: 13 },
    ]);
    expect(abortsOutOfOrder(entries)).toEqual([[entries[0], entries[1]]]);
    expect(abortsOutOfOrder([entries[1]!, entries[0]!, entries[2]!])).toEqual([]);
  });
});

describe("compareReads", () => {
  it("finds records only one side has, and a record whose value differs on both sides", () => {
    const a = [
      { partition: 0, offset: 1, value: "x" },
      { partition: 0, offset: 2, value: "y" },
      { partition: 1, offset: 2, value: "z" },
    ];
    const b = [
      { partition: 0, offset: 1, value: "x" },
      { partition: 0, offset: 2, value: "Y" },
      { partition: 1, offset: 5, value: "w" },
    ];
    expect(compareReads(a, b)).toEqual({ onlyInA: [a[1], a[2]], onlyInB: [b[1], b[2]] });
    expect(compareReads(a, a)).toEqual({ onlyInA: [], onlyInB: [] });
  });
});

describe("parseLogDump", () => {
  it("reads the batches of a .log dump and the markers of its control batches", () => {
    // As DumpLogSegments of Kafka 4.1 prints them (--print-data-log).
    const dump = [
      "Dumping /tmp/d/t-0/00000000000000000000.log",
      "Log starting offset: 0",
      "baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1796161399083 size: 69 magic: 2 compresscodec: none crc: 1 isvalid: true",
      "| offset: 0 CreateTime: 1796161399083 keySize: -1 valueSize: 1 sequence: -1 headerKeys: [] payload: a",
      "| offset: 1 CreateTime: 1796161399083 keySize: -1 valueSize: 1 sequence: -1 headerKeys: [] payload: b",
      "baseOffset: 2 lastOffset: 2 count: 1 baseSequence: 0 lastSequence: 0 producerId: 7 producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: true isControl: false deleteHorizonMs: OptionalLong.empty position: 69 CreateTime: 1796161399083 size: 69 magic: 2 compresscodec: none crc: 3651986576 isvalid: true",
      "| offset: 2 CreateTime: 1796161399083 keySize: -1 valueSize: 1 sequence: 0 headerKeys: [] payload: endTxnMarker: ABORT",
      "baseOffset: 3 lastOffset: 3 count: 1 baseSequence: -1 lastSequence: -1 producerId: 7 producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: true isControl: true deleteHorizonMs: OptionalLong.empty position: 138 CreateTime: 1796161399137 size: 78 magic: 2 compresscodec: none crc: 4038890768 isvalid: true",
      "| offset: 3 CreateTime: 1796161399137 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: ABORT coordinatorEpoch: 0",
    ].join("\n");
    expect(parseLogDump(dump)).toEqual([
      { baseOffset: 0, lastOffset: 1, producerId: "-1", isTransactional: false, marker: null },
      { baseOffset: 2, lastOffset: 2, producerId: "7", isTransactional: true, marker: null },
      { baseOffset: 3, lastOffset: 3, producerId: "7", isTransactional: true, marker: "ABORT" },
    ]);
  });
});

describe("parseReaderCheckArguments on arbitrary command lines", () => {
  it("returns valid arguments or throws its ReaderCheckUsageError, never anything else", () => {
    const words = [
      "--kafka-bootstrap",
      "--docker-container",
      "--topic",
      "--container-bootstrap",
      "--data-dir",
      "--timeout-ms",
      "--help",
      "-h",
    ];
    assertArgumentsParseOrAreRefused(
      argumentLists(words),
      parseReaderCheckArguments,
      ReaderCheckUsageError,
      (parsed) =>
        parsed.help ||
        (isHostPort(parsed.args.kafkaBootstrap) &&
          isHostPort(parsed.args.containerBootstrap) &&
          parsed.args.dockerContainer.length > 0 &&
          Number.isInteger(parsed.args.timeoutMs) &&
          parsed.args.timeoutMs >= 1_000 &&
          parsed.args.timeoutMs <= 600_000),
    );
  });
});
