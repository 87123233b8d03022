import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CheckpointStorage } from "../config";
import { CHECKPOINT_MOUNT_PATH, flinkPropertiesText, HOSTS, type MemorySize, PORTS, USERS } from "../specs";
import type { FlinkClusterArgs as SharedArgs } from "../stack";
import { KIND_CLUSTER } from "./kindCluster";
import { CHECKPOINT_VOLUME_LABEL, flinkPlacement, storageOf } from "./placement";
import {
  credentialsVolume,
  envVars,
  httpProbe,
  nodePortServiceSpec,
  podSpec,
  type ResourceSizes,
  resources,
  tcpProbe,
  volumeOwnerInitContainer,
} from "./pods";

export type FlinkRole = "jobmanager" | "taskmanager";

/** Labels of a Flink process's pods; the stack output's podSelector names the JobManager's. */
export function flinkLabels(role: FlinkRole): { app: string; component: FlinkRole } {
  return { app: "flink", component: role };
}

/** The labels of a Flink process's pod template: its own, and the checkpoint volume's when it mounts it. */
export function flinkPodLabels(role: FlinkRole, storage: CheckpointStorage): Record<string, string> {
  return { ...flinkLabels(role), ...(storage === "volume" ? CHECKPOINT_VOLUME_LABEL : {}) };
}

/** The Flink ports the Services expose and the probes check (fixed in specs.flinkProperties). */
export const FLINK_CLUSTER_PORTS = {
  rpc: PORTS.flinkRpc,
  blob: PORTS.flinkBlob,
  taskManagerRpc: PORTS.taskManagerRpc,
  rest: PORTS.flinkRest,
} as const;

/** Requests the JVM's configured process size; the limit adds room for the Python PyFlink runs (specs.memoryMb). */
export function flinkResourceSizes(memory: MemorySize): ResourceSizes {
  return { cpuRequestMillis: 200, cpuLimitMillis: 2000, memoryRequestMb: memory.request, memoryLimitMb: memory.limit };
}

const CHECKPOINT_VOLUME = "checkpoints";

/**
 * The rights Flink's Kubernetes HA services need, and no more: leader election, leader addresses, job graph and
 * checkpoint pointers are ConfigMaps that they create, read, watch, replace and delete (one by name, all of the
 * cluster's by label when the cluster shuts down for good). A JobManager that takes over the leader lock of its
 * predecessor (after a roll or a crash) patches the lock's ConfigMap: without `patch` it never becomes leader.
 */
export const FLINK_HA_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  {
    apiGroups: [""],
    resources: ["configmaps"],
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
  },
];

/** Name of the account the JobManager and TaskManagers run as (both read the leader ConfigMaps). */
export const FLINK_SERVICE_ACCOUNT = "flink";

/**
 * A JobManager or TaskManager pod of the flink image (`jobmanager` / `taskmanager` argument, FLINK_PROPERTIES),
 * with the checkpoint claim at CHECKPOINT_MOUNT_PATH (owned by the flink user before Flink starts) or, with
 * checkpoints in a bucket (no claim), the S3 credentials file, running as the flink user (uid 9999) under the
 * account of the HA services, placed for where its checkpoints live (placement.ts).
 */
export function flinkPodSpec(
  role: FlinkRole,
  image: pulumi.Input<string>,
  properties: string,
  claimName: pulumi.Input<string> | undefined,
  serviceAccountName: pulumi.Input<string>,
  memory: MemorySize,
): k8s.types.input.core.v1.PodSpec {
  const credentials = credentialsVolume();
  const mounts =
    claimName === undefined
      ? { volumes: [credentials.volume], volumeMounts: [credentials.mount] }
      : {
          volumes: [{ name: CHECKPOINT_VOLUME, persistentVolumeClaim: { claimName } }],
          volumeMounts: [{ name: CHECKPOINT_VOLUME, mountPath: CHECKPOINT_MOUNT_PATH }],
          initContainers: [volumeOwnerInitContainer(image, USERS.flink, CHECKPOINT_VOLUME, CHECKPOINT_MOUNT_PATH)],
        };
  const probes =
    role === "jobmanager"
      ? {
          readinessProbe: httpProbe("/overview", FLINK_CLUSTER_PORTS.rest, {
            initialDelaySeconds: 10,
            periodSeconds: 5,
            failureThreshold: 6,
          }),
          livenessProbe: httpProbe("/overview", FLINK_CLUSTER_PORTS.rest, {
            initialDelaySeconds: 60,
            periodSeconds: 15,
            failureThreshold: 4,
          }),
        }
      : {
          readinessProbe: tcpProbe(FLINK_CLUSTER_PORTS.taskManagerRpc, { initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 6 }),
          livenessProbe: tcpProbe(FLINK_CLUSTER_PORTS.taskManagerRpc, { initialDelaySeconds: 60, periodSeconds: 20, failureThreshold: 4 }),
        };
  const ports =
    role === "jobmanager"
      ? [
          { name: "rpc", containerPort: FLINK_CLUSTER_PORTS.rpc },
          { name: "blob", containerPort: FLINK_CLUSTER_PORTS.blob },
          { name: "rest", containerPort: FLINK_CLUSTER_PORTS.rest },
        ]
      : [{ name: "rpc", containerPort: FLINK_CLUSTER_PORTS.taskManagerRpc }];
  return podSpec({
    name: role,
    image,
    user: USERS.flink,
    args: [role],
    env: envVars({ FLINK_PROPERTIES: properties }),
    ports,
    ...probes,
    resources: resources(flinkResourceSizes(memory)),
    ...mounts,
    serviceAccountName,
    restartPolicy: "Always",
    placement: flinkPlacement(role, storageOf(claimName), {
      jobManager: flinkLabels("jobmanager"),
      taskManager: flinkLabels("taskmanager"),
    }),
  });
}

/** Arguments of {@link FlinkCluster}: the shared ones and the namespace. */
export interface FlinkClusterArgs extends SharedArgs {
  /** Namespace of every object. */
  readonly namespace: pulumi.Input<string>;
}

/**
 * A Flink session cluster with Kubernetes HA: the account, Role and RoleBinding of the HA services, a JobManager
 * Deployment behind the Service `jobmanager` (plus a NodePort Service for REST), a TaskManager Deployment, and one
 * checkpoint claim mounted by all of them.
 */
export class FlinkCluster extends pulumi.ComponentResource {
  /** None with checkpoints in a bucket. */
  public readonly checkpointClaim?: k8s.core.v1.PersistentVolumeClaim;
  public readonly jobManager: k8s.apps.v1.Deployment;
  public readonly taskManagers: k8s.apps.v1.Deployment;

  constructor(name: string, args: FlinkClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flink-checkpointer:kubernetes:FlinkCluster", name, {}, opts);
    const namespace = args.namespace;
    const properties = flinkPropertiesText(args.flinkProperties);

    const account = new k8s.core.v1.ServiceAccount(
      `${name}-account`,
      {
        metadata: { name: FLINK_SERVICE_ACCOUNT, namespace, labels: { app: "flink" } },
      },
      { parent: this },
    );
    const role = new k8s.rbac.v1.Role(
      `${name}-ha-role`,
      {
        metadata: { name: "flink-ha", namespace, labels: { app: "flink" } },
        rules: FLINK_HA_RULES,
      },
      { parent: this },
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-ha-binding`,
      {
        metadata: { name: "flink-ha", namespace, labels: { app: "flink" } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace }],
      },
      { parent: this },
    );
    // Flink processes started before their rights exist fail their first leader election.
    const withRights = { parent: this, dependsOn: [binding] };
    const serviceAccountName = account.metadata.name;

    // ReadWriteOnce on kind's default `standard` class (local-path) is enough for JobManager and TaskManagers
    // to share it: a RWO volume is per node, and every pod that mounts it runs on one node (placement.ts). local-path
    // binds only when the first pod is scheduled (WaitForFirstConsumer), so Pulumi must not wait for it to bind.
    // Ownership: local-path's volumes ignore fsGroup and start as root's with mode 0777; each Flink pod's init
    // container makes the volume flink's (9999:9999) with mode 0770 first.
    this.checkpointClaim = args.s3CredentialsFile
      ? undefined
      : new k8s.core.v1.PersistentVolumeClaim(
          `${name}-checkpoints`,
          {
            metadata: {
              name: "flink-checkpoints",
              namespace,
              labels: { app: "flink" },
              annotations: { "pulumi.com/skipAwait": "true" },
            },
            spec: {
              accessModes: ["ReadWriteOnce"],
              storageClassName: "standard",
              resources: { requests: { storage: "1Gi" } },
            },
          },
          { parent: this },
        );
    const claimName = this.checkpointClaim?.metadata.name;
    const storage = storageOf(claimName);

    const jobManagerLabels = flinkLabels("jobmanager");
    this.jobManager = new k8s.apps.v1.Deployment(
      `${name}-jobmanager`,
      {
        metadata: { name: "flink-jobmanager", namespace, labels: jobManagerLabels },
        spec: {
          replicas: 1,
          // A session cluster has one JobManager; never run an old and a new one side by side.
          strategy: { type: "Recreate" },
          selector: { matchLabels: jobManagerLabels },
          template: {
            metadata: { labels: flinkPodLabels("jobmanager", storage) },
            spec: flinkPodSpec("jobmanager", args.image, properties, claimName, serviceAccountName, args.memory.jobmanager),
          },
        },
      },
      withRights,
    );

    // The name must be exactly `jobmanager`: it is jobmanager.rpc.address and the submission's REST host.
    new k8s.core.v1.Service(
      `${name}-jobmanager-service`,
      {
        metadata: { name: HOSTS.jobmanager, namespace, labels: jobManagerLabels },
        spec: {
          type: "ClusterIP",
          selector: jobManagerLabels,
          ports: [
            { name: "rpc", port: FLINK_CLUSTER_PORTS.rpc, targetPort: FLINK_CLUSTER_PORTS.rpc },
            { name: "blob", port: FLINK_CLUSTER_PORTS.blob, targetPort: FLINK_CLUSTER_PORTS.blob },
            { name: "rest", port: FLINK_CLUSTER_PORTS.rest, targetPort: FLINK_CLUSTER_PORTS.rest },
          ],
        },
      },
      { parent: this },
    );

    new k8s.core.v1.Service(
      `${name}-rest`,
      {
        metadata: { name: "jobmanager-rest", namespace, labels: jobManagerLabels },
        spec: nodePortServiceSpec(jobManagerLabels, "rest", FLINK_CLUSTER_PORTS.rest, KIND_CLUSTER.flinkRestNodePort),
      },
      { parent: this },
    );

    const taskManagerLabels = flinkLabels("taskmanager");
    this.taskManagers = new k8s.apps.v1.Deployment(
      `${name}-taskmanagers`,
      {
        metadata: { name: "flink-taskmanager", namespace, labels: taskManagerLabels },
        spec: {
          replicas: args.taskManagers,
          selector: { matchLabels: taskManagerLabels },
          template: {
            metadata: { labels: flinkPodLabels("taskmanager", storage) },
            spec: flinkPodSpec("taskmanager", args.image, properties, claimName, serviceAccountName, args.memory.taskmanager),
          },
        },
      },
      withRights,
    );

    this.registerOutputs({});
  }
}
