import { describe, expect, it } from "vitest";
import { decadesAround, linearAxis, linearScale, logScale, logTicks, niceStep, SECONDS_LADDER, ticksBetween } from "./axis";
import { overlaps } from "./box";
import { textBox } from "./textSize";

describe("niceStep", () => {
  it("takes 1, 2 or 5 times a power of ten, or the ladder given", () => {
    expect([niceStep(251, 10), niceStep(12.4, 10), niceStep(90, 10), niceStep(1_000, 10)]).toEqual([50, 2, 10, 100]);
    expect([niceStep(4321, 5), niceStep(17_400, 5), niceStep(0.8, 5)]).toEqual([1000, 5000, 0.2]);
    expect([niceStep(40, 12, SECONDS_LADDER), niceStep(170, 12, SECONDS_LADDER), niceStep(99_999, 12, SECONDS_LADDER)]).toEqual([
      5, 15, 3600,
    ]);
  });
});

describe("ticksBetween", () => {
  it("ticks every step within the span, without floating-point dust", () => {
    expect(ticksBetween(-7, 21, 5, String).map((t) => t.label)).toEqual(["-5", "0", "5", "10", "15", "20"]);
    expect(ticksBetween(0, 0.6, 0.2, String).map((t) => t.value)).toEqual([0, 0.2, 0.4, 0.6]);
  });
});

describe("linearAxis", () => {
  const fit = { length: 600, fontSize: 11, direction: "x" as const };

  it("ends at the first nice value at or past the greatest", () => {
    const axis = linearAxis(0, 70_000, (ms) => `${ms / 1000} s`, fit);
    expect(axis).toMatchObject({ start: 0, end: 70_000, step: 10_000 });
    expect(axis.ticks.map((t) => t.label)).toEqual(["0 s", "10 s", "20 s", "30 s", "40 s", "50 s", "60 s", "70 s"]);
    expect(linearAxis(0, 4321, String, { ...fit, maxTicks: 5 })).toMatchObject({ end: 5000, step: 1000 });
  });

  it("takes fewer ticks until no two labels of the axis overlap", () => {
    const format = (v: number) => `${v.toLocaleString("en-US")} events/s`;
    for (const length of [120, 300, 600]) {
      const axis = linearAxis(0, 123_456, format, { ...fit, length });
      const x = linearScale(axis.start, axis.end, 0, length);
      const boxes = axis.ticks.map((t) => textBox(x(t.value), 0, t.label, 11, "middle"));
      for (let i = 1; i < boxes.length; i++) expect(overlaps(boxes[i - 1]!, boxes[i]!)).toBe(false);
    }
  });
});

describe("log axes", () => {
  it("span the decades around the values and tick each, or every other when they crowd", () => {
    expect(decadesAround([19_500, 41_000_000])).toEqual({ low: 10_000, high: 100_000_000 });
    expect(decadesAround([5])).toEqual({ low: 1, high: 10 });
    const fit = { length: 400, fontSize: 11, direction: "x" as const };
    expect(logTicks(10, 100_000, String, fit).map((t) => t.value)).toEqual([10, 100, 1000, 10_000, 100_000]);
    expect(logTicks(1, 1e12, (v) => v.toExponential(), { ...fit, length: 100 }).length).toBeLessThan(13);
    expect(logScale(10, 1000, 0, 100)(100)).toBeCloseTo(50);
  });
});
