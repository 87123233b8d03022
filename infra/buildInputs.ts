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
  return `flink-connector-kafka-${cfg.flink.kafkaConnectorVersion}.jar`;
}

/**
 * What is missing from the image build inputs, as messages saying how to fix it. Pure: takes the listing of the
 * job context's lib/ folder and whether the CA file exists.
 */
export function buildInputProblems(cfg: StackConfig, libFiles: readonly string[], caFileExists: boolean): string[] {
  const problems: string[] = [];
  const jar = connectorJarName(cfg);
  if (!libFiles.includes(jar)) {
    problems.push(
      `jobs/flink/lib/${jar} is missing: run scripts/fetch-connector-jars.sh ` +
        `(it downloads the connector with Maven; npm run up does it for you)`,
    );
  }
  if (cfg.extraCaCertsFile !== undefined && !caFileExists) {
    problems.push(
      `flink-checkpointer:extraCaCertsFile: "${cfg.extraCaCertsFile}" does not exist; give the path of a PEM file or unset the key`,
    );
  }
  return problems;
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
  const libDir = path.join(FLINK_JOB_CONTEXT, "lib");
  const libFiles = fs.existsSync(libDir) ? fs.readdirSync(libDir) : [];
  const caFileExists = cfg.extraCaCertsFile !== undefined && fs.existsSync(cfg.extraCaCertsFile);
  const problems = buildInputProblems(cfg, libFiles, caFileExists);
  if (problems.length > 0) throw new Error(`cannot build the stack's images:\n  - ${problems.join("\n  - ")}`);
  return {
    ...(caFileExists ? { extraCaCerts: fs.readFileSync(cfg.extraCaCertsFile as string, "utf8") } : {}),
    contextDigests: { flinkJob: contextDigest(FLINK_JOB_CONTEXT), generator: contextDigest(GENERATOR_CONTEXT) },
  };
}

/** Folders that never belong to an image's inputs (dependencies, caches, build output). */
const NOT_CONTEXT = new Set(["node_modules", "__pycache__", ".pytest_cache", "dist"]);

/** sha256 over the relative paths and contents of a build context's files, in a stable order. */
export function contextDigest(dir: string): string {
  const hash = crypto.createHash("sha256");
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const relPath = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (!NOT_CONTEXT.has(entry.name)) walk(relPath);
      } else if (entry.isFile()) {
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
