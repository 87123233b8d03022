import { describe, expect, it } from "vitest";
import { unfinishedPartitions } from "./kafka";

describe("unfinishedPartitions", () => {
  it("counts offsets passed, not records seen", () => {
    // Partition 0 ends at 10 after a commit marker at 9: passing offset 9 finishes it.
    expect(unfinishedPartitions({ 0: 0, 1: 0 }, { 0: 10, 1: 4 }, { 0: 10, 1: 6 })).toEqual(["partition 1 at 4 of 6"]);
    expect(unfinishedPartitions({ 0: 3 }, {}, { 0: 3 })).toEqual([]);
  });
});
