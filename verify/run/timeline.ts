// The timeline of one fault cycle, for the picture in the HTML report: the offsets of the input, of the source
// group and of the committed output over time, and when each checkpoint completed. Pure and bounded: the cycle
// feeds it samples (timelineSampler.ts), the report carries it as it is.

import type { PartitionOffsets } from "../../lib/kafka/offsets";

/** The offsets seen at one moment; a position is absent when its read failed then (a broker restarting). */
export interface OffsetSample {
  atMs: number;
  /** The input topic's end offsets: what the generator (and the malformed records) had written. */
  inputEnd?: PartitionOffsets;
  /** The source group's committed offsets: the input whose output the job has committed. */
  consumed?: PartitionOffsets;
  /** The output topic's last stable offsets: the end of the committed output. */
  outputEnd?: PartitionOffsets;
}

export interface CheckpointCompletion {
  jobId: string;
  id: number;
  /** Flink's time of the last acknowledgement: when the checkpoint completed. */
  completedAtMs: number;
}

export interface Timeline {
  topics: { input: string; output: string };
  /** When the fault was injected (as the cycle's timings count from it); null before the injection. */
  faultAtMs: number | null;
  samples: OffsetSample[];
  checkpoints: CheckpointCompletion[];
  /** The least time between two samples; doubled each time the samples are thinned to stay within the cap. */
  sampleEveryMs: number;
}

export const MAX_SAMPLES = 400;
export const MAX_CHECKPOINTS = 200;
const FIRST_SAMPLE_EVERY_MS = 1_000;

export function newTimeline(topics: Timeline["topics"]): Timeline {
  return { topics, faultAtMs: null, samples: [], checkpoints: [], sampleEveryMs: FIRST_SAMPLE_EVERY_MS };
}

export function sampleDue(timeline: Timeline, nowMs: number): boolean {
  const last = timeline.samples[timeline.samples.length - 1];
  return last === undefined || nowMs - last.atMs >= timeline.sampleEveryMs;
}

/**
 * Adds a sample. Past the cap every other sample is dropped and the spacing doubles, so a long cycle keeps
 * an even picture of its whole span in bounded memory; the newest sample always stays.
 */
export function addSample(timeline: Timeline, sample: OffsetSample, maxSamples = MAX_SAMPLES): void {
  timeline.samples.push(sample);
  if (timeline.samples.length <= maxSamples) return;
  const newest = timeline.samples.length - 1;
  timeline.samples = timeline.samples.filter((_, i) => i % 2 === 0 || i === newest);
  timeline.sampleEveryMs *= 2;
}

/** Adds the completed checkpoints of a job's history not seen yet; past the cap the oldest are dropped. */
export function addCheckpoints(
  timeline: Timeline,
  jobId: string,
  history: ReadonlyArray<{ id: number; status: string; completedAtMs: number | null }>,
  maxCheckpoints = MAX_CHECKPOINTS,
): void {
  for (const entry of history) {
    if (entry.status !== "COMPLETED" || entry.completedAtMs === null) continue;
    if (timeline.checkpoints.some((c) => c.jobId === jobId && c.id === entry.id)) continue;
    timeline.checkpoints.push({ jobId, id: entry.id, completedAtMs: entry.completedAtMs });
  }
  timeline.checkpoints.sort((a, b) => a.completedAtMs - b.completedAtMs);
  if (timeline.checkpoints.length > maxCheckpoints) timeline.checkpoints.splice(0, timeline.checkpoints.length - maxCheckpoints);
}
