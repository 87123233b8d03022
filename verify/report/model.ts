import type { CheckpointMode } from "../../infra/contract";
import type { CheckpointRef } from "../../lib/checkpoints/paths";
import type { PartitionOffsets } from "../../lib/kafka/offsets";
import type { Check } from "../judge/check";
import type { NodeLossEvidence, Timings } from "../run/evidence";
import type { Timeline } from "../run/timeline";
// The reports' shapes: one fault's report and the matrix's, as written to JSON and rendered to text and HTML.

export interface FiringSample {
  visitId: string;
  windowStart: string;
  count: number;
}

export interface VerifyReport {
  ok: boolean;
  /** The fault injected (faults.ts); `npm run verify` runs cancel-restore. */
  fault: string;
  mode: CheckpointMode;
  /** The job's windows as judged: their size and count trigger. */
  window: { sizeMs: number; trigger: number };
  stack: string | null;
  target: string;
  /** The Flink line the stack ran (versions.json's flinkLines); absent in reports from before it was recorded. */
  flinkLine?: string;
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
  /** The node-loss fault's record: the node lost, where the pods ran before, during and after, Kubernetes' timings. */
  nodeLoss?: NodeLossEvidence;
  notes: string[];
}

/** One row of the table: a fault in a mode, with what it showed. */
export interface MatrixRow {
  fault: string;
  mode: CheckpointMode;
  run: number;
  ok: boolean;
  /** Extra copies involving output written after this fault. */
  duplicates: number;
  missing: number;
  /** Firings whose count the input cannot explain (over-counted windows, among others). */
  unexpected: number;
  restored: number | null;
  expected: number | null;
  deadLetters: string;
  timings: VerifyReport["timings"];
  explanation: string;
  error: string | null;
}

/** The matrix's own report (beside the per-fault ones): the faults asked for, a row each run, and whether all passed. */
export interface MatrixReport {
  ok: boolean;
  stack: string | null;
  faults: readonly string[];
  repeat: number;
  rows: MatrixRow[];
}
