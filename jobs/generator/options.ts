/**
 * The generator's options, from environment variables (how the stack configures the container) and
 * command-line flags of the same meaning (a flag wins over its variable). Validation collects every
 * problem at once and names the setting, the value given and what is allowed.
 */

export interface GeneratorOptions {
  bootstrapServers: string[];
  topic: string;
  concurrentVisits: number;
  delayMinMs: number;
  delayMaxMs: number;
  startTimeMs: number;
  /** Undefined: the runner draws one and logs it, so any run can be repeated. */
  seed: number | undefined;
  /** Events per second for load tests; undefined plays the visits out in event time. */
  rate: number | undefined;
  maxEvents: number | undefined;
  /** Bound on the schedule's own clock (event time in the default mode, send slots in rate mode). */
  durationMs: number | undefined;
}

export type ParseResult = { kind: "options"; options: GeneratorOptions } | { kind: "help" } | { kind: "invalid"; errors: string[] };

type Key = Exclude<keyof GeneratorOptions, "bootstrapServers"> | "bootstrap";

interface Setting {
  key: Key;
  env: string;
  flag: string;
  default: string | undefined;
  help: string;
}

const SETTINGS: readonly Setting[] = [
  {
    key: "bootstrap",
    env: "KAFKA_BOOTSTRAP",
    flag: "--bootstrap",
    default: "kafka:9092",
    help: "comma-separated host:port list of Kafka brokers",
  },
  { key: "topic", env: "VISITS_TOPIC", flag: "--topic", default: "visits", help: "topic to write visits to" },
  { key: "concurrentVisits", env: "GENERATOR_VISITS", flag: "--visits", default: "2", help: "number of visits running at the same time" },
  {
    key: "delayMinMs",
    env: "GENERATOR_DELAY_MIN_MS",
    flag: "--delay-min-ms",
    default: "1000",
    help: "shortest delay between two pages of a visit",
  },
  {
    key: "delayMaxMs",
    env: "GENERATOR_DELAY_MAX_MS",
    flag: "--delay-max-ms",
    default: "7000",
    help: "longest delay between two pages of a visit",
  },
  {
    key: "startTimeMs",
    env: "GENERATOR_START_TIME",
    flag: "--start-time",
    default: "now",
    help: "event time of the first events: 'now' or ISO-8601 with a zone, e.g. 2024-01-01T00:00:00Z",
  },
  {
    key: "seed",
    env: "GENERATOR_SEED",
    flag: "--seed",
    default: undefined,
    help: "integer 0..4294967295 for repeatable output (default: random, logged)",
  },
  {
    key: "rate",
    env: "GENERATOR_RATE",
    flag: "--rate",
    default: undefined,
    help: "load test: events per second instead of real-time delays; needs a max-events or duration bound",
  },
  { key: "maxEvents", env: "GENERATOR_MAX_EVENTS", flag: "--max-events", default: undefined, help: "stop after this many events" },
  {
    key: "durationMs",
    env: "GENERATOR_DURATION_MS",
    flag: "--duration-ms",
    default: undefined,
    help: "stop when the schedule reaches this many milliseconds",
  },
];

export const MAX_VISITS = 100_000;
const MAX_DELAY_MS = 3_600_000;
const MAX_RATE = 100_000;
const MAX_EVENTS = 100_000_000;
const MAX_DURATION_MS = 86_400_000;
const MAX_SEED = 0xffffffff;

export function usage(): string {
  const lines = SETTINGS.map(
    (s) => `  ${`${s.flag} <value>`.padEnd(24)} ${s.env.padEnd(24)} ${s.help}${s.default === undefined ? "" : ` (default ${s.default})`}`,
  );
  return ["Usage: visit-generator [flags]   (each flag has an environment variable of the same meaning)", ...lines, "  --help"].join("\n");
}

export function parseOptions(env: Readonly<Record<string, string | undefined>>, argv: readonly string[], nowMs: number): ParseResult {
  const errors: string[] = [];
  const fromFlags = new Map<Key, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const setting = SETTINGS.find((s) => s.flag === flag);
    if (setting === undefined) {
      errors.push(`unknown argument ${JSON.stringify(arg)}: allowed flags are ${SETTINGS.map((s) => s.flag).join(", ")}, --help`);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) errors.push(`${flag} needs a value: ${setting.help}`);
    else fromFlags.set(setting.key, value);
  }

  /** The raw value of a setting and the name to blame if it is wrong. */
  const raw = (key: Key): { value: string | undefined; source: string } => {
    const setting = SETTINGS.find((s) => s.key === key)!;
    const flagValue = fromFlags.get(key);
    if (flagValue !== undefined) return { value: flagValue, source: setting.flag };
    const envValue = env[setting.env];
    // An empty variable counts as unset: stacks often pass "" for "not configured".
    if (envValue !== undefined && envValue.trim() !== "") return { value: envValue.trim(), source: setting.env };
    return { value: setting.default, source: setting.env };
  };
  const reject = (source: string, value: string, allowed: string): undefined => {
    errors.push(`${source}=${JSON.stringify(value)} is not allowed: expected ${allowed}`);
    return undefined;
  };
  const integer = (key: Key, min: number, max: number): number | undefined => {
    const { value, source } = raw(key);
    if (value === undefined) return undefined;
    const n = Number(value);
    return /^-?\d+$/.test(value) && n >= min && n <= max ? n : reject(source, value, `an integer from ${min} to ${max}`);
  };

  const bootstrapServers = parseBootstrap(raw("bootstrap"), reject);
  const topic = parseTopic(raw("topic"), reject);
  const concurrentVisits = integer("concurrentVisits", 1, MAX_VISITS);
  const delayMinMs = integer("delayMinMs", 0, MAX_DELAY_MS);
  // At least 1 ms: with no delay at all the schedule's clock would stand still and never pace anything.
  const delayMaxMs = integer("delayMaxMs", 1, MAX_DELAY_MS);
  if (delayMinMs !== undefined && delayMaxMs !== undefined && delayMinMs > delayMaxMs) {
    errors.push(
      `${raw("delayMinMs").source}=${delayMinMs} is greater than ${raw("delayMaxMs").source}=${delayMaxMs}: the minimum delay must not exceed the maximum`,
    );
  }
  const startTimeMs = parseStartTime(raw("startTimeMs"), nowMs, reject);
  const seed = integer("seed", 0, MAX_SEED);
  const rate = parseRate(raw("rate"), reject);
  const maxEvents = integer("maxEvents", 1, MAX_EVENTS);
  const durationMs = integer("durationMs", 1, MAX_DURATION_MS);
  if (rate !== undefined && maxEvents === undefined && durationMs === undefined) {
    errors.push(
      `${raw("rate").source}=${rate} needs a bound so a load test stops by itself: set ${raw("maxEvents").source} (1 to ${MAX_EVENTS}) or ${raw("durationMs").source} (1 to ${MAX_DURATION_MS})`,
    );
  }

  if (errors.length > 0) return { kind: "invalid", errors };
  return {
    kind: "options",
    options: {
      bootstrapServers: bootstrapServers!,
      topic: topic!,
      concurrentVisits: concurrentVisits!,
      delayMinMs: delayMinMs!,
      delayMaxMs: delayMaxMs!,
      startTimeMs: startTimeMs!,
      seed,
      rate,
      maxEvents,
      durationMs,
    },
  };
}

type Reject = (source: string, value: string, allowed: string) => undefined;

function parseBootstrap({ value, source }: { value: string | undefined; source: string }, reject: Reject): string[] | undefined {
  const allowed = "a comma-separated list of host:port with ports from 1 to 65535, e.g. kafka:9092";
  if (value === undefined) return reject(source, "", allowed);
  const servers = value.split(",").map((s) => s.trim());
  const valid = servers.every((server) => {
    const match = /^([A-Za-z0-9._-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(server);
    return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65535;
  });
  return valid ? servers : reject(source, value, allowed);
}

function parseTopic({ value, source }: { value: string | undefined; source: string }, reject: Reject): string | undefined {
  // Kafka's own rule for topic names.
  if (value !== undefined && /^[A-Za-z0-9._-]{1,249}$/.test(value) && value !== "." && value !== "..") return value;
  return reject(source, value ?? "", "a Kafka topic name: 1 to 249 of the characters A-Z a-z 0-9 . _ -");
}

function parseStartTime(
  { value, source }: { value: string | undefined; source: string },
  nowMs: number,
  reject: Reject,
): number | undefined {
  if (value === undefined || value === "now") return nowMs;
  // The zone is required: without it Date.parse would use the machine's local time.
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/;
  const ms = iso.test(value) ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : reject(source, value, "'now' or an ISO-8601 date-time with a zone, e.g. 2024-01-01T00:00:00Z");
}

function parseRate({ value, source }: { value: string | undefined; source: string }, reject: Reject): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return /^\d+(\.\d+)?$/.test(value) && n > 0 && n <= MAX_RATE
    ? n
    : reject(source, value, `a number of events per second above 0 and at most ${MAX_RATE}`);
}
