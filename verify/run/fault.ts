// One fault on a running stack, as a library call: the shared sequence on a connection to it, the report judged
// from what it saw, written as JSON and HTML, and summarized.

import type { StackOutputs } from "../../lib/stack/outputs";
import type { Log } from "../../lib/wait";
import { buildReport } from "../report/build";
import type { VerifyReport } from "../report/model";
import { renderSummary } from "../report/text";
import { writeReport } from "../report/write";
import { type Connection, connect } from "./connection";
import { type CycleOptions, runCycle } from "./cycle";
import type { CycleEvidence } from "./evidence";
import { FAULTS, type FaultName } from "./faults";

export interface FaultRequest {
  readonly outputs: StackOutputs;
  readonly fault: FaultName;
  readonly options: CycleOptions;
  /** The stack's name, for the report (null when the outputs came from a file). */
  readonly stack: string | null;
  /** Where the JSON report goes; its HTML page goes beside it. */
  readonly reportPath: string;
  readonly log: Log;
  /** A connection to use instead of one made from the outputs (tests). */
  readonly connection?: Connection;
}

export interface FaultResult {
  readonly report: VerifyReport;
  /** The stack's outputs after the fault: the request's, unless the fault changed the stack (upgrade-line). */
  readonly outputs: StackOutputs;
  readonly reportPath: string;
  /** The fault could not be completed (an unreachable JobManager, a timeout, a refused restore): no verdict. */
  readonly incomplete: boolean;
}

/** Runs one fault and writes its report; never throws for what happens on the stack, which goes into the report. */
export async function runFault(request: FaultRequest): Promise<FaultResult> {
  const { outputs, options, log } = request;
  const startedAt = new Date();
  const evidence: CycleEvidence = { notes: [], timings: {} };
  let error: string | undefined;
  let opened: Awaited<ReturnType<typeof connect>> | undefined;
  let after = outputs;
  try {
    if (!request.connection) opened = await connect(outputs, log, request.stack);
    const connection = request.connection ?? opened!;
    const fault = FAULTS[request.fault];
    try {
      after = await runCycle(connection, outputs, fault, options, log, evidence);
    } finally {
      if (fault.repair) {
        log(`[+] ${fault.name}: putting the stack back as the fault found it`);
        await fault.repair({ flink: connection.flink, target: connection.target, options, log, evidence });
      }
    }
  } catch (caught) {
    error = (caught as Error).message;
    log(`verify: ${error}`);
  } finally {
    await opened?.close();
  }
  const finishedAt = new Date();
  evidence.timings.total = finishedAt.getTime() - startedAt.getTime();
  const report = buildReport(evidence, {
    stack: request.stack,
    mode: outputs.checkpointMode,
    target: outputs.target,
    flinkLine: outputs.flinkLine,
    partitions: outputs.partitions,
    settings: outputs.jobSubmission.settings,
    restoreFromEarliest: options.restoreFromEarliest,
    startedAt,
    finishedAt,
    ...(error !== undefined ? { error } : {}),
  });
  await writeReport(request.reportPath, report);
  for (const line of renderSummary(report, request.reportPath).split("\n")) log(line);
  return { report, outputs: after, reportPath: request.reportPath, incomplete: error !== undefined };
}
