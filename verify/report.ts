// The verification report: judged from the cycle's evidence (pure), shown on the terminal and written as JSON,
// with an HTML page of it beside it (htmlReport.ts).

import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  type Check,
  type CheckpointMode,
  type CheckpointRef,
  type FiringId,
  judgeCycle,
  judgeDeadLetters,
  judgeOutput,
  type OutputJudgement,
  type PartitionOffsets,
  type WindowModel,
  windowModelFor,
} from "./checks";
import { type CycleEvidence, restartedItself, restoreIsOfThisRecovery, type Timings } from "./cycle";
import { htmlPathOf, renderFaultHtml } from "./htmlReport";
import { deadLetterKey, deadLetterRaw, type Firing, parseFiring, parseVisit, type Visit } from "./records";
import type { Timeline } from "./timeline";

export const DEFAULT_REPORT_PATH = "reports/verify-latest.json";
const SAMPLE_SIZE = 20;

export interface ReportContext {
  stack: string | null;
  mode: CheckpointMode;
  target: string;
  partitions: number;
  parallelism: number;
  /** The job's program arguments (stack output jobSubmission.programArgs): they say whether source idleness is on. */
  programArgs: readonly string[];
  restoreFromEarliest: boolean;
  startedAt: Date;
  finishedAt: Date;
  /** Why the cycle stopped early, if it did. */
  error?: string;
}

interface FiringSample {
  visitId: string;
  windowStart: string;
  count: number;
}

export interface VerifyReport {
  ok: boolean;
  /** The fault injected (faults.ts); `npm run verify` runs cancel-restore. */
  fault: string;
  mode: CheckpointMode;
  stack: string | null;
  target: string;
  restoreFromEarliest: boolean;
  startedAt: string;
  finishedAt: string;
  error: string | null;
  jobs: { atFault: string | null; recovered: string | null };
  /** The checkpoint the recovery had to restore (null: the job could ride the fault out). */
  expectedRestore: CheckpointRef | null;
  checkpointBeforeFault: CheckpointRef | null;
  restored: CheckpointRef | null;
  /** Flink's restart count of the job before the fault and after the recovery. */
  restarts: { before: number | null; after: number | null };
  firstCheckpointAfterRestore: number | null;
  resumedFromCheckpoint: boolean;
  /** Extra copies of firings in the committed output. */
  duplicates: number;
  /** Of those, the extra copies of firings with a copy written after the fault: what this fault caused. */
  duplicatesAfterFault: number;
  /** Firings the consumed input implies that the committed output lacks. */
  missing: number;
  /** Firings the input cannot explain. */
  unexpected: number;
  outputsChecked: number;
  expectedFirings: number;
  firingsAfterFault: number;
  preCheckpointFirings: number;
  preCheckpointReemitted: number;
  excluded: { windows: number; possiblyLateVisits: number };
  input: { records: number; visits: number; invalid: number };
  unparsableOutputs: number;
  offsets: {
    groupBeforeFault: PartitionOffsets | null;
    checkpointed: PartitionOffsets | null;
    outputEndAtFault: PartitionOffsets | null;
    inputEndAtFault: PartitionOffsets | null;
    inputEndAtRunning: PartitionOffsets | null;
    consumed: PartitionOffsets | null;
    outputEnd: PartitionOffsets | null;
    inputEnd: PartitionOffsets | null;
  };
  checks: Check[];
  samples: {
    duplicates: Array<
      FiringSample & { occurrences: Array<{ partition: number; offset: number }>; afterFault: boolean; preCheckpoint: boolean }
    >;
    missing: FiringSample[];
    unexpected: Array<FiringSample & { partition: number; offset: number; reason: string }>;
    unparsableOutputs: Array<{ partition: number; offset: number; reason: string }>;
  };
  timings: Timings;
  /** Offsets and checkpoints over time (absent in reports written before it was recorded). */
  timeline: Timeline | null;
  notes: string[];
}

const sample = (id: FiringId): FiringSample => ({
  visitId: id.visitId,
  windowStart: new Date(id.windowStartMs).toISOString(),
  count: id.count,
});

interface Assessment {
  judgement: OutputJudgement;
  checks: Check[];
  resumedFromCheckpoint: boolean;
  ok: boolean;
  input: VerifyReport["input"];
  unparsable: VerifyReport["samples"]["unparsableOutputs"];
}

/** Judges complete evidence; undefined when the cycle stopped before all of it was gathered. */
function assess(evidence: CycleEvidence, mode: CheckpointMode, model: WindowModel, partitions: number): Assessment | undefined {
  const {
    expectedRestore,
    checkpointBeforeFault,
    retained,
    restored,
    firstCheckpointAfterRestore,
    consumed,
    checkpointed,
    outputEndAtFault,
    outputRecords,
    inputRecords,
  } = evidence;
  const { malformedSent, deadLetterRecords, dlqEndAtFault, jobStateAtEnd } = evidence;
  if (
    expectedRestore === undefined ||
    !checkpointBeforeFault ||
    restored === undefined ||
    firstCheckpointAfterRestore === undefined ||
    !consumed ||
    !checkpointed ||
    !outputEndAtFault ||
    !outputRecords ||
    !inputRecords ||
    !malformedSent ||
    !deadLetterRecords ||
    jobStateAtEnd === undefined
  ) {
    return undefined;
  }
  const visits: Visit[] = [];
  for (const record of inputRecords) {
    const parsed = parseVisit(record);
    if (parsed.ok) visits.push(parsed.value);
  }
  const firings: Firing[] = [];
  const unparsable: Assessment["unparsable"] = [];
  for (const record of outputRecords) {
    const parsed = parseFiring(record);
    if (parsed.ok) firings.push(parsed.value);
    else unparsable.push({ partition: record.partition, offset: record.offset, reason: parsed.reason });
  }
  const judgement = judgeOutput({ mode, visits, firings, consumed, checkpointed, outputEndAtFault, model });
  const cycle = judgeCycle({
    mode,
    ...(retained ? { retained } : {}),
    restore: {
      expected: expectedRestore,
      before: checkpointBeforeFault,
      restored,
      restartedItself: restartedItself(evidence),
      firstCheckpointAfterRestore,
    },
    output: judgement,
    unparsableOutputs: unparsable.length,
    consumedKnown: Object.keys(consumed).length > 0,
    ...(restoreIsOfThisRecovery(evidence)
      ? {
          restoredSource: {
            ...(evidence.restoredSourceOffsets ? { offsets: evidence.restoredSourceOffsets } : {}),
            ...(evidence.restoredSourceOffsetsProblem ? { problem: evidence.restoredSourceOffsetsProblem } : {}),
            groupAtFault: checkpointed,
            partitions,
          },
        }
      : {}),
    ...(evidence.watermarkGenerators ? { watermarks: { generators: evidence.watermarkGenerators, partitions } } : {}),
  });
  const deadLetters = judgeDeadLetters(
    mode,
    malformedSent.map(deadLetterKey),
    deadLetterRecords.filter((r) => r.offset >= (dlqEndAtFault?.[r.partition] ?? 0)).map(deadLetterRaw),
    jobStateAtEnd,
  );
  return {
    judgement,
    ...cycle,
    ok: cycle.ok && deadLetters.ok,
    checks: [...cycle.checks, deadLetters],
    input: { records: inputRecords.length, visits: visits.length, invalid: inputRecords.length - visits.length },
    unparsable,
  };
}

export function buildReport(evidence: CycleEvidence, context: ReportContext): VerifyReport {
  const assessment = context.error ? undefined : assess(evidence, context.mode, windowModelFor(context.programArgs), context.partitions);
  const judgement = assessment?.judgement;
  const notes = [...evidence.notes];
  return {
    ok: assessment?.ok ?? false,
    fault: evidence.fault ?? "cancel-restore",
    mode: context.mode,
    stack: context.stack,
    target: context.target,
    restoreFromEarliest: context.restoreFromEarliest,
    startedAt: context.startedAt.toISOString(),
    finishedAt: context.finishedAt.toISOString(),
    error: context.error ?? (assessment ? null : "the cycle did not gather all its evidence"),
    jobs: { atFault: evidence.jobIdAtFault ?? null, recovered: evidence.recoveredJobId ?? null },
    expectedRestore: evidence.expectedRestore ?? null,
    checkpointBeforeFault: evidence.checkpointBeforeFault ?? null,
    restored: evidence.restored ?? null,
    restarts: { before: evidence.restartsBefore ?? null, after: evidence.restartsAfter ?? null },
    firstCheckpointAfterRestore: evidence.firstCheckpointAfterRestore ?? null,
    resumedFromCheckpoint: assessment?.resumedFromCheckpoint ?? false,
    duplicates: judgement?.duplicateRecords ?? 0,
    duplicatesAfterFault: (judgement?.duplicates ?? []).filter((d) => d.afterFault).reduce((n, d) => n + d.occurrences.length - 1, 0),
    missing: judgement?.missing.length ?? 0,
    unexpected: judgement?.unexpected.length ?? 0,
    outputsChecked: judgement?.outputsChecked ?? 0,
    expectedFirings: judgement?.expected ?? 0,
    firingsAfterFault: judgement?.firingsAfterFault ?? 0,
    preCheckpointFirings: judgement?.preCheckpointFirings ?? 0,
    preCheckpointReemitted: judgement?.preCheckpointReemitted ?? 0,
    excluded: judgement?.excluded ?? { windows: 0, possiblyLateVisits: 0 },
    input: assessment?.input ?? { records: 0, visits: 0, invalid: 0 },
    unparsableOutputs: assessment?.unparsable.length ?? 0,
    offsets: {
      groupBeforeFault: evidence.groupOffsetsBeforeFault ?? null,
      checkpointed: evidence.checkpointed ?? null,
      outputEndAtFault: evidence.outputEndAtFault ?? null,
      inputEndAtFault: evidence.inputEndAtFault ?? null,
      inputEndAtRunning: evidence.inputEndAtRunning ?? null,
      consumed: evidence.consumed ?? null,
      outputEnd: evidence.outputEnd ?? null,
      inputEnd: evidence.inputEnd ?? null,
    },
    checks: assessment?.checks ?? [],
    samples: {
      duplicates: (judgement?.duplicates ?? [])
        .slice(0, SAMPLE_SIZE)
        .map((d) => ({ ...sample(d), occurrences: d.occurrences, afterFault: d.afterFault, preCheckpoint: d.preCheckpoint })),
      missing: (judgement?.missing ?? []).slice(0, SAMPLE_SIZE).map(sample),
      unexpected: (judgement?.unexpected ?? [])
        .slice(0, SAMPLE_SIZE)
        .map((u) => ({ ...sample(u), partition: u.partition, offset: u.offset, reason: u.reason })),
      unparsableOutputs: (assessment?.unparsable ?? []).slice(0, SAMPLE_SIZE),
    },
    timings: evidence.timings,
    timeline: evidence.timeline ?? null,
    notes,
  };
}

const ms = (value: number | undefined): string =>
  value === undefined ? "n/a" : value < 10_000 ? `${value} ms` : `${(value / 1000).toFixed(1)} s`;
const ref = (checkpoint: CheckpointRef | null): string => (checkpoint ? `${checkpoint.id} (${checkpoint.path})` : "none");

export function renderSummary(report: VerifyReport, reportPath: string): string {
  const lines = [
    `verify ${report.ok ? "PASSED" : "FAILED"}: ${report.fault}, ${report.mode}, ${report.target} stack${report.stack ? ` "${report.stack}"` : ""}${report.restoreFromEarliest ? ", resubmitted WITHOUT the checkpoint (--restore-from-earliest)" : ""}`,
    `  expected restore ${report.expectedRestore ? ref(report.expectedRestore) : "none required"} → restored ${ref(report.restored)}; first checkpoint after the recovery: ${report.firstCheckpointAfterRestore ?? "none"}`,
    `  resumedFromCheckpoint: ${report.resumedFromCheckpoint}`,
    `  output: ${report.outputsChecked} firings checked (${report.firingsAfterFault} after the fault), ${report.duplicates} duplicates, ${report.missing} missing of ${report.expectedFirings} expected, ${report.unexpected} unexpected`,
    `  input: ${report.input.visits} visits (${report.input.invalid} invalid records, the job's DLQ); ${report.excluded.possiblyLateVisits} possibly late visits in ${report.excluded.windows} windows judged only where unambiguous`,
    `  timings after the fault: detected ${ms(report.timings.faultToDetected)}, RUNNING ${ms(report.timings.faultToRunning)}, first committed output ${ms(report.timings.faultToFirstCommittedOutput)}, caught up ${ms(report.timings.faultToCaughtUp)}; recovery→RUNNING ${ms(report.timings.recoveryToRunning)}; total ${ms(report.timings.total)}`,
    ...report.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`),
    ...report.notes.map((n) => `  note: ${n}`),
    ...(report.error ? [`  error: ${report.error}`] : []),
    `  timeline: ${htmlPathOf(reportPath)}`,
    `  report: ${reportPath}`,
  ];
  return lines.join("\n");
}

/** Writes the JSON report to `path` and its HTML page beside it. */
export async function writeReport(path: string, report: VerifyReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(htmlPathOf(path), renderFaultHtml(report));
}
