import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { envList, PROCESS_MEMORY_MB, USERS } from "../specs";
import type { VisitGeneratorArgs as SharedArgs } from "../stack";
import { lockedDown } from "./lockdown";

/** Arguments of {@link VisitGenerator}: the shared ones and where on Docker. */
export interface VisitGeneratorArgs extends SharedArgs {
  /** Prefix of container names, unique per stack. */
  readonly namePrefix: string;
  readonly networkName: pulumi.Input<string>;
  /** Labels put on every Docker object of the stack. */
  readonly labels: docker.types.input.ContainerLabel[];
}

/** Streams visit events into the input topic; restarted by Docker if it ever stops. */
export class VisitGenerator extends pulumi.ComponentResource {
  public readonly container: docker.Container;

  constructor(name: string, args: VisitGeneratorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:docker:VisitGenerator", name, {}, opts);
    this.container = new docker.Container(
      `${name}-generator`,
      {
        ...lockedDown(PROCESS_MEMORY_MB.generator),
        name: `${args.namePrefix}-generator`,
        image: args.image,
        user: USERS.node,
        envs: envList(args.environment),
        networksAdvanced: [{ name: args.networkName }],
        restart: "unless-stopped",
        labels: args.labels,
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({});
  }
}
