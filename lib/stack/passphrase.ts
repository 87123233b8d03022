// The passphrase Pulumi encrypts this project's stack secrets with: one random per machine, in a file of the cache
// (scripts/env.sh makes it once, mode 0600, and points PULUMI_CONFIG_PASSPHRASE_FILE at it).

import { existsSync, readFileSync } from "node:fs";

/** What scripts/env.sh exported as PULUMI_CONFIG_PASSPHRASE before every machine got its own: public, so no secret. */
export const FORMER_PASSPHRASE = "flink-checkpointer-local";

/** The passphrase the Pulumi CLI takes from this environment: PULUMI_CONFIG_PASSPHRASE if set, else the file's, trimmed. */
export function currentPassphrase(env: NodeJS.ProcessEnv): string | undefined {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return file && existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

/** Why the Pulumi CLI started with this environment would not read this machine's stacks, or undefined when it would. */
export function passphraseProblem(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && !file)
    return "neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set, so Pulumi cannot read the stacks' secrets. Next: `source scripts/env.sh`";
  if (env.PULUMI_CONFIG_PASSPHRASE === FORMER_PASSPHRASE)
    return `PULUMI_CONFIG_PASSPHRASE is the project's former fixed passphrase (${FORMER_PASSPHRASE}), which no longer opens this machine's stacks. Next: \`unset PULUMI_CONFIG_PASSPHRASE && source scripts/env.sh\``;
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && file && !existsSync(file))
    return `PULUMI_CONFIG_PASSPHRASE_FILE names ${file}, which does not exist. Next: \`source scripts/env.sh\` (makes this machine's passphrase file)`;
  return undefined;
}

/** Throws passphraseProblem's message, before the Automation API starts a Pulumi CLI that would fail less clearly. */
export function requireStackPassphrase(env: NodeJS.ProcessEnv = process.env): void {
  const problem = passphraseProblem(env);
  if (problem !== undefined) throw new Error(problem);
}
