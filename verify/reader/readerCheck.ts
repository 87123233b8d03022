// The verification's read_committed reader against a real broker, compared with Kafka's Java console consumer (in
// the broker's container) and with kafkajs's consumer: the proof behind every judgement of the output.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type Admin, Kafka, logLevel, type Producer } from "kafkajs";
import { PARTITION_MAX_BYTES, ReadCommittedFetcher } from "../../lib/kafka/fetch";
import { kafkajsReadCommitted } from "../../lib/kafka/kafkajsFilter";
import { readCommitted } from "../../lib/kafka/readCommitted";
import { KafkaReader } from "../../lib/kafka/reader";
import type { Log } from "../../lib/wait";
import {
  abortsOutOfOrder,
  compareReads,
  describeRecord,
  parseConsoleConsumerOutput,
  parseLogDump,
  parseTxnIndexDump,
  type ReaderCheckArguments,
  type ReadRecord,
} from "../reader/crossCheck";

const run = promisify(execFile);
const SCRATCH_PARTITIONS = 2;
const SMALL_FETCH_BYTES = 256 * 1024;

type Offsets = Record<number, number>;

/** What the scratch topic must hold read_committed: [partition, value] of every record written outside aborted transactions. */
interface Scenario {
  readonly committed: [number, string][];
  readonly abortedValues: string[];
}

/**
 * Writes the case kafkajs gets wrong, on partition 0: A begins and sends, B begins and sends, A sends again, B
 * aborts, A aborts (so the .txnindex lists B before A although A began first), with committed transactions
 * and plain records around them; partition 1 gets a plain record, an aborted and a committed transaction.
 */
async function writeScenario(kafka: Kafka, admin: Admin, topic: string, suffix: string): Promise<Scenario> {
  const producers: Producer[] = [];
  const transactional = async (name: string) => {
    const p = kafka.producer({
      transactionalId: `reader-check-${name}-${suffix}`,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    producers.push(p);
    await p.connect();
    return p;
  };
  const plain = kafka.producer({ allowAutoTopicCreation: false });
  producers.push(plain);
  try {
    await plain.connect();
    const [a, b, c] = [await transactional("A"), await transactional("B"), await transactional("C")];
    const send = (target: { send: Producer["send"] }, partition: number, ...values: string[]) =>
      target.send({ topic, acks: -1, messages: values.map((value) => ({ partition, value })) });
    const committedTxn = async (partition: number, ...values: string[]) => {
      const t = await c.transaction();
      await send(t, partition, ...values);
      await t.commit();
    };

    await send(plain, 0, "p0-plain-1");
    await committedTxn(0, "p0-C-1", "p0-C-2");
    const txnA = await a.transaction();
    await send(txnA, 0, "p0-A-1", "p0-A-2");
    const txnB = await b.transaction();
    await send(txnB, 0, "p0-B-1");
    await send(txnA, 0, "p0-A-3");
    await send(txnB, 0, "p0-B-2");
    // The coordinator writes markers after EndTxn has answered: wait for B's before aborting A, so the two
    // aborts end in this order on the partition (else they may be written A's first, which kafkajs handles).
    const highBeforeAbort = (await partitionEnds(admin, topic, [0])).get(0)!.high;
    await txnB.abort();
    await untilEnds(admin, topic, [0], "B's abort marker", (ends) => ends.get(0)!.high > highBeforeAbort);
    await txnA.abort();
    await committedTxn(0, "p0-C-3");
    await send(plain, 0, "p0-plain-2");

    await send(plain, 1, "p1-plain-1");
    const txnA1 = await a.transaction();
    await send(txnA1, 1, "p1-A-1");
    await txnA1.abort();
    await committedTxn(1, "p1-C-1");
    await untilEnds(admin, topic, [0, 1], "the last markers", (ends) => [...ends.values()].every((e) => e.stable === e.high));
  } finally {
    for (const p of producers) await p.disconnect().catch(() => undefined);
  }
  return {
    committed: [
      [0, "p0-plain-1"],
      [0, "p0-C-1"],
      [0, "p0-C-2"],
      [0, "p0-C-3"],
      [0, "p0-plain-2"],
      [1, "p1-plain-1"],
      [1, "p1-C-1"],
    ],
    abortedValues: ["p0-A-1", "p0-A-2", "p0-A-3", "p0-B-1", "p0-B-2", "p1-A-1"],
  };
}

/** High watermark and last stable offset of each partition, from a Fetch response (kafkajs's admin gives only the latter). */
async function partitionEnds(admin: Admin, topic: string, partitions: number[]): Promise<Map<number, { high: number; stable: number }>> {
  const fetcher = new ReadCommittedFetcher(admin, topic, 1024);
  try {
    const reads = await fetcher.fetchOnce(Object.fromEntries(partitions.map((p) => [p, 0])), 100);
    return new Map([...reads].map(([p, read]) => [p, { high: read.highWatermark, stable: read.lastStableOffset }]));
  } finally {
    fetcher.close();
  }
}

/** Waits until `done` holds for the partitions' ends: transaction markers reach the log after EndTxn has answered. */
async function untilEnds(
  admin: Admin,
  topic: string,
  partitions: number[],
  what: string,
  done: (ends: Map<number, { high: number; stable: number }>) => boolean,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ends = await partitionEnds(admin, topic, partitions);
    if (done(ends)) return;
    if (Date.now() > deadline) throw new Error(`topic ${topic}: ${what} did not happen within 10 s (ends ${JSON.stringify([...ends])})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function topicOffsets(admin: Admin, bootstrap: string, topic: string): Promise<{ low: Offsets; end: Offsets }> {
  let offsets: Awaited<ReturnType<Admin["fetchTopicOffsets"]>>;
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } catch (error) {
    throw new Error(
      `cannot read the offsets of topic ${topic} on ${bootstrap}: ${(error as Error).message}. Next: check the topic's name (--topic) and the broker's address (--kafka-bootstrap).`,
    );
  }
  return {
    low: Object.fromEntries(offsets.map((o) => [o.partition, Number(o.low)])),
    end: Object.fromEntries(offsets.map((o) => [o.partition, Number(o.offset)])),
  };
}

/** kafkajs's consumer read_committed from the beginning until every partition has passed `end`. */
async function kafkajsConsumerRead(kafka: Kafka, topic: string, end: Offsets, timeoutMs: number): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({
    groupId: `reader-check-kafkajs-${process.pid}-${Date.now()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 500,
    allowAutoTopicCreation: false,
  });
  const records: ReadRecord[] = [];
  const reached: Offsets = {};
  const finished = () => Object.entries(end).every(([p, e]) => (reached[Number(p)] ?? 0) >= e);
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    reached[payload.partition] = Math.max(reached[payload.partition] ?? 0, Number(payload.lastOffset) + 1);
    if (finished()) resolveDone();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (Number(m.offset) < (end[batch.partition] ?? 0))
            records.push({ partition: batch.partition, offset: Number(m.offset), value: m.value?.toString("utf8") ?? null });
        }
      },
    });
    if (finished()) resolveDone();
    await Promise.race([
      done,
      new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () =>
              reject(
                new Error(`kafkajs's consumer did not reach ${JSON.stringify(end)} within ${timeoutMs} ms (at ${JSON.stringify(reached)})`),
              ),
            timeoutMs,
          )),
      ),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return records.sort(byPosition);
}

const byPosition = (a: ReadRecord, b: ReadRecord) => a.partition - b.partition || a.offset - b.offset;

/**
 * Raw fetches as our reader makes them, but small (so transactions span fetches and batches are cut at fetch
 * ends), each filtered by both filters: what ours keeps and how many records kafkajs's lets through.
 */
async function compareFiltersOnFetches(
  admin: Admin,
  topic: string,
  low: Offsets,
  end: Offsets,
): Promise<{ fetches: number; ours: ReadRecord[]; kafkajs: number; letThrough: ReadRecord[] }> {
  const fetcher = new ReadCommittedFetcher(admin, topic, SMALL_FETCH_BYTES);
  const reached: Offsets = { ...low };
  let fetches = 0;
  const ours: ReadRecord[] = [];
  let kafkajs = 0;
  const letThrough: ReadRecord[] = [];
  try {
    for (let round = 0; round < 10_000; round++) {
      const pending = Object.keys(end)
        .map(Number)
        .filter((p) => (reached[p] ?? 0) < end[p]!);
      if (pending.length === 0) break;
      const reads = await fetcher.fetchOnce(Object.fromEntries(pending.map((p) => [p, reached[p] ?? 0])), 500);
      for (const [partition, read] of reads) {
        fetches++;
        const below = (offset: number) => offset < end[partition]!;
        const oursHere = readCommitted(read.fetch).records.filter((r) => below(r.offset));
        const kafkajsHere = kafkajsReadCommitted(read.fetch).filter((r) => below(r.offset));
        ours.push(...oursHere.map((r) => ({ partition, offset: r.offset, value: r.value?.toString("utf8") ?? null })));
        kafkajs += kafkajsHere.length;
        const oursOffsets = new Set(oursHere.map((r) => r.offset));
        for (const r of kafkajsHere)
          if (!oursOffsets.has(r.offset)) letThrough.push({ partition, offset: r.offset, value: r.value?.toString("utf8") ?? null });
        reached[partition] = read.nextOffset;
      }
    }
  } finally {
    fetcher.close();
  }
  return { fetches, ours, kafkajs, letThrough };
}

/**
 * How many records to ask Kafka's consumer for per partition: as many as our reader returned below the end offsets
 * (at least one where the partition has any), so on a live topic it stops there instead of at its idle timeout. A
 * consumer that disagrees still shows it: a record ours lacks takes the place of one of ours, one ours has extra
 * makes it read past the end offset, where nothing counts.
 */
export function recordsToRead(ours: readonly ReadRecord[], low: Record<number, number>, end: Record<number, number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const [partition, endOffset] of Object.entries(end)) {
    const p = Number(partition);
    if (endOffset > (low[p] ?? 0)) counts.set(p, Math.max(1, ours.filter((r) => r.partition === p).length));
  }
  return counts;
}

async function javaConsoleConsumer(
  args: ReaderCheckArguments,
  topic: string,
  counts: Map<number, number>,
  log: Log,
): Promise<ReadRecord[]> {
  const records: ReadRecord[] = [];
  for (const [partition, count] of counts) {
    const command = [
      "exec",
      args.dockerContainer,
      "/opt/kafka/bin/kafka-console-consumer.sh",
      "--bootstrap-server",
      args.containerBootstrap,
      "--topic",
      topic,
      "--partition",
      String(partition),
      "--offset",
      "earliest",
      "--max-messages",
      String(count),
      "--isolation-level",
      "read_committed",
      "--property",
      "print.partition=true",
      "--property",
      "print.offset=true",
      "--timeout-ms",
      String(args.timeoutMs),
    ];
    let stdout: string;
    try {
      ({ stdout } = await run("docker", command, { maxBuffer: 512 * 1024 * 1024, timeout: args.timeoutMs + 120_000 }));
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      // The console consumer may end with an error status when its idle timeout ends the read; what it printed counts.
      if (!e.stdout)
        throw new Error(
          `docker ${command.slice(0, 3).join(" ")} … failed: ${e.message.split("\n")[0]} ${e.stderr?.trim().split("\n").slice(-3).join(" | ") ?? ""}`,
        );
      stdout = e.stdout;
    }
    const parsed = parseConsoleConsumerOutput(stdout);
    if (parsed.otherLines.length > 0)
      log(`console consumer printed ${parsed.otherLines.length} other lines, first: ${parsed.otherLines[0]}`);
    records.push(...parsed.records);
  }
  return records.sort(byPosition);
}

/** DumpLogSegments on the topic's segments: the log's layout and markers, and each .txnindex (aborts in the order they ended). */
async function dumpSegments(args: ReaderCheckArguments, topic: string, partitions: number[], log: Log): Promise<void> {
  for (const partition of partitions) {
    const dir = `${args.dataDir}/${topic}-${partition}`;
    let files: string[];
    try {
      const { stdout } = await run("docker", ["exec", args.dockerContainer, "sh", "-c", `ls ${dir}/*.log ${dir}/*.txnindex`]);
      files = stdout.split("\n").filter(Boolean);
    } catch (error) {
      log(
        `partition ${partition}: cannot list ${dir} in container ${args.dockerContainer} (${(error as Error).message.split("\n")[0]}); --data-dir names the broker's log directory`,
      );
      continue;
    }
    const { stdout } = await run(
      "docker",
      [
        "exec",
        args.dockerContainer,
        "/opt/kafka/bin/kafka-run-class.sh",
        "kafka.tools.DumpLogSegments",
        "--print-data-log",
        "--files",
        files.join(","),
      ],
      { maxBuffer: 512 * 1024 * 1024 },
    );
    const batches = parseLogDump(stdout);
    const markers = batches.filter((b) => b.marker !== null);
    const list = (items: string[], most: number) =>
      items.slice(0, most).join(", ") + (items.length > most ? `, … ${items.length - most} more` : "");
    log(
      `partition ${partition}: DumpLogSegments: ${batches.length} batches, ${markers.filter((m) => m.marker === "ABORT").length} ABORT and ${markers.filter((m) => m.marker === "COMMIT").length} COMMIT markers` +
        (markers.length > 0
          ? `, in log order: ${list(
              markers.map((m) => `${m.marker} of producer ${m.producerId} at ${m.baseOffset}`),
              12,
            )}`
          : ""),
    );
    if (batches.length <= 30) {
      const layout = batches.map((b) => {
        const range = b.lastOffset > b.baseOffset ? `${b.baseOffset}-${b.lastOffset}` : `${b.baseOffset}`;
        return `${range} ${b.marker ?? (b.isTransactional ? "txn" : "plain")}${b.producerId === "-1" ? "" : ` p${b.producerId}`}`;
      });
      log(`partition ${partition}: layout: ${layout.join(" | ")}`);
    }
    const entries = parseTxnIndexDump(stdout);
    const outOfOrder = abortsOutOfOrder(entries);
    log(
      `partition ${partition}: .txnindex (the broker's aborted list, in ending order): ` +
        (list(
          entries.map((e) => `producer ${e.producerId} offsets ${e.firstOffset}..${e.lastOffset}`),
          12,
        ) || "empty") +
        (outOfOrder.length > 0
          ? `; ${outOfOrder.length} pair(s) out of first-offset order, e.g. producer ${outOfOrder[0]![1].producerId} began at ${outOfOrder[0]![1].firstOffset} but ended after producer ${outOfOrder[0]![0].producerId}, begun at ${outOfOrder[0]![0].firstOffset}`
          : entries.length > 0
            ? "; in first-offset order"
            : ""),
    );
  }
}

function reportDifference(name: string, other: string, diff: { onlyInA: ReadRecord[]; onlyInB: ReadRecord[] }, log: Log): boolean {
  if (diff.onlyInA.length === 0 && diff.onlyInB.length === 0) {
    log(`${name} and ${other} agree`);
    return true;
  }
  const show = (records: ReadRecord[]) =>
    records.slice(0, 10).map(describeRecord).join("; ") + (records.length > 10 ? `; … ${records.length - 10} more` : "");
  if (diff.onlyInA.length > 0) log(`${diff.onlyInA.length} record(s) only ${name} returned: ${show(diff.onlyInA)}`);
  if (diff.onlyInB.length > 0) log(`${diff.onlyInB.length} record(s) only ${other} returned: ${show(diff.onlyInB)}`);
  return false;
}

/** Reads a topic with every reader and compares; true when ours and Kafka's Java consumer agree. */
export async function checkReader(args: ReaderCheckArguments, log: Log): Promise<boolean> {
  const kafka = new Kafka({
    clientId: "flink-checkpointer-reader-check",
    brokers: [args.kafkaBootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5_000,
    retry: { retries: 3, initialRetryTime: 300 },
  });
  const admin = kafka.admin();
  await admin.connect().catch((error: Error) => {
    throw new Error(
      `Kafka broker unreachable at ${args.kafkaBootstrap} (${error.message}). Next: check --kafka-bootstrap and that the broker runs.`,
    );
  });
  const suffix = `${process.pid}-${Date.now()}`;
  const topic = args.topic ?? `reader-check-${suffix}`;
  let scenario: Scenario | undefined;
  try {
    if (args.topic === null) {
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: SCRATCH_PARTITIONS, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      if (!created) throw new Error(`topic ${topic} already exists`);
      log(
        `scratch topic ${topic}: writing interleaved transactions (A begins, B begins, B aborts, A aborts) and committed ones around them`,
      );
      scenario = await writeScenario(kafka, admin, topic, suffix);
    }
    const { low, end } = await topicOffsets(admin, args.kafkaBootstrap, topic);
    log(`topic ${topic}: reading up to the last stable offsets ${JSON.stringify(end)} (from ${JSON.stringify(low)})`);
    const partitions = Object.keys(end).map(Number);
    await dumpSegments(args, topic, partitions, log);

    const reader = await KafkaReader.connect(args.kafkaBootstrap);
    let ours: ReadRecord[];
    try {
      ours = (await reader.readTopic(topic, end, args.timeoutMs)).map(({ partition, offset, value }) => ({ partition, offset, value }));
    } finally {
      await reader.disconnect();
    }
    log(`our reader: ${ours.length} committed records`);

    const java = (await javaConsoleConsumer(args, topic, recordsToRead(ours, low, end), log)).filter(
      (r) => r.offset < (end[r.partition] ?? 0),
    );
    log(`Java console consumer (read_committed): ${java.length} records below those offsets`);
    let ok = reportDifference("our reader", "the Java console consumer", compareReads(ours, java), log);

    const onFetches = await compareFiltersOnFetches(admin, topic, low, end);
    log(
      `${onFetches.fetches} partition fetch(es) of at most ${SMALL_FETCH_BYTES / 1024} KiB through both filters: ours keeps ${onFetches.ours.length} records, kafkajs's ${onFetches.kafkajs}; kafkajs's filter lets through ${onFetches.letThrough.length} aborted record(s)${onFetches.letThrough.length > 0 ? `: ${onFetches.letThrough.slice(0, 10).map(describeRecord).join("; ")}` : ""}`,
    );

    ok =
      reportDifference(
        `our reader in fetches of ${SMALL_FETCH_BYTES / 1024} KiB`,
        `in fetches of ${PARTITION_MAX_BYTES / 1024 / 1024} MiB`,
        compareReads(onFetches.ours, ours),
        log,
      ) && ok;

    try {
      const kafkajs = await kafkajsConsumerRead(kafka, topic, end, args.timeoutMs);
      const diff = compareReads(kafkajs, ours);
      log(
        `kafkajs's consumer (readUncommitted: false): ${kafkajs.length} records; ${diff.onlyInA.length} that our reader and Kafka's do not return (aborted), ${diff.onlyInB.length} missing`,
      );
      reportDifference("kafkajs's consumer", "our reader", diff, log);
    } catch (error) {
      log(`kafkajs's consumer could not be compared: ${(error as Error).message}`);
    }

    if (scenario) {
      const values = (records: ReadRecord[]) => records.map((r) => `${r.partition}:${r.value}`).sort();
      const expected = scenario.committed.map(([partition, value]) => `${partition}:${value}`).sort();
      const matches = JSON.stringify(values(ours)) === JSON.stringify(expected);
      log(
        `our reader ${matches ? "returns exactly" : "does NOT return exactly"} the ${expected.length} committed records written (${expected.join(", ")})`,
      );
      ok &&= matches;
      const leaked = onFetches.letThrough.filter((r) => r.value !== null && scenario!.abortedValues.includes(r.value));
      log(
        leaked.length > 0
          ? `kafkajs's error reproduced: ${leaked.length} aborted record(s) through its filter`
          : "kafkajs's error NOT reproduced on this broker's fetches (its filter returned no aborted record)",
      );
    }
    log(ok ? "PASS: our reader agrees with Kafka's Java consumer" : "FAIL: our reader and Kafka's Java consumer disagree");
    return ok;
  } finally {
    if (args.topic === null)
      await admin.deleteTopics({ topics: [topic] }).then(
        () => log(`deleted scratch topic ${topic}`),
        (error) => log(`could not delete scratch topic ${topic}: ${(error as Error).message}`),
      );
    await admin.disconnect();
  }
}
