import type { CheckpointRef } from "../../lib/checkpoints/paths";
import type { PartitionOffsets } from "../../lib/kafka/offsets";
import type { TopicRecord } from "../../lib/kafka/reader";
import type { Timeline } from "./timeline";
// What a fault's run gathers, step by step, for the judging and the report.

/** The retained checkpoint, as the recovery shows it on the checkpoint volume. */
export interface RetainedEvidence {
  /** The job's checkpoint history lists the checkpoint as completed. */
  inRestHistory: boolean;
  /**
   * Why the history cannot list it though it is complete (its JobManager died as it completed): then its
   * `_metadata` on the volume alone proves it.
   */
  historyLost?: string;
  /** `ls -l` of its `_metadata` on the checkpoint volume, or null when it could not be shown. */
  metadataListing: string | null;
  /** Why the listing failed (the command and its error). */
  metadataProblem?: string;
}

/** What the node-loss fault saw of the cluster: the node lost, where the pods ran, and what Kubernetes did when. */
export interface NodeLossEvidence {
  /** The node stopped: the one that ran the job's active TaskManager. */
  node: string;
  /** That TaskManager's pod, and the role label of TaskManager pods. */
  taskManager: string;
  taskManagerRole: string;
  /** The TaskManager pods before the fault, and those of them on other nodes, ready to take the job. */
  podsBefore: string[];
  standbys: string[];
  /** When the node was stopped (the fault). */
  stoppedAtMs: number;
  /** `kubectl get pods -o wide`: before the fault, with the node away and its pods replaced, after it rejoined. */
  placement: { before: string; duringLoss?: string; afterRejoin?: string };
  /** The pod that replaced the lost TaskManager, and its node. */
  replacement?: { pod: string; node: string };
  /** The TaskManagers the recovered job runs on (as Flink names them), and their nodes. */
  recoveredOn?: { taskManager: string; node: string }[];
  /** The TaskManager replaced after the rejoin so the TaskManagers run on different nodes again. */
  respread?: string;
  /**
   * ms after the node stopped: NotReady, the lost TaskManager's replacement created and Ready (the API's timestamps,
   * whole seconds), the node started again; ms after that start: Ready again, its lost pods gone.
   */
  timings: {
    nodeNotReady?: number;
    replacementCreated?: number;
    replacementReady?: number;
    nodeStarted?: number;
    nodeReadyAgain?: number;
    lostPodsGone?: number;
  };
  /** What went wrong after the judged part: the node not back, its pods not gone, the TaskManagers not spread. */
  rejoinProblems: string[];
}

/** An outage of the object store, as the job's checkpoints went through it (the object-store-outage faults). */
export interface ObjectStoreOutageEvidence {
  /** How long the store was unreachable. */
  outageMs: number;
  /**
   * Checkpoints that failed (expired, declined) from the store's loss until the first checkpoint completed after its
   * return, from Flink's counts (2.2 records an expiry during the outage only once the store answers again).
   */
  failedDuring: number;
  /** Checkpoints that completed meanwhile (one may, if its _metadata write just made it). */
  completedDuring: number;
  /** Store back → the first checkpoint completed after it; null when none did before the recovery ended. */
  backToCheckpointMs: number | null;
}

/** A vertex of the recovered job and its parallelism. */
export interface VertexParallelism {
  name: string;
  parallelism: number;
}

/** Durations in ms; see the command's --help for what each one spans. */
export interface Timings {
  /** Fault injected → the job seen leaving RUNNING (CANCELED, RESTARTING, gone with its JobManager). */
  faultToDetected?: number;
  /** Fault injected → the job (the same one, or the resubmitted one) RUNNING with all its tasks. */
  faultToRunning?: number;
  faultToFirstCommittedOutput?: number;
  /** Fault injected → the source group's committed offsets reach the input's end at the time the job ran again. */
  faultToCaughtUp?: number;
  /** Recovery started (resubmission, or Flink's own restart once detected) → RUNNING. */
  recoveryToRunning?: number;
  recoveryToFirstCommittedOutput?: number;
  /** Fault injected → the first completed checkpoint after the recovery. */
  cycle?: number;
  total?: number;
}

/** Everything the cycle saw, filled step by step so that a failed cycle still reports how far it got. */
export interface CycleEvidence {
  fault?: string;
  jobIdAtFault?: string;
  /** The latest completed checkpoint recorded before the fault. */
  checkpointBeforeFault?: CheckpointRef;
  groupOffsetsBeforeFault?: PartitionOffsets;
  /** The checkpoint the recovery must restore from; null when the job may ride the fault out without a restart. */
  expectedRestore?: CheckpointRef | null;
  /** The object store's outage, for the faults that take it away. */
  objectStoreOutage?: ObjectStoreOutageEvidence;
  /** The expected checkpoint shown on the volume, for recoveries that go through a retained checkpoint. */
  retained?: RetainedEvidence;
  /** The source group's committed offsets right after the fault: at most the restored checkpoint's offsets. */
  checkpointed?: PartitionOffsets;
  /** The Kafka offsets the restored checkpoint's source state holds (from its _metadata): where the job starts reading. */
  restoredSourceOffsets?: PartitionOffsets;
  /** Why they could not be read. */
  restoredSourceOffsetsProblem?: string;
  outputEndAtFault?: PartitionOffsets;
  inputEndAtFault?: PartitionOffsets;
  /** Where the dead-letter topic ended at the fault: this fault's malformed input is dead-lettered beyond. */
  dlqEndAtFault?: PartitionOffsets;
  inputEndAtRunning?: PartitionOffsets;
  recoveredJobId?: string;
  savepointPath?: string | null;
  parallelismAfterRecovery?: number;
  /** The recovered job's vertices that generate watermarks (Flink's Timestamps/Watermarks operator), with their parallelism. */
  watermarkGenerators?: VertexParallelism[];
  restored?: CheckpointRef | null;
  /** Whether the recovered job's latest restore was made after the fault. */
  restoredAfterFault?: boolean;
  /** Flink's restart count of the job before the fault and once it ran again. */
  restartsBefore?: number;
  restartsAfter?: number;
  firstCheckpointAfterRestore?: number | null;
  /** The source group's committed offsets at the end: the input whose output is committed. */
  consumed?: PartitionOffsets;
  outputEnd?: PartitionOffsets;
  inputEnd?: PartitionOffsets;
  outputRecords?: TopicRecord[];
  inputRecords?: TopicRecord[];
  /** Raw values of the malformed records written after the fault. */
  malformedSent?: string[];
  deadLetterRecords?: TopicRecord[];
  /** The recovered job's state once everything was read. */
  jobStateAtEnd?: string;
  /** Offsets and checkpoints over time, for the report's picture. */
  timeline?: Timeline;
  /** The node-loss fault's record of the cluster. */
  nodeLoss?: NodeLossEvidence;
  notes: string[];
  timings: Timings;
}
