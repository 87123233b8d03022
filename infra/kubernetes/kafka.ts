import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KAFKA_DATA_DIR } from "../contract";
import { HOSTS, kafkaEnvironment, PORTS, PROCESS_MEMORY_MB, type TopicSpec, topicCreationCommand, USERS } from "../specs";
import type { KafkaArgs } from "../stack";
import { RERUN_FAILED_JOB } from "./jobSubmission";
import { KIND_CLUSTER } from "./kindCluster";
import { onControlPlane } from "./placement";
import { envVars, nodePortServiceSpec, podSpec, resources, tcpProbe, volumeOwnerInitContainer } from "./pods";

export const KAFKA_LABELS = { app: "kafka" } as const;
const DATA_VOLUME = "data";

/** Longest the topic creation Job may run: its broker wait (120 s) plus the kafka-topics.sh calls. */
export const TOPICS_DEADLINE_SECONDS = 300;

/**
 * The broker pod: one KRaft node, data on its claim, probed on the internal listener, on the control-plane: its
 * claim binds to the node it first runs on (local-path), and a StatefulSet's pod is not replaced while its node is
 * down, so on a worker the loss of that worker would stop Kafka until the node returned.
 */
export function kafkaPodSpec(image: pulumi.Input<string>, externalPort: number): k8s.types.input.core.v1.PodSpec {
  return podSpec({
    name: "kafka",
    image,
    user: USERS.kafka,
    // Clients on the host reach 127.0.0.1:<externalPort>, which kind forwards to the external NodePort.
    env: envVars(kafkaEnvironment({ host: "127.0.0.1", port: externalPort })),
    ports: [
      { name: "internal", containerPort: PORTS.kafkaInternal },
      { name: "controller", containerPort: PORTS.kafkaController },
      { name: "external", containerPort: PORTS.kafkaExternal },
    ],
    readinessProbe: tcpProbe(PORTS.kafkaInternal, { initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 3 }),
    livenessProbe: tcpProbe(PORTS.kafkaInternal, { initialDelaySeconds: 60, periodSeconds: 20, failureThreshold: 6 }),
    resources: resources({
      cpuRequestMillis: 200,
      cpuLimitMillis: 1000,
      memoryRequestMb: PROCESS_MEMORY_MB.kafka.request,
      memoryLimitMb: PROCESS_MEMORY_MB.kafka.limit,
    }),
    volumeMounts: [{ name: DATA_VOLUME, mountPath: KAFKA_DATA_DIR }],
    initContainers: [volumeOwnerInitContainer(image, USERS.kafka, DATA_VOLUME, KAFKA_DATA_DIR)],
    restartPolicy: "Always",
    placement: onControlPlane(),
  });
}

/** The topic creation Job: idempotent (`--if-not-exists`), so a few retries are safe; bounded by a deadline. */
export function topicsJobSpec(image: pulumi.Input<string>, topics: readonly TopicSpec[]): k8s.types.input.batch.v1.JobSpec {
  return {
    backoffLimit: 3,
    activeDeadlineSeconds: TOPICS_DEADLINE_SECONDS,
    template: {
      metadata: { labels: { app: "kafka-topics" } },
      spec: podSpec({
        name: "create-topics",
        image,
        user: USERS.kafka,
        command: topicCreationCommand(topics),
        resources: resources({
          cpuRequestMillis: 50,
          cpuLimitMillis: 500,
          memoryRequestMb: PROCESS_MEMORY_MB.topics.request,
          memoryLimitMb: PROCESS_MEMORY_MB.topics.limit,
        }),
        restartPolicy: "Never",
        // Beside the broker, where its image is.
        placement: onControlPlane(),
      }),
    },
  };
}

/** Arguments of {@link KafkaBroker}: the shared ones and the namespace. */
export interface KafkaBrokerArgs extends KafkaArgs {
  /** Namespace of every object. */
  readonly namespace: pulumi.Input<string>;
}

/**
 * The Service `kafka`: headless, the StatefulSet's governing Service (pod DNS kafka-0.kafka), and what `kafka:9092`
 * resolves to in the namespace. Being headless, it also needs no ready endpoint to count as created.
 */
export function kafkaServiceSpec(): k8s.types.input.core.v1.ServiceSpec {
  return {
    clusterIP: "None",
    selector: KAFKA_LABELS,
    ports: [{ name: "internal", port: PORTS.kafkaInternal, targetPort: PORTS.kafkaInternal }],
  };
}

/**
 * A single-node KRaft Kafka broker as a StatefulSet with its data claim; the headless Service `kafka` (so
 * `kafka:9092` resolves in the namespace), a NodePort Service for the external listener, and the topic creation Job.
 */
export class KafkaBroker extends pulumi.ComponentResource {
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  /** Completes once every topic exists with its partitions; writers depend on it. */
  public readonly topicsJob: k8s.batch.v1.Job;

  constructor(name: string, args: KafkaBrokerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:kubernetes:KafkaBroker", name, {}, opts);
    const namespace = args.namespace;

    // The name must be exactly `kafka`: the internal listener advertises kafka:9092.
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: HOSTS.kafka, namespace, labels: KAFKA_LABELS },
        spec: kafkaServiceSpec(),
      },
      { parent: this },
    );

    new k8s.core.v1.Service(
      `${name}-external`,
      {
        metadata: { name: "kafka-external", namespace, labels: KAFKA_LABELS },
        spec: nodePortServiceSpec(KAFKA_LABELS, "external", PORTS.kafkaExternal, KIND_CLUSTER.kafkaNodePort),
      },
      { parent: this },
    );

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-broker`,
      {
        metadata: { name: HOSTS.kafka, namespace, labels: KAFKA_LABELS },
        spec: {
          // The name, not the Service's output: the StatefulSet need not wait for the Service.
          serviceName: HOSTS.kafka,
          replicas: 1,
          selector: { matchLabels: KAFKA_LABELS },
          template: {
            metadata: { labels: KAFKA_LABELS },
            spec: kafkaPodSpec(args.image, args.externalPort),
          },
          volumeClaimTemplates: [
            {
              metadata: { name: DATA_VOLUME },
              spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } } },
            },
          ],
        },
      },
      { parent: this },
    );

    this.topicsJob = new k8s.batch.v1.Job(
      `${name}-topics`,
      {
        metadata: { name: "kafka-topics", namespace, annotations: RERUN_FAILED_JOB },
        spec: topicsJobSpec(args.image, args.topics),
      },
      { parent: this, dependsOn: [this.statefulSet, service], deleteBeforeReplace: true },
    );

    this.registerOutputs({});
  }
}
