import { describe, expect, it } from "vitest";
import { createRandom, mulberry32 } from "./prng";

describe("mulberry32", () => {
  it("gives the same sequence for the same seed and a different one for another seed", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 20 }, a);
    expect(Array.from({ length: 20 }, b)).toEqual(seqA);
    expect(Array.from({ length: 20 }, c)).not.toEqual(seqA);
  });

  it("stays in [0, 1) and is roughly uniform", () => {
    const next = mulberry32(7);
    const buckets = new Array<number>(10).fill(0);
    const draws = 100_000;
    let min = 1;
    let max = 0;
    for (let i = 0; i < draws; i++) {
      const x = next();
      min = Math.min(min, x);
      max = Math.max(max, x);
      buckets[Math.floor(x * 10)]! += 1;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const count of buckets) expect(Math.abs(count - draws / 10)).toBeLessThan(draws / 100);
  });
});

describe("createRandom", () => {
  it("int covers both bounds and nothing outside them", () => {
    const random = createRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(random.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it("int rejects an empty or fractional range", () => {
    const random = createRandom(1);
    expect(() => random.int(5, 4)).toThrow(/min <= max/);
    expect(() => random.int(0.5, 4)).toThrow(/integers/);
  });

  it("pick returns members and refuses an empty list", () => {
    const random = createRandom(2);
    const items = ["a", "b", "c"] as const;
    for (let i = 0; i < 50; i++) expect(items).toContain(random.pick(items));
    expect(() => random.pick([])).toThrow(/empty/);
  });

  it("chance honours 0 and 1", () => {
    const random = createRandom(3);
    for (let i = 0; i < 100; i++) {
      expect(random.chance(0)).toBe(false);
      expect(random.chance(1)).toBe(true);
    }
  });
});
