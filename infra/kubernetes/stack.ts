import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";

/** Arguments of {@link KindStack}. */
export interface KindStackArgs {
    readonly config: StackConfig;
    readonly namePrefix: string;
    readonly extraCaCerts?: string;
}

/** Placeholder until the kind target lands. */
export class KindStack extends pulumi.ComponentResource {
    public readonly outputs: Record<string, pulumi.Input<unknown>> = {};
    constructor(name: string, args: KindStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("flink-checkpointer:kubernetes:KindStack", name, {}, opts);
        void args;
        this.registerOutputs({});
    }
}
