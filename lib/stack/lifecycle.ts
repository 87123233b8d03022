// A stack of the project driven with the Pulumi Automation API: selected or created, brought up, its outputs read as
// values, destroyed. The engine's output goes to the caller's log, line by line.

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { IMAGES_ENV } from "../../infra/contract";
import type { Log } from "../wait";
import { requireStackPassphrase } from "./passphrase";

/** The prefix of the project's config keys: its name (Pulumi.yaml). */
export const CONFIG_PREFIX = "flink-checkpointer:";

/** The project's stack of that name (created when the backend has none). */
export async function selectStack(projectDir: string, name: string): Promise<Stack> {
  requireStackPassphrase();
  return LocalWorkspace.createOrSelectStack({ stackName: name, workDir: projectDir });
}

/** Pulumi's output as log lines, indented under the step that runs it; its progress dots say nothing in a log. */
export const printedBy =
  (log: Log) =>
  (line: string): void => {
    for (const text of line.split("\n").map((l) => l.trimEnd()))
      if (text && !/^[@ ]*(updating|destroying)?\.*$/.test(text)) log(`   | ${text}`);
  };

/** The stack's outputs as plain values (secrets shown: the verification reads them). */
export async function outputsOf(stack: Stack): Promise<Record<string, unknown>> {
  return Object.fromEntries(Object.entries(await stack.outputs()).map(([key, output]) => [key, output.value]));
}

/** How many resources the stack's state holds beside the stack itself (0: nothing is up). */
export async function resourceCount(stack: Stack): Promise<number> {
  const state = await stack.exportStack();
  const resources = (state.deployment as { resources?: { type?: string }[] } | undefined)?.resources ?? [];
  return resources.filter((resource) => resource.type !== "pulumi:pulumi:Stack").length;
}

/**
 * What a fault may do to the stack itself, through the Automation API: read its config, change it, bring it up. The
 * upgrade fault changes the Flink line this way, as a user would with `pulumi config set` and `pulumi up`.
 */
export interface StackControl {
  readonly name: string;
  /** The stack's own config keys (without the project's prefix) and their values. */
  config(): Promise<Record<string, string>>;
  /** Sets the keys given a value and removes those given undefined; nothing is brought up. */
  setConfig(changes: Readonly<Record<string, string | undefined>>): Promise<void>;
  /** `pulumi up`, the engine's lines into `log`; returns the stack's outputs after it. */
  up(log: Log): Promise<Record<string, unknown>>;
}

/**
 * What puts a stack's config back as `found` from `now`: the keys that differ set to their found values, the keys
 * added since removed (undefined), for StackControl.setConfig.
 */
export function configChanges(
  found: Readonly<Record<string, string>>,
  now: Readonly<Record<string, string>>,
): Record<string, string | undefined> {
  const changed = Object.entries(found).filter(([key, value]) => now[key] !== value);
  const added = Object.keys(now).filter((key) => !(key in found));
  return Object.fromEntries([...changed, ...added.map((key) => [key, undefined] as const)]);
}

/** The images the stack was brought up with (its output `images.defaults`), so a later `up` takes the same ones. */
export function imageDefaultsOf(outputs: Readonly<Record<string, unknown>>): string | undefined {
  const images = outputs.images as { defaults?: unknown } | undefined;
  return typeof images?.defaults === "string" ? images.defaults : undefined;
}

/** The project's stack of that name as a StackControl. */
export function stackControl(projectDir: string, name: string): StackControl {
  const prefix = CONFIG_PREFIX;
  const stack = () => selectStack(projectDir, name);
  return {
    name,
    async config() {
      const all = await (await stack()).getAllConfig();
      return Object.fromEntries(
        Object.entries(all)
          .filter(([key]) => key.startsWith(prefix))
          .map(([key, value]) => [key.slice(prefix.length), value.value]),
      );
    },
    async setConfig(changes) {
      const selected = await stack();
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) await selected.removeConfig(`${prefix}${key}`);
        else await selected.setConfig(`${prefix}${key}`, { value });
      }
    },
    async up(log) {
      const selected = await stack();
      // Unless the caller chose, the images the stack runs now: an update must not switch to images this machine lacks.
      const images = imageDefaultsOf(await outputsOf(selected));
      if (images !== undefined && process.env[IMAGES_ENV] === undefined) selected.workspace.envVars[IMAGES_ENV] = images;
      await selected.up({ onOutput: printedBy(log) });
      return outputsOf(selected);
    },
  };
}
