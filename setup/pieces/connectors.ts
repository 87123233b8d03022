// Every Flink line's Kafka connector and its runtime dependencies (kafka-clients, ...), where the job image's
// Dockerfile copies them onto Flink's classpath: jobs/flink/lib/<line>/ (COPY lib/${FLINK_LINE}/).
// Maven resolves the connector's own runtime dependency list (setup/recipes/connector/pom.xml), so the kafka-clients
// version is the one the connector release was built and tested with; slf4j-api, which Flink ships, is left out.
// The jars are resolved once per machine into the cache and copied into each clone's gitignored folder.
// Beside them, every line's S3 file system plugin (flink-s3-fs-presto, one self-contained jar that Flink loads in a
// class loader of its own): jobs/flink/plugins/<line>/s3-fs-presto/, which the Dockerfile copies into
// /opt/flink/plugins/ (COPY plugins/${FLINK_LINE}/), so one job image serves checkpointStorage volume and s3 alike.

import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BuildContext, Piece } from "../engine";
import { ensureCommand, type Group, recipe, type Setting } from "../group";
import { fileHash } from "../host";

const connectorJarsDir = (setting: Setting, line: string): string => join(setting.cache, "connector-jars", line);
const jobLibDir = (setting: Setting, line: string): string => join(setting.repo, "jobs", "flink", "lib", line);

/** Whether two folders hold the same files by name and size (the jars of one resolution are never rewritten in place). */
export function sameFiles(a: string, b: string): boolean {
  const listing = (dir: string) => {
    if (!existsSync(dir)) return undefined;
    return readdirSync(dir)
      .sort()
      .map((name) => `${name} ${statSync(join(dir, name)).size}`)
      .join("\n");
  };
  const left = listing(a);
  return left !== undefined && left === listing(b);
}

/**
 * Runs Maven with `goals` writing into `dir` as a whole: into a partial folder first, which then replaces `dir`, so a
 * different version never leaves its jars beside the new ones and an interrupted build leaves no half folder.
 */
async function mavenInto(context: BuildContext, dir: string, goals: readonly string[]): Promise<void> {
  await ensureCommand(context, "mvn", "maven");
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await context.run("mvn", ["--batch-mode", ...goals, `-DoutputDirectory=${partial}`]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
}

function jarsPiece(setting: Setting, line: string): Piece {
  const connector = setting.flinkLines[line]!.kafkaConnector;
  const plugin = `org.apache.maven.plugins:maven-dependency-plugin:${setting.versions.maven.dependencyPlugin}`;
  const pom = recipe(setting, "connector", "pom.xml");
  const dir = connectorJarsDir(setting, line);
  return {
    name: `connectors/${line}`,
    resource: "io",
    from: `org.apache.flink:flink-connector-kafka:${connector}`,
    inputs: () => ({ connector, plugin, pom: fileHash(pom), excluded: "slf4j-api" }),
    outputs: () => [join(dir, `flink-connector-kafka-${connector}.jar`)],
    build: (context) =>
      mavenInto(context, dir, [
        "-f",
        pom,
        `${plugin}:copy-dependencies`,
        `-Dflink.connector.kafka.version=${connector}`,
        "-DincludeScope=runtime",
        "-DexcludeArtifactIds=slf4j-api",
      ]),
  };
}

function jobLibPiece(setting: Setting, line: string): Piece {
  const from = connectorJarsDir(setting, line);
  const to = jobLibDir(setting, line);
  return {
    name: `job-lib/${line}`,
    deps: [`connectors/${line}`],
    resource: "io",
    from: `${from} (copied into jobs/flink/lib/${line}/)`,
    inputs: () => ({ folder: to }),
    holds: async () => sameFiles(from, to),
    build: async (context) => {
      rmSync(to, { recursive: true, force: true });
      mkdirSync(to, { recursive: true });
      for (const jar of readdirSync(from)) copyFileSync(join(from, jar), join(to, jar));
      context.log(`# copied ${readdirSync(to).length} files into ${to}`);
    },
  };
}

const s3PluginDir = (setting: Setting, line: string): string => join(setting.cache, "s3-plugin", line);
/** Where the job image's build finds a line's plugins (Dockerfile: COPY plugins/${FLINK_LINE}/ /opt/flink/plugins/). */
export const jobPluginDir = (setting: Setting, line: string): string =>
  join(setting.repo, "jobs", "flink", "plugins", line, "s3-fs-presto");

function s3PluginPiece(setting: Setting, line: string): Piece {
  const version = setting.flinkLines[line]!.s3Plugin;
  const plugin = `org.apache.maven.plugins:maven-dependency-plugin:${setting.versions.maven.dependencyPlugin}`;
  const dir = s3PluginDir(setting, line);
  return {
    name: `s3-plugin/${line}`,
    resource: "io",
    from: `org.apache.flink:flink-s3-fs-presto:${version}`,
    inputs: () => ({ version, plugin }),
    outputs: () => [join(dir, `flink-s3-fs-presto-${version}.jar`)],
    // The plugin jar shades everything it needs: the artifact alone, without its (provided) dependencies.
    build: (context) => mavenInto(context, dir, [`${plugin}:copy`, `-Dartifact=org.apache.flink:flink-s3-fs-presto:${version}`]),
  };
}

function jobPluginPiece(setting: Setting, line: string): Piece {
  const from = s3PluginDir(setting, line);
  const to = jobPluginDir(setting, line);
  return {
    name: `job-plugins/${line}`,
    deps: [`s3-plugin/${line}`],
    resource: "io",
    from: `${from} (copied into jobs/flink/plugins/${line}/s3-fs-presto/)`,
    inputs: () => ({ folder: to }),
    holds: async () => sameFiles(from, to),
    build: async (context) => {
      rmSync(join(to, ".."), { recursive: true, force: true });
      mkdirSync(to, { recursive: true });
      for (const jar of readdirSync(from)) copyFileSync(join(from, jar), join(to, jar));
      context.log(`# copied ${readdirSync(to).join(", ")} into ${to}`);
    },
  };
}

/** The connector jars and the S3 plugin of every Flink line of versions.json, in this clone's jobs/flink/lib/<line>/ and plugins/<line>/. */
export function connectorsGroup(setting: Setting): Group {
  const lines = Object.keys(setting.flinkLines);
  const pieces = lines.flatMap((line) => [
    jarsPiece(setting, line),
    jobLibPiece(setting, line),
    s3PluginPiece(setting, line),
    jobPluginPiece(setting, line),
  ]);
  return { pieces, targets: lines.flatMap((line) => [`job-lib/${line}`, `job-plugins/${line}`]), notes: [] };
}
