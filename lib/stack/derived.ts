// Stacks derived from a base stack with the Pulumi Automation API: its config with some keys changed and its host
// ports moved, brought up, handed to a run, destroyed and removed. The matrix derives one per other checkpoint
// mode, the benchmarks one per setting.

import { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { CheckpointMode } from "../../infra/contract";
import type { Log } from "../wait";
import { CONFIG_PREFIX, outputsOf, printedBy, selectStack } from "./lifecycle";

/**
 * A stack derived from a base stack: its config with some keys changed and both host ports moved, so it can run
 * beside the base stack. The matrix derives one per other checkpoint mode; the benchmarks one per setting.
 */
export interface StackVariant {
  /** Appended to the base stack's name. */
  readonly suffix: string;
  /** Config keys (without the project prefix) and their values in the derived stack. */
  readonly changes: Readonly<Record<string, string>>;
  readonly portShift: number;
}

/** The variant of the base stack that runs `mode`. */
export function modeVariant(mode: CheckpointMode): StackVariant {
  return { suffix: mode.toLowerCase().replace(/_/g, "-"), changes: { checkpointMode: mode }, portShift: 10 };
}

/** The name of the stack derived from `base` as `variant`. */
export function derivedStackName(base: string, variant: StackVariant): string {
  return `${base}-${variant.suffix}`;
}

/** The derived stack's config: the base stack's with the variant's changes and both host ports moved. */
export function derivedConfig(base: Readonly<Record<string, string>>, variant: StackVariant): Record<string, string> {
  const port = (key: string, fallback: number) => String(Number(base[`${CONFIG_PREFIX}${key}`] ?? fallback) + variant.portShift);
  return {
    ...base,
    ...Object.fromEntries(Object.entries(variant.changes).map(([key, value]) => [`${CONFIG_PREFIX}${key}`, value])),
    [`${CONFIG_PREFIX}flinkRestPort`]: port("flinkRestPort", 8081),
    [`${CONFIG_PREFIX}kafkaExternalPort`]: port("kafkaExternalPort", 9094),
  };
}

/** Brings up the stack derived from `base` as `variant`, hands its outputs to `run`, then destroys and removes it. */
export async function withDerivedStack<T>(
  projectDir: string,
  base: string,
  variant: StackVariant,
  log: Log,
  run: (outputs: Record<string, unknown>, stack: string) => Promise<T>,
): Promise<T> {
  const name = derivedStackName(base, variant);
  const baseStack = await LocalWorkspace.selectStack({ stackName: base, workDir: projectDir });
  const baseConfig = Object.fromEntries(Object.entries(await baseStack.getAllConfig()).map(([k, v]) => [k, v.value]));
  if (baseConfig[`${CONFIG_PREFIX}target`] === "kind") {
    throw new Error(
      `stack ${base} runs on kind, whose host ports are fixed by its cluster: run a variant of it on a kind stack of its own`,
    );
  }
  const config = derivedConfig(baseConfig, variant);
  const changed = Object.entries(variant.changes)
    .map(([key, value]) => `${key} ${value}`)
    .join(", ");
  log(
    `== stack ${name}: ${base}'s config with ${changed}, Flink on 127.0.0.1:${config[`${CONFIG_PREFIX}flinkRestPort`]}, Kafka on 127.0.0.1:${config[`${CONFIG_PREFIX}kafkaExternalPort`]}`,
  );
  const stack = await selectStack(projectDir, name);
  const printed = printedBy(log);
  try {
    await stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }])));
    log(`== pulumi up (stack ${name})`);
    await stack.up({ onOutput: printed });
    return await run(await outputsOf(stack), name);
  } finally {
    log(`== pulumi destroy (stack ${name})`);
    await stack.destroy({ onOutput: printed }).catch((error: Error) => log(`   destroy of ${name} failed: ${error.message}`));
    await stack.workspace.removeStack(name).catch((error: Error) => log(`   removing stack ${name} failed: ${error.message}`));
  }
}
