// `npm run verify -- --stack <name>`: faults against a running stack (default: the pattern's cancel-and-restore
// cycle), each recovery proved from the data; several faults or modes make a matrix with a table.

import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { modeVariant, withDerivedStack } from "../../lib/stack/derived";
import { parseStackOutputs, readOutputsFile, readPulumiOutputs, type StackOutputs } from "../../lib/stack/outputs";
import { buildReport, matrixRow } from "../report/build";
import { htmlPathOf, renderMatrixHtml } from "../report/html";
import type { MatrixReport, MatrixRow, VerifyReport } from "../report/model";
import { renderMatrix, renderSummary } from "../report/text";
import { writeReport } from "../report/write";
import { type CycleOptions, runCycle } from "../run/cycle";
import type { CycleEvidence } from "../run/evidence";
import { FAULTS, type FaultName } from "../run/faults";
import { parseArguments, USAGE, UsageError, type VerifyArguments } from "./verifyArgs";

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

interface FaultRun {
  report: VerifyReport;
  error: boolean;
}

/** One fault on a stack: the shared sequence, then its report written to `reportPath` and summarized. */
async function runFault(
  outputs: StackOutputs,
  fault: FaultName,
  options: CycleOptions,
  stack: string | null,
  reportPath: string,
): Promise<FaultRun> {
  const startedAt = new Date();
  const evidence: CycleEvidence = { notes: [], timings: {} };
  let error: string | undefined;
  try {
    await runCycle(outputs, FAULTS[fault], options, log, evidence);
  } catch (caught) {
    error = (caught as Error).message;
    log(`verify: ${error}`);
  }
  const finishedAt = new Date();
  evidence.timings.total = finishedAt.getTime() - startedAt.getTime();
  const report = buildReport(evidence, {
    stack,
    mode: outputs.checkpointMode,
    target: outputs.target,
    partitions: outputs.partitions,
    parallelism: outputs.jobSubmission.parallelism,
    programArgs: outputs.jobSubmission.programArgs,
    restoreFromEarliest: options.restoreFromEarliest,
    startedAt,
    finishedAt,
    ...(error !== undefined ? { error } : {}),
  });
  await writeReport(reportPath, report);
  console.log(renderSummary(report, reportPath));
  return { report, error: error !== undefined };
}

/** Where one fault's report goes in a matrix: beside the matrix report, named after mode, fault and run. */
const faultReportPath = (matrixPath: string, mode: string, fault: string, run: number) =>
  join(dirname(matrixPath), `${basename(matrixPath, extname(matrixPath))}-${mode.toLowerCase()}-${fault}-${run}.json`);

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

  const reportPath = resolve(process.cwd(), args.reportPath);
  let outputs: StackOutputs;
  try {
    outputs = await loadOutputs(args);
  } catch (error) {
    console.error(`verify: ${(error as Error).message}`);
    return EXIT.cycleFailed;
  }

  const single = args.faults.length === 1 && args.repeat === 1 && args.modes === undefined;
  if (single) {
    const run = await runFault(outputs, args.faults[0]!, args.cycle, args.stack ?? null, reportPath);
    if (run.error) return EXIT.cycleFailed;
    return run.report.ok ? EXIT.ok : EXIT.checkFailed;
  }

  // The matrix: every fault in turn on one stack per mode; a fault that could not complete ends its mode.
  const rows: MatrixRow[] = [];
  const runs: FaultRun[] = [];
  const runMode = async (modeOutputs: StackOutputs, stack: string | null) => {
    for (let run = 1; run <= args.repeat; run++) {
      for (const [index, fault] of args.faults.entries()) {
        const first = run === 1 && index === 0;
        // After the first fault the job just recovered with checkpoints of its own: one more is enough.
        const options: CycleOptions = first ? args.cycle : { ...args.cycle, minCheckpoints: 1, jobId: undefined };
        log(`=== ${fault} (${modeOutputs.checkpointMode}, run ${run} of ${args.repeat})`);
        const result = await runFault(
          modeOutputs,
          fault,
          options,
          stack,
          faultReportPath(reportPath, modeOutputs.checkpointMode, fault, run),
        );
        runs.push(result);
        rows.push(matrixRow(result.report, run));
        if (result.error) return;
      }
    }
  };
  for (const mode of args.modes ?? [outputs.checkpointMode]) {
    try {
      if (mode === outputs.checkpointMode) await runMode(outputs, args.stack ?? null);
      else
        await withDerivedStack(PROJECT_DIR, args.stack!, modeVariant(mode), log, (raw, name) =>
          runMode(parseStackOutputs(raw, {}, `stack "${name}"`), name),
        );
    } catch (error) {
      log(`verify: the ${mode} run could not be completed: ${(error as Error).message}`);
      runs.push({ report: { error: (error as Error).message } as VerifyReport, error: true });
    }
  }
  const ok = runs.length > 0 && runs.every((r) => !r.error && r.report.ok);
  await mkdir(dirname(reportPath), { recursive: true });
  const matrix: MatrixReport = { ok, stack: args.stack ?? null, faults: args.faults, repeat: args.repeat, rows };
  await writeFile(reportPath, `${JSON.stringify(matrix, null, 2)}\n`);
  const table = renderMatrix(rows);
  const markdownPath = join(dirname(reportPath), `${basename(reportPath, extname(reportPath))}.md`);
  await writeFile(markdownPath, table);
  const htmlPath = htmlPathOf(reportPath);
  await writeFile(
    htmlPath,
    renderMatrixHtml(matrix, (row) => basename(htmlPathOf(faultReportPath(reportPath, row.mode, row.fault, row.run)))),
  );
  console.log(`\n${table}\nmatrix ${ok ? "PASSED" : "FAILED"}: ${rows.length} faults run; ${reportPath}, ${markdownPath}, ${htmlPath}`);
  if (runs.some((r) => r.error)) return EXIT.cycleFailed;
  return ok ? EXIT.ok : EXIT.checkFailed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`verify: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    process.exit(EXIT.cycleFailed);
  },
);
