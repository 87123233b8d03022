// scripts/env.sh's Pulumi passphrase: one random file per machine in the cache, made once, owner-only.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../lib/paths";

const caches: string[] = [];
afterAll(() => {
  for (const cache of caches) rmSync(cache, { recursive: true, force: true });
});
/** A cache folder of the test's own, so the machine's cache is never touched. */
function scratchCache(): string {
  const cache = mkdtempSync(join(tmpdir(), "env-"));
  caches.push(cache);
  return cache;
}

/** The passphrase variables a shell has after sourcing env.sh with this cache and these inherited ones. */
function sourced(cache: string, inherited: Record<string, string> = {}): { passphrase?: string; file?: string } {
  const env: NodeJS.ProcessEnv = {
    // This Node first, so env.sh installs none.
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
    HOME: process.env.HOME,
    FLINK_CHECKPOINTER_CACHE: cache,
    ...inherited,
  };
  const out = execFileSync(
    "bash",
    ["-c", 'source scripts/env.sh && printf "%s\\n%s\\n" "${PULUMI_CONFIG_PASSPHRASE-<unset>}" "${PULUMI_CONFIG_PASSPHRASE_FILE-<unset>}"'],
    { cwd: REPO_ROOT, env, encoding: "utf8" },
  ).split("\n");
  const value = (line: string | undefined) => (line === "<unset>" ? undefined : line);
  return { passphrase: value(out[0]), file: value(out[1]) };
}

describe("scripts/env.sh's passphrase", () => {
  it("is a random file of the cache, mode 0600, made once and kept", () => {
    const cache = scratchCache();
    const first = sourced(cache);
    expect(first).toEqual({ file: join(cache, "pulumi-passphrase") });
    const made = readFileSync(first.file!, "utf8");
    expect(made).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    expect(sourced(cache)).toEqual(first);
    expect(readFileSync(first.file!, "utf8")).toBe(made);
    expect(readFileSync(sourced(scratchCache()).file!, "utf8")).not.toBe(made);
  });

  it("closes a passphrase file that was left readable by others", () => {
    const cache = scratchCache();
    writeFileSync(join(cache, "pulumi-passphrase"), "restored from a backup\n", { mode: 0o644 });
    const { file } = sourced(cache);
    expect(readFileSync(file!, "utf8")).toBe("restored from a backup\n");
    expect(statSync(file!).mode & 0o777).toBe(0o600);
  });

  it("drops the former fixed passphrase an older env.sh left in the shell, and keeps the user's own", () => {
    const cache = scratchCache();
    expect(sourced(cache, { PULUMI_CONFIG_PASSPHRASE: "flink-checkpointer-local" })).toEqual({ file: join(cache, "pulumi-passphrase") });
    expect(sourced(cache, { PULUMI_CONFIG_PASSPHRASE: "mine" })).toEqual({ passphrase: "mine" });
    expect(sourced(cache, { PULUMI_CONFIG_PASSPHRASE_FILE: "/home/me/.pulumi-passphrase" })).toEqual({
      file: "/home/me/.pulumi-passphrase",
    });
  });
});

describe("scripts/env.sh's fc_progress", () => {
  it("says that a step still runs while it runs, and keeps its output and exit code", () => {
    const script =
      'source scripts/env.sh && out="$(fc_progress "sleeping" bash -c "sleep 2.5; echo its-output; exit 3")"; echo "exit $? output $out"';
    const result = spawnSync("bash", ["-c", script], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
        FLINK_CHECKPOINTER_CACHE: scratchCache(),
        FC_PROGRESS_EVERY_S: "1",
      },
    });
    expect(result.stdout).toBe("exit 3 output its-output\n");
    expect(result.stderr).toContain("  ... still sleeping (1 s)\n  ... still sleeping (2 s)\n");
    expect(result.stderr).not.toContain("(3 s)");
  });
});

describe("the committed stack files", () => {
  it("carry no encryptionsalt: it belongs to one machine's passphrase, and another machine's Pulumi would refuse it", () => {
    const files = execFileSync("git", ["ls-files", "Pulumi.*.yaml"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
    expect(files).toContain("Pulumi.ci.yaml");
    // What git stores (the index), not the working file, which may hold this machine's salt.
    const salted = files.filter((file) =>
      execFileSync("git", ["show", `:${file}`], { cwd: REPO_ROOT, encoding: "utf8" }).includes("encryptionsalt:"),
    );
    expect(salted).toEqual([]);
  });
});
