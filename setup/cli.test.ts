import { describe, expect, it } from "vitest";
import { freeSpaceProblem, merge, parseArguments } from "./cli";
import type { Piece } from "./engine";

const piece = (name: string): Piece => ({ name, resource: "io", from: name, inputs: () => ({}), build: async () => {} });

describe("the setup command line", () => {
  it("reads groups, --local-images and the path of an inspector", () => {
    expect(parseArguments([])).toEqual({ kind: "groups", groups: ["pulumi"] });
    expect(parseArguments(["--local-images"])).toEqual({ kind: "groups", groups: ["pulumi", "local-images"] });
    expect(parseArguments(["kind", "inspector", "kind"])).toEqual({ kind: "groups", groups: ["kind", "inspector"] });
    expect(parseArguments(["path", "inspector"])).toEqual({ kind: "path" });
    expect(parseArguments(["path", "inspector", "2.2"])).toEqual({ kind: "path", line: "2.2" });
    expect(() => parseArguments(["images"])).toThrow("unknown argument 'images'; allowed: pulumi, toolchain, docker, connectors");
    expect(() => parseArguments(["path", "kind"])).toThrow("`path inspector [LINE]`");
  });

  it("merges groups into one graph, a piece two groups share once", () => {
    const notes = ["a note"];
    const merged = merge([
      { pieces: [piece("docker-engine"), piece("images/debian")], targets: ["images/debian"], notes },
      { pieces: [piece("docker-engine")], targets: ["docker-engine"], notes: [] },
    ]);
    expect(merged.pieces.map((p) => p.name)).toEqual(["docker-engine", "images/debian"]);
    expect(merged.targets).toEqual(["images/debian", "docker-engine"]);
    expect(merged.notes).toEqual(notes);
    expect(merged.finish).toBeUndefined();
  });

  it("says where space is short, how much and how to change the limit", () => {
    expect(freeSpaceProblem(6 * 1024 ** 3, 5, "/var/lib/docker", "Docker's images")).toBeUndefined();
    expect(freeSpaceProblem(2.5 * 1024 ** 3, 5, "/root/.cache", "the caches")).toBe(
      "only 2 GiB free on /root/.cache (holding the caches); the builds and images need about 5 GiB: " +
        "free some space there and run again (FC_MIN_FREE_GIB sets the limit)",
    );
  });
});
