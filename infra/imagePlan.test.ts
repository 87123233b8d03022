import { describe, expect, it } from "vitest";
import { DEFAULT_FLINK_LINE, FLINK_LINES, VERSIONS } from "../lib/versions";
import { ConfigError } from "./config";
import { imagePlan, pulumiConfigValues } from "./imagePlan";

const LINE = FLINK_LINES[DEFAULT_FLINK_LINE]!;

describe("imagePlan", () => {
  it("gives the official and the local image of every key the stack leaves out", () => {
    expect(imagePlan({ "flink-checkpointer:target": "docker" })).toEqual([
      { key: "flinkImage", origin: "default", official: LINE.officialImage, local: LINE.localImage },
      { key: "kafkaImage", origin: "default", official: VERSIONS.kafka.officialImage, local: VERSIONS.kafka.localImage },
      { key: "nodeImage", origin: "default", official: VERSIONS.node.officialImage, local: VERSIONS.node.localImage },
    ]);
  });

  it("keeps what the stack sets under both", () => {
    const plan = imagePlan({ "flink-checkpointer:kafkaImage": VERSIONS.kafka.localImage });
    expect(plan[1]).toEqual({
      key: "kafkaImage",
      origin: "stack",
      official: VERSIONS.kafka.localImage,
      local: VERSIONS.kafka.localImage,
    });
    expect(plan[0].origin).toBe("default");
  });

  it("adds the S3 server's image when the stack runs its own", () => {
    expect(imagePlan({ "flink-checkpointer:checkpointStorage": "s3" })[3]).toEqual({
      key: "s3Image",
      origin: "default",
      official: VERSIONS.seaweedfs.officialImage,
      local: VERSIONS.seaweedfs.localImage,
    });
  });

  it("fails on an invalid stack config, before anything is created", () => {
    expect(() => imagePlan({ "flink-checkpointer:checkpointMode": "SOMETIMES" })).toThrow(ConfigError);
  });

  it("reports a key of a mistyped namespace with the project's problems, and leaves Pulumi's and the providers' alone", () => {
    expect(() =>
      imagePlan({
        "flink-checkpointr:target": "kind",
        "flink-checkpointer:taskSlots": "17",
        "docker:host": "unix:///x",
        "pulumi:tags": "{}",
      }),
    ).toThrow(
      'invalid stack configuration (2 problems):\n  - flink-checkpointer:taskSlots: "17" is not allowed; use a whole number from 1 to 16\n' +
        '  - flink-checkpointr:target: namespace "flink-checkpointr" is neither this project\'s (flink-checkpointer) nor ' +
        "Pulumi's or a provider's (pulumi, docker, kubernetes), so nothing reads it: probably mistyped; did you mean flink-checkpointer:target?",
    );
  });
});

describe("pulumiConfigValues", () => {
  it("reads `pulumi config --json`, every namespace", () => {
    const json = JSON.stringify({
      "flink-checkpointer:target": { value: "docker", secret: false },
      "flink-checkpointer:flinkRestPort": { value: "18081", secret: false },
      "other:key": { value: "x", secret: false },
    });
    expect(pulumiConfigValues(json)).toEqual({
      values: { "flink-checkpointer:target": "docker", "flink-checkpointer:flinkRestPort": "18081", "other:key": "x" },
      secrets: new Set(),
    });
  });

  it("hides a secret's value and says it is one, so an existing store's keys validate without being read", () => {
    const json = JSON.stringify({
      "flink-checkpointer:checkpointStorage": { value: "s3", secret: false },
      "flink-checkpointer:s3Endpoint": { value: "https://s3.eu-west-1.amazonaws.com", secret: false },
      "flink-checkpointer:s3AccessKey": { secret: true },
      "flink-checkpointer:s3SecretKey": { secret: true },
    });
    const { values, secrets } = pulumiConfigValues(json);
    expect(values["flink-checkpointer:s3AccessKey"]).toBe("[secret]");
    expect(secrets).toEqual(new Set(["s3AccessKey", "s3SecretKey"]));
    expect(imagePlan(values, secrets).map((choice) => choice.key)).toEqual(["flinkImage", "kafkaImage", "nodeImage"]);
  });
});
