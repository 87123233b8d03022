// The end-to-end run's own checks on a stack that is up, each failing with what it expected and where to look:
// the checkpoint tools on the checkpoints the faults left, the restore that must fail, the reader against Kafka's.

import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCheckpointsTool } from "../lib/checkpoints/tool";
import { stackTarget } from "../lib/stack";
import type { StackOutputs } from "../lib/stack/outputs";
import { BROKER_INSIDE, checkReader, DEFAULT_CYCLE_OPTIONS, READER_CHECK_TIMEOUT_MS, runFault } from "../verify";
import { expectThat, type Log } from "./phases";

interface ListedCheckpoint {
  readonly jobId: string;
  readonly checkpoint: number;
  readonly complete: boolean;
  readonly sharing: { readonly files: number } | null;
  /** What wrote it; null for an incomplete one. */
  readonly origin: { readonly flinkLines: readonly string[] } | null;
  readonly restoreProblem: string | null;
}

interface Inspection {
  readonly restore: { readonly restorable: boolean; readonly missingUids: readonly string[] };
  readonly sourceOffsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
}

/**
 * `npm run checkpoints` on the checkpoints the faults left: every one listed (the stack's hashmap backend writes full
 * checkpoints: a complete one shares no file), the newest complete one inspected (its Kafka source offsets, and the
 * job as it is now able to restore it), and what `prune --keep 1` would remove, without removing it.
 */
export async function checkpointTools(outputs: StackOutputs, dir: string, log: Log): Promise<void> {
  const target = stackTarget(outputs.processes);
  const run = (command: "list" | "inspect" | "prune", args: string[]) =>
    runCheckpointsTool(target, outputs.flinkLine, outputs.checkpointListing, command, args);
  const listed = JSON.parse(await run("list", ["--json"])) as ListedCheckpoint[];
  await writeFile(join(dir, "checkpoints-list.json"), `${JSON.stringify(listed, null, 2)}\n`);
  const complete = listed.filter((c) => c.complete);
  log(`      ${listed.length} checkpoints listed, ${complete.length} complete`);
  // Every checkpoint of the run (an upgrade's included: an older line's) can be restored by the stack's line, and the
  // stack's line wrote some.
  const unrestorable = complete.filter((c) => c.restoreProblem !== null);
  expectThat(
    unrestorable.length === 0 && complete.some((c) => c.origin?.flinkLines.includes(outputs.flinkLine)),
    `the listing says ${unrestorable.length} of the run's checkpoints cannot be restored on Flink ${outputs.flinkLine}, or none was written by it (${dir}/checkpoints-list.json)`,
  );
  expectThat(
    complete.some((c) => c.sharing?.files === 0),
    `the listing shows no complete checkpoint that shares no file, as the stack's hashmap backend writes them (${dir}/checkpoints-list.json)`,
  );
  const inspection = JSON.parse(await run("inspect", ["latest", "--json"])) as Inspection;
  await writeFile(join(dir, "checkpoints-inspect.json"), `${JSON.stringify(inspection, null, 2)}\n`);
  expectThat(
    inspection.restore.restorable,
    `the newest retained checkpoint is not restorable by the job as it is now (missing uids: ${inspection.restore.missingUids.join(", ") || "none"})`,
  );
  const offsets = inspection.sourceOffsets.filter((o) => o.topic === outputs.visitsTopic && o.offset >= 0);
  expectThat(
    offsets.length === outputs.partitions,
    `the inspection shows ${offsets.length} Kafka source offsets of ${outputs.visitsTopic}, not one per partition`,
  );
  log(`      latest: restorable; source offsets ${offsets.map((o) => `${o.partition}:${o.offset}`).join(" ")}`);
  const pruned = await run("prune", ["--keep", "1"]);
  await writeFile(join(dir, "checkpoints-prune.txt"), pruned);
  expectThat(pruned.includes("dry run"), "prune without --apply did not say it was a dry run");
  const after = JSON.parse(await run("list", ["--json"])) as ListedCheckpoint[];
  expectThat(
    after.length >= listed.length,
    `the dry run of prune removed checkpoints: ${listed.length} listed before, ${after.length} after`,
  );
}

/**
 * The checks must be able to fail: a resubmission from the earliest offsets, without the checkpoint, has to be judged
 * as not resumed. It completes (no fault of the run) and fails its checks.
 */
export async function brokenRestoreIsCaught(outputs: StackOutputs, stack: string, reportPath: string, log: Log): Promise<void> {
  const result = await runFault({
    outputs,
    fault: "cancel-restore",
    options: { ...DEFAULT_CYCLE_OPTIONS, restoreFromEarliest: true },
    stack,
    reportPath,
    log,
  });
  expectThat(!result.incomplete, `the broken-restore verification could not complete (${result.report.error}), so it proved nothing`);
  expectThat(!result.report.ok, "the verification passed a restore from the earliest offsets: its checks cannot fail");
  const failed = result.report.checks.filter((c) => !c.ok).map((c) => c.name);
  log(`      the verification failed, as it must: ${failed.join(", ")}`);
  expectThat(!result.report.resumedFromCheckpoint, "the broken restore was judged resumed from the checkpoint");
}

/**
 * The reader that judged the output, against Kafka's own Java consumer in the broker's container: first on the case
 * kafkajs gets wrong (interleaved transactions aborted out of order, on a scratch topic), then on the job's output.
 */
export async function readerAgreesWithKafka(outputs: StackOutputs, topic: string | null, log: Log): Promise<void> {
  if (outputs.processes.target !== "docker")
    throw new Error("the reader check reads the broker's logs with docker exec: run it on the docker target");
  const agrees = await checkReader(
    {
      kafkaBootstrap: outputs.kafkaBootstrap,
      dockerContainer: outputs.processes.kafka,
      topic,
      containerBootstrap: BROKER_INSIDE.bootstrap,
      dataDir: BROKER_INSIDE.dataDir,
      timeoutMs: READER_CHECK_TIMEOUT_MS,
    },
    (line) => log(`      ${line}`),
  );
  expectThat(agrees, `our reader and Kafka's Java consumer disagree on ${topic ?? "the scratch topic"} (the lines above)`);
}

/** The names of the texts (files, outputs, logs) in which any of `secrets` appears; never the secret itself. */
export function leakedIn(texts: Readonly<Record<string, string>>, secrets: readonly string[]): string[] {
  const wanted = secrets.filter((secret) => secret.length >= 8);
  if (wanted.length !== secrets.length) throw new Error("a credential shorter than 8 characters cannot be told from other text");
  return Object.entries(texts)
    .filter(([, text]) => wanted.some((secret) => text.includes(secret)))
    .map(([name]) => name);
}

/** The access key id and secret of an AWS credentials file's text (its default profile). */
export function credentialsOf(file: string): string[] {
  const value = (name: string) => new RegExp(`^\\s*${name}\\s*=\\s*(\\S+)\\s*$`, "m").exec(file)?.[1];
  return [value("aws_access_key_id"), value("aws_secret_access_key")].filter((v): v is string => v !== undefined);
}

/** Every file under a folder, by path (none when it does not exist). */
async function filesUnder(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return Object.fromEntries(await Promise.all(files.map(async (file) => [file, await readFile(file, "utf8")] as const)));
}

/**
 * With checkpoints in a bucket: the stack's access key and secret (read from the credentials file in the JobManager,
 * never printed) appear in none of the reports under `reports`, not in the stack's outputs (with their secrets shown)
 * and not in the processes' logs (`collectLogs` writes them into a folder of their own).
 */
export async function credentialsNotLeaked(
  outputs: StackOutputs,
  stackOutputs: Readonly<Record<string, unknown>>,
  reports: string,
  collectLogs: (dir: string) => Promise<void>,
  log: Log,
): Promise<void> {
  const storage = outputs.checkpointStorage;
  if (storage.kind !== "s3") throw new Error("the credentials check is for checkpoints in a bucket (checkpointStorage s3)");
  const file = await stackTarget(outputs.processes).runInJobManager(["cat", storage.credentialsFile]);
  expectThat(file.output !== null, `the credentials file ${storage.credentialsFile} could not be read in the JobManager: ${file.problem}`);
  const secrets = credentialsOf(file.output ?? "");
  expectThat(secrets.length === 2, `${storage.credentialsFile} holds no access key id and secret in its default profile`);
  const logs = await mkdtemp(join(tmpdir(), "e2e-logs-"));
  try {
    await collectLogs(logs);
    const texts = {
      ...(await filesUnder(reports)),
      ...(await filesUnder(logs)),
      "pulumi stack output --show-secrets": JSON.stringify(stackOutputs),
    };
    const leaks = leakedIn(texts, secrets);
    expectThat(leaks.length === 0, `the stack's S3 access key or secret appears in:\n  ${leaks.join("\n  ")}`);
    log(`      neither the access key id nor the secret is in ${Object.keys(texts).length} files, logs and the stack outputs`);
  } finally {
    await rm(logs, { recursive: true, force: true });
  }
}
