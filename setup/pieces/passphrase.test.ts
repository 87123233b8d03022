import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { currentPassphrase, FORMER_PASSPHRASE, migrationPlan, readStackFiles, readStackStates, saltOpensWith } from "./passphrase";

// The salt Pulumi wrote into Pulumi.ci.yaml with the former passphrase (it was committed until each machine got its own).
const FORMER_SALT = "v1:p1+J2HlML5M=:v1:RbeXtdFGn+L/2pLv:pxSIHF1pxk8y+ZXx3EnioYrVVeHmqw==";

describe("the passphrase migration", () => {
  it("opens a salt Pulumi made as Pulumi checks it, and only with its passphrase", () => {
    expect(saltOpensWith(FORMER_SALT, FORMER_PASSPHRASE)).toBe(true);
    expect(saltOpensWith(FORMER_SALT, "another passphrase")).toBe(false);
    expect(saltOpensWith("v2:x", FORMER_PASSPHRASE)).toBe(false);
  });

  it("re-encrypts the stacks still on the former passphrase, and drops the former salt of files whose stack is done", () => {
    const isFormer = (salt: string) => salt === "old";
    const plan = migrationPlan(
      [{ name: "docker", salt: "old" }, { name: "ci", salt: "new" }, { name: "bare" }],
      [
        { name: "docker", salt: "old", secureValues: true },
        { name: "ci", salt: "old", secureValues: false },
        { name: "kind", secureValues: false },
        { name: "mine", salt: "old", secureValues: true },
      ],
      isFormer,
    );
    expect(plan.stacks).toEqual(["docker"]);
    expect(plan.saltsToDrop).toEqual(["ci"]);
    expect(plan.problems).toEqual([
      "Pulumi.mine.yaml holds secure values encrypted with the project's former passphrase, and its stack has none to carry them " +
        "over: read them with PULUMI_CONFIG_PASSPHRASE=flink-checkpointer-local pulumi config --show-secrets --stack mine, " +
        "remove the encryptionsalt line, and set them again with pulumi config set --secret",
    ]);
  });

  it("reads the states' salts of a file backend and the stack files' salts and secure values", () => {
    const dir = mkdtempSync(join(tmpdir(), "passphrase-"));
    const stacks = join(dir, "state", ".pulumi", "stacks", "flink-checkpointer");
    mkdirSync(stacks, { recursive: true });
    const state = (salt?: string) =>
      JSON.stringify({ version: 3, checkpoint: { latest: salt ? { secrets_providers: { type: "passphrase", state: { salt } } } : {} } });
    writeFileSync(join(stacks, "docker.json"), state(FORMER_SALT));
    writeFileSync(join(stacks, "docker.json.bak"), state("older"));
    writeFileSync(join(stacks, "empty.json"), state());
    expect(readStackStates(pathToFileURL(join(dir, "state")).href)).toEqual([{ name: "docker", salt: FORMER_SALT }, { name: "empty" }]);
    expect(readStackStates("s3://bucket")).toEqual([]);

    writeFileSync(join(dir, "Pulumi.yaml"), "name: flink-checkpointer\n");
    writeFileSync(join(dir, "Pulumi.docker.yaml"), `config:\n  flink-checkpointer:target: docker\nencryptionsalt: ${FORMER_SALT}\n`);
    writeFileSync(join(dir, "Pulumi.s3.yaml"), "config:\n  flink-checkpointer:s3SecretKey:\n    secure: v1:abc\n");
    expect(readStackFiles(dir)).toEqual([
      { name: "docker", salt: FORMER_SALT, secureValues: false },
      { name: "s3", secureValues: true },
    ]);
  });

  it("takes the passphrase Pulumi takes: the variable first, else the file's, trimmed", () => {
    const file = join(mkdtempSync(join(tmpdir(), "passphrase-")), "p");
    writeFileSync(file, "s3cr3t\n");
    expect(currentPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe("s3cr3t");
    expect(currentPassphrase({ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe("");
    expect(currentPassphrase({})).toBeUndefined();
  });
});
