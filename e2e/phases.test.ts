import { describe, expect, it } from "vitest";
import { E2eCheckFailed, expectThat, Phases, phaseSummary } from "./phases";

describe("Phases", () => {
  it("times and records each phase, and passes a failure on after recording it", async () => {
    const lines: string[] = [];
    const phases = new Phases((line) => lines.push(line));
    expect(await phases.run("first", async () => 42)).toBe(42);
    await expect(phases.run("second", async () => expectThat(false, "the matrix failed"))).rejects.toBeInstanceOf(E2eCheckFailed);
    expect(phases.ok).toBe(false);
    expect(phases.results.map((r) => [r.name, r.ok, r.error])).toEqual([
      ["first", true, undefined],
      ["second", false, "the matrix failed"],
    ]);
    expect(lines).toEqual(["=== e2e: first", "=== e2e: second", "e2e: second FAILED: the matrix failed"]);
    expect(phaseSummary(phases.results).split("\n")).toEqual([
      expect.stringMatching(/^first {6,} +0 s {2}ok$/),
      expect.stringMatching(/^second {5,} +0 s {2}FAILED$/),
    ]);
  });
});
