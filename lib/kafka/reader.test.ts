import { describe, expect, it } from "vitest";
import { unfinishedPartitions, whenCoordinatorReady } from "./reader";

describe("unfinishedPartitions", () => {
  it("counts offsets passed, not records seen", () => {
    // Partition 0 ends at 10 after a commit marker at 9: passing offset 9 finishes it.
    expect(unfinishedPartitions({ 0: 0, 1: 0 }, { 0: 10, 1: 4 }, { 0: 10, 1: 6 })).toEqual(["partition 1 at 4 of 6"]);
    expect(unfinishedPartitions({ 0: 3 }, {}, { 0: 3 })).toEqual([]);
  });
});

describe("whenCoordinatorReady", () => {
  // What kafkajs throws for an OffsetFetch a broker answers while its coordinator loads (code 16).
  const notCoordinator = Object.assign(new Error("This is not the correct coordinator for this group"), {
    type: "NOT_COORDINATOR_FOR_GROUP",
    retriable: true,
  });

  it("asks again while the coordinator is not ready, then answers", async () => {
    let calls = 0;
    const answer = await whenCoordinatorReady(
      async () => {
        calls += 1;
        if (calls < 3)
          throw calls === 1 ? notCoordinator : Object.assign(new Error("retries exceeded"), { cause: { type: "GROUP_LOAD_IN_PROGRESS" } });
        return { 0: 42 };
      },
      5_000,
      1,
    );
    expect(answer).toEqual({ 0: 42 });
    expect(calls).toBe(3);
  });

  it("passes any other error on at once, and a not-ready one after its time", async () => {
    let calls = 0;
    const unknownTopic = Object.assign(new Error("This server does not host this topic-partition"), { type: "UNKNOWN_TOPIC_OR_PARTITION" });
    await expect(
      whenCoordinatorReady(
        async () => {
          calls += 1;
          throw unknownTopic;
        },
        5_000,
        1,
      ),
    ).rejects.toBe(unknownTopic);
    expect(calls).toBe(1);
    await expect(
      whenCoordinatorReady(
        async () => {
          throw notCoordinator;
        },
        20,
        5,
      ),
    ).rejects.toBe(notCoordinator);
  });
});
