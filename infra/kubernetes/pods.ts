/**
 * Pure builders of the Kubernetes pod pieces every workload of the kind target shares: non-root security
 * contexts, probes, resources, the single-container PodSpec itself, and the NodePort Services the host reaches.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { S3_CREDENTIALS_FILE } from "../specs";
import type { Placement } from "./placement";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;
type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type Container = k8s.types.input.core.v1.Container;

/** A numeric user and group, as Kubernetes security contexts take them. */
export interface NumericUser {
  readonly uid: number;
  readonly gid: number;
}

/** Parses `uid:gid` (the form of specs.USERS) into numbers; a name would defeat runAsNonRoot's check. */
export function parseUser(user: string): NumericUser {
  const match = /^(\d+):(\d+)$/.exec(user);
  if (!match) throw new Error(`user "${user}" is not numeric uid:gid`);
  const [uid, gid] = [Number(match[1]), Number(match[2])];
  if (uid === 0) throw new Error(`user "${user}" is root; the stack runs every container as non-root`);
  return { uid, gid };
}

/**
 * Pod-level security context: the image's own non-root user, and fsGroup so volumes that support ownership
 * management are group-writable by that user without opening them to everyone.
 */
export function podSecurityContext(user: string): PodSecurityContext {
  const { uid, gid } = parseUser(user);
  return {
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container-level hardening: none of the stack's processes needs extra privileges. */
export const CONTAINER_SECURITY_CONTEXT: SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
};

/** CPU in millicores and memory in MiB, requested and capped. */
export interface ResourceSizes {
  readonly cpuRequestMillis: number;
  readonly cpuLimitMillis: number;
  readonly memoryRequestMb: number;
  readonly memoryLimitMb: number;
}

export function resources(sizes: ResourceSizes): ResourceRequirements {
  if (sizes.memoryRequestMb > sizes.memoryLimitMb || sizes.cpuRequestMillis > sizes.cpuLimitMillis) {
    throw new Error(`resource requests exceed limits: ${JSON.stringify(sizes)}`);
  }
  return {
    requests: { cpu: `${sizes.cpuRequestMillis}m`, memory: `${sizes.memoryRequestMb}Mi` },
    limits: { cpu: `${sizes.cpuLimitMillis}m`, memory: `${sizes.memoryLimitMb}Mi` },
  };
}

/** When a probe starts and how patient it is. */
export interface ProbeTiming {
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly failureThreshold: number;
}

/** Checks a port accepts connections (Kafka's listener, the TaskManager's RPC port). */
export function tcpProbe(port: number, timing: ProbeTiming): Probe {
  return { tcpSocket: { port }, timeoutSeconds: 5, ...timing };
}

/** Checks an HTTP endpoint answers 2xx (Flink's REST API). */
export function httpProbe(path: string, port: number, timing: ProbeTiming): Probe {
  return { httpGet: { path, port }, timeoutSeconds: 5, ...timing };
}

export function envVars(env: Readonly<Record<string, string>>): EnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** The one container of a pod and what the pod around it needs. */
export interface WorkloadSpec {
  /** Container name. */
  readonly name: string;
  readonly image: pulumi.Input<string>;
  /** `uid:gid` the container runs as (see specs.USERS). */
  readonly user: string;
  /** Replaces the image's entrypoint when set. */
  readonly command?: string[];
  /** The image's command arguments (e.g. `jobmanager`). */
  readonly args?: string[];
  readonly env?: EnvVar[];
  readonly ports?: { readonly name: string; readonly containerPort: number }[];
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly resources: ResourceRequirements;
  readonly volumes?: Volume[];
  readonly volumeMounts?: VolumeMount[];
  /** `Always` for servers; `Never` for Jobs whose retries are counted by backoffLimit. */
  readonly restartPolicy: "Always" | "Never";
  /** Run to completion before the container starts (e.g. {@link volumeOwnerInitContainer}). */
  readonly initContainers?: Container[];
  /** The only pods that talk to the Kubernetes API (Flink's HA services) get an account and its token. */
  readonly serviceAccountName?: pulumi.Input<string>;
  /** Which nodes it may and would rather run on, and how long it stays on a lost one (placement.ts). */
  readonly placement?: Placement;
}

/**
 * Every image a pod runs was loaded into the node (`kind load`) under a name that changes with the image; nothing
 * is ever pulled, so a missing image fails at once (ErrImageNeverPull) instead of trying a registry.
 */
export const IMAGE_PULL_POLICY = "Never";

/** Owner and mode of a volume's root: its user and group may write, nobody else may even read. */
export const VOLUME_MODE = "0770";

/**
 * An init container that makes a volume's root owned by the user of the pod's process, mode 0770. kind's
 * local-path provisioner creates volume directories with mode 0777 and owned by root, and ignores fsGroup; this
 * container runs as root with only CAP_CHOWN and CAP_FOWNER (change the owner, then the mode of a file it no longer
 * owns), so nothing is opened to everyone and no process of the stack keeps any privilege.
 */
export function volumeOwnerInitContainer(image: pulumi.Input<string>, user: string, volumeName: string, mountPath: string): Container {
  const { uid, gid } = parseUser(user);
  return {
    name: `own-${volumeName}`,
    image,
    imagePullPolicy: IMAGE_PULL_POLICY,
    command: ["sh", "-c", `chown ${uid}:${gid} ${mountPath} && chmod ${VOLUME_MODE} ${mountPath}`],
    volumeMounts: [{ name: volumeName, mountPath }],
    resources: resources({ cpuRequestMillis: 10, cpuLimitMillis: 200, memoryRequestMb: 16, memoryLimitMb: 64 }),
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"], add: ["CHOWN", "FOWNER"] },
    },
  };
}

/** A PodSpec with one non-root container. */
export function podSpec(w: WorkloadSpec): PodSpec {
  return {
    securityContext: podSecurityContext(w.user),
    // Service links would put KAFKA_PORT=tcp://… and the like into every environment; the apache/kafka
    // image turns KAFKA_* variables into broker settings, so they must not appear.
    enableServiceLinks: false,
    restartPolicy: w.restartPolicy,
    automountServiceAccountToken: w.serviceAccountName !== undefined,
    ...(w.serviceAccountName !== undefined ? { serviceAccountName: w.serviceAccountName } : {}),
    ...(w.initContainers ? { initContainers: w.initContainers } : {}),
    containers: [
      {
        name: w.name,
        image: w.image,
        imagePullPolicy: IMAGE_PULL_POLICY,
        ...(w.command ? { command: w.command } : {}),
        ...(w.args ? { args: w.args } : {}),
        ...(w.env ? { env: w.env } : {}),
        ...(w.ports ? { ports: w.ports.map((p) => ({ name: p.name, containerPort: p.containerPort })) } : {}),
        ...(w.readinessProbe ? { readinessProbe: w.readinessProbe } : {}),
        ...(w.livenessProbe ? { livenessProbe: w.livenessProbe } : {}),
        ...(w.volumeMounts ? { volumeMounts: w.volumeMounts } : {}),
        resources: w.resources,
        securityContext: CONTAINER_SECURITY_CONTEXT,
      },
    ],
    ...(w.volumes ? { volumes: w.volumes } : {}),
    ...w.placement,
  };
}

/**
 * A NodePort Service publishing one port of the selected pods on the kind node, where kind-cluster.yaml maps the
 * node port to 127.0.0.1 on the host (NodePort, not LoadBalancer, which kind never fulfils).
 */
export function nodePortServiceSpec(
  selector: Readonly<Record<string, string>>,
  portName: string,
  port: number,
  nodePort: number,
): k8s.types.input.core.v1.ServiceSpec {
  return { type: "NodePort", selector, ports: [{ name: portName, port, targetPort: port, nodePort }] };
}

/** The Secret holding the AWS credentials file every Flink pod and the bucket step mount. */
export const S3_CREDENTIALS_SECRET = "flink-s3-credentials";
const CREDENTIALS_VOLUME = "s3-credentials";

/**
 * The credentials Secret as a read-only volume at the flink user's ~/.aws: only the file, group-readable by the
 * pod's fsGroup (the flink group), by nobody else.
 */
export function credentialsVolume(): { volume: Volume; mount: VolumeMount } {
  return {
    volume: {
      name: CREDENTIALS_VOLUME,
      secret: { secretName: S3_CREDENTIALS_SECRET, defaultMode: 0o440, items: [{ key: "credentials", path: "credentials" }] },
    },
    mount: { name: CREDENTIALS_VOLUME, mountPath: S3_CREDENTIALS_FILE.slice(0, S3_CREDENTIALS_FILE.lastIndexOf("/")), readOnly: true },
  };
}
