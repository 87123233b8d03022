// Pure parts of `npm run reader-check`: its arguments, the output of Kafka's own tools (the Java console
// consumer, DumpLogSegments on a .txnindex) and the comparison of what different readers returned.

import { KAFKA_DATA_DIR, KAFKA_INTERNAL_PORT } from "../../infra/contract";
import { HOST_PORT_ALLOWED, isHostPort, notAllowed, wholeNumber } from "../../lib/args";

/** Long enough for a quiet broker to answer; short enough that an idle read of a live topic ends soon. */
export const DEFAULT_TIMEOUT_MS = 15_000;

export class ReaderCheckUsageError extends Error {}

export const READER_CHECK_USAGE = `Usage: npm run reader-check -- --kafka-bootstrap <host:port> --docker-container <name> [options]

Compares the verification's read_committed reader with Kafka's Java console consumer (run inside the broker's
container) and with kafkajs's consumer. Without --topic it creates a scratch topic, writes interleaved
transactional producers whose aborts end out of first-offset order (the case kafkajs gets wrong), checks all
readers against the known committed records, and deletes the topic. With --topic it reads that existing topic.
Exit 0 when our reader and the Java consumer agree (and, on the scratch topic, match what was committed).

  --kafka-bootstrap <host:port>      the broker as this machine reaches it (e.g. 127.0.0.1:9094)
  --docker-container <name>          the broker's container, for the Java tools (docker exec)
  --topic <name>                     read this existing topic instead of writing a scratch one
  --container-bootstrap <host:port>  the broker as seen inside its container (default localhost:9092)
  --data-dir <path>                  the broker's log directory inside the container (default /var/lib/kafka/data)
  --timeout-ms <ms>                  the console consumer's idle timeout and our read's limit (default ${DEFAULT_TIMEOUT_MS})`;

export interface ReaderCheckArguments {
  readonly kafkaBootstrap: string;
  readonly dockerContainer: string;
  readonly topic: string | null;
  readonly containerBootstrap: string;
  readonly dataDir: string;
  readonly timeoutMs: number;
}

/** Where Kafka's tools in the broker's container reach it, and where its data is (the stack's broker: infra/specs.ts). */
export const BROKER_INSIDE = { bootstrap: `localhost:${KAFKA_INTERNAL_PORT}`, dataDir: KAFKA_DATA_DIR } as const;

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const CONTAINER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MIN_TIMEOUT_MS = 1_000;
const MAX_TIMEOUT_MS = 600_000;

export function parseReaderCheckArguments(argv: readonly string[]): { help: true } | { help: false; args: ReaderCheckArguments } {
  const values = new Map<string, string>();
  const known = ["--kafka-bootstrap", "--docker-container", "--topic", "--container-bootstrap", "--data-dir", "--timeout-ms"];
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return { help: true };
    if (!known.includes(arg)) {
      problems.push(`unknown argument ${JSON.stringify(arg)}; allowed: ${known.join(", ")}, --help`);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) {
      problems.push(`${arg} needs a value`);
      continue;
    }
    values.set(arg, value);
    i++;
  }
  const check = (name: string, valid: (text: string) => boolean, what: string, fallback?: string): string => {
    const value = values.get(name) ?? fallback;
    if (value === undefined) problems.push(`${name} is required: ${what}`);
    else if (!valid(value)) problems.push(notAllowed(name, value, what));
    return value ?? "";
  };
  const kafkaBootstrap = check("--kafka-bootstrap", isHostPort, `the broker as this machine reaches it, ${HOST_PORT_ALLOWED}`);
  const dockerContainer = check(
    "--docker-container",
    (text) => CONTAINER.test(text),
    "a Docker container name (letters, digits, '_', '.', '-', starting with a letter or digit)",
  );
  const topic = values.has("--topic")
    ? check("--topic", (text) => TOPIC.test(text), "a Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-'")
    : null;
  const containerBootstrap = check("--container-bootstrap", isHostPort, HOST_PORT_ALLOWED, BROKER_INSIDE.bootstrap);
  const dataDir = check(
    "--data-dir",
    (text) => /^\/[^\s']*$/.test(text),
    "an absolute path without spaces or quotes",
    BROKER_INSIDE.dataDir,
  );
  const timeoutText = check(
    "--timeout-ms",
    (text) => wholeNumber(text, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS) !== undefined,
    `a whole number of milliseconds from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}`,
    String(DEFAULT_TIMEOUT_MS),
  );
  if (problems.length > 0) throw new ReaderCheckUsageError(problems.join("\n"));
  return { help: false, args: { kafkaBootstrap, dockerContainer, topic, containerBootstrap, dataDir, timeoutMs: Number(timeoutText) } };
}

/** One record as a reader returned it, reduced to what every reader can tell. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string | null;
}

/**
 * The records of `kafka-console-consumer.sh --property print.partition=true --property print.offset=true`:
 * `Partition:<p>\tOffset:<o>\t<value>` per line; a null value prints as `null`. Other lines are returned apart.
 */
export function parseConsoleConsumerOutput(stdout: string): { records: ReadRecord[]; otherLines: string[] } {
  const records: ReadRecord[] = [];
  const otherLines: string[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^Partition:(\d+)\tOffset:(\d+)\t(.*)$/.exec(line);
    if (match) records.push({ partition: Number(match[1]), offset: Number(match[2]), value: match[3]! });
    else if (line.trim() !== "") otherLines.push(line);
  }
  return { records, otherLines };
}

/** An entry of a partition's .txnindex: one aborted transaction, in the order it ended. */
export interface TxnIndexEntry {
  readonly producerId: string;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** The entries of `kafka.tools.DumpLogSegments --files …txnindex` (`version: 0 producerId: … firstOffset: … lastOffset: …`). */
export function parseTxnIndexDump(stdout: string): TxnIndexEntry[] {
  const entries: TxnIndexEntry[] = [];
  for (const match of stdout.matchAll(/producerId: (-?\d+) firstOffset: (\d+) lastOffset: (\d+)/g)) {
    entries.push({ producerId: match[1]!, firstOffset: Number(match[2]), lastOffset: Number(match[3]) });
  }
  return entries;
}

/** A batch of `kafka.tools.DumpLogSegments --print-data-log --files …log`, with its marker if it is a control batch. */
export interface DumpedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly producerId: string;
  readonly isTransactional: boolean;
  readonly marker: "ABORT" | "COMMIT" | null;
}

/** The batches of a .log dump, in log order; a control batch takes the `endTxnMarker` of its record line. */
export function parseLogDump(stdout: string): DumpedBatch[] {
  const batches: DumpedBatch[] = [];
  let inControlBatch = false;
  for (const line of stdout.split("\n")) {
    const batch = /^baseOffset: (\d+) lastOffset: (\d+) .*producerId: (-?\d+) .*isTransactional: (true|false) isControl: (true|false)/.exec(
      line,
    );
    if (batch) {
      batches.push({
        baseOffset: Number(batch[1]),
        lastOffset: Number(batch[2]),
        producerId: batch[3]!,
        isTransactional: batch[4] === "true",
        marker: null,
      });
      inControlBatch = batch[5] === "true";
      continue;
    }
    // Only a control batch's record is a marker; a data record's payload may hold any text.
    const marker = inControlBatch ? /^\| offset: \d+ .*endTxnMarker: (ABORT|COMMIT)/.exec(line) : null;
    if (marker) batches[batches.length - 1] = { ...batches[batches.length - 1]!, marker: marker[1] as "ABORT" | "COMMIT" };
  }
  return batches;
}

/** Pairs of aborted transactions where the one that ended later began earlier: what kafkajs's filter mishandles. */
export function abortsOutOfOrder(entries: readonly TxnIndexEntry[]): [TxnIndexEntry, TxnIndexEntry][] {
  const pairs: [TxnIndexEntry, TxnIndexEntry][] = [];
  entries.forEach((earlier, i) => {
    for (const later of entries.slice(i + 1)) if (later.firstOffset < earlier.firstOffset) pairs.push([earlier, later]);
  });
  return pairs;
}

const recordKey = (r: ReadRecord) => `${r.partition}:${r.offset}`;
const MAX_SHOWN_VALUE = 80;
export const describeRecord = (r: ReadRecord) => {
  const value = r.value !== null && r.value.length > MAX_SHOWN_VALUE ? `${r.value.slice(0, MAX_SHOWN_VALUE)}…` : r.value;
  return `partition ${r.partition} offset ${r.offset} ${JSON.stringify(value)}`;
};

/** What `a` returned that `b` did not, and the other way round; a record with another value counts on both sides. */
export function compareReads(a: readonly ReadRecord[], b: readonly ReadRecord[]): { onlyInA: ReadRecord[]; onlyInB: ReadRecord[] } {
  const index = (records: readonly ReadRecord[]) => new Map(records.map((r) => [recordKey(r), r]));
  const inA = index(a);
  const inB = index(b);
  const same = (x: ReadRecord, y: ReadRecord | undefined) => y !== undefined && x.value === y.value;
  return {
    onlyInA: [...inA.values()].filter((r) => !same(r, inB.get(recordKey(r)))),
    onlyInB: [...inB.values()].filter((r) => !same(r, inA.get(recordKey(r)))),
  };
}
