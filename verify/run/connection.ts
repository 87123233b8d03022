// A fault's run's connection to a stack: its JobManager's REST API, its broker, its target's processes, the reading
// of its checkpoints, the stack itself (its config and `pulumi up`), and how long Flink takes to show what happened. A
// test connects to stand-ins instead.

import type { StackOutputs } from "../../infra/contract";
import { buildInspector, sourceOffsetsOf } from "../../lib/checkpoints/tool";
import { FlinkRest } from "../../lib/flink/rest";
import type { PartitionOffsets } from "../../lib/kafka/offsets";
import { KafkaReader } from "../../lib/kafka/reader";
import { REPO_ROOT } from "../../lib/paths";
import { stackTarget } from "../../lib/stack/index";
import { type StackControl, stackControl } from "../../lib/stack/lifecycle";
import type { StackTarget } from "../../lib/stack/target";
import type { Log } from "../../lib/wait";

/** What a fault's run reads and writes on Kafka: the KafkaReader, or a test's stand-in. */
export type KafkaView = Pick<KafkaReader, "hasRecords" | "committedOffsets" | "endOffsets" | "produce" | "readTopic" | "firstRecordAfter">;

/** What a fault's run talks to: the JobManager's REST API, the broker, and the target's processes. */
export interface Connection {
  readonly flink: FlinkRest;
  readonly kafka: KafkaView;
  readonly target: StackTarget;
  /** The stack itself, for a fault that changes its config (upgrade-line); null when its name is not known. */
  readonly stack: StackControl | null;
  /**
   * The Kafka offsets (per partition of `topic`) a retained checkpoint's source state holds, read from its _metadata
   * by the checkpoint inspector of the Flink line the stack runs (its `outputs` now: a fault may change the line).
   */
  sourceOffsetsOf(outputs: StackOutputs, checkpointPath: string, topic: string): Promise<PartitionOffsets>;
  readonly timing: FlinkTiming;
}

/** How long the stack's Flink takes to show what happened; the cycle waits this long where it cannot ask. */
export interface FlinkTiming {
  /** After a completed checkpoint, until its asynchronous commits (source offsets, sink transactions) are surely done. */
  readonly commitSettleMs: number;
  /** How long Flink's REST answers are cached (web.refresh-interval, 3 s), with a margin. */
  readonly restCacheMs: number;
}

export const FLINK_TIMING: FlinkTiming = { commitSettleMs: 3_000, restCacheMs: 3_500 };

/** Connects to a stack from its outputs (and its name, when known); `close` ends the Kafka connection. */
export async function connect(
  outputs: StackOutputs,
  log: Log,
  stack: string | null = null,
): Promise<Connection & { close(): Promise<void> }> {
  const flink = new FlinkRest(outputs.flinkRestUrl);
  const overview = await flink.overview();
  log(
    `JobManager ${outputs.flinkRestUrl}: Flink ${overview.flinkVersion}, ${overview.taskManagers} TaskManager(s), ${overview.slotsAvailable} of ${overview.slotsTotal} slots free`,
  );
  const kafka = await KafkaReader.connect(outputs.kafkaBootstrap);
  log(
    `Kafka ${outputs.kafkaBootstrap}: input ${outputs.visitsTopic}, output ${outputs.outputTopic}, source group ${outputs.groupId}; mode ${outputs.checkpointMode}`,
  );
  const target = stackTarget(outputs.processes);
  // The restored checkpoint is read right after the recovery, before newer checkpoints retire it: the inspector is
  // made ready now, so that read costs only copying it into the JobManager and running it. Under heavy load the setup
  // program's own start once took longer than the three checkpoints the stack retains (a failure here shows there).
  buildInspector(outputs.flinkLine).catch(() => undefined);
  return {
    flink,
    kafka,
    target,
    stack: stack === null ? null : stackControl(REPO_ROOT, stack),
    sourceOffsetsOf: (current, path, topic) =>
      sourceOffsetsOf(stackTarget(current.processes), current.flinkLine, current.checkpointListing, path, topic),
    timing: FLINK_TIMING,
    close: () => kafka.disconnect().catch(() => undefined),
  };
}
