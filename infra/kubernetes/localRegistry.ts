import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { KIND_CLUSTER } from "./kindCluster";

/**
 * Name under which a project image is pushed: `localhost:<port>/…` is where Docker on the host pushes (plain HTTP
 * is allowed for localhost) and the name the kind node's containerd resolves to the registry container.
 */
export function registryImageName(registryPort: number, image: string, tag: string): string {
    return `localhost:${registryPort}/flink-checkpointer/${image}:${tag}`;
}

/** Arguments of {@link LocalRegistry}. */
export interface LocalRegistryArgs {
    /** Prefix of the container name, unique per stack. */
    readonly namePrefix: string;
    /** The registry image (registry:2 or a local equivalent). */
    readonly image: string;
    /** Host port on 127.0.0.1 the registry is published on. */
    readonly port: number;
}

/**
 * A Docker registry container the project's images are pushed to and the kind node pulls from. It joins the
 * kind network as `kind-registry`, the host infra/kubernetes/containerd-hosts maps `localhost:<port>` to, so the
 * cluster needs nothing beyond `kind create cluster --config infra/kubernetes/kind-cluster.yaml`.
 */
export class LocalRegistry extends pulumi.ComponentResource {
    public readonly container: docker.Container;

    constructor(name: string, args: LocalRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flink-checkpointer:kubernetes:LocalRegistry", name, {}, opts);
        // Pulled if absent; a local image of that name is used as it is.
        const image = new docker.RemoteImage(`${name}-image`, { name: args.image, keepLocally: true }, { parent: this });
        this.container = new docker.Container(`${name}-registry`, {
            name: `${args.namePrefix}-registry`,
            image: image.imageId,
            ports: [{ internal: KIND_CLUSTER.registryContainerPort, external: args.port, ip: "127.0.0.1" }],
            networksAdvanced: [{ name: KIND_CLUSTER.network, aliases: [KIND_CLUSTER.registryHost] }],
            restart: "unless-stopped",
        }, { parent: this });
        this.registerOutputs({});
    }
}
