// Feeds a cycle's timeline (timeline.ts) from the moments the cycle polls anyway. A sample never delays the
// poll that asked for it (its reads run beside the poll, one sample at a time), so the recovery timings stay
// what they were; a read that fails leaves its position out of that sample instead of failing the cycle.

import type { FlinkRest } from "../../lib/flink/rest";
import type { StackOutputs } from "../../lib/stack/outputs";
import type { KafkaView } from "./connection";
import { addCheckpoints, addSample, newTimeline, sampleDue, type Timeline } from "./timeline";

export class TimelineSampler {
  readonly timeline: Timeline;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly flink: FlinkRest,
    private readonly kafka: KafkaView,
    private readonly outputs: StackOutputs,
    /** The job whose checkpoints are recorded: the one at the fault, then the recovered one. */
    public jobId: string,
  ) {
    this.timeline = newTimeline({ input: outputs.visitsTopic, output: outputs.outputTopic });
  }

  /** Starts a sample when one is due and none is under way; returns at once. */
  poke(): void {
    if (this.inFlight || !sampleDue(this.timeline, Date.now())) return;
    this.inFlight = this.sample().finally(() => {
      this.inFlight = undefined;
    });
  }

  /** Pokes every `everyMs` while `during` runs: for waits whose polls are the fault's own (faults.ts). */
  async throughout<T>(during: Promise<T>, everyMs = 1_000): Promise<T> {
    const timer = setInterval(() => this.poke(), everyMs);
    try {
      return await during;
    } finally {
      clearInterval(timer);
    }
  }

  private async sample(): Promise<void> {
    const atMs = Date.now();
    const jobId = this.jobId;
    const answer = <T>(read: Promise<T>) =>
      read.then(
        (value) => value,
        () => undefined,
      );
    const [inputEnd, consumed, outputEnd, checkpoints] = await Promise.all([
      answer(this.kafka.endOffsets(this.outputs.visitsTopic)),
      // Not waiting for a coordinator that loads: a late answer would be drawn at this sample's time.
      answer(this.kafka.committedOffsets(this.outputs.groupId, this.outputs.visitsTopic, 0)),
      answer(this.kafka.endOffsets(this.outputs.outputTopic)),
      answer(this.flink.checkpoints(jobId)),
    ]);
    // Nothing answered (the connections closed at the cycle's end, or everything down): nothing to draw.
    if (!inputEnd && !consumed && !outputEnd && !checkpoints) return;
    addSample(this.timeline, {
      atMs,
      ...(inputEnd ? { inputEnd } : {}),
      ...(consumed ? { consumed } : {}),
      ...(outputEnd ? { outputEnd } : {}),
    });
    if (checkpoints) addCheckpoints(this.timeline, jobId, checkpoints.history);
  }
}
