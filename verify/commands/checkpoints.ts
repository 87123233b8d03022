// `npm run checkpoints -- list|inspect|prune`: the retained checkpoints on the stack's checkpoint volume. It runs
// the job image's checkpoints.py inside the JobManager, which mounts the volume, so what it calls complete is
// what `restoreFrom: latest` may choose. `inspect` and `prune` read _metadata files with the checkpoint
// inspector (Flink's own classes), built here and copied in (checkpointInspector.ts).

import { RESTORE_FROM_LATEST } from "../../infra/contract";
import { isPath, isStackName, notAllowed, problemLines, STACK_NAME_ALLOWED, wholeNumber } from "../../lib/args";
import { answerOfCheckpointsTool, InspectorError, runCheckpointsTool } from "../../lib/checkpoints/tool";
import { REPO_ROOT } from "../../lib/paths";
import { stackTarget } from "../../lib/stack";
import { parseStackOutputs, readPulumiOutputs, StackOutputsError } from "../../lib/stack/outputs";

const PROJECT_DIR = REPO_ROOT;
const COMMANDS = ["list", "inspect", "prune"] as const;

export const CHECKPOINTS_USAGE = `Usage: npm run checkpoints -- list [--json] [--stack <name>]
       npm run checkpoints -- inspect <checkpoint | latest> [--json] [--stack <name>]
       npm run checkpoints -- prune --keep <N> [--apply] [--stack <name>]

  list             every retained checkpoint per job id, and every savepoint: complete or not (and why), bytes, time
                   (UTC), whether it shares files incrementally (the files its _metadata references outside its
                   folder), what wrote it (the Flink line, from its metadata format, and PyFlink's execution mode)
                   and whether the stack's Flink line and mode can restore it
  inspect          what a checkpoint holds, from its _metadata: what wrote it, operators (uid, id, state bytes), the
                   Kafka source's offsets per partition, the files it references, and whether the job as it is now
                   can restore it on the stack. <checkpoint>: a chk-N or savepoint folder (path or file:// URI on the
                   volume), or latest
  --json           the listing or the inspection as JSON
  prune            which checkpoints to remove: all but the N newest complete ones of each job folder, never the
                   newest complete one of the latest run, the one the stack's restoreFrom names, one a running job
                   restored from and has no complete checkpoint of its own since, one newer than its folder's newest
                   complete one, or one holding files a kept checkpoint references; symbolic links are refused, never
                   followed. A dry run unless --apply; exit 1 when something was refused or could not be removed
  --keep <N>       complete checkpoints to keep per job folder, 1 to 1000
  --apply          remove them
  --stack <name>   the stack whose checkpoint volume to read (default: docker)`;

export type CheckpointsArguments =
  | { command: "list"; stack: string; json: boolean }
  | { command: "inspect"; stack: string; checkpoint: string; json: boolean }
  | { command: "prune"; stack: string; keep: number; apply: boolean };

export class CheckpointsUsageError extends Error {}

const ALLOWED: Record<(typeof COMMANDS)[number], string> = {
  list: "--json, --stack <name>",
  inspect: "<checkpoint | latest>, --json, --stack <name>",
  prune: "--keep <N>, --apply, --stack <name>",
};

/** More would keep every checkpoint a job ever wrote (checkpoints.py refuses it too). */
export const MAX_KEEP = 1_000;

/** A checkpoint as inspect takes it: latest, or a chk-N folder (or its _metadata) as an absolute path or a file: URI. */
const isCheckpointReference = (text: string): boolean => text === "latest" || (/^(\/|file:)/.test(text) && isPath(text));

export function parseCheckpointsArguments(argv: readonly string[]): CheckpointsArguments | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const [command, ...rest] = argv;
  if (!(COMMANDS as readonly string[]).includes(command ?? "")) {
    throw new CheckpointsUsageError(
      `${command === undefined ? "no command" : `unknown command ${JSON.stringify(command)}`}; allowed: ${COMMANDS.join(", ")}`,
    );
  }
  const name = command as (typeof COMMANDS)[number];
  let stack = "docker";
  let checkpoint: string | undefined;
  let keep: number | undefined;
  let json = false;
  let apply = false;
  const unexpected = (argument: string) =>
    new CheckpointsUsageError(`unexpected argument ${JSON.stringify(argument)} for ${name}; allowed: ${ALLOWED[name]}`);
  for (let i = 0; i < rest.length; i++) {
    const argument = rest[i]!;
    // The option's value (`--option value` or `--option=value`); undefined when `argument` is not that option.
    const value = (option: string, what: string): string | undefined => {
      if (argument.startsWith(`${option}=`)) return argument.slice(option.length + 1);
      if (argument !== option) return undefined;
      const next = rest[i + 1];
      if (next === undefined || next.startsWith("--")) throw new CheckpointsUsageError(`${option} needs a value: ${what}`);
      i++;
      return next;
    };
    const stackValue = value("--stack", STACK_NAME_ALLOWED);
    if (stackValue !== undefined) {
      if (!isStackName(stackValue)) throw new CheckpointsUsageError(notAllowed("--stack", stackValue, STACK_NAME_ALLOWED));
      stack = stackValue;
      continue;
    }
    if ((name === "inspect" || name === "list") && argument === "--json") {
      json = true;
      continue;
    }
    if (name === "inspect" && !argument.startsWith("-") && checkpoint === undefined) {
      if (!isCheckpointReference(argument))
        throw new CheckpointsUsageError(
          notAllowed("<checkpoint>", argument, "latest, or a chk-N folder on the volume as an absolute path or a file:// URI"),
        );
      checkpoint = argument;
      continue;
    }
    if (name === "prune" && argument === "--apply") {
      apply = true;
      continue;
    }
    const keepValue = name === "prune" ? value("--keep", `a whole number from 1 to ${MAX_KEEP}`) : undefined;
    if (keepValue !== undefined) {
      keep = wholeNumber(keepValue, 1, MAX_KEEP);
      if (keep === undefined)
        throw new CheckpointsUsageError(
          notAllowed("--keep", keepValue, `a whole number from 1 to ${MAX_KEEP}; the newest complete checkpoint is always kept`),
        );
      continue;
    }
    throw unexpected(argument);
  }
  if (name === "inspect") {
    if (checkpoint === undefined) throw new CheckpointsUsageError("inspect needs a checkpoint: a chk-N folder on the volume, or latest");
    return { command: name, stack, checkpoint, json };
  }
  if (name === "prune") {
    if (keep === undefined)
      throw new CheckpointsUsageError(`prune needs --keep <N>: how many complete checkpoints to keep per job folder (1 to ${MAX_KEEP})`);
    return { command: name, stack, keep, apply };
  }
  return { command: name, stack, json };
}

/** The listing command of the stack outputs (`checkpointListing`), checked to be a list of strings. */
export function checkpointListing(raw: unknown, stack: string): string[] {
  const listing = (raw as Record<string, unknown> | null)?.checkpointListing;
  if (!Array.isArray(listing) || listing.length === 0 || !listing.every((a) => typeof a === "string")) {
    throw new StackOutputsError(
      `stack "${stack}" has no output checkpointListing (a list of strings); run \`npm run up -- ${stack}\` with this version of infra/`,
    );
  }
  return listing;
}

/**
 * The arguments of checkpoints.py prune: the stack's restoreFrom is protected when it names a checkpoint (`latest`
 * needs nothing: prune never removes the newest complete checkpoint of the latest run). A stack whose outputs predate
 * the restoreFrom output cannot say what it names, so nothing is pruned until `npm run up` refreshes them.
 */
export function pruneArguments(args: { keep: number; apply: boolean }, raw: unknown, stack: string): string[] {
  const restoreFrom = (raw as Record<string, unknown> | null)?.restoreFrom;
  if (typeof restoreFrom !== "string") {
    throw new StackOutputsError(
      `stack "${stack}" has no output restoreFrom, so prune cannot tell which checkpoint its config restores from; run \`npm run up -- ${stack}\` with this version of infra/ to refresh the outputs, then prune again`,
    );
  }
  return [
    "--keep",
    String(args.keep),
    ...(args.apply ? ["--apply"] : []),
    ...(restoreFrom !== "" && restoreFrom !== RESTORE_FROM_LATEST ? ["--protect", restoreFrom] : []),
  ];
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: CheckpointsArguments | "help";
  try {
    args = parseCheckpointsArguments(argv);
  } catch (error) {
    if (!(error instanceof CheckpointsUsageError)) throw error;
    console.error(problemLines("checkpoints", error.message));
    return 2;
  }
  if (args === "help") {
    console.log(CHECKPOINTS_USAGE);
    return 0;
  }
  try {
    const raw = await readPulumiOutputs(args.stack, PROJECT_DIR);
    const outputs = parseStackOutputs(raw, {}, `stack "${args.stack}"`);
    const listing = checkpointListing(raw, args.stack);
    if (args.command === "list") {
      console.log(
        await runCheckpointsTool(stackTarget(outputs.processes), outputs.flinkLine, listing, "list", args.json ? ["--json"] : []),
      );
    } else if (args.command === "inspect") {
      console.log(
        await runCheckpointsTool(stackTarget(outputs.processes), outputs.flinkLine, listing, "inspect", [
          args.checkpoint,
          ...(args.json ? ["--json"] : []),
        ]),
      );
    } else {
      // prune's table is its answer whatever its exit code: 1 says a row was refused or could not be removed.
      const answer = await answerOfCheckpointsTool(
        stackTarget(outputs.processes),
        outputs.flinkLine,
        listing,
        "prune",
        pruneArguments(args, raw, args.stack),
      );
      console.log(answer.stdout);
      if (answer.stderr !== "") console.error(answer.stderr);
      return answer.exitCode;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof StackOutputsError || error instanceof InspectorError)) throw error;
    console.error(`checkpoints: ${error.message}`);
    return 3;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`checkpoints: unexpected failure: ${(error as Error).stack ?? String(error)}`);
      process.exit(3);
    },
  );
}
