// The stacks of the local file backend that are still encrypted with the project's former fixed Pulumi passphrase,
// re-encrypted with this machine's own (scripts/env.sh makes it once: $FC_CACHE/pulumi-passphrase, mode 0600).
//
// Pulumi's passphrase secrets manager keeps, per stack, an `encryptionsalt` of `v1:<salt>:<check>`: a random 8-byte salt
// and the word "pulumi" encrypted (AES-256-GCM) with the key PBKDF2-SHA256(passphrase, salt, 1,000,000 rounds). The stack
// file (Pulumi.<stack>.yaml) holds one, and the state holds the one its secrets were written with (secrets_providers).
// A stack file's salt that the passphrase does not open stops every command ("incorrect passphrase"); a state's stops
// whatever reads its secrets. So: a stack whose state opens with the former passphrase goes through `pulumi stack
// change-secrets-provider passphrase`, which reads the old passphrase from the environment and the new one from its
// input and re-encrypts the stack file's secure values and the state; a stack file of this checkout whose salt is the
// former passphrase's but whose state is done (another checkout migrated it) or absent loses its salt line, and Pulumi
// makes a new one with this machine's passphrase on its next command.

import { createDecipheriv, pbkdf2Sync } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { Piece } from "../engine";
import type { Setting } from "../group";

export const PASSPHRASE_MIGRATION = "pulumi-passphrase";
/** What scripts/env.sh exported as PULUMI_CONFIG_PASSPHRASE before every machine got its own. */
export const FORMER_PASSPHRASE = "flink-checkpointer-local";
const PROJECT = "flink-checkpointer";

/** Whether a passphrase opens an encryptionsalt (`v1:<salt>:v1:<nonce>:<ciphertext>`), as Pulumi checks it. */
export function saltOpensWith(encryptionSalt: string, passphrase: string): boolean {
  const [version, salt, checkVersion, nonce, ciphertext] = encryptionSalt.split(":");
  if (version !== "v1" || checkVersion !== "v1" || !salt || !nonce || !ciphertext) return false;
  const key = pbkdf2Sync(passphrase, Buffer.from(salt, "base64"), 1_000_000, 32, "sha256");
  const sealed = Buffer.from(ciphertext, "base64");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString() === "pulumi";
  } catch {
    return false;
  }
}

/** A stack of the backend and the salt its state's secrets are encrypted with (none: no passphrase manager). */
export interface StackState {
  readonly name: string;
  readonly salt?: string;
}

/** A stack file of this checkout: its salt, and whether it holds secure values (which need that salt to be read). */
export interface StackFile {
  readonly name: string;
  readonly salt?: string;
  readonly secureValues: boolean;
}

export interface MigrationPlan {
  /** Stacks whose state opens with the former passphrase: re-encrypted by pulumi stack change-secrets-provider. */
  readonly stacks: readonly string[];
  /** Stack files with the former passphrase's salt, no secure value and no stack left to migrate: the salt line goes. */
  readonly saltsToDrop: readonly string[];
  /** Stack files whose secure values only the former passphrase opens and whose stack cannot carry them over. */
  readonly problems: readonly string[];
}

/** What to do, given which salts the former passphrase opens. Pure. */
export function migrationPlan(
  states: readonly StackState[],
  files: readonly StackFile[],
  isFormer: (salt: string) => boolean,
): MigrationPlan {
  const stacks = states.filter((state) => state.salt !== undefined && isFormer(state.salt)).map((state) => state.name);
  const left = files.filter((file) => file.salt !== undefined && isFormer(file.salt) && !stacks.includes(file.name));
  return {
    stacks,
    saltsToDrop: left.filter((file) => !file.secureValues).map((file) => file.name),
    problems: left
      .filter((file) => file.secureValues)
      .map(
        (file) =>
          `Pulumi.${file.name}.yaml holds secure values encrypted with the project's former passphrase, and its stack has none to ` +
          `carry them over: read them with PULUMI_CONFIG_PASSPHRASE=${FORMER_PASSPHRASE} pulumi config --show-secrets --stack ${file.name}, ` +
          "remove the encryptionsalt line, and set them again with pulumi config set --secret",
      ),
  };
}

/** The stacks of this project in a file backend (`file://<dir>`), with their states' salts; none for another backend. */
export function readStackStates(backendUrl: string | undefined): StackState[] {
  if (!backendUrl?.startsWith("file://")) return [];
  const dir = join(fileURLToPath(backendUrl), ".pulumi", "stacks", PROJECT);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json") || file.endsWith(".json.gz"))
    .map((file) => {
      const raw = readFileSync(join(dir, file));
      const text = (file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
      const providers = (
        JSON.parse(text) as { checkpoint?: { latest?: { secrets_providers?: { type?: string; state?: { salt?: string } } } } }
      ).checkpoint?.latest?.secrets_providers;
      const salt = providers?.type === "passphrase" ? providers.state?.salt : undefined;
      return { name: file.replace(/\.json(\.gz)?$/, ""), ...(salt ? { salt } : {}) };
    });
}

/** The stack files of a checkout. */
export function readStackFiles(repo: string): StackFile[] {
  return readdirSync(repo)
    .filter((file) => /^Pulumi\.[^/]+\.yaml$/.test(file))
    .map((file) => {
      const text = readFileSync(join(repo, file), "utf8");
      const salt = /^encryptionsalt:\s*(\S+)\s*$/m.exec(text)?.[1];
      return { name: file.slice("Pulumi.".length, -".yaml".length), ...(salt ? { salt } : {}), secureValues: /^\s+secure:\s/m.test(text) };
    });
}

/** The passphrase Pulumi will use: PULUMI_CONFIG_PASSPHRASE if set, else the file's (as Pulumi trims it). */
export function currentPassphrase(env: NodeJS.ProcessEnv): string | undefined {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return file && existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

/** Which salts the former passphrase opens, remembered in the cache (salts are public): each check costs a second. */
function formerSaltCheck(cache: string): (salt: string) => boolean {
  const file = join(cache, "pulumi-passphrase-salts.json");
  const known: Record<string, boolean> = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, boolean>) : {};
  return (salt) => {
    if (!(salt in known)) {
      known[salt] = saltOpensWith(salt, FORMER_PASSPHRASE);
      mkdirSync(cache, { recursive: true });
      writeFileSync(file, JSON.stringify(known));
    }
    return known[salt]!;
  };
}

export function passphrasePiece(setting: Setting, deps: readonly string[]): Piece {
  const plan = (): MigrationPlan | undefined => {
    const passphrase = currentPassphrase(setting.env);
    if (passphrase === undefined || passphrase === FORMER_PASSPHRASE) return undefined;
    return migrationPlan(readStackStates(setting.env.PULUMI_BACKEND_URL), readStackFiles(setting.repo), formerSaltCheck(setting.cache));
  };
  return {
    name: PASSPHRASE_MIGRATION,
    deps,
    resource: "io",
    from: `the local stacks still encrypted with the former fixed passphrase, re-encrypted with this machine's (pulumi stack change-secrets-provider)`,
    inputs: () => ({}),
    // Nothing to stamp: what is left to migrate is read from the backend and the stack files each time.
    holds: async () => {
      const todo = plan();
      return todo === undefined || (todo.stacks.length === 0 && todo.saltsToDrop.length === 0 && todo.problems.length === 0);
    },
    build: async (context) => {
      const todo = plan();
      if (todo === undefined) return;
      const passphrase = currentPassphrase(setting.env) as string;
      for (const stack of todo.stacks) {
        // In this checkout when it has the stack's file (its secure values are re-encrypted there), else in a scratch
        // project, so no stack file appears here.
        const here = existsSync(join(setting.repo, `Pulumi.${stack}.yaml`));
        const cwd = here ? setting.repo : mkdtempSync(join(setting.cache, "passphrase-"));
        if (!here) copyFileSync(join(setting.repo, "Pulumi.yaml"), join(cwd, "Pulumi.yaml"));
        context.log(`re-encrypting stack ${stack} with this machine's passphrase (in ${cwd})`);
        try {
          await context.run("pulumi", ["stack", "change-secrets-provider", "passphrase", "--stack", stack, "--non-interactive"], {
            cwd,
            env: { PULUMI_CONFIG_PASSPHRASE: FORMER_PASSPHRASE, PULUMI_CONFIG_PASSPHRASE_FILE: undefined },
            input: `${passphrase}\n`,
          });
        } finally {
          if (!here) rmSync(cwd, { recursive: true, force: true });
        }
      }
      for (const stack of todo.saltsToDrop) {
        const file = join(setting.repo, `Pulumi.${stack}.yaml`);
        writeFileSync(file, readFileSync(file, "utf8").replace(/^encryptionsalt:.*\n?/m, ""));
        context.log(`Pulumi.${stack}.yaml: dropped the former passphrase's salt; Pulumi makes one with this machine's`);
      }
      if (todo.problems.length > 0) throw new Error(todo.problems.join("\n"));
    },
  };
}
