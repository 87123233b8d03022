import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildInputProblems, contextDigest } from "./buildInputs";
import { parseStackConfig } from "./config";

describe("buildInputProblems", () => {
  const cfg = parseStackConfig({});
  it("asks for the connector jar of the configured Flink release, saying how to get it", () => {
    expect(buildInputProblems(cfg, ["guava-32.1.2-jre.jar"], false)).toEqual([
      "jobs/flink/lib/flink-connector-kafka-3.4.0-1.20.jar is missing: run scripts/fetch-connector-jars.sh " +
        "(it downloads the connector with Maven; npm run up does it for you)",
    ]);
    expect(buildInputProblems(cfg, ["flink-connector-kafka-3.4.0-1.20.jar"], false)).toEqual([]);
  });
  it("names a configured CA file that does not exist", () => {
    const withCa = parseStackConfig({ extraCaCertsFile: "/nope/ca.pem" });
    expect(buildInputProblems(withCa, ["flink-connector-kafka-3.4.0-1.20.jar"], false)[0]).toContain(
      'flink-checkpointer:extraCaCertsFile: "/nope/ca.pem" does not exist',
    );
  });
});

describe("contextDigest", () => {
  it("changes with a file's content or name, and ignores dependency and cache folders", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctx-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM x\n");
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "lib", "a.jar"), "jar");
    const first = contextDigest(dir);
    expect(contextDigest(dir)).toBe(first);

    fs.mkdirSync(path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "node_modules", "x.js"), "x");
    fs.mkdirSync(path.join(dir, "__pycache__"));
    fs.writeFileSync(path.join(dir, "__pycache__", "y.pyc"), "y");
    expect(contextDigest(dir)).toBe(first);

    fs.writeFileSync(path.join(dir, "lib", "a.jar"), "jar2");
    const changed = contextDigest(dir);
    expect(changed).not.toBe(first);
    fs.renameSync(path.join(dir, "lib", "a.jar"), path.join(dir, "lib", "b.jar"));
    expect(contextDigest(dir)).not.toBe(changed);
    fs.rmSync(dir, { recursive: true });
  });
});
