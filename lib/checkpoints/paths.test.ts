import { describe, expect, it } from "vitest";
import { normalizeCheckpointPath } from "./paths";

describe("normalizeCheckpointPath", () => {
  it.each(["file:/checkpoints_flink/j/chk-3", "file:///checkpoints_flink/j/chk-3", "/checkpoints_flink/j/chk-3/"])(
    "reads %s as a local path",
    (path) => {
      expect(normalizeCheckpointPath(path)).toBe("/checkpoints_flink/j/chk-3");
    },
  );
});
