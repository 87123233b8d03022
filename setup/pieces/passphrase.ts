// This checkout's stacks that are still encrypted with the project's former fixed Pulumi passphrase, re-encrypted with
// this machine's own (scripts/env.sh makes it once: $FC_CACHE/pulumi-passphrase, mode 0600).
//
// Pulumi's passphrase secrets manager keeps, per stack, an `encryptionsalt` of `v1:<salt>:<check>`: a random 8-byte salt
// and the word "pulumi" encrypted (AES-256-GCM) with the key PBKDF2-SHA256(passphrase, salt, 1,000,000 rounds). The stack
// file (Pulumi.<stack>.yaml) holds one, and the state holds the one its secrets were written with (secrets_providers).
// A stack file's salt that the passphrase does not open stops every command ("incorrect passphrase"); a state's stops
// whatever reads its secrets. So: a stack of this checkout whose state opens with the former passphrase goes through
// `pulumi stack change-secrets-provider passphrase`, which reads the old passphrase from the environment and the new
// one from its input and re-encrypts the stack file's secure values and the state; a stack file whose salt is the former
// passphrase's but whose state is done or absent loses its salt line, and Pulumi makes a new one with this machine's
// passphrase on its next command. A stack whose file is in another checkout is left to that checkout's setup: the
// backend may be shared, and a stack is re-keyed only where its stack file is.

import { createDecipheriv, pbkdf2Sync } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { currentPassphrase, FORMER_PASSPHRASE } from "../../lib/stack/passphrase";
import type { Piece } from "../engine";
import type { Setting } from "../group";

export const PASSPHRASE_MIGRATION = "pulumi-passphrase";
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
  /**
   * Stacks of this checkout (their stack file is here) whose state opens with the former passphrase: re-encrypted by
   * pulumi stack change-secrets-provider, state and stack file together.
   */
  readonly rekey: readonly string[];
  /** Stack files with the former passphrase's salt, no secure value and no state left to re-encrypt: the salt line goes. */
  readonly dropSalt: readonly string[];
  /** Stacks on the former passphrase whose file is in another checkout: that checkout's setup re-encrypts them. */
  readonly elsewhere: readonly string[];
  /** Stack files whose secure values only the former passphrase opens and whose state cannot carry them over. */
  readonly problems: readonly string[];
}

/** What to do, given the backend's stacks, this checkout's stack files and which salts the former passphrase opens. Pure. */
export function migrationPlan(
  states: readonly StackState[],
  files: readonly StackFile[],
  isFormer: (salt: string) => boolean,
): MigrationPlan {
  const here = new Set(files.map((file) => file.name));
  const former = states.filter((state) => state.salt !== undefined && isFormer(state.salt)).map((state) => state.name);
  const rekey = former.filter((name) => here.has(name));
  const left = files.filter((file) => file.salt !== undefined && isFormer(file.salt) && !rekey.includes(file.name));
  return {
    rekey,
    dropSalt: left.filter((file) => !file.secureValues).map((file) => file.name),
    elsewhere: former.filter((name) => !here.has(name)),
    problems: left
      .filter((file) => file.secureValues)
      .map(
        (file) =>
          `Pulumi.${file.name}.yaml holds secure values encrypted with the project's former passphrase, and no state of stack ${file.name} ` +
          `on it to re-encrypt them with: read them with \`PULUMI_CONFIG_PASSPHRASE=${FORMER_PASSPHRASE} pulumi config --show-secrets --stack ${file.name}\`, ` +
          `delete the file's encryptionsalt line, and set each again with \`pulumi config set --secret --stack ${file.name} <key> <value>\``,
      ),
  };
}

/** Whether the plan leaves nothing for this checkout to do (stacks of other checkouts are theirs). */
export const nothingToDo = (plan: MigrationPlan): boolean =>
  plan.rekey.length === 0 && plan.dropSalt.length === 0 && plan.problems.length === 0;

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
    from: "this checkout's stacks still encrypted with the former fixed passphrase (pulumi stack change-secrets-provider)",
    inputs: () => ({}),
    // Nothing to stamp: what is left to migrate is read from the backend and the stack files each time.
    holds: async () => {
      const todo = plan();
      return todo === undefined || nothingToDo(todo);
    },
    build: async (context) => {
      const todo = plan();
      if (todo === undefined) return;
      const passphrase = currentPassphrase(setting.env) as string;
      for (const stack of todo.rekey) {
        context.log(`re-encrypting stack ${stack} (state and Pulumi.${stack}.yaml) with this machine's passphrase`);
        // The former passphrase opens what is there; the new one, read from standard input, encrypts it again.
        await context.run("pulumi", ["stack", "change-secrets-provider", "passphrase", "--stack", stack, "--non-interactive"], {
          cwd: setting.repo,
          // The backend the plan was read from, whatever this process inherited.
          env: {
            PULUMI_BACKEND_URL: setting.env.PULUMI_BACKEND_URL,
            PULUMI_CONFIG_PASSPHRASE: FORMER_PASSPHRASE,
            PULUMI_CONFIG_PASSPHRASE_FILE: undefined,
          },
          input: `${passphrase}\n`,
        });
      }
      for (const stack of todo.dropSalt) {
        const file = join(setting.repo, `Pulumi.${stack}.yaml`);
        writeFileSync(file, readFileSync(file, "utf8").replace(/^encryptionsalt:.*\n?/m, ""));
        context.log(`Pulumi.${stack}.yaml: dropped the former passphrase's salt; Pulumi makes one with this machine's`);
      }
      for (const stack of todo.elsewhere) context.log(`stack ${stack}: its stack file is in another checkout, whose setup re-encrypts it`);
      if (todo.problems.length > 0) throw new Error(todo.problems.join("\n"));
    },
  };
}
