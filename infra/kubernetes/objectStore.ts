import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HOSTS, PORTS, PROCESS_MEMORY_MB, S3_SERVER, s3ServerArguments, s3ServerEnvironment, USERS } from "../specs";
import type { ObjectStoreArgs as SharedArgs } from "../stack";
import { RERUN_FAILED_JOB } from "./jobSubmission";
import { onControlPlane } from "./placement";
import { credentialsVolume, envVars, podSpec, resources, S3_CREDENTIALS_SECRET, tcpProbe, volumeOwnerInitContainer } from "./pods";

/** Labels of the stack's own S3 server's pods; the stack output objectStoreSelector names them. */
export const S3_LABELS = { app: "s3" } as const;
/** Longest the bucket step may run: its wait for the store (180 s) and a margin. */
export const BUCKET_DEADLINE_SECONDS = 300;

/** Arguments of {@link ObjectStore}: the shared ones and the namespace. */
export interface ObjectStoreArgs extends SharedArgs {
  readonly namespace: pulumi.Input<string>;
}

/**
 * The S3 store of checkpointStorage s3 on kind: the credentials Secret; with the stack's own server SeaweedFS
 * (`weed mini`) as the Deployment and Service `s3`, its data on a claim of its own, its identities from a Secret; then
 * the bucket step, a Job of the job image that waits for the store and checks (on the own server: creates) the bucket.
 */
export class ObjectStore extends pulumi.ComponentResource {
  public readonly server?: k8s.apps.v1.Deployment;
  public readonly bucketJob: k8s.batch.v1.Job;

  constructor(name: string, args: ObjectStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:kubernetes:ObjectStore", name, {}, opts);
    const namespace = args.namespace;
    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: S3_CREDENTIALS_SECRET, namespace, labels: { app: "flink" } },
        stringData: { credentials: args.credentialsFile },
      },
      { parent: this },
    );
    const waitFor: pulumi.Resource[] = [credentials];
    if (args.serverImage !== undefined && args.serverIdentities !== undefined) {
      const identities = new k8s.core.v1.Secret(
        `${name}-identities`,
        {
          metadata: { name: "s3-identities", namespace, labels: S3_LABELS },
          stringData: { "s3.json": args.serverIdentities },
        },
        { parent: this },
      );
      // local-path binds when the pod is scheduled (WaitForFirstConsumer): Pulumi must not wait for it.
      const data = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-data`,
        {
          metadata: { name: "s3-data", namespace, labels: S3_LABELS, annotations: { "pulumi.com/skipAwait": "true" } },
          spec: { accessModes: ["ReadWriteOnce"], storageClassName: "standard", resources: { requests: { storage: "1Gi" } } },
        },
        { parent: this },
      );
      const identitiesDir = S3_SERVER.identitiesFile.slice(0, S3_SERVER.identitiesFile.lastIndexOf("/"));
      this.server = new k8s.apps.v1.Deployment(
        `${name}-server`,
        {
          metadata: { name: HOSTS.s3, namespace, labels: S3_LABELS },
          spec: {
            replicas: 1,
            // One server owns the claim: never an old and a new one side by side.
            strategy: { type: "Recreate" },
            selector: { matchLabels: S3_LABELS },
            template: {
              metadata: { labels: S3_LABELS },
              spec: podSpec({
                name: "s3",
                image: args.serverImage,
                user: USERS.s3,
                command: s3ServerArguments(),
                env: envVars(s3ServerEnvironment()),
                ports: [{ name: "s3", containerPort: PORTS.s3 }],
                readinessProbe: tcpProbe(PORTS.s3, { initialDelaySeconds: 3, periodSeconds: 2, failureThreshold: 30 }),
                resources: resources({
                  cpuRequestMillis: 100,
                  cpuLimitMillis: 1000,
                  memoryRequestMb: PROCESS_MEMORY_MB.s3.request,
                  memoryLimitMb: PROCESS_MEMORY_MB.s3.limit,
                }),
                volumes: [
                  { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } },
                  { name: "identities", secret: { secretName: identities.metadata.name, defaultMode: 0o440 } },
                ],
                volumeMounts: [
                  { name: "data", mountPath: S3_SERVER.dataDir },
                  { name: "identities", mountPath: identitiesDir, readOnly: true },
                ],
                initContainers: [volumeOwnerInitContainer(args.serverImage, USERS.s3, "data", S3_SERVER.dataDir)],
                restartPolicy: "Always",
                // Its claim is bound to the node it first runs on: on the control-plane, losing a worker never
                // takes the checkpoints with it (placement.ts).
                placement: onControlPlane(),
              }),
            },
          },
        },
        { parent: this },
      );
      // Only the S3 port: the server's other parts (filer, master, volume) listen too, and need no one but itself.
      const service = new k8s.core.v1.Service(
        `${name}-service`,
        {
          metadata: { name: HOSTS.s3, namespace, labels: S3_LABELS },
          spec: { type: "ClusterIP", selector: S3_LABELS, ports: [{ name: "s3", port: PORTS.s3, targetPort: PORTS.s3 }] },
        },
        { parent: this },
      );
      waitFor.push(this.server, service);
    }
    const mounted = credentialsVolume();
    this.bucketJob = new k8s.batch.v1.Job(
      `${name}-bucket`,
      {
        metadata: { name: "s3-bucket", namespace, annotations: RERUN_FAILED_JOB },
        spec: {
          backoffLimit: 2,
          activeDeadlineSeconds: BUCKET_DEADLINE_SECONDS,
          template: {
            metadata: { labels: { app: "s3-bucket" } },
            spec: podSpec({
              name: "bucket",
              image: args.jobImage,
              user: USERS.flink,
              command: args.bucketCommand,
              resources: resources({
                cpuRequestMillis: 50,
                cpuLimitMillis: 500,
                memoryRequestMb: PROCESS_MEMORY_MB.bucket.request,
                memoryLimitMb: PROCESS_MEMORY_MB.bucket.limit,
              }),
              volumes: [mounted.volume],
              volumeMounts: [mounted.mount],
              restartPolicy: "Never",
            }),
          },
        },
      },
      { parent: this, dependsOn: waitFor, deleteBeforeReplace: true },
    );
    this.registerOutputs({});
  }
}
