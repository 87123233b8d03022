import { describe, expect, it } from "vitest";
import { configChanges, imageDefaultsOf, printedBy } from "./lifecycle";

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

describe("configChanges", () => {
  it("sets back what changed, removes what was added, and leaves the rest", () => {
    expect(
      configChanges({ target: "docker", flinkVersion: "1.20" }, { target: "docker", flinkVersion: "2.2", restoreFrom: "latest" }),
    ).toEqual({ flinkVersion: "1.20", restoreFrom: undefined });
    expect(configChanges({ target: "docker" }, { target: "docker" })).toEqual({});
  });
});

describe("imageDefaultsOf", () => {
  it("reads which images a stack was brought up with from its outputs", () => {
    expect(imageDefaultsOf({ images: { defaults: "local", flinkImage: "x" } })).toBe("local");
    expect(imageDefaultsOf({})).toBeUndefined();
  });
});
