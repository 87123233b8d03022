// `npm run verify -- --stack <name>`: faults against a running stack (default: the pattern's cancel-and-restore
// cycle), each recovery proved from the data; several faults or modes make a matrix with a table.

import { resolve } from "node:path";
import { notAllowed, problemLines, unwritableFileProblem } from "../../lib/args";
import { REPO_ROOT } from "../../lib/paths";
import { parseStackOutputs, readOutputsFile, readPulumiOutputs, type StackOutputs } from "../../lib/stack/outputs";
import { runFault, runMatrix } from "..";
import { parseArguments, USAGE, UsageError, type VerifyArguments } from "./verifyArgs";

const EXIT = { ok: 0, checkFailed: 1, usage: 2, incomplete: 3 } as const;

const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);

async function loadOutputs(args: VerifyArguments): Promise<StackOutputs> {
  const overrides = {
    ...(args.flinkUrl ? { flinkRestUrl: args.flinkUrl } : {}),
    ...(args.kafkaBootstrap ? { kafkaBootstrap: args.kafkaBootstrap } : {}),
  };
  if (args.outputsFile) return parseStackOutputs(await readOutputsFile(args.outputsFile), overrides, `file ${args.outputsFile}`);
  return parseStackOutputs(await readPulumiOutputs(args.stack!, REPO_ROOT), overrides, `stack "${args.stack}"`);
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: VerifyArguments;
  try {
    const parsed = parseArguments(argv);
    if (parsed.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    args = parsed.args;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(problemLines("verify", error.message));
    return EXIT.usage;
  }
  const unwritable = unwritableFileProblem(args.reportPath);
  if (unwritable) {
    console.error(problemLines("verify", notAllowed("--report", args.reportPath, `a file this user can write (${unwritable})`)));
    return EXIT.usage;
  }
  let outputs: StackOutputs;
  try {
    outputs = await loadOutputs(args);
  } catch (error) {
    console.error(`verify: ${(error as Error).message}`);
    return EXIT.incomplete;
  }
  const reportPath = resolve(process.cwd(), args.reportPath);
  const stack = args.stack ?? null;
  if (args.faults.length === 1 && args.repeat === 1 && args.modes === undefined) {
    const run = await runFault({ outputs, fault: args.faults[0]!, options: args.cycle, stack, reportPath, log });
    return run.incomplete ? EXIT.incomplete : run.report.ok ? EXIT.ok : EXIT.checkFailed;
  }
  const matrix = await runMatrix({
    outputs,
    stack,
    projectDir: REPO_ROOT,
    faults: args.faults,
    repeat: args.repeat,
    ...(args.modes ? { modes: args.modes } : {}),
    options: args.cycle,
    reportPath,
    log,
  });
  return matrix.incomplete ? EXIT.incomplete : matrix.matrix.ok ? EXIT.ok : EXIT.checkFailed;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`verify: unexpected failure: ${(error as Error).stack ?? String(error)}`);
      process.exit(EXIT.incomplete);
    },
  );
}
