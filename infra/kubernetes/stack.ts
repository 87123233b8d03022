import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LocalImage } from "../images";
import { CHECKPOINT_MOUNT_PATH, haStorageDir, kubernetesHaProperties } from "../specs";
import {
  type FlinkClusterParts,
  type KafkaParts,
  type PartOptions,
  type StackArgs,
  type StackOutputInputs,
  type TargetTranslation,
  wireStack,
} from "../stack";
import { FlinkCluster, flinkLabels } from "./flinkCluster";
import { JobSubmission } from "./jobSubmission";
import { KAFKA_LABELS, KafkaBroker } from "./kafka";
import { KindLoadedImage } from "./kindImage";
import { ObjectStore, S3_LABELS } from "./objectStore";
import type { KindClusterFacts } from "./preflight";
import { GENERATOR_LABELS, VisitGenerator } from "./visitGenerator";

/** Arguments of {@link KindStack}. */
export interface KindStackArgs extends StackArgs {
  /** What the preflight learnt of the cluster (preflight.checkKindCluster), before anything was created. */
  readonly cluster: KindClusterFacts;
}

/** The Flink cluster's parts the sequence needs, and its checkpoint claim, which the submission mounts read-only. */
interface KindFlinkParts extends FlinkClusterParts {
  readonly checkpointClaimName?: pulumi.Output<string>;
}

/** Flink's Kubernetes HA cluster id: the prefix of its ConfigMaps in the namespace. */
export const FLINK_HA_CLUSTER_ID = "flink-checkpointer";

/** `key=value,…`, the form of a kubectl label selector. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/**
 * The whole stack on a local kind cluster (created with infra/kubernetes/kind-cluster.yaml): every image the pods
 * run loaded into the node with `kind load`, then Kafka, the Flink session cluster with Kubernetes HA, the visit
 * generator and the job submission in one namespace.
 */
export class KindStack extends pulumi.ComponentResource {
  public readonly outputs: StackOutputInputs;

  constructor(name: string, args: KindStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:kubernetes:KindStack", name, {}, opts);
    const cfg = args.config;
    const provider = new k8s.Provider(`${name}-provider`, { context: cfg.kubeContext }, { parent: this });
    const inCluster = (partOpts: PartOptions): PartOptions => ({ ...partOpts, provider });
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: { name: cfg.namespace },
      },
      { parent: this, provider },
    ).metadata.name;

    const translation: TargetTranslation<
      KafkaParts,
      KindFlinkParts,
      VisitGenerator,
      { bucketReady: k8s.batch.v1.Job; store: ObjectStore }
    > = {
      flinkPropertyAddition: kubernetesHaProperties(FLINK_HA_CLUSTER_ID, cfg.namespace, haStorageDir(cfg)),
      runnableImages: (part, images, partOpts) => {
        const load = (image: string, local: LocalImage, controlPlaneOnly: boolean) =>
          new KindLoadedImage(
            `${part}-${image}`,
            {
              cluster: cfg.kindCluster,
              clusterUid: args.cluster.uid,
              imageName: local.name,
              imageId: local.id,
              controlPlaneOnly,
            },
            partOpts,
          ).reference;
        // Kafka, the generator and the S3 server run on the control-plane only (placement.onControlPlane); Flink's
        // pods anywhere.
        return {
          flinkJob: load("flink-job", images.flinkJob, false),
          generator: load("generator", images.generator, true),
          kafka: load("kafka", images.kafka, true),
          ...(images.s3Server ? { s3Server: load("s3-server", images.s3Server, true) } : {}),
        };
      },
      kafka: (part, kafkaArgs, partOpts) => {
        const kafka = new KafkaBroker(part, { ...kafkaArgs, namespace }, inCluster(partOpts));
        return { topicsReady: kafka.topicsJob };
      },
      objectStore: (part, storeArgs, partOpts) => {
        const store = new ObjectStore(part, { ...storeArgs, namespace }, inCluster(partOpts));
        return { bucketReady: store.bucketJob, store };
      },
      flinkCluster: (part, flinkArgs, partOpts) => {
        const flink = new FlinkCluster(part, { ...flinkArgs, namespace }, inCluster(partOpts));
        const claim = flink.checkpointClaim?.metadata.name;
        return {
          processes: [flink.jobManager, flink.taskManagers],
          ...(claim
            ? { checkpointClaimName: claim, checkpointVolume: pulumi.output({ name: claim, mountPath: CHECKPOINT_MOUNT_PATH }) }
            : {}),
        };
      },
      visitGenerator: (part, generatorArgs, partOpts) => new VisitGenerator(part, { ...generatorArgs, namespace }, inCluster(partOpts)),
      jobSubmission: (part, submissionArgs, flink, partOpts) => {
        const submission = new JobSubmission(
          part,
          {
            ...submissionArgs,
            namespace,
            ...(flink.checkpointClaimName ? { checkpointClaimName: flink.checkpointClaimName } : {}),
          },
          inCluster(partOpts),
        );
        return {
          submitted: submission.job,
          logsCommand: pulumi.interpolate`kubectl --context ${cfg.kubeContext} -n ${cfg.namespace} logs job/${submission.job.metadata.name}`,
        };
      },
      processes: (_kafka, _flink, _generator, objectStore) =>
        pulumi.output({
          target: "kind" as const,
          context: cfg.kubeContext,
          namespace: cfg.namespace,
          jobManagerSelector: labelSelector(flinkLabels("jobmanager")),
          taskManagerSelector: labelSelector(flinkLabels("taskmanager")),
          kafkaSelector: labelSelector(KAFKA_LABELS),
          generatorSelector: labelSelector(GENERATOR_LABELS),
          ...(objectStore?.store.server ? { objectStoreSelector: labelSelector(S3_LABELS) } : {}),
        }),
    };
    this.outputs = wireStack(this, name, args, translation);
    this.registerOutputs(this.outputs);
  }
}
