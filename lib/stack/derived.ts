// Stacks derived from a base stack with the Pulumi Automation API: its config with some keys changed and its host
// ports moved, brought up, handed to a run, destroyed and removed. The matrix derives one per other checkpoint
// mode, the benchmarks one per setting.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import type { CheckpointMode } from "../../infra/contract";
import type { Log } from "../wait";
import { CONFIG_PREFIX, outputsOf, printedBy } from "./lifecycle";
import { requireStackPassphrase } from "./passphrase";

/**
 * The stack tag that marks a stack as derived by this project, its value the base stack's name. A tag rather than a
 * config key: it is the backend's own record of the stack (the local file backend keeps it beside the stack's state,
 * <stack>.pulumi-tags), survives `up` and `destroy`, goes with `stack rm`, and no config change of the derived stack
 * (which starts from the base stack's whole config) can copy or drop it.
 */
export const DERIVED_STACK_TAG = "flink-checkpointer:derivedFrom";

/** Raised before anything is created or changed: the derived stack's name is someone else's. */
export class DerivedStackError extends Error {}

/** What the backend and the project folder hold under a derived stack's name. */
export interface ExistingStack {
  /** The backend has a stack of that name. */
  readonly stack: boolean;
  /** Its tags (empty when there is no stack). */
  readonly tags: Readonly<Record<string, string>>;
  /** The project folder has its config file, Pulumi.<name>.yaml. */
  readonly configFile: boolean;
}

export type DerivedStackDecision = { action: "create" } | { action: "reuse" } | { action: "refuse"; reason: string };

/**
 * Whether a derived stack may be made or used under `name`: created when nothing has the name, reused when the
 * stack carries this project's mark for the same base (an earlier run stopped before removing it), refused
 * otherwise, since it would be reconfigured, brought up and destroyed: someone's stack, or someone's config file
 * that creating the stack would write into and removing it would delete.
 */
export function derivedStackDecision(name: string, base: string, existing: ExistingStack): DerivedStackDecision {
  const marked = existing.tags[DERIVED_STACK_TAG];
  if (!existing.stack && !existing.configFile) return { action: "create" };
  if (!existing.stack)
    return {
      action: "refuse",
      reason: `the derived stack ${name} cannot be made: Pulumi.${name}.yaml exists without a stack of that name, and making and removing the stack would write into that file and delete it. Next: rename or remove Pulumi.${name}.yaml, or derive from a base stack with another name than ${base}`,
    };
  if (marked === base) return { action: "reuse" };
  if (marked !== undefined)
    return {
      action: "refuse",
      reason: `stack ${name} was derived from stack ${marked}, not from ${base}, so it is not reconfigured or destroyed here. Next: let a run of ${marked}'s finish with it, or remove it with \`pulumi stack rm --force ${name}\` after \`pulumi destroy --stack ${name}\` if nothing runs on it`,
    };
  return {
    action: "refuse",
    reason: `stack ${name} exists and was not made as a derived stack of ${base} (it has no ${DERIVED_STACK_TAG} tag), so it is not reconfigured or destroyed. Next: if it is yours and still needed, derive from a base stack with another name; if it is not needed, remove it (\`pulumi destroy --stack ${name}\`, then \`pulumi stack rm ${name}\`)`,
  };
}

/** What the backend and the project folder hold under `name` (see derivedStackDecision). */
async function existingStack(projectDir: string, name: string): Promise<ExistingStack> {
  const workspace = await LocalWorkspace.create({ workDir: projectDir });
  // The local backend lists a project's stacks by name; others may qualify it as <org>/<project>/<name>.
  const stack = (await workspace.listStacks()).some((summary) => summary.name === name || summary.name.endsWith(`/${name}`));
  return {
    stack,
    tags: stack ? await workspace.listTags(name) : {},
    configFile: existsSync(join(projectDir, `Pulumi.${name}.yaml`)),
  };
}

/** The derived stack `name`, created and marked, or the one marked for `base` reused; a DerivedStackError otherwise. */
async function derivedStack(projectDir: string, base: string, name: string, log: Log): Promise<Stack> {
  const decision = derivedStackDecision(name, base, await existingStack(projectDir, name));
  if (decision.action === "refuse") throw new DerivedStackError(decision.reason);
  if (decision.action === "reuse") {
    log(`   reusing stack ${name}, left by an earlier run (tag ${DERIVED_STACK_TAG}=${base})`);
    return LocalWorkspace.selectStack({ stackName: name, workDir: projectDir });
  }
  // Fails if the stack appeared since the look above: nothing someone else made is touched.
  const stack = await LocalWorkspace.createStack({ stackName: name, workDir: projectDir });
  try {
    await stack.setTag(DERIVED_STACK_TAG, base);
  } catch (error) {
    await stack.workspace.removeStack(name).catch(() => undefined);
    throw new DerivedStackError(
      `could not mark the new stack ${name} as derived from ${base} (${(error as Error).message}), so it was removed again. Next: check that the backend (PULUMI_BACKEND_URL) supports stack tags`,
    );
  }
  return stack;
}

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

/**
 * Brings up the stack derived from `base` as `variant`, hands its outputs to `run`, then destroys and removes it.
 * Only a stack this project marked as derived from `base` is touched (derivedStackDecision).
 */
export async function withDerivedStack<T>(
  projectDir: string,
  base: string,
  variant: StackVariant,
  log: Log,
  run: (outputs: Record<string, unknown>, stack: string) => Promise<T>,
): Promise<T> {
  requireStackPassphrase();
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
  const stack = await derivedStack(projectDir, base, name, log);
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
