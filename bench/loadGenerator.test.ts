import { describe, expect, it } from "vitest";
import { parseOptions } from "../jobs/generator/options";
import { type GeneratorPlace, generatorPlaceOf, generatorRunCommand, parseGeneratorSummary } from "./loadGenerator";

const place: GeneratorPlace = {
  image: "sha256:4f2c",
  network: "flink-checkpointer-ci-net",
  bootstrap: "kafka:9092",
  stackLabel: "flink-checkpointer.stack=flink-checkpointer-ci",
};

describe("the benchmark's generator", () => {
  it("runs the stack's image on its network with flags the generator accepts", () => {
    const command = generatorRunCommand(
      "bench-state-x-gen",
      place,
      {
        topic: "bench-state-x-visits",
        rate: 20_000,
        maxEvents: 4_000,
        visits: 1_000,
        delayMinMs: 1_000,
        delayMaxMs: 1_000,
        startTime: "2024-01-01T00:07:30.000Z",
        seed: 7,
      },
      "bench-state-x",
    );
    expect(command.file).toBe("docker");
    expect(command.args.slice(0, 11)).toEqual([
      "run",
      "--detach",
      "--name",
      "bench-state-x-gen",
      "--network",
      place.network,
      "--label",
      "flink-checkpointer.bench=bench-state-x",
      "--label",
      place.stackLabel,
      place.image,
    ]);
    const parsed = parseOptions({}, command.args.slice(11), 0);
    expect(parsed).toMatchObject({
      kind: "options",
      options: {
        topic: "bench-state-x-visits",
        rate: 20_000,
        maxEvents: 4_000,
        concurrentVisits: 1_000,
        delayMinMs: 1_000,
        delayMaxMs: 1_000,
        seed: 7,
        startTimeMs: Date.UTC(2024, 0, 1, 0, 7, 30),
        bootstrapServers: ["kafka:9092"],
      },
    });
  });

  it("bounds a timed load by its duration instead of a count", () => {
    const command = generatorRunCommand(
      "ci-generator-bench-load-1f",
      place,
      {
        topic: "visits",
        rate: 500,
        durationMs: 25_000,
        visits: 250,
        delayMinMs: 300,
        delayMaxMs: 700,
        seed: 31,
      },
      "ci-generator",
    );
    const parsed = parseOptions({}, command.args.slice(11), 0);
    expect(parsed).toMatchObject({
      kind: "options",
      options: { topic: "visits", rate: 500, durationMs: 25_000, concurrentVisits: 250, seed: 31 },
    });
    expect(command.args).not.toContain("--max-events");
  });

  it("reads what the generator says it sent, and nothing from a log without its last line", () => {
    const logs =
      "2026-12-02T04:00:01.000Z sent 500 events of 500 visits event_time=… -> v/0@0 v/1@0\n" +
      "2026-12-02T04:00:05.120Z stopped (max-events): sent 20000 events in 4.1 s (4878.0/s, 2000 visits begun)\n";
    expect(parseGeneratorSummary(logs)).toEqual({ stoppedBy: "max-events", sent: 20_000, seconds: 4.1, perSecond: 4878 });
    expect(parseGeneratorSummary("2026-12-02T04:00:01.000Z sent 500 events")).toBeNull();
    expect(parseGeneratorSummary("visit generator failed: connection refused")).toBeNull();
  });

  it("finds the stack generator's image, network, Kafka address and stack label in docker inspect's answer", () => {
    const inspection = [
      {
        Name: "/flink-checkpointer-ci-generator",
        Image: "sha256:4f2c",
        Config: {
          Env: ["PATH=/usr/bin", "KAFKA_BOOTSTRAP=kafka:9092", "VISITS_TOPIC=visits"],
          Labels: { "flink-checkpointer.stack": "flink-checkpointer-ci" },
        },
        NetworkSettings: { Networks: { "flink-checkpointer-ci-net": { IPAddress: "172.18.0.6" } } },
      },
    ];
    expect(generatorPlaceOf(inspection)).toEqual(place);
    expect(() => generatorPlaceOf([{ Name: "/other", Image: "x", Config: { Env: [] }, NetworkSettings: { Networks: {} } }])).toThrow(
      "the generator container /other does not show",
    );
  });
});
