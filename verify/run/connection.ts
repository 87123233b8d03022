import type { StackOutputs } from "../../infra/contract";
import { FlinkRest } from "../../lib/flink/rest";
import { KafkaReader } from "../../lib/kafka/reader";
import { stackTarget } from "../../lib/stack/index";
import type { StackTarget } from "../../lib/stack/target";
import type { Log } from "../../lib/wait";
// A fault's run's connection to a stack: its JobManager's REST API, its broker, its target's processes.

/** What a fault's run reads and writes on Kafka: the KafkaReader, or a test's stand-in. */
export type KafkaView = Pick<KafkaReader, "hasRecords" | "committedOffsets" | "endOffsets" | "produce" | "readTopic" | "firstRecordAfter">;

/** What a fault's run talks to: the JobManager's REST API, the broker, and the target's processes. */
export interface Connection {
  readonly flink: FlinkRest;
  readonly kafka: KafkaView;
  readonly target: StackTarget;
}

/** Connects to a stack from its outputs; `close` ends the Kafka connection. */
export async function connect(outputs: StackOutputs, log: Log): Promise<Connection & { close(): Promise<void> }> {
  const flink = new FlinkRest(outputs.flinkRestUrl);
  const overview = await flink.overview();
  log(
    `JobManager ${outputs.flinkRestUrl}: Flink ${overview.flinkVersion}, ${overview.taskManagers} TaskManager(s), ${overview.slotsAvailable} of ${overview.slotsTotal} slots free`,
  );
  const kafka = await KafkaReader.connect(outputs.kafkaBootstrap);
  log(
    `Kafka ${outputs.kafkaBootstrap}: input ${outputs.visitsTopic}, output ${outputs.outputTopic}, source group ${outputs.groupId}; mode ${outputs.checkpointMode}`,
  );
  return { flink, kafka, target: stackTarget(outputs.processes), close: () => kafka.disconnect().catch(() => undefined) };
}
