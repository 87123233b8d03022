import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_FLINK_LINE, FLINK_LINES } from "../lib/versions";
import { buildInputProblems, contextDigest, dockerIgnores } from "./buildInputs";
import { parseStackConfig } from "./config";

const LINE = FLINK_LINES[DEFAULT_FLINK_LINE]!;

describe("buildInputProblems", () => {
  const cfg = parseStackConfig({});
  it("asks for the connector jar of the configured Flink release, saying how to get it", () => {
    expect(buildInputProblems(cfg, ["guava-32.1.2-jre.jar"])).toEqual([
      `jobs/flink/lib/${DEFAULT_FLINK_LINE}/flink-connector-kafka-${LINE.kafkaConnector}.jar is missing: run bash scripts/setup.sh ` +
        "(it fetches every Flink line's connector with Maven; npm run up does it for you)",
    ]);
    expect(buildInputProblems(cfg, [`flink-connector-kafka-${LINE.kafkaConnector}.jar`])).toEqual([]);
  });
});

describe("contextDigest", () => {
  it("changes with a file the build receives, its content or its name, and with nothing the .dockerignore leaves out", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctx-"));
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM x\n");
    fs.writeFileSync(path.join(dir, ".dockerignore"), "*\n!lib/*/*.jar\n!job.py\n");
    fs.mkdirSync(path.join(dir, "lib", "1.20"), { recursive: true });
    fs.writeFileSync(path.join(dir, "lib", "1.20", "a.jar"), "jar");
    fs.writeFileSync(path.join(dir, "job.py"), "print()");
    const first = contextDigest(dir);
    expect(contextDigest(dir)).toBe(first);

    fs.writeFileSync(path.join(dir, "test_job.py"), "assert True");
    fs.mkdirSync(path.join(dir, "__pycache__"));
    fs.writeFileSync(path.join(dir, "__pycache__", "y.pyc"), "y");
    fs.writeFileSync(path.join(dir, "lib", ".fetched"), "");
    expect(contextDigest(dir)).toBe(first);

    fs.writeFileSync(path.join(dir, "lib", "1.20", "a.jar"), "jar2");
    const changed = contextDigest(dir);
    expect(changed).not.toBe(first);
    fs.renameSync(path.join(dir, "lib", "1.20", "a.jar"), path.join(dir, "lib", "1.20", "b.jar"));
    expect(contextDigest(dir)).not.toBe(changed);
    const renamed = contextDigest(dir);
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM y\n");
    expect(contextDigest(dir)).not.toBe(renamed);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("dockerIgnores", () => {
  it("reads patterns as Docker does: the last that matches a file or its folder decides", () => {
    const generator = "*\n!package.json\n!*.ts\n*.test.ts\n";
    expect(["main.ts", "package.json"].filter((f) => dockerIgnores(generator, f))).toEqual([]);
    expect(["main.test.ts", "node_modules/x/index.js", "README.md"].every((f) => dockerIgnores(generator, f))).toBe(true);
    expect(dockerIgnores("node_modules\n", "node_modules/a/b.js")).toBe(true);
    expect(dockerIgnores("**/*.pyc\n", "a/b/c.pyc")).toBe(true);
    expect(dockerIgnores("**/*.pyc\n", "c.pyc")).toBe(true);
    expect(dockerIgnores("# a comment\n\n", "x")).toBe(false);
  });
});
