// The judging of a fault and its recovery: pure functions over what was read from Kafka and Flink.
//
// Ground truth is the input topic. The job keys valid visits by visit_id into 45 s tumbling event-time
// windows with a CountTrigger of 4: Flink's CountTrigger FIREs without purging, so a window fires each
// time its element count reaches a multiple of 4, and each firing carries the count so far (4, 8, …).
//
// Late events. With allowed lateness 0, Flink drops an element whose window end - 1 is at or below the
// window operator's watermark. The job generates monotonous watermarks (max event time - 1) right after
// the source, one generator per source subtask, i.e. per partition (the job pins its source to one subtask
// per partition, whatever parallelism its windows run at), and the
// window operator takes the minimum over its inputs. So the watermark an element meets never exceeds the
// largest event time read before it from its own partition, which we know from offsets (rule a). Only
// when the job runs with source idleness (--source-idle-timeout-ms > 0; off by default) can a silent
// partition step aside and let the other partitions' watermark pass alone; what they had read before the element is bounded by what was produced before it (Kafka
// timestamps, one generator clock) plus a slack for read latency (rule b). An element either rule can
// reach is "possibly late": whether Flink dropped it depends on timing we cannot see, so the judging only
// asserts what is unambiguous: the firings up to the number of certainly counted elements are expected, a
// firing above the total number of elements is unexplainable, and those in between are reported as
// excluded. The generator writes in event-time order, so in a healthy run few or no visits are excluded.
//
// Which input counts. Expected firings are computed only from input the job has consumed *and whose
// output is committed*: below the source group's committed offsets (`consumed`), which Flink's Kafka
// source commits when a checkpoint completes — the same moment the transactional sink commits that
// checkpoint's output. The caller reads those offsets, then waits for one more completed checkpoint
// before reading the output, so the output surely holds every firing the consumed input implies, while
// input the job has not processed yet is never counted as missing.
//
// Resumed, not restarted. A job restored from checkpoint C never emits again a firing that C's state
// already holds; a fresh start from earliest re-emits all of them. Which firings C holds: in
// EXACTLY_ONCE, every firing committed before the fault (only the transactions of checkpoints up to C
// were committed); in both modes, every firing the input below the group's committed offsets at fault
// time certainly caused (the source commits the offsets of a completed checkpoint, so those are at most
// C's offsets). A copy of such a firing after the fault is a re-emission of restored state.

import type { CheckpointMode } from "../../infra/contract";
import type { JobSettings } from "../../jobs/flink/settings";
import { offsetIn, type PartitionOffsets } from "../../lib/kafka/offsets";
import { type Firing, firingKey, type Visit, windowKey, windowStartOf } from "./records";

export interface WindowVisit {
  partition: number;
  offset: number;
  possiblyLate: boolean;
}

/** One (visit_id, window) of the input and the visits that fall into it, in partition/offset order. */
export interface WindowTruth {
  visitId: string;
  windowStartMs: number;
  visits: WindowVisit[];
}

/**
 * How much later than a record of another partition an element may be produced and still reach the
 * watermark generator after it: PyFlink holds elements in bundles for up to 1 s
 * (python.fn-execution.bundle.time) before the job's timestamps and watermarks are assigned, plus fetch latency.
 */
export const CROSS_PARTITION_SLACK_MS = 2_000;

export interface WindowModel {
  windowSizeMs: number;
  /** A window fires each time its count of visits reaches a multiple of this (the job's CountTrigger). */
  trigger: number;
  /** Whether the job's source marks silent partitions idle, which makes rule b apply. */
  sourceIdleness: boolean;
  crossPartitionSlackMs: number;
}

/** The window model of the job with these settings. */
export function windowModelOf(settings: Pick<JobSettings, "windowSeconds" | "countTrigger" | "sourceIdleTimeoutMs">): WindowModel {
  return {
    windowSizeMs: settings.windowSeconds * 1000,
    trigger: settings.countTrigger,
    sourceIdleness: settings.sourceIdleTimeoutMs > 0,
    crossPartitionSlackMs: CROSS_PARTITION_SLACK_MS,
  };
}

/** Per partition: production times in order and the largest event time produced up to each of them. */
function producedEventTimes(visits: readonly Visit[]): Map<number, { producedAt: number[]; maxEventTime: number[] }> {
  const byPartition = new Map<number, { producedAt: number[]; maxEventTime: number[] }>();
  const ordered = [...visits].sort((a, b) => a.producedAtMs - b.producedAtMs);
  for (const visit of ordered) {
    const entry = byPartition.get(visit.partition) ?? { producedAt: [], maxEventTime: [] };
    const previousMax = entry.maxEventTime[entry.maxEventTime.length - 1] ?? -Infinity;
    entry.producedAt.push(visit.producedAtMs);
    entry.maxEventTime.push(Math.max(previousMax, visit.eventTimeMs));
    byPartition.set(visit.partition, entry);
  }
  return byPartition;
}

/** The largest event time among records produced at or before `at` (-Infinity if none). */
function maxEventTimeProducedBy(entry: { producedAt: number[]; maxEventTime: number[] }, at: number): number {
  let low = 0;
  let high = entry.producedAt.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (entry.producedAt[middle]! <= at) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? -Infinity : entry.maxEventTime[low - 1]!;
}

export function groundTruth(visits: readonly Visit[], model: WindowModel): Map<string, WindowTruth> {
  const ordered = [...visits].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const produced = producedEventTimes(visits);
  const maxEventTimeReadBefore = new Map<number, number>();
  const windows = new Map<string, WindowTruth>();
  for (const visit of ordered) {
    const windowStartMs = windowStartOf(visit.eventTimeMs, model.windowSizeMs);
    const windowEndMs = windowStartMs + model.windowSizeMs;
    const ownMax = maxEventTimeReadBefore.get(visit.partition) ?? -Infinity;
    let othersMax = -Infinity;
    for (const [partition, entry] of model.sourceIdleness ? produced : []) {
      if (partition !== visit.partition)
        othersMax = Math.max(othersMax, maxEventTimeProducedBy(entry, visit.producedAtMs + model.crossPartitionSlackMs));
    }
    const possiblyLate = ownMax >= windowEndMs || othersMax >= windowEndMs;
    maxEventTimeReadBefore.set(visit.partition, Math.max(ownMax, visit.eventTimeMs));
    const key = windowKey(visit.visitId, windowStartMs);
    let window = windows.get(key);
    if (!window) {
      window = { visitId: visit.visitId, windowStartMs, visits: [] };
      windows.set(key, window);
    }
    window.visits.push({ partition: visit.partition, offset: visit.offset, possiblyLate });
  }
  return windows;
}

/** How many of the window's visits below `upTo` the job counted for sure (none possibly late). */
export function certainlyCounted(window: WindowTruth, upTo: PartitionOffsets): number {
  return window.visits.filter((v) => !v.possiblyLate && v.offset < offsetIn(upTo, v.partition)).length;
}

export interface FiringId {
  visitId: string;
  windowStartMs: number;
  count: number;
}

/** The firings the input below `upTo` certainly caused: every multiple of the trigger count. */
export function expectedFirings(truth: ReadonlyMap<string, WindowTruth>, upTo: PartitionOffsets, trigger: number): FiringId[] {
  const expected: FiringId[] = [];
  for (const window of truth.values()) {
    const counted = certainlyCounted(window, upTo);
    for (let count = trigger; count <= counted; count += trigger) {
      expected.push({ visitId: window.visitId, windowStartMs: window.windowStartMs, count });
    }
  }
  return expected;
}

export interface RecordPosition {
  partition: number;
  offset: number;
}

export interface DuplicateFiring extends FiringId {
  occurrences: RecordPosition[];
  /** At least one copy lies at or beyond the output end offsets taken at fault time. */
  afterFault: boolean;
  /** The restored checkpoint's state holds it: a resumed job never emits it again. */
  preCheckpoint: boolean;
}

export interface UnexpectedFiring extends FiringId, RecordPosition {
  reason: string;
}

export interface OutputJudgementInput {
  mode: CheckpointMode;
  visits: readonly Visit[];
  firings: readonly Firing[];
  /** The source group's committed offsets at the end: input consumed with its output committed. */
  consumed: PartitionOffsets;
  /** The source group's committed offsets after the fault: at most the restored checkpoint's offsets. */
  checkpointed: PartitionOffsets;
  /** The output topic's end offsets right after the fault: later records belong to the restored job. */
  outputEndAtFault: PartitionOffsets;
  model: WindowModel;
}

export interface OutputJudgement {
  outputsChecked: number;
  firingsAfterFault: number;
  expected: number;
  missing: FiringId[];
  unexpected: UnexpectedFiring[];
  duplicates: DuplicateFiring[];
  /** Extra copies in total: a firing present three times counts two. */
  duplicateRecords: number;
  /** Extra copies of firings the checkpoint already covered that reappeared after the fault. */
  preCheckpointReemitted: number;
  /** How many firings the restored checkpoint holds: what a fresh start from earliest would re-emit. */
  preCheckpointFirings: number;
  excluded: { windows: number; possiblyLateVisits: number };
}

function explainFiring(firing: Firing, window: WindowTruth | undefined, windowSizeMs: number, trigger: number): string | undefined {
  if (
    firing.windowEndMs !== firing.windowStartMs + windowSizeMs ||
    windowStartOf(firing.windowStartMs, windowSizeMs) !== firing.windowStartMs
  ) {
    return `window [${new Date(firing.windowStartMs).toISOString()}, ${new Date(firing.windowEndMs).toISOString()}) is not a ${windowSizeMs / 1000} s tumbling window`;
  }
  if (firing.count <= 0 || firing.count % trigger !== 0) return `count ${firing.count} is not a positive multiple of ${trigger}`;
  if (!window) return "no visit of the input falls into this window";
  if (firing.count > window.visits.length)
    return `count ${firing.count} exceeds the ${window.visits.length} visits of the input in this window`;
  return undefined;
}

export function judgeOutput(input: OutputJudgementInput): OutputJudgement {
  const model = input.model;
  const windowSizeMs = model.windowSizeMs;
  const trigger = model.trigger;
  const truth = groundTruth(input.visits, model);

  const occurrences = new Map<string, { id: FiringId; at: RecordPosition[] }>();
  const unexpected: UnexpectedFiring[] = [];
  let firingsAfterFault = 0;
  for (const firing of input.firings) {
    if (firing.offset >= offsetIn(input.outputEndAtFault, firing.partition)) firingsAfterFault++;
    const key = firingKey(firing.visitId, firing.windowStartMs, firing.count);
    const entry = occurrences.get(key) ?? {
      id: { visitId: firing.visitId, windowStartMs: firing.windowStartMs, count: firing.count },
      at: [],
    };
    entry.at.push({ partition: firing.partition, offset: firing.offset });
    occurrences.set(key, entry);
    const reason = explainFiring(firing, truth.get(windowKey(firing.visitId, firing.windowStartMs)), windowSizeMs, trigger);
    if (reason) unexpected.push({ ...entry.id, partition: firing.partition, offset: firing.offset, reason });
  }

  const isAfterFault = (p: RecordPosition) => p.offset >= offsetIn(input.outputEndAtFault, p.partition);
  const causedByCheckpointedInput = new Set(
    expectedFirings(truth, input.checkpointed, trigger).map((id) => firingKey(id.visitId, id.windowStartMs, id.count)),
  );
  const heldByCheckpoint = (key: string, at: readonly RecordPosition[]): boolean =>
    causedByCheckpointedInput.has(key) || (input.mode === "EXACTLY_ONCE" && at.some((p) => !isAfterFault(p)));

  const duplicates: DuplicateFiring[] = [];
  let duplicateRecords = 0;
  let preCheckpointReemitted = 0;
  let preCheckpointFirings = 0;
  for (const [key, { id, at }] of occurrences) {
    const preCheckpoint = heldByCheckpoint(key, at);
    if (preCheckpoint) preCheckpointFirings++;
    if (at.length < 2) continue;
    const copiesAfterFault = at.filter(isAfterFault).length;
    const afterFault = copiesAfterFault > 0;
    duplicates.push({ ...id, occurrences: at, afterFault, preCheckpoint });
    duplicateRecords += at.length - 1;
    // The first copy of a firing held by the checkpoint but missing from the output before the fault is
    // not a re-emission; every further copy after the fault is.
    if (preCheckpoint && afterFault) preCheckpointReemitted += copiesAfterFault - (copiesAfterFault === at.length ? 1 : 0);
  }
  // Held by the checkpoint yet absent from the output: still counted, a fresh start would emit it too.
  for (const key of causedByCheckpointedInput) if (!occurrences.has(key)) preCheckpointFirings++;

  const expected = expectedFirings(truth, input.consumed, trigger);
  const missing = expected.filter((id) => !occurrences.has(firingKey(id.visitId, id.windowStartMs, id.count)));

  let excludedWindows = 0;
  let possiblyLateVisits = 0;
  for (const window of truth.values()) {
    const late = window.visits.filter((v) => v.possiblyLate).length;
    if (late > 0) excludedWindows++;
    possiblyLateVisits += late;
  }

  return {
    outputsChecked: input.firings.length,
    firingsAfterFault,
    expected: expected.length,
    missing,
    unexpected,
    duplicates,
    duplicateRecords,
    preCheckpointReemitted,
    preCheckpointFirings,
    excluded: { windows: excludedWindows, possiblyLateVisits },
  };
}
