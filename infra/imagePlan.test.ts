import { describe, expect, it } from "vitest";
import { ConfigError } from "./config";
import { imagePlan, pulumiConfigValues } from "./imagePlan";

describe("imagePlan", () => {
  it("gives the official and the local image of every key the stack leaves out", () => {
    expect(imagePlan({ target: "docker" })).toEqual([
      { key: "flinkImage", origin: "default", official: "flink:1.20.3-scala_2.12-java17", local: "flink-checkpointer-local/flink:1.20.3" },
      { key: "kafkaImage", origin: "default", official: "apache/kafka:4.1.1", local: "flink-checkpointer-local/kafka:4.1.1" },
      { key: "nodeImage", origin: "default", official: "node:22-bookworm-slim", local: "flink-checkpointer-local/node:22" },
    ]);
  });

  it("keeps what the stack sets under both", () => {
    const plan = imagePlan({ kafkaImage: "flink-checkpointer-local/kafka:4.1.1" });
    expect(plan[1]).toEqual({
      key: "kafkaImage",
      origin: "stack",
      official: "flink-checkpointer-local/kafka:4.1.1",
      local: "flink-checkpointer-local/kafka:4.1.1",
    });
    expect(plan[0].origin).toBe("default");
  });

  it("fails on an invalid stack config, before anything is created", () => {
    expect(() => imagePlan({ checkpointMode: "SOMETIMES" })).toThrow(ConfigError);
  });
});

describe("pulumiConfigValues", () => {
  it("reads `pulumi config --json` of this project", () => {
    const json = JSON.stringify({
      "flink-checkpointer:target": { value: "docker", secret: false },
      "flink-checkpointer:flinkRestPort": { value: "18081", secret: false },
      "other:key": { value: "x", secret: false },
    });
    expect(pulumiConfigValues(json)).toEqual({ target: "docker", flinkRestPort: "18081" });
  });
});
