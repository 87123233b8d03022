import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../lib/paths";
import type { StackConfig } from "./config";

/** Repository root, where jobs/ lives (this file is in infra/). */
export { REPO_ROOT };
export const FLINK_JOB_CONTEXT = path.join(REPO_ROOT, "jobs", "flink");
export const GENERATOR_CONTEXT = path.join(REPO_ROOT, "jobs", "generator");

/** File name of the Kafka connector jar that the job image needs for this Flink release (its dependencies lie beside it). */
export function connectorJarName(cfg: StackConfig): string {
  return `flink-connector-kafka-${cfg.flink.kafkaConnector}.jar`;
}

/** Where the job image's build finds the connector jars of a Flink line (Dockerfile: COPY lib/${FLINK_LINE}/). */
export function connectorLibDir(cfg: StackConfig): string {
  return `lib/${cfg.flinkLine}`;
}

/**
 * What is missing from the image build inputs, as messages saying how to fix it. Pure: takes the listing of the
 * job context's lib/<line> folder. (The CA file of extraCaCertsFile is checked with the stack config.)
 */
export function buildInputProblems(cfg: StackConfig, libFiles: readonly string[]): string[] {
  const jar = connectorJarName(cfg);
  return libFiles.includes(jar)
    ? []
    : [
        `jobs/flink/${connectorLibDir(cfg)}/${jar} is missing: run bash scripts/setup.sh ` +
          `(it fetches every Flink line's connector with Maven; npm run up does it for you)`,
      ];
}

/** What the stack's image builds take from disk. */
export interface BuildInputs {
  /** PEM text trusted during image builds, if configured. */
  readonly extraCaCerts?: string;
  /** Digests of the build contexts; a change rebuilds the image. */
  readonly contextDigests: { readonly flinkJob: string; readonly generator: string };
}

/** Checks the build inputs on disk and reads what the image builds need. */
export function readBuildInputs(cfg: StackConfig): BuildInputs {
  const libDir = path.join(FLINK_JOB_CONTEXT, connectorLibDir(cfg));
  const libFiles = fs.existsSync(libDir) ? fs.readdirSync(libDir) : [];
  const problems = buildInputProblems(cfg, libFiles);
  if (problems.length > 0) throw new Error(`cannot build the stack's images:\n  - ${problems.join("\n  - ")}`);
  return {
    ...(cfg.extraCaCertsFile !== undefined ? { extraCaCerts: fs.readFileSync(cfg.extraCaCertsFile, "utf8") } : {}),
    contextDigests: { flinkJob: contextDigest(FLINK_JOB_CONTEXT), generator: contextDigest(GENERATOR_CONTEXT) },
  };
}

/** A .dockerignore pattern as a regular expression over a context-relative path with `/` separators. */
function ignorePattern(pattern: string): RegExp {
  const source = pattern
    .replace(/^\/+|\/+$/g, "")
    .split("/")
    .map((part) =>
      part === "**"
        ? "(?:.*)"
        : part
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, "[^/]*")
            .replace(/\?/g, "[^/]"),
    )
    .join("/")
    .replace(/\(\?:\.\*\)\//g, "(?:.*/)?");
  return new RegExp(`^${source}$`);
}

/**
 * Whether a .dockerignore (its text) leaves a file out of the build context: the last pattern matching the file or
 * one of its folders decides, `!` taking it back in, as Docker reads them.
 */
export function dockerIgnores(dockerignore: string, relPath: string): boolean {
  const rules = dockerignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) =>
      line.startsWith("!") ? { include: true, pattern: ignorePattern(line.slice(1)) } : { include: false, pattern: ignorePattern(line) },
    );
  const parts = relPath.split("/");
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const rule of rules) if (prefixes.some((prefix) => rule.pattern.test(prefix))) ignored = !rule.include;
  return ignored;
}

/**
 * sha256 over the relative paths and contents of what a build receives of its context (the files its .dockerignore
 * lets through, and the Dockerfile), in a stable order: a test or a cache beside the sources rebuilds nothing.
 */
export function contextDigest(dir: string): string {
  const ignoreFile = path.join(dir, ".dockerignore");
  const dockerignore = fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, "utf8") : "";
  const hash = crypto.createHash("sha256");
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const relPath = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(relPath);
      else if (entry.isFile() && (relPath === "Dockerfile" || !dockerIgnores(dockerignore, relPath))) {
        hash
          .update(`${relPath}\0`)
          .update(fs.readFileSync(path.join(dir, relPath)))
          .update("\0");
      }
    }
  };
  walk("");
  return hash.digest("hex");
}
