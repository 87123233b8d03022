import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { currentPassphrase, passphraseProblem, requireStackPassphrase } from "./passphrase";

describe("the stacks' passphrase", () => {
  const file = join(mkdtempSync(join(tmpdir(), "passphrase-")), "pulumi-passphrase");
  writeFileSync(file, "s3cr3t\n", { mode: 0o600 });

  it("is the one the Pulumi CLI takes: the variable first, else the file's, trimmed", () => {
    expect(currentPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe("s3cr3t");
    expect(currentPassphrase({ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe("");
    expect(currentPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: `${file}.missing` })).toBeUndefined();
    expect(currentPassphrase({})).toBeUndefined();
  });

  it("is refused before a stack is touched when missing, the former fixed one, or a file that is not there", () => {
    expect(passphraseProblem({})).toBe(
      "neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set, so Pulumi cannot read the stacks' secrets. Next: `source scripts/env.sh`",
    );
    expect(passphraseProblem({ PULUMI_CONFIG_PASSPHRASE: "flink-checkpointer-local", PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe(
      "PULUMI_CONFIG_PASSPHRASE is the project's former fixed passphrase (flink-checkpointer-local), which no longer opens this machine's stacks. Next: `unset PULUMI_CONFIG_PASSPHRASE && source scripts/env.sh`",
    );
    expect(passphraseProblem({ PULUMI_CONFIG_PASSPHRASE_FILE: `${file}.missing` })).toBe(
      `PULUMI_CONFIG_PASSPHRASE_FILE names ${file}.missing, which does not exist. Next: \`source scripts/env.sh\` (makes this machine's passphrase file)`,
    );
    expect(() => requireStackPassphrase({})).toThrow(/source scripts\/env\.sh/);
  });

  it("is accepted from the machine's file or a passphrase of the user's own", () => {
    expect(passphraseProblem({ PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBeUndefined();
    expect(passphraseProblem({ PULUMI_CONFIG_PASSPHRASE: "mine" })).toBeUndefined();
    expect(() => requireStackPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: file })).not.toThrow();
  });
});
