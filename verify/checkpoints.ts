// `npm run checkpoints -- list [--stack <name>]`: every retained checkpoint on the stack's checkpoint volume, per
// job id, with whether it is complete (has Flink's _metadata), its size and time. It runs the job image's
// checkpoints.py inside the JobManager, which mounts the volume, so what it calls complete is what
// `restoreFrom: latest` may choose.

import { resolve } from "node:path";
import { runOnVolume } from "./checkpointVolume";
import { parseStackOutputs, readPulumiOutputs, StackOutputsError } from "./stackOutputs";

const PROJECT_DIR = resolve(__dirname, "..");
const COMMANDS = ["list"] as const;

export const CHECKPOINTS_USAGE = `Usage: npm run checkpoints -- list [--stack <name>]

  list             every retained checkpoint per job id: complete or not (and why), bytes, time (UTC)
  --stack <name>   the stack whose checkpoint volume to read (default: docker)`;

export interface CheckpointsArguments {
  command: typeof COMMANDS[number];
  stack: string;
}

export class CheckpointsUsageError extends Error {}

export function parseCheckpointsArguments(argv: readonly string[]): CheckpointsArguments | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const [command, ...rest] = argv;
  if (!(COMMANDS as readonly string[]).includes(command ?? "")) {
    throw new CheckpointsUsageError(`${command === undefined ? "no command" : `unknown command "${command}"`}; allowed: ${COMMANDS.join(", ")}`);
  }
  let stack = "docker";
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--stack" && rest[i + 1] !== undefined && !rest[i + 1].startsWith("--")) stack = rest[++i];
    else if (rest[i].startsWith("--stack=") && rest[i].length > "--stack=".length) stack = rest[i].slice("--stack=".length);
    else throw new CheckpointsUsageError(`unexpected argument "${rest[i]}"; allowed: --stack <name>`);
  }
  return { command: command as CheckpointsArguments["command"], stack };
}

/** The listing command of the stack outputs (`checkpointListing`), checked to be a list of strings. */
export function checkpointListing(raw: unknown, stack: string): string[] {
  const listing = (raw as Record<string, unknown> | null)?.checkpointListing;
  if (!Array.isArray(listing) || listing.length === 0 || !listing.every(a => typeof a === "string")) {
    throw new StackOutputsError(`stack "${stack}" has no output checkpointListing (a list of strings); run \`npm run up -- ${stack}\` with this version of infra/`);
  }
  return listing;
}

async function main(argv: string[]): Promise<number> {
  let args: CheckpointsArguments | "help";
  try {
    args = parseCheckpointsArguments(argv);
  } catch (error) {
    if (!(error instanceof CheckpointsUsageError)) throw error;
    console.error(`checkpoints: ${error.message}\n${CHECKPOINTS_USAGE}`);
    return 2;
  }
  if (args === "help") {
    console.log(CHECKPOINTS_USAGE);
    return 0;
  }
  try {
    const raw = await readPulumiOutputs(args.stack, PROJECT_DIR);
    const outputs = parseStackOutputs(raw, {}, `stack "${args.stack}"`);
    const ran = await runOnVolume(outputs.checkpointVolume, checkpointListing(raw, args.stack));
    if (ran.output === null) {
      console.error(`checkpoints: ${ran.problem}\nNext: is the stack's JobManager running? (\`docker ps\` / \`kubectl get pods\`)`);
      return 3;
    }
    console.log(ran.output);
    return 0;
  } catch (error) {
    if (!(error instanceof StackOutputsError)) throw error;
    console.error(`checkpoints: ${error.message}`);
    return 3;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(code => process.exit(code));
}
