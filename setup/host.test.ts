import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CommandFailed } from "./engine";
import { findOnPath, flockStore, shellLine, spawnRunner, treeHash } from "./host";

describe("the setup program's host", () => {
  it("lets one setup at a time hold a piece's lock, and tells the other who holds it", async () => {
    const cache = mkdtempSync(join(tmpdir(), "setup-lock-"));
    const first = flockStore(cache);
    const second = flockStore(cache);
    const release = await first.lock("toolchain/pulumi", () => {
      throw new Error("the first setup has nobody to wait for");
    });
    const waits: string[] = [];
    let secondHolds = false;
    const secondLock = second
      .lock("toolchain/pulumi", (holder) => waits.push(holder))
      .then((releaseSecond) => {
        secondHolds = true;
        return releaseSecond;
      });
    // Another piece's lock is free meanwhile.
    (await second.lock("toolchain/docker", () => {}))();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(secondHolds).toBe(false);
    expect(waits).toEqual([expect.stringMatching(new RegExp(`^pid ${process.pid} in `))]);
    release();
    (await secondLock)();
    expect(secondHolds).toBe(true);
  });

  it("runs a command into the log, the command line first, and names it when it fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "setup-run-"));
    const logFile = join(dir, "piece.log");
    writeFileSync(logFile, "");
    const out = await spawnRunner("sh", ["-c", "echo to-stdout; echo to-stderr >&2"], { logFile, captureStdout: true, cwd: dir });
    expect(out).toBe("to-stdout\n");
    await expect(spawnRunner("sh", ["-c", "echo broken >&2; exit 3"], { logFile, captureStdout: false })).rejects.toEqual(
      new CommandFailed("sh -c 'echo broken >&2; exit 3'", "exited with 3"),
    );
    expect(readFileSync(logFile, "utf8")).toBe(
      `+ (cd ${dir} && sh -c 'echo to-stdout; echo to-stderr >&2')\nto-stderr\n+ sh -c 'echo broken >&2; exit 3'\nbroken\n`,
    );
  });

  it("finds a program on PATH outside the program's own folders", () => {
    const executables = new Set(["/opt/own/bin/pulumi", "/cache/toolchain/bin/pulumi"]);
    const found = (path: string) => findOnPath("pulumi", path, ["/cache/toolchain/bin"], (file) => executables.has(file));
    expect(found("/cache/toolchain/bin:/usr/bin:/opt/own/bin")).toBe("/opt/own/bin/pulumi");
    expect(found("/cache/toolchain/bin:/usr/bin")).toBeUndefined();
  });

  it("quotes what a shell would split", () => {
    expect(shellLine("go", ["build", "-ldflags", "-s -w -X a.B=v1", "./cmd"], "/tmp/b")).toBe(
      "(cd /tmp/b && go build -ldflags '-s -w -X a.B=v1' ./cmd)",
    );
    expect(shellLine("go", ["build"], undefined, { GOFLAGS: "-mod=mod -x", GOBIN: undefined })).toBe(
      "env GOFLAGS='-mod=mod -x' -u GOBIN go build",
    );
  });

  it("hashes a folder by its files' relative paths and contents", () => {
    const dir = mkdtempSync(join(tmpdir(), "setup-tree-"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "a"), "1");
    const before = treeHash(dir);
    writeFileSync(join(dir, "sub", "a"), "2");
    expect(treeHash(dir)).not.toBe(before);
    writeFileSync(join(dir, "sub", "a"), "1");
    expect(treeHash(dir)).toBe(before);
  });
});
