// The README is the front door and the docs are reference: held against the code. Every command they give is checked
// as far as it can be without a stack: the npm script exists and its arguments parse as the command parses them, the
// script file and its subcommand exist, a config key and value are ones the stack accepts, a file named exists.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBenchArguments } from "../bench";
import { CONFIG_KEYS, type ConfigError, parseStackConfig } from "../infra/config";
import { parseCheckpointsArguments } from "../verify/commands/checkpoints";
import { parseReportCheckArguments } from "../verify/commands/reportCheck";
import { parseArguments } from "../verify/commands/verifyArgs";
import { parseReaderCheckArguments } from "../verify/reader/crossCheck";

const ROOT = resolve(__dirname, "..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const README = read("README.md");
const DOCS = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/${f}`);
const PAGES = ["README.md", ...DOCS];
const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;

/** The commands a page gives: each line of its ```bash blocks, and inline code that starts like a command. */
function commandsOf(page: string): string[] {
  const blocks = [...page.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split("\n"));
  const inline = [...page.matchAll(/`((?:npm run|bash scripts\/|pulumi config set|source scripts\/|kind create cluster)[^`]*)`/g)].map(
    (m) => m[1]!,
  );
  return [...blocks, ...inline]
    .map((line) =>
      line
        .replace(/\s+#.*$/, "")
        .replace(/\s+/g, " ")
        .trim(),
    )
    .filter((line) => line !== "" && !line.includes("…"));
}

/** Sample values for a page's placeholders, so a command with them still parses as the real one would. */
const SAMPLES: Readonly<Record<string, string>> = {
  "<stack>": "docker",
  "<key>": "checkpointIntervalMs",
  "<value>": "30000",
  "<job-id>": "0123456789abcdef0123456789abcdef",
  "<N>": "3",
  "<id>": "abc",
  "<name>": "docker",
  "<kafka container>": "flink-checkpointer-docker-kafka",
  "<up stack>": "ci",
};
const withSamples = (command: string) =>
  Object.entries(SAMPLES).reduce((c, [placeholder, value]) => c.split(placeholder).join(value), command);

/** What is wrong with one command, or undefined. */
function commandProblem(command: string): string | undefined {
  const words = withSamples(command).split(/\s+/);
  const parts = withSamples(command)
    .split("&&")
    .map((p) => p.trim());
  // The keys one line sets together (`pulumi config set flinkVersion 2.2 && pulumi config set transactionNaming
  // pooling`): a value may be allowed only beside another.
  const setTogether = Object.fromEntries(
    parts
      .map((part) => part.split(/\s+/))
      .filter(([first, ...rest]) => first === "pulumi" && rest[0] === "config" && rest[1] === "set")
      .map((tokens) => [tokens[3]!, tokens[4]!]),
  );
  for (const part of parts) {
    const [first, ...rest] = part.split(/\s+/);
    if (first === "source" || first === "bash") {
      const file = rest[0]!;
      if (!existsSync(join(ROOT, file))) return `${file} does not exist`;
      if (
        file === "scripts/kind-cluster.sh" &&
        !["setup", "create", "delete", "status", "stop-node", "start-node", "sync-hosts"].includes(rest[1] ?? "")
      )
        return `kind-cluster.sh has no command ${rest[1]}`;
    }
    if (first === "kind" && rest.includes("--config") && !existsSync(join(ROOT, rest[rest.indexOf("--config") + 1]!)))
      return `${part}: no such config`;
    if (first === "pulumi" && rest[0] === "config" && rest[1] === "set") {
      // Pulumi's own flags may stand anywhere: --secret, --stack <name>.
      const args = rest.slice(2).filter((word, i, all) => word !== "--secret" && word !== "--stack" && all[i - 1] !== "--stack");
      const [key, value] = [args[0]!, args[1]!];
      if (!(key in CONFIG_KEYS)) return `${key} is no config key`;
      // A bucket's keys only mean something beside a bucket: checked with an existing store configured, its
      // credentials held as secrets.
      const bucket = key.startsWith("s3")
        ? { checkpointStorage: "s3", s3Endpoint: "https://s3.example.com", s3AccessKey: "[secret]", s3SecretKey: "[secret]" }
        : {};
      try {
        parseStackConfig({ ...setTogether, ...bucket, [key]: value }, {}, new Set(["s3AccessKey", "s3SecretKey"]));
      } catch (error) {
        const problems = (error as ConfigError).problems ?? [];
        // A value of one key may need another key set (extraCaCertsFile's file is checked at build time, not here).
        const own = problems.filter((p) => p.startsWith(`${key}:`));
        if (own.length > 0) return own.join("; ");
      }
    }
    if ((first === "npm" && rest[0] === "run") || part.startsWith("E2E_TARGETS=")) {
      const at = part.split(/\s+/).indexOf("run");
      const tokens = part.split(/\s+/);
      const script = tokens[at + 1]!;
      if (!(script in scripts)) return `npm run ${script}: no such script`;
      if (!tokens.includes("--")) continue;
      const args = tokens.slice(tokens.indexOf("--") + 1);
      try {
        if (script === "verify") parseArguments(args);
        if (script === "checkpoints") parseCheckpointsArguments(args);
        if (script === "bench") parseBenchArguments(args);
        if (script === "reader-check") parseReaderCheckArguments(args);
        if (script === "report-check") parseReportCheckArguments(args);
        if ((script === "up" || script === "down") && args[0] && !existsSync(join(ROOT, `Pulumi.${args[0]}.yaml`)))
          return `no stack file Pulumi.${args[0]}.yaml`;
      } catch (error) {
        return `${part}: ${(error as Error).message}`;
      }
    }
  }
  return words.length === 0 ? "empty" : undefined;
}

describe("the README", () => {
  it("is a front door of at most about 150 lines", () => {
    expect(README.split("\n").length).toBeLessThanOrEqual(150);
  });

  it("gives the two set-up commands, the second of them .ci/run's", () => {
    expect(README).toContain("source scripts/env.sh && npm ci && npm run up");
    const test = "source scripts/env.sh && npm ci && npm test";
    expect(README).toContain(test);
    expect(read(".ci/run")).toContain(test);
  });
});

describe("the docs", () => {
  it.each(PAGES)("%s: every command parses as the command does, and every script and file it names exists", (page) => {
    const problems = commandsOf(read(page)).flatMap((command) => {
      const problem = commandProblem(command);
      return problem ? [`${command}: ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });

  it.each(PAGES)("%s: every page it links to exists", (page) => {
    const base = page.startsWith("docs/") ? "docs" : ".";
    const links = [...read(page).matchAll(/\]\(([^)#:]+\.md)\)/g)].map((m) => join(base, m[1]!));
    expect(links.filter((link) => !existsSync(join(ROOT, link)))).toEqual([]);
  });

  it("document every config key with its default", () => {
    const rows = new Map(
      read("docs/configuration.md")
        .split("## Stack outputs")[0]!
        .split("\n")
        .map((line) => /^\| `([A-Za-z0-9]+)` \| (.*?) \|/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    );
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      expect(rows.get(key), key).toBe(spec.default === undefined ? "—" : `\`${spec.default}\``);
    }
    expect([...rows.keys()].filter((k) => !(k! in CONFIG_KEYS))).toEqual([]);
  });

  it("find a wrong command: an unknown script, a bad argument, an unknown key, a missing file", () => {
    expect(commandProblem("npm run verifyy")).toContain("no such script");
    expect(commandProblem("npm run verify -- --stack docker --fualts all")).toContain("unknown option --fualts");
    expect(commandProblem("npm run checkpoints -- prune --keep 0")).toContain("--keep");
    expect(commandProblem("pulumi config set checkpointIntervalMz 100")).toContain("no config key");
    expect(commandProblem("pulumi config set checkpointIntervalMs 10")).toContain("checkpointIntervalMs");
    expect(commandProblem("bash scripts/nothing.sh")).toContain("does not exist");
    expect(commandProblem("npm run verify -- --stack docker")).toBeUndefined();
  });
});
