import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { STACK_LABEL } from "../contract";
import { CHECKPOINT_MOUNT_PATH } from "../specs";
import { type FlinkClusterParts, type StackArgs, type StackOutputInputs, type TargetTranslation, wireStack } from "../stack";
import { FlinkCluster } from "./flinkCluster";
import { JobSubmission } from "./jobSubmission";
import { KafkaBroker } from "./kafka";
import { ObjectStore } from "./objectStore";
import { VisitGenerator } from "./visitGenerator";

/** The Flink cluster's parts the sequence needs, and the cluster itself for the submission and the outputs. */
interface DockerFlinkParts extends FlinkClusterParts {
  readonly cluster: FlinkCluster;
}

/** The whole stack on the local Docker Engine, in the shape of the pattern's docker-compose setup. */
export class DockerStack extends pulumi.ComponentResource {
  public readonly outputs: StackOutputInputs;

  constructor(name: string, args: StackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:docker:DockerStack", name, {}, opts);
    const labels = [{ label: STACK_LABEL, value: args.namePrefix }];
    const network = new docker.Network(
      `${name}-network`,
      {
        name: `${args.namePrefix}-net`,
        labels,
      },
      { parent: this },
    );
    const onDocker = { namePrefix: args.namePrefix, networkName: network.name, labels };

    const translation: TargetTranslation<
      KafkaBroker,
      DockerFlinkParts,
      VisitGenerator,
      { bucketReady: docker.Container; store: ObjectStore }
    > = {
      flinkPropertyAddition: {},
      // Containers run the local images by id, so a rebuild replaces them.
      runnableImages: (_, images) => ({
        flinkJob: images.flinkJob.id,
        generator: images.generator.id,
        kafka: images.kafka.id,
        ...(images.s3Server ? { s3Server: images.s3Server.id } : {}),
      }),
      kafka: (part, kafkaArgs, partOpts) => new KafkaBroker(part, { ...kafkaArgs, ...onDocker }, partOpts),
      objectStore: (part, storeArgs, partOpts) => {
        const store = new ObjectStore(part, { ...storeArgs, ...onDocker }, partOpts);
        return { bucketReady: store.bucketStep, store };
      },
      flinkCluster: (part, flinkArgs, partOpts) => {
        const cluster = new FlinkCluster(part, { ...flinkArgs, ...onDocker }, partOpts);
        return {
          cluster,
          processes: [cluster.jobManager, ...cluster.taskManagers],
          ...(cluster.checkpointVolume
            ? { checkpointVolume: pulumi.output({ name: cluster.checkpointVolume.name, mountPath: CHECKPOINT_MOUNT_PATH }) }
            : {}),
        };
      },
      visitGenerator: (part, generatorArgs, partOpts) => new VisitGenerator(part, { ...generatorArgs, ...onDocker }, partOpts),
      jobSubmission: (part, submissionArgs, flink, partOpts) => {
        const submission = new JobSubmission(
          part,
          {
            ...submissionArgs,
            ...onDocker,
            ...(flink.cluster.checkpointVolume ? { checkpointVolumeName: flink.cluster.checkpointVolume.name } : {}),
            jobManagerId: flink.cluster.jobManager.id,
          },
          partOpts,
        );
        return {
          submitted: submission.container,
          failed: submission.failed,
          logsCommand: pulumi.interpolate`docker logs ${submission.container.name}`,
          restore: submission.restore,
        };
      },
      processes: (kafka, flink, generator, objectStore) =>
        pulumi.output({
          target: "docker" as const,
          jobManager: flink.cluster.jobManager.name,
          taskManagers: flink.cluster.taskManagers.map((tm) => tm.name),
          kafka: kafka.container.name,
          generator: generator.container.name,
          ...(objectStore?.store.server ? { objectStore: objectStore.store.server.name } : {}),
        }),
    };
    this.outputs = wireStack(this, name, args, translation);
    this.registerOutputs(this.outputs);
  }
}
