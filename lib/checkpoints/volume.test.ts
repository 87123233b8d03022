import { describe, expect, it } from "vitest";
import { metadataPath } from "./volume";

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
