import { describe, expect, it } from "vitest";
import { type GeneratorOptions, type ParseResult, parseOptions, usage } from "./options";

const NOW = Date.parse("2025-06-01T12:00:00.000Z");

function options(result: ParseResult): GeneratorOptions {
  if (result.kind !== "options") throw new Error(`expected options, got ${JSON.stringify(result)}`);
  return result.options;
}

function errors(result: ParseResult): string[] {
  if (result.kind !== "invalid") throw new Error(`expected errors, got ${JSON.stringify(result)}`);
  return result.errors;
}

describe("parseOptions defaults", () => {
  it("gives the documented defaults with an empty environment", () => {
    expect(options(parseOptions({}, [], NOW))).toEqual({
      bootstrapServers: ["kafka:9092"],
      topic: "visits",
      concurrentVisits: 2,
      delayMinMs: 1000,
      delayMaxMs: 7000,
      startTimeMs: NOW,
      seed: undefined,
      rate: undefined,
      maxEvents: undefined,
      durationMs: undefined,
    });
  });

  it("treats empty variables as unset", () => {
    expect(options(parseOptions({ GENERATOR_VISITS: "", GENERATOR_SEED: " " }, [], NOW))).toMatchObject({
      concurrentVisits: 2,
      seed: undefined,
    });
  });
});

describe("parseOptions sources", () => {
  it("reads every environment variable", () => {
    const env = {
      KAFKA_BOOTSTRAP: "127.0.0.1:39094, b2:9093",
      VISITS_TOPIC: "visits_test",
      GENERATOR_VISITS: "50",
      GENERATOR_DELAY_MIN_MS: "0",
      GENERATOR_DELAY_MAX_MS: "250",
      GENERATOR_START_TIME: "2024-01-01T01:00:00+01:00",
      GENERATOR_SEED: "4294967295",
      GENERATOR_RATE: "2.5",
      GENERATOR_MAX_EVENTS: "1000",
      GENERATOR_DURATION_MS: "60000",
    };
    expect(options(parseOptions(env, [], NOW))).toEqual({
      bootstrapServers: ["127.0.0.1:39094", "b2:9093"],
      topic: "visits_test",
      concurrentVisits: 50,
      delayMinMs: 0,
      delayMaxMs: 250,
      startTimeMs: Date.parse("2024-01-01T00:00:00Z"),
      seed: 4294967295,
      rate: 2.5,
      maxEvents: 1000,
      durationMs: 60000,
    });
  });

  it("lets a flag, in either spelling, win over its variable", () => {
    const env = { GENERATOR_VISITS: "3", VISITS_TOPIC: "from_env", GENERATOR_SEED: "1" };
    const parsed = options(parseOptions(env, ["--visits", "9", "--topic=from_flag", "--max-events", "10"], NOW));
    expect(parsed).toMatchObject({ concurrentVisits: 9, topic: "from_flag", seed: 1, maxEvents: 10 });
  });

  it("answers --help", () => {
    expect(parseOptions({ GENERATOR_VISITS: "bad" }, ["--help"], NOW)).toEqual({ kind: "help" });
    for (const name of ["KAFKA_BOOTSTRAP", "--rate", "GENERATOR_DURATION_MS", "default kafka:9092"]) {
      expect(usage()).toContain(name);
    }
  });
});

describe("parseOptions validation", () => {
  it("collects every error, naming the setting, the value and what is allowed", () => {
    const env = {
      KAFKA_BOOTSTRAP: "kafka",
      VISITS_TOPIC: "bad topic",
      GENERATOR_VISITS: "two",
      GENERATOR_DELAY_MIN_MS: "-5",
      GENERATOR_START_TIME: "2024-01-01 00:00",
      GENERATOR_SEED: "4294967296",
    };
    expect(errors(parseOptions(env, [], NOW))).toEqual([
      'KAFKA_BOOTSTRAP="kafka" is not allowed: expected a comma-separated list of host:port with ports from 1 to 65535, e.g. kafka:9092',
      'VISITS_TOPIC="bad topic" is not allowed: expected a Kafka topic name: 1 to 249 of the characters A-Z a-z 0-9 . _ -',
      'GENERATOR_VISITS="two" is not allowed: expected an integer from 1 to 100000',
      'GENERATOR_DELAY_MIN_MS="-5" is not allowed: expected an integer from 0 to 3600000',
      "GENERATOR_START_TIME=\"2024-01-01 00:00\" is not allowed: expected 'now' or an ISO-8601 date-time with a zone, e.g. 2024-01-01T00:00:00Z",
      'GENERATOR_SEED="4294967296" is not allowed: expected an integer from 0 to 4294967295',
    ]);
  });

  it("names the flag when the bad value came from a flag", () => {
    expect(errors(parseOptions({}, ["--visits=0", "--rate", "-3", "--max-events", "5"], NOW))).toEqual([
      '--visits="0" is not allowed: expected an integer from 1 to 100000',
      '--rate="-3" is not allowed: expected a number of events per second above 0 and at most 100000',
    ]);
  });

  it("refuses a start time without a zone, or an impossible date", () => {
    expect(errors(parseOptions({ GENERATOR_START_TIME: "2024-01-01T00:00:00" }, [], NOW))[0]).toMatch(/^GENERATOR_START_TIME=/);
    expect(errors(parseOptions({ GENERATOR_START_TIME: "2024-13-45T00:00:00Z" }, [], NOW))[0]).toMatch(/^GENERATOR_START_TIME=/);
  });

  it("refuses a maximum delay of zero, which would never advance event time", () => {
    expect(errors(parseOptions({ GENERATOR_DELAY_MIN_MS: "0", GENERATOR_DELAY_MAX_MS: "0" }, [], NOW))).toEqual([
      'GENERATOR_DELAY_MAX_MS="0" is not allowed: expected an integer from 1 to 3600000',
    ]);
  });

  it("refuses a minimum delay above the maximum", () => {
    expect(errors(parseOptions({ GENERATOR_DELAY_MIN_MS: "8000" }, [], NOW))).toEqual([
      "GENERATOR_DELAY_MIN_MS=8000 is greater than GENERATOR_DELAY_MAX_MS=7000: the minimum delay must not exceed the maximum",
    ]);
  });

  it("refuses an unbounded rate and accepts either bound", () => {
    expect(errors(parseOptions({ GENERATOR_RATE: "500" }, [], NOW))).toEqual([
      "GENERATOR_RATE=500 needs a bound so a load test stops by itself: set GENERATOR_MAX_EVENTS (1 to 100000000) or GENERATOR_DURATION_MS (1 to 86400000)",
    ]);
    expect(options(parseOptions({ GENERATOR_RATE: "500", GENERATOR_DURATION_MS: "1000" }, [], NOW)).rate).toBe(500);
    expect(options(parseOptions({}, ["--rate", "500", "--max-events", "10"], NOW)).maxEvents).toBe(10);
  });

  it("reports unknown flags and flags without a value", () => {
    expect(errors(parseOptions({}, ["--visit", "3", "--seed"], NOW))).toEqual([
      'unknown argument "--visit": allowed flags are --bootstrap, --topic, --visits, --delay-min-ms, --delay-max-ms, --start-time, --seed, --rate, --max-events, --duration-ms, --help',
      'unknown argument "3": allowed flags are --bootstrap, --topic, --visits, --delay-min-ms, --delay-max-ms, --start-time, --seed, --rate, --max-events, --duration-ms, --help',
      "--seed needs a value: integer 0..4294967295 for repeatable output (default: random, logged)",
    ]);
  });
});
