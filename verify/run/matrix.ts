// The fault matrix as a library call: faults one after another on one stack, in its checkpoint mode or in others on
// stacks derived from it, each fault's report beside the matrix's JSON, Markdown and HTML.

import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import type { CheckpointMode } from "../../infra/contract";
import { modeVariant, withDerivedStack } from "../../lib/stack/derived";
import { parseStackOutputs, type StackOutputs } from "../../lib/stack/outputs";
import type { Log } from "../../lib/wait";
import { matrixRow } from "../report/build";
import { htmlPathOf, renderMatrixHtml } from "../report/html";
import type { MatrixReport, MatrixRow } from "../report/model";
import { renderMatrix } from "../report/text";
import type { CycleOptions } from "./cycle";
import { type FaultResult, runFault } from "./fault";
import type { FaultName } from "./faults";

export interface MatrixRequest {
  readonly outputs: StackOutputs;
  /** The stack's name: needed to derive stacks for other modes; null when the outputs came from a file. */
  readonly stack: string | null;
  /** The Pulumi project, where derived stacks are made. */
  readonly projectDir: string;
  readonly faults: readonly FaultName[];
  /** How many times the whole list runs (a soak). */
  readonly repeat: number;
  /** Checkpoint modes to run the faults in; undefined: the stack's own mode only. */
  readonly modes?: readonly CheckpointMode[];
  /** The options of the first fault; later ones need only one more checkpoint and find the recovered job. */
  readonly options: CycleOptions;
  /** The matrix's JSON report; the faults' reports, its Markdown and HTML go beside it. */
  readonly reportPath: string;
  readonly log: Log;
}

export interface MatrixResult {
  readonly matrix: MatrixReport;
  /** The stack's outputs after the last fault of its own mode: changed by a fault that changes the stack (upgrade-line). */
  readonly outputs: StackOutputs;
  readonly runs: readonly FaultResult[];
  /** Some fault, or a derived stack, could not be completed. */
  readonly incomplete: boolean;
  readonly paths: { readonly json: string; readonly markdown: string; readonly html: string };
}

/** Where one fault's report goes in a matrix: beside the matrix report, named after mode, fault and run. */
export const faultReportPath = (matrixPath: string, mode: string, fault: string, run: number): string =>
  join(dirname(matrixPath), `${basename(matrixPath, extname(matrixPath))}-${mode.toLowerCase()}-${fault}-${run}.json`);

/** Runs the matrix; a fault that could not complete ends its mode (the stack is in no state to go on). */
export async function runMatrix(request: MatrixRequest): Promise<MatrixResult> {
  const { outputs, log, reportPath } = request;
  const rows: MatrixRow[] = [];
  const runs: FaultResult[] = [];
  let incomplete = false;
  let stackOutputs = outputs;
  const runMode = async (modeOutputs: StackOutputs, stack: string | null) => {
    // A fault may change the stack (upgrade-line: another Flink line); the faults after it run on what it left.
    let current = modeOutputs;
    for (let run = 1; run <= request.repeat; run++) {
      for (const [index, fault] of request.faults.entries()) {
        const first = run === 1 && index === 0;
        // After the first fault the job just recovered with checkpoints of its own: one more is enough.
        const options: CycleOptions = first ? request.options : { ...request.options, minCheckpoints: 1, jobId: undefined };
        log(`=== ${fault} (${modeOutputs.checkpointMode}, run ${run} of ${request.repeat})`);
        const result = await runFault({
          outputs: current,
          fault,
          options,
          stack,
          reportPath: faultReportPath(reportPath, modeOutputs.checkpointMode, fault, run),
          log,
        });
        runs.push(result);
        rows.push(matrixRow(result.report, run));
        current = result.outputs;
        if (stack === request.stack) stackOutputs = current;
        if (result.incomplete) {
          incomplete = true;
          return;
        }
      }
    }
  };
  for (const mode of request.modes ?? [outputs.checkpointMode]) {
    try {
      if (mode === outputs.checkpointMode) await runMode(outputs, request.stack);
      else {
        if (request.stack === null) throw new Error(`running ${mode} needs the stack's name, to derive a stack of that mode from it`);
        await withDerivedStack(request.projectDir, request.stack, modeVariant(mode), log, (raw, name) =>
          runMode(parseStackOutputs(raw, {}, `stack "${name}"`), name),
        );
      }
    } catch (error) {
      log(`verify: the ${mode} run could not be completed: ${(error as Error).message}`);
      incomplete = true;
    }
  }
  const ok = !incomplete && runs.length > 0 && runs.every((r) => r.report.ok);
  const matrix: MatrixReport = { ok, stack: request.stack, faults: request.faults, repeat: request.repeat, rows };
  const paths = {
    json: reportPath,
    markdown: join(dirname(reportPath), `${basename(reportPath, extname(reportPath))}.md`),
    html: htmlPathOf(reportPath),
  };
  await mkdir(dirname(reportPath), { recursive: true });
  await writeFile(paths.json, `${JSON.stringify(matrix, null, 2)}\n`);
  const table = renderMatrix(rows);
  await writeFile(paths.markdown, table);
  await writeFile(
    paths.html,
    renderMatrixHtml(matrix, (row) => basename(htmlPathOf(faultReportPath(reportPath, row.mode, row.fault, row.run)))),
  );
  for (const line of `\n${table}\nmatrix ${ok ? "PASSED" : "FAILED"}: ${rows.length} faults run; ${paths.json}, ${paths.markdown}, ${paths.html}`.split(
    "\n",
  ))
    log(line);
  return { matrix, outputs: stackOutputs, runs, incomplete, paths };
}
