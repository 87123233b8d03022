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

  it("adds the S3 server's image when the stack runs its own", () => {
    expect(imagePlan({ checkpointStorage: "s3" })[3]).toEqual({
      key: "s3Image",
      origin: "default",
      official: VERSIONS.seaweedfs.officialImage,
      local: VERSIONS.seaweedfs.localImage,
    });
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
    expect(pulumiConfigValues(json)).toEqual({ values: { target: "docker", flinkRestPort: "18081" }, secrets: new Set() });
  });

  it("hides a secret's value and says it is one, so an existing store's keys validate without being read", () => {
    const json = JSON.stringify({
      "flink-checkpointer:checkpointStorage": { value: "s3", secret: false },
      "flink-checkpointer:s3Endpoint": { value: "https://s3.eu-west-1.amazonaws.com", secret: false },
      "flink-checkpointer:s3AccessKey": { secret: true },
      "flink-checkpointer:s3SecretKey": { secret: true },
    });
    const { values, secrets } = pulumiConfigValues(json);
    expect(values.s3AccessKey).toBe("[secret]");
    expect(secrets).toEqual(new Set(["s3AccessKey", "s3SecretKey"]));
    expect(imagePlan(values, secrets).map((choice) => choice.key)).toEqual(["flinkImage", "kafkaImage", "nodeImage"]);
  });
});
