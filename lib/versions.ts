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
  /**
   * The version of the checkpoint metadata format this line writes (bytes 4–7 of every `_metadata`). A line reads the
   * formats up to its own and refuses newer ones (jobs/flink/checkpoint_origin.py).
   */
  readonly checkpointFormat: number;
  /** org.apache.flink:flink-s3-fs-presto, the S3 file system plugin of checkpointStorage: s3 (in the job image's plugins/). */
  readonly s3Plugin: string;
  /** Why a version is not the obvious one. */
  readonly why?: string;
}

export const VERSIONS = versions;

/** The Flink lines the stack is built and proved on, by line (`1.20`). */
export const FLINK_LINES: Readonly<Record<string, FlinkLine>> = versions.flinkLines;
export const DEFAULT_FLINK_LINE: string = versions.defaultFlinkLine;

/** Every line and the checkpoint metadata format it writes, as submit.py and checkpoints.py take them: `1.20=4,2.2=6`. */
export function checkpointFormats(lines: Readonly<Record<string, FlinkLine>> = FLINK_LINES): string {
  return Object.entries(lines)
    .map(([line, pinned]) => `${line}=${pinned.checkpointFormat}`)
    .join(",");
}

/** A Go module at the version a wrapper module exists to build. */
export interface GoPin {
  readonly module: string;
  readonly version: string;
}

/**
 * Each Go wrapper module of the setup program (its folder) and the pin it builds. Its go.mod must require exactly
 * that version: the setup program checks it before building, lib/versions.test.ts on every `npm test`.
 */
export const GO_WRAPPER_PINS: Readonly<Record<string, GoPin>> = {
  "setup/recipes/toolchain/pulumi": versions.pulumi.cli,
  "setup/recipes/toolchain/language-nodejs": versions.pulumi.languageNodejs,
  "setup/recipes/toolchain/kubernetes": versions.pulumi.kubernetesProvider,
  "setup/recipes/toolchain/docker": {
    module: versions.pulumi.dockerProvider.bridgeModule,
    version: versions.pulumi.dockerProvider.bridgeVersion,
  },
  "setup/recipes/kind/kubernetes": versions.kind.kubernetes,
  "setup/recipes/kind/etcd": versions.kind.etcd,
  "setup/recipes/seaweedfs": versions.seaweedfs,
};

/**
 * The version a go.mod requires of `module` (in a require block or line, `// indirect` or not: a wrapper that
 * builds a tool lists it so), or undefined when it requires none.
 */
export function requiredVersion(goMod: string, module: string): string | undefined {
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const line = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)(?:\\s*//.*)?$`, "m").exec(goMod);
  return line?.[1];
}

/** Why a wrapper module's go.mod disagrees with its pin, or undefined when it agrees. */
export function pinProblem(wrapper: string, goMod: string, pin: GoPin): string | undefined {
  const required = requiredVersion(goMod, pin.module);
  if (required === pin.version) return undefined;
  return (
    `${wrapper}/go.mod requires ${pin.module} ${required ?? "not at all"}, but versions.json pins ${pin.version}: ` +
    "change both together (then `go mod tidy` in that folder)"
  );
}
