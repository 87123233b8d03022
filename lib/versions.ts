// The versions the project pins (versions.json at the repository root), typed.

import versions from "../versions.json";

/** What one Flink line pins: its runtime, the Python package, the connector and reader built for it, its images. */
export interface FlinkLine {
  /** The Flink release of the runtime. */
  readonly flink: string;
  /** apache-flink / apache-flink-libraries on PyPI: the job's Python API, and the runtime of the local image. */
  readonly pyflink: string;
  /** org.apache.flink:flink-connector-kafka, built for this line. */
  readonly kafkaConnector: string;
  /** org.apache.flink:flink-state-processor-api, which the checkpoint inspector packs. */
  readonly stateProcessorApi: string;
  readonly officialImage: string;
  /** Its local equivalent, built without a registry. */
  readonly localImage: string;
}

export const VERSIONS = versions;

/** The Flink lines the stack is built and proved on, by line (`1.20`). */
export const FLINK_LINES: Readonly<Record<string, FlinkLine>> = versions.flinkLines;
export const DEFAULT_FLINK_LINE: string = versions.defaultFlinkLine;
