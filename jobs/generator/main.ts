/**
 * The visit generator: streams visit events into Kafka until stopped (or until its bound in the
 * load-test modes). Configuration: see options.ts or run with --help.
 */
import { randomInt } from "node:crypto";
import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { type GeneratorOptions, parseOptions, usage } from "./options";
import { type Placement, type RunPlan, runGenerator } from "./runner";
import { eventsPerEventTimeSecond, runIdFromSeed, type ScheduledEvent, VisitSchedule } from "./schedule";

/** Docker and Kubernetes wait 10 s (30 s) after SIGTERM before killing: finish well before. */
const SHUTDOWN_DEADLINE_MS = 8_000;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/**
 * kafkajs' own retries, for connecting and for each send: a few seconds at most, so an outage soon
 * comes back to the runner's retry loop, which logs it once per attempt and starts over with a
 * fresh producer. (kafkajs' own log is off: it would repeat each connection error several times.)
 */
const KAFKA_RETRY = { initialRetryTime: 300, maxRetryTime: 5_000, retries: 3 };

/** The Kafka protocol error names (e.g. UNKNOWN_TOPIC_OR_PARTITION) along kafkajs' chain of causes. */
function protocolErrorTypes(error: unknown): string[] {
  const types: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === "string") types.push(type);
  }
  return types;
}

/**
 * One producer at a time. A producer whose send failed is thrown away and the next send starts a
 * fresh one, so a broker that went away and came back (new metadata, new connections) is picked up
 * without depending on the old producer's internal state.
 */
class ProducerSession {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: GeneratorOptions,
  ) {}

  async send(batch: readonly ScheduledEvent[]): Promise<Placement[]> {
    try {
      if (this.producer === undefined) {
        const producer = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          // The stack creates the topic with its partitions; a typo must not create another one.
          allowAutoTopicCreation: false,
          createPartitioner: Partitioners.DefaultPartitioner,
          retry: KAFKA_RETRY,
        });
        this.producer = producer;
        await producer.connect();
      }
      return await this.producer.send({
        topic: this.options.topic,
        acks: -1,
        messages: batch.map((e) => ({ key: e.key, value: JSON.stringify(e.event) })),
      });
    } catch (error) {
      await this.close();
      const reason = error instanceof Error ? error.message : String(error);
      const hint = protocolErrorTypes(error).includes("UNKNOWN_TOPIC_OR_PARTITION")
        ? " (the generator does not create topics: create it, or fix VISITS_TOPIC)"
        : "";
      throw new Error(`cannot write to topic ${this.options.topic} via ${this.options.bootstrapServers.join(",")}: ${reason}${hint}`);
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch((error: unknown) => log(`disconnect failed: ${String(error)}`));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

function pacingDescription(options: GeneratorOptions): string {
  if (options.rate === undefined) return "event-time (event_time follows the wall clock)";
  const speed = options.rate / eventsPerEventTimeSecond(options);
  return `${options.rate}/s (event_time runs at about ${speed.toFixed(2)}x the wall clock)`;
}

async function main(): Promise<number> {
  const parsed = parseOptions(process.env, process.argv.slice(2), Date.now());
  if (parsed.kind === "help") {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (parsed.kind === "invalid") {
    process.stderr.write(`visit generator: invalid options\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n${usage()}\n`);
    return 2;
  }
  const options = parsed.options;
  const seed = options.seed ?? randomInt(0, 2 ** 32);
  const plan: RunPlan = {
    pacing: options.rate === undefined ? { kind: "event-time" } : { kind: "rate", eventsPerSecond: options.rate },
    maxEvents: options.maxEvents,
    durationMs: options.durationMs,
  };
  const bounds = [
    options.maxEvents === undefined ? "" : `max-events=${options.maxEvents}`,
    options.durationMs === undefined ? "" : `duration=${options.durationMs}ms`,
  ].filter(Boolean);
  log(
    `visit generator: bootstrap=${options.bootstrapServers.join(",")} topic=${options.topic} visits=${options.concurrentVisits} ` +
      `delay=${options.delayMinMs}..${options.delayMaxMs}ms start=${new Date(options.startTimeMs).toISOString()} ` +
      `seed=${seed} (visit ids ${runIdFromSeed(seed)}_<n>) pacing=${pacingDescription(options)}` +
      (bounds.length > 0 ? ` ${bounds.join(" ")}` : " until stopped"),
  );

  const kafka = new Kafka({
    clientId: "visit-generator",
    brokers: options.bootstrapServers,
    connectionTimeout: 3_000,
    retry: KAFKA_RETRY,
    logLevel: logLevel.NOTHING,
  });
  const session = new ProducerSession(kafka, options);
  const stop = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    // Repeats are ignored: wrappers such as npx relay one signal more than once. The deadline bounds the wait.
    if (stop.signal.aborted) return;
    log(`${name}: finishing the send in flight, then disconnecting`);
    stop.abort();
    setTimeout(() => {
      log(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms: exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const schedule = new VisitSchedule({
    seed,
    concurrentVisits: options.concurrentVisits,
    delayMinMs: options.delayMinMs,
    delayMaxMs: options.delayMaxMs,
    startTimeMs: options.startTimeMs,
  });
  const startedAt = performance.now();
  const summary = await runGenerator(
    schedule,
    plan,
    options.topic,
    { send: (batch) => session.send(batch), nowMs: () => performance.now(), sleep, log },
    stop.signal,
  );
  await session.close();
  const seconds = (performance.now() - startedAt) / 1000;
  log(
    `stopped (${summary.stoppedBy}): sent ${summary.sent} events in ${seconds.toFixed(1)} s` +
      ` (${(summary.sent / Math.max(seconds, 0.001)).toFixed(1)}/s, ${schedule.visitsStarted} visits begun)` +
      (summary.unsent > 0 ? `; ${summary.unsent} events were not sent because sending kept failing` : ""),
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`visit generator failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
