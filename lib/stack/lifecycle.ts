// A stack of the project driven with the Pulumi Automation API: selected or created, brought up, its outputs read as
// values, destroyed. The engine's output goes to the caller's log, line by line.

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import type { Log } from "../wait";
import { requireStackPassphrase } from "./passphrase";

/** The project's stack of that name (created when the backend has none). */
export async function selectStack(projectDir: string, name: string): Promise<Stack> {
  requireStackPassphrase();
  return LocalWorkspace.createOrSelectStack({ stackName: name, workDir: projectDir });
}

/** Pulumi's output as log lines, indented under the step that runs it. */
export const printedBy =
  (log: Log) =>
  (line: string): void => {
    const text = line.trimEnd();
    if (text) log(`   | ${text}`);
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
