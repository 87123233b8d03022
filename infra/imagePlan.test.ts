import { describe, expect, it } from "vitest";
import { DEFAULT_FLINK_LINE, FLINK_LINES, VERSIONS } from "../lib/versions";
import { ConfigError } from "./config";
import { imagePlan, pulumiConfigValues } from "./imagePlan";

const LINE = FLINK_LINES[DEFAULT_FLINK_LINE]!;

describe("imagePlan", () => {
  it("gives the official and the local image of every key the stack leaves out", () => {
    expect(imagePlan({ target: "docker" })).toEqual([
      { key: "flinkImage", origin: "default", official: LINE.officialImage, local: LINE.localImage },
      { key: "kafkaImage", origin: "default", official: VERSIONS.kafka.officialImage, local: VERSIONS.kafka.localImage },
      { key: "nodeImage", origin: "default", official: VERSIONS.node.officialImage, local: VERSIONS.node.localImage },
    ]);
  });

  it("keeps what the stack sets under both", () => {
    const plan = imagePlan({ kafkaImage: VERSIONS.kafka.localImage });
    expect(plan[1]).toEqual({
      key: "kafkaImage",
      origin: "stack",
      official: VERSIONS.kafka.localImage,
      local: VERSIONS.kafka.localImage,
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
