import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { KAFKA_DATA_DIR } from "../contract";
import { envList, kafkaEnvironment, PORTS, PROCESS_MEMORY_MB, topicCreationCommand, USERS } from "../specs";
import type { KafkaArgs } from "../stack";
import { lockedDown } from "./lockdown";
import { failOnNonZeroExit, oneShotArgs } from "./oneShot";

/** Arguments of {@link KafkaBroker}: the shared ones and where on Docker. */
export interface KafkaBrokerArgs extends KafkaArgs {
  /** Prefix of container and volume names, unique per stack. */
  readonly namePrefix: string;
  /** The stack's network; the broker is `kafka` on it. */
  readonly networkName: pulumi.Input<string>;
  /** Labels put on every Docker object of the stack. */
  readonly labels: docker.types.input.ContainerLabel[];
}

/** A single-node KRaft Kafka broker with its data volume, and the creation of the stack's topics. */
export class KafkaBroker extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  /** Completes once every topic exists with its partitions; writers depend on it. */
  public readonly topicsReady: docker.Container;

  constructor(name: string, args: KafkaBrokerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:docker:KafkaBroker", name, {}, opts);
    const data = new docker.Volume(
      `${name}-data`,
      {
        name: `${args.namePrefix}-kafka-data`,
        labels: args.labels,
      },
      { parent: this },
    );

    this.container = new docker.Container(
      `${name}-broker`,
      {
        ...lockedDown(PROCESS_MEMORY_MB.kafka),
        name: `${args.namePrefix}-kafka`,
        image: args.image,
        user: USERS.kafka,
        envs: envList(kafkaEnvironment({ host: "127.0.0.1", port: args.externalPort })),
        networksAdvanced: [{ name: args.networkName, aliases: ["kafka"] }],
        ports: [{ internal: PORTS.kafkaExternal, external: args.externalPort, ip: "127.0.0.1" }],
        volumes: [{ volumeName: data.name, containerPath: KAFKA_DATA_DIR }],
        restart: "unless-stopped",
        labels: args.labels,
        // A fixed name: the old container must go before its replacement is created.
      },
      { parent: this, deleteBeforeReplace: true },
    );

    this.topicsReady = new docker.Container(
      `${name}-topics`,
      oneShotArgs({
        ...lockedDown(PROCESS_MEMORY_MB.topics),
        name: `${args.namePrefix}-kafka-topics`,
        image: args.image,
        user: USERS.kafka,
        command: topicCreationCommand(args.topics),
        networksAdvanced: [{ name: args.networkName }],
        labels: args.labels,
      }),
      { parent: this, dependsOn: [this.container], deleteBeforeReplace: true },
    );
    failOnNonZeroExit(this.topicsReady);

    this.registerOutputs({});
  }
}
