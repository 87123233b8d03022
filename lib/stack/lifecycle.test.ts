import { describe, expect, it } from "vitest";
import { imageDefaultsOf, printedBy } from "./lifecycle";

describe("printedBy", () => {
  it("logs each line of the engine's output indented, without its progress dots", () => {
    const lines: string[] = [];
    const print = printedBy((line) => lines.push(line));
    for (const chunk of [
      "Updating (f2u-a):\n",
      ".",
      "@ updating....",
      " ++ docker:index:Container jobmanager created replacement (1s)\n +- docker:index:Container jobmanager replaced (0.00s)\n",
      "\n",
    ])
      print(chunk);
    expect(lines).toEqual([
      "   | Updating (f2u-a):",
      "   |  ++ docker:index:Container jobmanager created replacement (1s)",
      "   |  +- docker:index:Container jobmanager replaced (0.00s)",
    ]);
  });
});

describe("imageDefaultsOf", () => {
  it("reads which images a stack was brought up with from its outputs", () => {
    expect(imageDefaultsOf({ images: { defaults: "local", flinkImage: "x" } })).toBe("local");
    expect(imageDefaultsOf({})).toBeUndefined();
  });
});
