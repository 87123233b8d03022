// The stack outputs the verification needs (the contract of infra/), read from `pulumi stack output`
// or from a JSON file of the same shape, with flags overriding the host addresses.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import {
  CHECKPOINT_MODES,
  type CheckpointMode,
  type CheckpointStorageOutput,
  type JobSubmissionSpec,
  type StackOutputs,
  type StackProcesses,
  TARGETS,
  type Target,
} from "../../infra/contract";
import { JOB_DEFAULTS, type JobSettings } from "../../jobs/flink/settings";

// One declaration of the outputs, written by infra/ and read here: infra/contract.ts.
export type { CheckpointStorageOutput, StackOutputs };

export interface AddressOverrides {
  flinkRestUrl?: string;
  kafkaBootstrap?: string;
}

export class StackOutputsError extends Error {}

/** Validates the outputs, naming every missing or invalid one at once and where they came from. */
export function parseStackOutputs(raw: unknown, overrides: AddressOverrides, source: string): StackOutputs {
  const outputs = (typeof raw === "object" && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const missing: string[] = [];
  const invalid: string[] = [];

  const text = (name: string, value: unknown = outputs[name]): string => {
    if (value === undefined || value === null) missing.push(name);
    else if (typeof value !== "string" || value.length === 0)
      invalid.push(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
    return typeof value === "string" ? value : "";
  };
  const positiveInteger = (name: string, value: unknown = outputs[name]): number => {
    if (value === undefined || value === null) missing.push(name);
    else if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
      invalid.push(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
    return typeof value === "number" ? value : 0;
  };
  const object = (name: string): Record<string, unknown> => {
    const value = outputs[name];
    if (value === undefined || value === null) missing.push(name);
    else if (typeof value !== "object" || Array.isArray(value)) invalid.push(`${name} must be an object, got ${JSON.stringify(value)}`);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  };

  const target = text("target") as Target;
  const flinkLine = text("flinkLine");
  if (target && !TARGETS.includes(target)) invalid.push(`target must be one of ${TARGETS.join(", ")}, got ${JSON.stringify(target)}`);
  const flinkRestUrl = text("flinkRestUrl", overrides.flinkRestUrl ?? outputs.flinkRestUrl);
  if (flinkRestUrl && !/^https?:\/\/[^/]+/.test(flinkRestUrl))
    invalid.push(`flinkRestUrl must be an http(s) URL such as http://127.0.0.1:8081, got ${JSON.stringify(flinkRestUrl)}`);
  const kafkaBootstrap = text("kafkaBootstrap", overrides.kafkaBootstrap ?? outputs.kafkaBootstrap);
  if (kafkaBootstrap && !/^[^\s:/]+:\d+$/.test(kafkaBootstrap))
    invalid.push(`kafkaBootstrap must be host:port such as 127.0.0.1:9094, got ${JSON.stringify(kafkaBootstrap)}`);

  const visitsTopic = text("visitsTopic");
  const outputTopic = text("outputTopic");
  const dlqTopic = text("dlqTopic");
  const groupId = text("groupId");
  const partitions = positiveInteger("partitions");
  const checkpointMode = text("checkpointMode") as CheckpointMode;
  if (checkpointMode && !CHECKPOINT_MODES.includes(checkpointMode))
    invalid.push(`checkpointMode must be one of ${CHECKPOINT_MODES.join(", ")}, got ${JSON.stringify(checkpointMode)}`);
  const checkpointDir = text("checkpointDir");
  if (checkpointDir && !checkpointDir.startsWith("file:///") && !checkpointDir.startsWith("s3://"))
    invalid.push(
      `checkpointDir must be a file:/// URI such as file:///checkpoints_flink or an s3:// URI, got ${JSON.stringify(checkpointDir)}`,
    );

  const checkpointIntervalMs = positiveInteger("checkpointIntervalMs");
  // Stacks of an older infra/ have no such output: Flink's default then.
  const checkpointTimeoutMs = outputs.checkpointTimeoutMs === undefined ? 600_000 : positiveInteger("checkpointTimeoutMs");
  const jobName = text("jobName");

  const submission = object("jobSubmission");
  const jobSubmission: JobSubmissionSpec = {
    entryClass: outputs.jobSubmission ? text("jobSubmission.entryClass", submission.entryClass) : "",
    script: outputs.jobSubmission ? text("jobSubmission.script", submission.script) : "",
    settings: outputs.jobSubmission ? parseJobSettings(submission.settings, missing, invalid) : JOB_DEFAULTS,
  };

  const storage = object("checkpointStorage");
  const storageText = (name: string) => text(`checkpointStorage.${name}`, storage[name]);
  let checkpointStorage: CheckpointStorageOutput = { kind: "volume", name: "", mountPath: "" };
  if (outputs.checkpointStorage) {
    if (storage.kind === "volume") {
      checkpointStorage = { kind: "volume", name: storageText("name"), mountPath: storageText("mountPath") };
    } else if (storage.kind === "s3") {
      if (typeof storage.pathStyle !== "boolean" || typeof storage.inStack !== "boolean")
        invalid.push(`checkpointStorage.pathStyle and .inStack must be true or false, got ${JSON.stringify(storage)}`);
      checkpointStorage = {
        kind: "s3",
        endpoint: storageText("endpoint"),
        bucket: storageText("bucket"),
        pathStyle: storage.pathStyle === true,
        inStack: storage.inStack === true,
        credentialsFile: storageText("credentialsFile"),
      };
    } else {
      invalid.push(`checkpointStorage.kind must be volume or s3, got ${JSON.stringify(storage.kind)}`);
    }
    if (checkpointDir && (checkpointStorage.kind === "s3") !== checkpointDir.startsWith("s3://"))
      invalid.push(`checkpointDir ${JSON.stringify(checkpointDir)} does not lie in checkpointStorage (${checkpointStorage.kind})`);
  }

  const recover = outputs.recoverCommand;
  if (recover !== undefined && !(Array.isArray(recover) && recover.length > 0 && recover.every((a) => typeof a === "string"))) {
    invalid.push(`recoverCommand must be a non-empty list of strings, got ${JSON.stringify(recover)}`);
  } else if (recover === undefined) missing.push("recoverCommand");
  const recoverCommand = Array.isArray(recover) ? recover.map(String) : [];
  const listing = outputs.checkpointListing;
  if (listing !== undefined && !(Array.isArray(listing) && listing.length > 0 && listing.every((a) => typeof a === "string"))) {
    invalid.push(`checkpointListing must be a non-empty list of strings, got ${JSON.stringify(listing)}`);
  } else if (listing === undefined) missing.push("checkpointListing");
  const checkpointListing = Array.isArray(listing) ? listing.map(String) : [];
  const restoreFrom = outputs.restoreFrom;
  if (restoreFrom !== undefined && typeof restoreFrom !== "string")
    invalid.push(`restoreFrom must be a string (a checkpoint URI, latest, or "" when not set), got ${JSON.stringify(restoreFrom)}`);

  const found = object("processes");
  let processes: StackProcesses = { target: "docker", jobManager: "", taskManagers: [], kafka: "", generator: "" };
  if (outputs.processes) {
    const field = (name: string) => text(`processes.${name}`, found[name]);
    if (found.target === "docker") {
      const taskManagers = found.taskManagers;
      if (!(Array.isArray(taskManagers) && taskManagers.length > 0 && taskManagers.every((t) => typeof t === "string"))) {
        invalid.push(`processes.taskManagers must be a non-empty list of container names, got ${JSON.stringify(taskManagers)}`);
      }
      processes = {
        target: "docker",
        jobManager: field("jobManager"),
        taskManagers: Array.isArray(taskManagers) ? taskManagers.map(String) : [],
        kafka: field("kafka"),
        generator: field("generator"),
        ...(typeof found.objectStore === "string" ? { objectStore: found.objectStore } : {}),
      };
    } else if (found.target === "kind") {
      processes = {
        target: "kind",
        context: field("context"),
        namespace: field("namespace"),
        jobManagerSelector: field("jobManagerSelector"),
        taskManagerSelector: field("taskManagerSelector"),
        kafkaSelector: field("kafkaSelector"),
        generatorSelector: field("generatorSelector"),
        ...(typeof found.objectStoreSelector === "string" ? { objectStoreSelector: found.objectStoreSelector } : {}),
      };
    } else {
      invalid.push(`processes.target must be one of ${TARGETS.join(", ")}, got ${JSON.stringify(found.target)}`);
    }
    if (target && found.target !== target)
      invalid.push(`processes.target ${JSON.stringify(found.target)} is not the stack's target ${JSON.stringify(target)}`);
  }

  const parsed: StackOutputs = {
    target,
    flinkLine,
    flinkRestUrl: flinkRestUrl.replace(/\/+$/, ""),
    kafkaBootstrap,
    visitsTopic,
    outputTopic,
    dlqTopic,
    groupId,
    partitions,
    checkpointDir,
    checkpointMode,
    checkpointIntervalMs,
    checkpointTimeoutMs,
    jobName,
    jobSubmission,
    checkpointStorage,
    processes,
    recoverCommand,
    checkpointListing,
    ...(typeof restoreFrom === "string" ? { restoreFrom } : {}),
  };

  if (missing.length > 0 || invalid.length > 0) {
    const lines = [
      `the stack outputs from ${source} are not what the verification needs:`,
      ...(missing.length > 0 ? [`  missing: ${missing.join(", ")}`] : []),
      ...invalid.map((problem) => `  invalid: ${problem}`),
      "Next: run `pulumi up` for this stack (the outputs are written by infra/), or pass the addresses with --flink-url / --kafka-bootstrap.",
    ];
    throw new StackOutputsError(lines.join("\n"));
  }
  return parsed;
}

/** `pulumi stack output --json --show-secrets --stack <stack>`, run in the project directory. */
export function readPulumiOutputs(stack: string, projectDir: string): Promise<unknown> {
  const args = ["stack", "output", "--json", "--show-secrets", "--stack", stack];
  return new Promise((resolve, reject) => {
    execFile("pulumi", args, { cwd: projectDir, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const command = `pulumi ${args.join(" ")} (in ${projectDir})`;
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(
          new StackOutputsError(
            `${command}: the pulumi CLI is not on PATH. Next: \`source scripts/env.sh\` (puts the project's toolchain on PATH), or pass --outputs-file <json>.`,
          ),
        );
        return;
      }
      if (error) {
        reject(
          new StackOutputsError(
            `${command} failed: ${stderr.trim() || error.message}\nNext: check the stack name (\`pulumi stack ls\`), the backend (PULUMI_BACKEND_URL, set by scripts/env.sh) and that \`pulumi up\` ran for it.`,
          ),
        );
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new StackOutputsError(`${command} printed no JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

export async function readOutputsFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new StackOutputsError(`cannot read the outputs file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new StackOutputsError(
      `the outputs file ${path} is not JSON; write it with \`pulumi stack output --json --show-secrets > ${path}\``,
    );
  }
}

/** The job's settings as the outputs carry them: every field of JobSettings, of its type. */
function parseJobSettings(raw: unknown, missing: string[], invalid: string[]): JobSettings {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    missing.push("jobSubmission.settings");
    return JOB_DEFAULTS;
  }
  const given = raw as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const [key, fallback] of Object.entries(JOB_DEFAULTS)) {
    const value = given[key];
    if (value === undefined) missing.push(`jobSubmission.settings.${key}`);
    else if (typeof value !== typeof fallback)
      invalid.push(`jobSubmission.settings.${key} must be a ${typeof fallback}, got ${JSON.stringify(value)}`);
    settings[key] = typeof value === typeof fallback ? value : fallback;
  }
  if (!(CHECKPOINT_MODES as readonly unknown[]).includes(settings.checkpointMode)) {
    invalid.push(
      `jobSubmission.settings.checkpointMode must be one of ${CHECKPOINT_MODES.join(", ")}, got ${JSON.stringify(settings.checkpointMode)}`,
    );
  }
  return settings as unknown as JobSettings;
}
