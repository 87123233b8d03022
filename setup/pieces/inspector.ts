// The checkpoint inspector of each Flink line (jobs/flink/checkpoint-inspector, a Maven project), built into the
// cache, never into the clone: $FC_CACHE/checkpoint-inspector/<line>-<key>/ holds
//   checkpoint-inspector.jar  the tool with the State Processor API packed in (its other dependencies are the Flink
//                             image's /opt/flink/lib)
//   classpath.txt             the same Flink and Kafka connector jars from the local Maven repository, to run the tool
//                             outside the image (the tests)
// The folder is named by its key, so a copy of one build (in a JobManager) is never taken for another's.

import { copyFileSync, cpSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Piece } from "../engine";
import { ensureCommand, type Group, type Setting } from "../group";
import { fileHash, sha256, treeHash } from "../host";

export const INSPECTOR_JAR = "checkpoint-inspector.jar";
/** How long another build of a line's inspector is kept (some 200 KB each). */
const STALE_BUILD_MS = 7 * 24 * 3600_000;
const INSPECTOR_CLASSPATH = "classpath.txt";

const inspectorRoot = (setting: Setting): string => join(setting.cache, "checkpoint-inspector");
export const inspectorDir = (setting: Setting, line: string, key: string): string =>
  join(inspectorRoot(setting), `${line}-${key.slice(0, 16)}`);

function inspectorPiece(setting: Setting, line: string): Piece {
  const versions = setting.flinkLines[line]!;
  const project = join(setting.repo, "jobs", "flink", "checkpoint-inspector");
  // The pom's versions are properties without a default: each build passes its line's.
  const properties = {
    "flink.version": versions.flink,
    "flink.connector.kafka.version": versions.kafkaConnector,
    "flink.state-processor-api.version": versions.stateProcessorApi,
    "maven-dependency-plugin.version": setting.versions.maven.dependencyPlugin,
  };
  return {
    name: `inspector/${line}`,
    resource: "io",
    from: `jobs/flink/checkpoint-inspector for Flink ${versions.flink} (connector ${versions.kafkaConnector}, State Processor API ${versions.stateProcessorApi})`,
    inputs: () => ({ ...properties, pom: fileHash(join(project, "pom.xml")), sources: treeHash(join(project, "src")) }),
    outputs: (key) => [join(inspectorDir(setting, line, key), INSPECTOR_JAR), join(inspectorDir(setting, line, key), INSPECTOR_CLASSPATH)],
    build: async (context) => {
      await ensureCommand(context, "mvn", "maven");
      const root = inspectorRoot(setting);
      const work = join(root, `.work-${line}`);
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      copyFileSync(join(project, "pom.xml"), join(work, "pom.xml"));
      cpSync(join(project, "src"), join(work, "src"), { recursive: true });
      await context.run(
        "mvn",
        [
          "--batch-mode",
          "package",
          "dependency:build-classpath",
          "-Dmdep.includeScope=provided",
          `-Dmdep.outputFile=${join(work, INSPECTOR_CLASSPATH)}`,
          ...Object.entries(properties).map(([name, value]) => `-D${name}=${value}`),
        ],
        { cwd: work, nice: true },
      );
      // Assembled beside, then renamed: an interrupted build never leaves a folder that looks complete.
      const partial = join(root, `.partial-${line}-${sha256(context.key).slice(0, 8)}`);
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial);
      copyFileSync(join(work, "target", INSPECTOR_JAR), join(partial, INSPECTOR_JAR));
      copyFileSync(join(work, INSPECTOR_CLASSPATH), join(partial, INSPECTOR_CLASSPATH));
      const done = inspectorDir(setting, line, context.key);
      rmSync(done, { recursive: true, force: true });
      renameSync(partial, done);
      rmSync(work, { recursive: true, force: true });
      // The line's earlier builds only take space (a JobManager holds its own copy), but the cache is shared: another
      // clone's inspector of other sources may be in use right now (a verification copies it after each fault), so
      // only builds untouched for a week go.
      for (const name of readdirSync(root)) {
        const other = join(root, name);
        if (name.startsWith(`${line}-`) && other !== done && Date.now() - statSync(other).mtimeMs > STALE_BUILD_MS)
          rmSync(other, { recursive: true, force: true });
      }
    },
  };
}

/** The inspector of every Flink line, or of the lines named. */
export function inspectorGroup(setting: Setting, lines: readonly string[] = Object.keys(setting.flinkLines)): Group {
  const pieces = lines.map((line) => inspectorPiece(setting, line));
  return { pieces, targets: pieces.map((piece) => piece.name), notes: [] };
}
