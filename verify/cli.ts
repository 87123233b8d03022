// `npm run verify -- --stack <name>`: the Checkpointer cycle against a running stack, proved from data.

import { resolve } from "node:path";
import { parseArguments, USAGE, UsageError, VerifyArguments } from "./args";
import { CycleEvidence, runCycle } from "./cycle";
import { buildReport, renderSummary, writeReport } from "./report";
import { parseStackOutputs, readOutputsFile, readPulumiOutputs, StackOutputs } from "./stackOutputs";

const EXIT = { ok: 0, checkFailed: 1, usage: 2, cycleFailed: 3 } as const;

// The Pulumi project (Pulumi.yaml) is the repository root, one level above verify/.
const PROJECT_DIR = resolve(__dirname, "..");

const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);

async function loadOutputs(args: VerifyArguments): Promise<StackOutputs> {
  const overrides = {
    ...(args.flinkUrl ? { flinkRestUrl: args.flinkUrl } : {}),
    ...(args.kafkaBootstrap ? { kafkaBootstrap: args.kafkaBootstrap } : {}),
  };
  if (args.outputsFile) return parseStackOutputs(await readOutputsFile(args.outputsFile), overrides, `file ${args.outputsFile}`);
  const stack = args.stack!;
  return parseStackOutputs(await readPulumiOutputs(stack, PROJECT_DIR), overrides, `stack "${stack}"`);
}

async function main(argv: string[]): Promise<number> {
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
    console.error(`verify: ${error.message}`);
    return EXIT.usage;
  }

  const startedAt = new Date();
  const reportPath = resolve(process.cwd(), args.reportPath);
  let outputs: StackOutputs;
  try {
    outputs = await loadOutputs(args);
  } catch (error) {
    console.error(`verify: ${(error as Error).message}`);
    return EXIT.cycleFailed;
  }

  const evidence: CycleEvidence = { notes: [], timings: {} };
  let error: string | undefined;
  try {
    await runCycle(outputs, args.cycle, log, evidence);
  } catch (caught) {
    error = (caught as Error).message;
    log(`verify: ${error}`);
  }
  const finishedAt = new Date();
  evidence.timings.total = finishedAt.getTime() - startedAt.getTime();
  const report = buildReport(evidence, {
    stack: args.stack ?? null,
    mode: outputs.checkpointMode,
    target: outputs.target,
    partitions: outputs.partitions,
    parallelism: outputs.jobSubmission.parallelism,
    programArgs: outputs.jobSubmission.programArgs,
    restoreFromEarliest: args.cycle.restoreFromEarliest,
    startedAt,
    finishedAt,
    ...(error !== undefined ? { error } : {}),
  });
  await writeReport(reportPath, report);
  console.log(renderSummary(report, reportPath));
  if (error !== undefined) return EXIT.cycleFailed;
  return report.ok ? EXIT.ok : EXIT.checkFailed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`verify: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    process.exit(EXIT.cycleFailed);
  },
);
