import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { FORMER_PASSPHRASE } from "../../lib/stack/passphrase";
import { migrationPlan, nothingToDo, readStackFiles, readStackStates, saltOpensWith } from "./passphrase";

// The salt Pulumi wrote into Pulumi.ci.yaml with the former passphrase (it was committed until each machine got its own).
const FORMER_SALT = "v1:p1+J2HlML5M=:v1:RbeXtdFGn+L/2pLv:pxSIHF1pxk8y+ZXx3EnioYrVVeHmqw==";

describe("the passphrase migration", () => {
  it("opens a salt Pulumi made as Pulumi checks it, and only with its passphrase", () => {
    expect(saltOpensWith(FORMER_SALT, FORMER_PASSPHRASE)).toBe(true);
    expect(saltOpensWith(FORMER_SALT, "another passphrase")).toBe(false);
    expect(saltOpensWith("v2:x", FORMER_PASSPHRASE)).toBe(false);
  });

  it("re-keys this checkout's stacks on the former passphrase, drops a former salt whose state is done, and leaves other checkouts' stacks", () => {
    const isFormer = (salt: string) => salt === "old";
    const plan = migrationPlan(
      [
        { name: "docker", salt: "old" },
        { name: "ci", salt: "new" },
        { name: "bare" },
        { name: "pulled", salt: "old" },
        { name: "theirs", salt: "old" },
      ],
      [
        { name: "docker", salt: "old", secureValues: true },
        { name: "ci", salt: "old", secureValues: false },
        { name: "kind", secureValues: false },
        // A committed stack file without a salt whose stack was made with the former passphrase before the pull.
        { name: "pulled", secureValues: false },
        { name: "mine", salt: "old", secureValues: true },
      ],
      isFormer,
    );
    expect(plan.rekey).toEqual(["docker", "pulled"]);
    expect(plan.dropSalt).toEqual(["ci"]);
    expect(plan.elsewhere).toEqual(["theirs"]);
    expect(plan.problems).toEqual([
      "Pulumi.mine.yaml holds secure values encrypted with the project's former passphrase, and no state of stack mine on it to " +
        "re-encrypt them with: read them with `PULUMI_CONFIG_PASSPHRASE=flink-checkpointer-local pulumi config --show-secrets --stack mine`, " +
        "delete the file's encryptionsalt line, and set each again with `pulumi config set --secret --stack mine <key> <value>`",
    ]);
    expect(nothingToDo(plan)).toBe(false);
  });

  it("has nothing to do on a new machine: stack files without a salt, no state, or states on this machine's passphrase", () => {
    const isFormer = (salt: string) => salt === "old";
    const plan = migrationPlan(
      [
        { name: "ci", salt: "new" },
        { name: "theirs", salt: "old" },
      ],
      [
        { name: "ci", salt: "new", secureValues: true },
        { name: "docker", secureValues: false },
      ],
      isFormer,
    );
    expect(plan).toEqual({ rekey: [], dropSalt: [], elsewhere: ["theirs"], problems: [] });
    expect(nothingToDo(plan)).toBe(true);
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
});
