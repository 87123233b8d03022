import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS } from "./config";

const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

describe("README configuration table", () => {
  it("documents every config key with its default", () => {
    const rows = new Map(
      readme
        .split("\n")
        .map((line) => /^\| `([A-Za-z]+)` \| (.*?) \|/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    );
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      expect(rows.get(key), key).toBe(spec.default === undefined ? "—" : `\`${spec.default}\``);
    }
    expect([...rows.keys()].filter((k) => !(k in CONFIG_KEYS))).toEqual([]);
  });

  it("gives .ci/run's test command", () => {
    const ci = fs.readFileSync(path.join(__dirname, "..", ".ci", "run"), "utf8");
    const command = "source scripts/env.sh && npm ci && npm test";
    expect(readme).toContain(command);
    expect(ci).toContain(command);
  });
});
