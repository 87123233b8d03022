import { describe, expect, it } from "vitest";
import { metadataCommand, metadataPath } from "./volume";

describe("checkpoint volume", () => {
  it("finds _metadata under the mount whatever the file URI spelling", () => {
    expect(metadataPath("file:/checkpoints_flink/j1/chk-4", "/checkpoints_flink")).toBe("/checkpoints_flink/j1/chk-4/_metadata");
    expect(metadataPath("file:///checkpoints_flink/j1/chk-4/", "/checkpoints_flink/")).toBe("/checkpoints_flink/j1/chk-4/_metadata");
  });

  it("refuses a checkpoint outside the volume, naming both", () => {
    expect(() => metadataPath("file:/tmp/j1/chk-4", "/checkpoints_flink")).toThrow(
      "checkpoint file:/tmp/j1/chk-4 is not on the checkpoint volume mounted at /checkpoints_flink",
    );
    expect(() => metadataPath("file:/checkpoints_flink_other/j/chk-1", "/checkpoints_flink")).toThrow("not on the checkpoint volume");
  });
});

describe("metadataCommand", () => {
  const bucket = {
    kind: "s3" as const,
    endpoint: "http://s3:8333",
    bucket: "b",
    pathStyle: true,
    inStack: true,
    credentialsFile: "/opt/flink/.aws/credentials",
  };

  it("lists _metadata on the volume, and asks the bucket for its object with the mounted credentials", () => {
    expect(metadataCommand({ kind: "volume", name: "v", mountPath: "/checkpoints_flink" }, "file:/checkpoints_flink/j/chk-4")).toEqual([
      "ls",
      "-l",
      "/checkpoints_flink/j/chk-4/_metadata",
    ]);
    const command = metadataCommand(bucket, "s3://b/checkpoints/j/chk-4/");
    expect(command.slice(-2)).toEqual(["head", "s3://b/checkpoints/j/chk-4/_metadata"]);
    expect(command).toEqual(expect.arrayContaining(["--endpoint", "http://s3:8333", "--credentials-file", "/opt/flink/.aws/credentials"]));
  });

  it("refuses a checkpoint outside the stack's bucket", () => {
    expect(() => metadataCommand(bucket, "s3://other/j/chk-4")).toThrow("is not in the bucket b");
  });
});
