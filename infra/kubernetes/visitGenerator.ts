import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PROCESS_MEMORY_MB, USERS } from "../specs";
import type { VisitGeneratorArgs as SharedArgs } from "../stack";
import { onControlPlane } from "./placement";
import { envVars, podSpec, resources } from "./pods";

export const GENERATOR_LABELS = { app: "visit-generator" } as const;

/**
 * The generator pod: a Node.js process writing to Kafka, with no port to probe and little to ask for; beside Kafka on
 * the control-plane, so the input keeps flowing while a worker is lost.
 */
export function generatorPodSpec(
  image: pulumi.Input<string>,
  environment: Readonly<Record<string, string>>,
): k8s.types.input.core.v1.PodSpec {
  return podSpec({
    name: "generator",
    image,
    user: USERS.node,
    env: envVars(environment),
    resources: resources({
      cpuRequestMillis: 25,
      cpuLimitMillis: 500,
      memoryRequestMb: PROCESS_MEMORY_MB.generator.request,
      memoryLimitMb: PROCESS_MEMORY_MB.generator.limit,
    }),
    restartPolicy: "Always",
    placement: onControlPlane(),
  });
}

/** Arguments of {@link VisitGenerator}: the shared ones and the namespace. */
export interface VisitGeneratorArgs extends SharedArgs {
  /** Namespace of the Deployment. */
  readonly namespace: pulumi.Input<string>;
}

/** Streams visit events into the input topic; restarted by Kubernetes if it ever stops. */
export class VisitGenerator extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: VisitGeneratorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:kubernetes:VisitGenerator", name, {}, opts);
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-generator`,
      {
        metadata: { name: "visit-generator", namespace: args.namespace, labels: GENERATOR_LABELS },
        spec: {
          replicas: 1,
          selector: { matchLabels: GENERATOR_LABELS },
          template: {
            metadata: { labels: GENERATOR_LABELS },
            spec: generatorPodSpec(args.image, args.environment),
          },
        },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
