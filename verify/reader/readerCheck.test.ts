import { describe, expect, it } from "vitest";
import { recordsToRead } from "./readerCheck";

describe("how many records Kafka's consumer is asked for", () => {
  const ours = [
    { partition: 0, offset: 3, value: "a" },
    { partition: 0, offset: 9, value: "b" },
    { partition: 1, offset: 4, value: "c" },
  ];

  it("is what our reader returned per partition, so a live topic's read stops there", () => {
    expect([...recordsToRead(ours, { 0: 0, 1: 0 }, { 0: 12, 1: 7 })]).toEqual([
      [0, 2],
      [1, 1],
    ]);
  });

  it("is one where our reader found nothing below a partition's end (all aborted), and none for an empty partition", () => {
    expect([...recordsToRead(ours, { 0: 0, 1: 0, 2: 0, 3: 5 }, { 0: 12, 1: 7, 2: 6, 3: 5 })]).toEqual([
      [0, 2],
      [1, 1],
      [2, 1],
    ]);
  });
});
