import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type BuildContext,
  buildOrder,
  CommandFailed,
  type EngineOptions,
  type Piece,
  pieceKey,
  plainLine,
  progressLine,
  type ResourceClass,
  runPieces,
  summary,
} from "./engine";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pieces in memory: each build records itself and what ran beside it; inputs are plain values. */
class World {
  readonly built: string[] = [];
  readonly running = new Set<string>();
  readonly overlaps: string[][] = [];
  readonly inputs = new Map<string, Record<string, string>>();
  readonly failing = new Set<string>();
  readonly dir = mkdtempSync(join(tmpdir(), "setup-engine-"));
  readonly printed: string[] = [];

  piece(name: string, resource: ResourceClass, deps: string[] = [], ms = 20): Piece {
    return {
      name,
      deps,
      resource,
      from: `${name}@v1`,
      inputs: () => this.inputs.get(name) ?? { version: "1" },
      outputs: () => [join(this.dir, "out", name.replace(/\//g, "_"))],
      build: async (context: BuildContext) => {
        this.running.add(name);
        this.overlaps.push([...this.running].sort());
        await sleep(ms);
        this.running.delete(name);
        if (this.failing.has(name)) {
          context.log("compiling...\nundefined: foo");
          throw new CommandFailed(`go build ./${name}`, "exited with 1");
        }
        this.built.push(name);
        writeFileSync(join(this.dir, "out", name.replace(/\//g, "_")), context.key);
      },
    };
  }

  options(): EngineOptions {
    return {
      store: { stampDir: join(this.dir, "stamps"), logDir: join(this.dir, "logs"), lock: async () => () => {} },
      runner: async () => {
        throw new Error("no command runs in these tests");
      },
      print: (line) => this.printed.push(line),
    };
  }

  async run(pieces: Piece[], targets = pieces.map((p) => p.name)) {
    this.built.length = 0;
    this.overlaps.length = 0;
    this.printed.length = 0;
    return runPieces(pieces, targets, this.options());
  }
}

const newWorld = () => {
  const world = new World();
  mkdirSync(join(world.dir, "out"));
  return world;
};

describe("the setup engine", () => {
  it("builds each piece once, dependencies first, and skips what is up to date on the next run", async () => {
    const world = newWorld();
    const pieces = [world.piece("image", "io", ["base", "jars"]), world.piece("base", "io"), world.piece("jars", "io")];
    const first = await world.run(pieces);
    expect(first.ok).toBe(true);
    expect(world.built.indexOf("image")).toBe(2);
    expect([...first.outcomes.values()].map((o) => o.state)).toEqual(["built", "built", "built"]);

    const second = await world.run(pieces);
    expect(world.built).toEqual([]);
    expect([...second.outcomes.values()].every((o) => o.state === "up to date")).toBe(true);
    expect(world.printed).toContain("image: up to date");
    expect(summary(second, 1200)[0]).toBe("setup: 3 pieces in 1 s: 3 up to date, 0 built");
  });

  it("rebuilds a piece whose input changed and what depends on it, nothing else", async () => {
    const world = newWorld();
    const pieces = [world.piece("base", "io"), world.piece("image", "io", ["base"]), world.piece("tool", "cpu")];
    await world.run(pieces);
    world.inputs.set("base", { version: "2" });
    await world.run(pieces);
    expect(world.built).toEqual(["base", "image"]);
  });

  it("rebuilds a piece whose output is gone although its stamp holds its key", async () => {
    const world = newWorld();
    const pieces = [world.piece("tool", "cpu")];
    await world.run(pieces);
    rmSync(join(world.dir, "out", "tool"));
    await world.run(pieces);
    expect(world.built).toEqual(["tool"]);
  });

  it("never builds two cpu pieces at once, and builds io pieces beside them", async () => {
    const world = newWorld();
    const pieces = [
      world.piece("go/a", "cpu", [], 40),
      world.piece("go/b", "cpu", [], 40),
      world.piece("go/c", "cpu", [], 40),
      world.piece("fetch/x", "io", [], 30),
      world.piece("fetch/y", "io", [], 30),
    ];
    await world.run(pieces);
    expect(world.built.sort()).toEqual(["fetch/x", "fetch/y", "go/a", "go/b", "go/c"]);
    for (const together of world.overlaps) {
      expect(together.filter((name) => name.startsWith("go/")).length, together.join(" ")).toBeLessThanOrEqual(1);
      expect(together.filter((name) => name.startsWith("fetch/")).length, together.join(" ")).toBeLessThanOrEqual(1);
    }
    expect(world.overlaps.some((together) => together.length === 2)).toBe(true);
  });

  it("reports a failure with its piece, source, command and log, and finishes the pieces that do not need it", async () => {
    const world = newWorld();
    world.failing.add("go/a");
    const pieces = [world.piece("go/a", "cpu"), world.piece("image", "io", ["go/a"]), world.piece("fetch/x", "io")];
    const result = await world.run(pieces);
    expect(result.ok).toBe(false);
    expect(world.built).toEqual(["fetch/x"]);
    expect(result.outcomes.get("image")).toEqual({ state: "blocked", by: ["go/a"] });
    const failure = result.outcomes.get("go/a");
    expect(failure?.state).toBe("failed");
    const report = failure?.state === "failed" ? failure.report : "";
    expect(report).toContain("FAILED: go/a");
    expect(report).toContain("from:    go/a@v1");
    expect(report).toContain("command: go build ./go/a");
    expect(report).toContain(`log:     ${join(world.dir, "logs", "go/a.log")}`);
    expect(report).toContain("    | undefined: foo");
    const lines = summary(result, 5000);
    expect(lines[0]).toBe("setup: 3 pieces in 5 s: 0 up to date, 1 built, 1 FAILED, 1 not built");
    expect(lines).toContain("  not built, as they need a failed piece: image");
    expect(lines).toContain("  built: fetch/x (0 s)");
    // The failed piece has no stamp: the next run tries it again.
    world.failing.clear();
    await world.run(pieces);
    expect(world.built).toEqual(["go/a", "image"]);
  });

  it("writes the key into the stamp and names every build in the log's first line", async () => {
    const world = newWorld();
    const result = await world.run([world.piece("tool", "cpu")]);
    const key = result.keys.get("tool")!;
    expect(readFileSync(join(world.dir, "stamps", "tool"), "utf8").trim()).toBe(key);
    expect(readFileSync(join(world.dir, "logs", "tool.log"), "utf8")).toMatch(/^# tool from tool@v1, key [0-9a-f]{64}, started /);
  });

  it("uses what carries its key instead of a stamp, and fails a build that does not make it hold", async () => {
    const world = newWorld();
    let label = "";
    const image: Piece = {
      name: "image",
      resource: "io",
      from: "recipe",
      inputs: () => ({ recipe: "a" }),
      holds: async (key) => label === key,
      build: async () => {
        label = "something else";
      },
    };
    const result = await world.run([image]);
    expect(result.outcomes.get("image")?.state).toBe("failed");
    label = result.keys.get("image")!;
    expect((await world.run([image])).outcomes.get("image")).toEqual({ state: "up to date" });
  });

  it("prints what builds, for how long and its log's last line while it builds", async () => {
    const world = newWorld();
    const slow: Piece = {
      ...world.piece("go/slow", "cpu"),
      build: async (context) => {
        context.log("# github.com/x/y");
        await sleep(2600);
      },
    };
    await runPieces([slow], ["go/slow"], { ...world.options(), progressEveryMs: 1000 });
    const progress = world.printed.filter((line) => line.startsWith("  ... go/slow: building for"));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/^ {2}\.\.\. go\/slow: building for \d s \| # github.com\/x\/y$/);
  });
});

describe("the pieces' order and keys", () => {
  const world = newWorld();
  it("orders only what the targets need, and names a missing dependency or a circle", () => {
    const pieces = [world.piece("a", "io", ["b"]), world.piece("b", "io"), world.piece("c", "io")];
    expect(buildOrder(pieces, ["a"]).map((p) => p.name)).toEqual(["b", "a"]);
    expect(() => buildOrder([world.piece("a", "io", ["z"])], ["a"])).toThrow("no piece named z (a depends on it)");
    expect(() => buildOrder([world.piece("a", "io", ["b"]), world.piece("b", "io", ["a"])], ["a"])).toThrow(
      "the pieces depend on each other in a circle: a -> b -> a",
    );
  });

  it("keys a piece by its name, its inputs in any order and its dependencies' keys", () => {
    const key = pieceKey("a", { x: "1", y: "2" }, new Map([["b", "k"]]));
    expect(pieceKey("a", { y: "2", x: "1" }, new Map([["b", "k"]]))).toBe(key);
    expect(pieceKey("a", { x: "1", y: "3" }, new Map([["b", "k"]]))).not.toBe(key);
    expect(pieceKey("a", { x: "1", y: "2" }, new Map([["b", "k2"]]))).not.toBe(key);
    expect(pieceKey("c", { x: "1", y: "2" }, new Map([["b", "k"]]))).not.toBe(key);
  });

  it("shows a log line as a terminal would: no colour codes, what the last carriage return left", () => {
    expect(plainLine("\x1b[0m")).toBe("");
    expect(plainLine("Step 9/18 : COPY\x1b[0m")).toBe("Step 9/18 : COPY");
    expect(plainLine("10%\r55%\r 90% ")).toBe("90%");
  });

  it("shortens a long log line in the progress", () => {
    expect(progressLine("kind/kubernetes", 200_000, "x".repeat(300))).toBe(
      `  ... kind/kubernetes: building for 3 min 20 s | ${"x".repeat(157)}...`,
    );
    expect(progressLine("a", 4000, "  ")).toBe("  ... a: building for 4 s");
  });
});
