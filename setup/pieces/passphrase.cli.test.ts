// The migration with the real Pulumi CLI, on a backend and a project folder of its own: stacks made with the former
// fixed passphrase as a user had them, then the setup's piece, then Pulumi with this machine's passphrase file.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/paths";
import { FORMER_PASSPHRASE } from "../../lib/stack/passphrase";
import { FLINK_LINES, VERSIONS } from "../../lib/versions";
import { type CommandRunner, runPieces } from "../engine";
import { settingFromEnvironment } from "../group";
import { findOnPath, flockStore, spawnRunner } from "../host";
import { PASSPHRASE_MIGRATION, passphrasePiece } from "./passphrase";

// The project's CLI: on PATH, or where the setup's toolchain group builds it (npm test does not source env.sh).
const pulumi = findOnPath("pulumi", process.env.PATH) ?? findOnPath("pulumi", join(settingFromEnvironment().cache, "toolchain", "bin"));

describe.skipIf(pulumi === undefined)("the passphrase migration with the Pulumi CLI (needs it: bash scripts/setup.sh toolchain)", () => {
  const dir = mkdtempSync(join(tmpdir(), "passphrase-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const project = join(dir, "project");
  const cache = join(dir, "cache");
  mkdirSync(project);
  mkdirSync(cache);
  copyFileSync(join(REPO_ROOT, "Pulumi.yaml"), join(project, "Pulumi.yaml"));
  const passphraseFile = join(cache, "pulumi-passphrase");
  writeFileSync(passphraseFile, "this machine's own\n", { mode: 0o600 });
  const base = {
    PATH: `${dirname(pulumi ?? "")}${delimiter}${process.env.PATH}`,
    HOME: process.env.HOME,
    PULUMI_HOME: join(dir, "pulumi-home"),
    PULUMI_BACKEND_URL: pathToFileURL(join(dir, "state")).href,
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  mkdirSync(join(dir, "state"));
  const former = { ...base, PULUMI_CONFIG_PASSPHRASE: FORMER_PASSPHRASE };
  const machine = { ...base, PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile };
  // The piece's commands get this test's CLI and Pulumi home besides what the piece sets.
  const runner: CommandRunner = (file, args, options) =>
    spawnRunner(file, args, { ...options, env: { PATH: base.PATH, PULUMI_HOME: base.PULUMI_HOME, ...options.env } });
  const run = (env: NodeJS.ProcessEnv, ...args: string[]): string =>
    execFileSync("pulumi", [...args, "--non-interactive"], {
      cwd: project,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  const fails = (env: NodeJS.ProcessEnv, ...args: string[]): string => {
    try {
      run(env, ...args);
    } catch (error) {
      return String((error as { stderr?: string }).stderr);
    }
    throw new Error(`pulumi ${args.join(" ")} succeeded`);
  };
  /** A stack output that is a secret in the state, as `pulumi up` would leave one (import encrypts the plaintext). */
  const importSecretOutput = (stack: string, value: string): void => {
    const exported = JSON.parse(run(former, "stack", "export", "--stack", stack)) as { deployment: Record<string, unknown> };
    exported.deployment.resources = [
      {
        urn: `urn:pulumi:${stack}::flink-checkpointer::pulumi:pulumi:Stack::flink-checkpointer-${stack}`,
        custom: false,
        type: "pulumi:pulumi:Stack",
        outputs: { token: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(value) } },
      },
    ];
    const file = join(dir, `${stack}.json`);
    writeFileSync(file, JSON.stringify(exported));
    run(former, "stack", "import", "--stack", stack, "--file", file);
  };

  it("re-keys a user's stack and a stack of a committed file without salt; their secrets read with this machine's passphrase only", async () => {
    // A user's stack with a --secret config value and a secret in its state, all under the former passphrase.
    run(former, "stack", "init", "hd2-user");
    run(former, "config", "set", "--secret", "--stack", "hd2-user", "flink-checkpointer:s3SecretKey", "s3cr3t");
    importSecretOutput("hd2-user", "tok3n");
    // A committed stack file (no salt since every machine has its own) whose stack the user made before pulling.
    run(former, "stack", "init", "hd2-pulled");
    importSecretOutput("hd2-pulled", "p4ss");
    const pulledFile = join(project, "Pulumi.hd2-pulled.yaml");
    writeFileSync(pulledFile, "config:\n  flink-checkpointer:target: docker\n");
    // Before the migration, this machine's passphrase opens neither.
    expect(fails(machine, "config", "get", "--stack", "hd2-user", "flink-checkpointer:s3SecretKey")).toMatch(/incorrect passphrase/);

    const setting = { repo: project, cache, env: machine, versions: VERSIONS, flinkLines: FLINK_LINES };
    const result = await runPieces([passphrasePiece(setting, [])], [PASSPHRASE_MIGRATION], {
      store: flockStore(cache),
      runner,
      print: () => undefined,
    });
    const log = readFileSync(join(cache, "logs", `${PASSPHRASE_MIGRATION}.log`), "utf8");
    expect(result.outcomes.get(PASSPHRASE_MIGRATION), log).toMatchObject({ state: "built" });
    expect(log).not.toContain("this machine's own");

    expect(run(machine, "config", "get", "--stack", "hd2-user", "flink-checkpointer:s3SecretKey")).toBe("s3cr3t");
    expect(run(machine, "stack", "output", "--stack", "hd2-user", "--show-secrets", "token")).toBe("tok3n");
    expect(run(machine, "stack", "output", "--stack", "hd2-pulled", "--show-secrets", "token")).toBe("p4ss");
    expect(readFileSync(pulledFile, "utf8")).toContain("flink-checkpointer:target: docker");
    expect(fails(former, "config", "get", "--stack", "hd2-user", "flink-checkpointer:s3SecretKey")).toMatch(/incorrect passphrase/);

    // Once done, a second setup finds nothing to do.
    const again = await runPieces([passphrasePiece(setting, [])], [PASSPHRASE_MIGRATION], {
      store: flockStore(cache),
      runner,
      print: () => undefined,
    });
    expect(again.outcomes.get(PASSPHRASE_MIGRATION)).toEqual({ state: "up to date" });
  }, 60_000);

  it("a committed stack file without a salt just works on a new machine", () => {
    writeFileSync(join(project, "Pulumi.hd2-new.yaml"), "config:\n  flink-checkpointer:target: docker\n");
    run(machine, "stack", "init", "hd2-new");
    run(machine, "config", "set", "--secret", "--stack", "hd2-new", "flink-checkpointer:s3SecretKey", "n3w");
    expect(run(machine, "config", "get", "--stack", "hd2-new", "flink-checkpointer:s3SecretKey")).toBe("n3w");
  }, 30_000);
});
