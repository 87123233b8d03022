// The checkpoint inspector where the checkpoints are: the one of the stack's Flink line, built on this machine by the
// setup program (`tsx setup/cli.ts path inspector <line>`: Maven, into the user's cache), copied into the JobManager,
// and run there by the image's checkpoints.py on the image's own Flink jars. `sourceOffsetsOf` gives the Kafka offsets
// a checkpoint's source holds.

import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { runCommand, shown } from "../exec";
import type { PartitionOffsets } from "../kafka/offsets";
import { REPO_ROOT } from "../paths";
import type { StackTarget } from "../stack/target";

const TSX = resolve(REPO_ROOT, "node_modules", ".bin", "tsx");
const SETUP_CLI = resolve(REPO_ROOT, "setup", "cli.ts");
export const INSPECTOR_JAR = "checkpoint-inspector.jar";
// Generous for a cold build: Maven fetches the Flink jars once (about a minute and a half here).
const BUILD_TIMEOUT_MS = 15 * 60_000;
// One JVM reading _metadata and, for the source's offsets, running a State Processor API job on a mini cluster of
// its own: about 5 s, 8 s with the machine at a load of 35.
const INSPECT_TIMEOUT_MS = 120_000;

export class InspectorError extends Error {}

/** The inspectors this process already brought up to date, by Flink line: asked once, not before every inspection. */
const built = new Map<string, Promise<string>>();

/**
 * The folder of the built inspector of a Flink line ($FC_CACHE/checkpoint-inspector/<line>-<key>), building it if
 * needed; asked once per process and line while that folder lasts (a build from other sources, a clone of another
 * version sharing the cache, replaces it), so a caller can ask ahead of the moment it needs it.
 */
export async function buildInspector(flinkLine: string): Promise<string> {
  const earlier = await built.get(flinkLine)?.catch(() => undefined);
  if (earlier !== undefined && existsSync(join(earlier, INSPECTOR_JAR))) return earlier;
  const folder = buildInspectorNow(flinkLine);
  built.set(flinkLine, folder);
  folder.catch(() => built.delete(flinkLine));
  return folder;
}

async function buildInspectorNow(flinkLine: string): Promise<string> {
  const command = { file: TSX, args: [SETUP_CLI, "path", "inspector", flinkLine] };
  const built = await runCommand(command, BUILD_TIMEOUT_MS);
  const folder = built.stdout.trim().split("\n").pop() ?? "";
  if (!built.ok || folder === "")
    throw new InspectorError(
      `\`${shown(command)}\` failed:\n${built.stderr || built.stdout}\nNext: fix what it says and run the command again`,
    );
  return folder;
}

/** The inspector's place in the JobManager: named by its line and key, so a rebuilt one never meets an old copy. */
export function inspectorTarget(folder: string): string {
  return `/tmp/checkpoint-inspector-${basename(folder)}.jar`;
}

/** The commands of checkpoints.py that read _metadata with the inspector (`list` for its sharing column). */
export type CheckpointsCommand = "list" | "inspect" | "prune";

/**
 * The command of the stack's `checkpointListing` (`python3 …/checkpoints.py list --checkpoint-dir …`) turned into
 * another command of the same script, with the same checkpoint directory.
 */
export function checkpointsCommand(
  listing: readonly string[],
  command: CheckpointsCommand,
  args: readonly string[],
  inspectorJar: string,
): string[] {
  const at = listing.indexOf("list");
  if (at < 1)
    throw new InspectorError(`the stack's checkpointListing (${listing.join(" ")}) has no "list" command to derive "${command}" from`);
  return [...listing.slice(0, at), command, ...args, "--inspector-jar", inspectorJar, ...listing.slice(at + 1)];
}

/** Builds the inspector of the stack's Flink line, copies it into the JobManager and runs `checkpoints.py <command>` there. */
export async function runCheckpointsTool(
  stack: StackTarget,
  flinkLine: string,
  listing: readonly string[],
  command: CheckpointsCommand,
  args: readonly string[],
): Promise<string> {
  const folder = await buildInspector(flinkLine);
  const target = inspectorTarget(folder);
  const copied = await stack.copyToJobManager(join(folder, INSPECTOR_JAR), target);
  if (copied.output === null)
    throw new InspectorError(
      `copying the checkpoint inspector into the JobManager failed: ${copied.problem}\nNext: is the stack's JobManager running? (\`docker ps\` / \`kubectl get pods\`)`,
    );
  const ran = await stack.runInJobManager(checkpointsCommand(listing, command, args, target), INSPECT_TIMEOUT_MS);
  if (ran.output === null) throw new InspectorError(explainedProblem(ran.problem ?? "failed", command));
  return ran.output;
}

const RUN_UP = "run `npm run up` with this version of jobs/flink";

/** A failure of `checkpoints.py <command>`, naming an image older than this inspector where that is the cause. */
export function explainedProblem(problem: string, command: CheckpointsCommand): string {
  if (/invalid choice: '(inspect|prune)'/.test(problem)) return `the stack's image has a checkpoints.py without "${command}"; ${RUN_UP}`;
  if (/unrecognized arguments: .*--protect/.test(problem))
    return `the stack's image has a checkpoints.py whose prune cannot protect the stack's restoreFrom; ${RUN_UP}`;
  if (/unrecognized arguments: --inspector-jar/.test(problem))
    return `the stack's image has a checkpoints.py whose "${command}" reads no _metadata; ${RUN_UP}`;
  // A checkpoints.py from before the State Processor API asks the inspector for no source offsets.
  if (/KeyError: 'sourceOffsets'/.test(problem))
    return `the stack's image has a checkpoints.py older than this inspector, which reads source offsets only when asked; ${RUN_UP}`;
  return problem;
}

export interface SourceOffset {
  topic: string;
  partition: number;
  /** The next offset the restored source reads; KafkaPartitionSplit's markers (< 0) when it has read nothing. */
  offset: number;
}

/** KafkaPartitionSplit.EARLIEST_OFFSET: the split had read nothing; the restored source starts at the partition's start. */
const EARLIEST_OFFSET = -2;

/** The source offsets of an inspection (`checkpoints.py inspect --json`) for one topic, by partition. */
export function partitionOffsetsOf(inspection: unknown, topic: string): PartitionOffsets {
  const offsets = (inspection as { sourceOffsets?: unknown } | null)?.sourceOffsets;
  if (!Array.isArray(offsets))
    throw new InspectorError(
      `the inspection has no sourceOffsets list: is the stack's image's checkpoints.py older than this inspector? ${RUN_UP}`,
    );
  const byPartition: Record<number, number> = {};
  for (const entry of offsets as SourceOffset[]) {
    if (entry.topic !== topic) continue;
    if (entry.offset < 0 && entry.offset !== EARLIEST_OFFSET) {
      throw new InspectorError(
        `partition ${topic}-${entry.partition} has the starting-offset marker ${entry.offset} in the checkpoint; only offsets and earliest (${EARLIEST_OFFSET}) are expected of this job`,
      );
    }
    // Earliest: the input topic is never truncated, so its start is offset 0.
    byPartition[entry.partition] = entry.offset === EARLIEST_OFFSET ? 0 : entry.offset;
  }
  if (Object.keys(byPartition).length === 0) throw new InspectorError(`the checkpoint holds no source offsets of topic ${topic}`);
  return byPartition;
}

/**
 * The Kafka offsets (next offset to read, per partition of `topic`) that the source state of the checkpoint at
 * `checkpointPath` (chk-N folder or its _metadata, a path or file: URI on the volume) holds: where a job restored
 * from it starts reading.
 */
export async function sourceOffsetsOf(
  stack: StackTarget,
  flinkLine: string,
  listing: readonly string[],
  checkpointPath: string,
  topic: string,
): Promise<PartitionOffsets> {
  const output = await runCheckpointsTool(stack, flinkLine, listing, "inspect", [checkpointPath, "--json"]);
  return partitionOffsetsOf(JSON.parse(output), topic);
}
