// The verification report: judged from the cycle's evidence (pure), shown on the terminal and written as JSON,
// with an HTML page of it beside it (htmlReport.ts).

import type { CheckpointMode } from "../../infra/contract";
import type { JobSettings } from "../../jobs/flink/settings";
import type { Check } from "../judge/check";
import { judgeDeadLetters } from "../judge/deadLetters";
import { judgeNodeLoss } from "../judge/nodes";
import { type FiringId, judgeOutput, type OutputJudgement, type WindowModel, windowModelOf } from "../judge/output";
import { deadLetterKey, deadLetterRaw, type Firing, parseFiring, parseVisit, type Visit } from "../judge/records";
import { judgeCycle, restartedItself, restoreIsOfThisRecovery } from "../judge/recovery";
import type { CycleEvidence } from "../run/evidence";
import type { FiringSample, MatrixRow, VerifyReport } from "./model";

const SAMPLE_SIZE = 20;

/** What a report says besides the evidence: where and how the fault ran. */
export interface ReportContext {
  stack: string | null;
  mode: CheckpointMode;
  target: string;
  /** The Flink line the stack runs (stack output flinkLine). */
  flinkLine: string;
  partitions: number;
  /** The job's settings (stack output jobSubmission.settings): its windows, its trigger, whether source idleness is on. */
  settings: JobSettings;
  restoreFromEarliest: boolean;
  startedAt: Date;
  finishedAt: Date;
  /** Why the cycle stopped early, if it did. */
  error?: string;
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
    ...(evidence.objectStoreOutage ? { objectStoreOutage: evidence.objectStoreOutage } : {}),
  });
  const deadLetters = judgeDeadLetters(
    mode,
    malformedSent.map(deadLetterKey),
    deadLetterRecords.filter((r) => r.offset >= (dlqEndAtFault?.[r.partition] ?? 0)).map(deadLetterRaw),
    jobStateAtEnd,
  );
  const nodes = evidence.nodeLoss ? judgeNodeLoss(evidence.nodeLoss) : [];
  return {
    judgement,
    ...cycle,
    ok: cycle.ok && deadLetters.ok && nodes.every((c) => c.ok),
    checks: [...cycle.checks, deadLetters, ...nodes],
    input: { records: inputRecords.length, visits: visits.length, invalid: inputRecords.length - visits.length },
    unparsable,
  };
}

export function buildReport(evidence: CycleEvidence, context: ReportContext): VerifyReport {
  const model = windowModelOf(context.settings);
  const assessment = context.error ? undefined : assess(evidence, context.mode, model, context.partitions);
  const judgement = assessment?.judgement;
  const notes = [...evidence.notes];
  return {
    ok: assessment?.ok ?? false,
    fault: evidence.fault ?? "cancel-restore",
    mode: context.mode,
    window: { sizeMs: model.windowSizeMs, trigger: model.trigger },
    stack: context.stack,
    target: context.target,
    flinkLine: context.flinkLine,
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
    ...(evidence.nodeLoss ? { nodeLoss: evidence.nodeLoss } : {}),
    notes,
  };
}

export function matrixRow(report: VerifyReport, run: number): MatrixRow {
  const check = (name: string) => report.checks.find((c) => c.name === name);
  return {
    fault: report.fault,
    mode: report.mode,
    run,
    ok: report.ok,
    duplicates: report.duplicatesAfterFault,
    missing: report.missing,
    unexpected: report.unexpected,
    restored: report.restored?.id ?? null,
    expected: report.expectedRestore?.id ?? null,
    deadLetters: check("malformedInputDeadLettered")?.detail.split(";")[0] ?? "n/a",
    timings: report.timings,
    explanation: check("duplicatesExplained")?.detail ?? "",
    error: report.error,
  };
}
