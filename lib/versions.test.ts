// versions.json is the one home of the pinned versions: these tests fail when another file disagrees with it, or
// writes one of its Flink versions down again.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./paths";
import { FLINK_LINES, GO_WRAPPER_PINS, pinProblem, requiredVersion, VERSIONS } from "./versions";

const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");

/** Every folder under setup/recipes that holds a go.mod: a wrapper module. */
function goWrappers(dir = "setup/recipes"): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const path = `${dir}/${entry.name}`;
      return existsSync(join(REPO_ROOT, path, "go.mod")) ? [path] : goWrappers(path);
    });
}

/** Where `text` names `version` as a version of its own: not inside a longer version or a module's (for 9.8.7: v9.8.7, 19.8.7, 9.8.70). */
function mentionsOf(path: string, text: string, version: string): string[] {
  const pattern = new RegExp(`(?<![\\w.])${version.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.]*\\d)`);
  return text.split("\n").flatMap((line, i) => (pattern.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : []));
}

/** Files that may write the versions down: versions.json itself and the lockfiles. */
const MAY_NAME_VERSIONS = [/^versions\.json$/, /(^|\/)package-lock\.json$/, /(^|\/)go\.sum$/];

describe("versions.json against the rest of the repository", () => {
  it("pins the module version each Go wrapper module requires, and every wrapper has a pin", () => {
    expect(goWrappers().sort()).toEqual(Object.keys(GO_WRAPPER_PINS).sort());
    const problems = Object.entries(GO_WRAPPER_PINS).flatMap(([wrapper, pin]) => {
      const problem = pinProblem(wrapper, read(`${wrapper}/go.mod`), pin);
      return problem === undefined ? [] : [problem];
    });
    expect(problems).toEqual([]);
  });

  it("has the kind wrapper replace each of Kubernetes' 31 staging modules at the pinned release", () => {
    const staging = VERSIONS.kind.kubernetes.version.replace(/^v1\./, "v0.");
    const replaced = read("setup/recipes/kind/kubernetes/go.mod")
      .split("\n")
      .filter((line) => /=> k8s\.io\/[a-z-]+ v\S+$/.test(line.trim()));
    expect(replaced.length).toBe(31);
    expect(replaced.filter((line) => !line.trim().endsWith(` ${staging}`))).toEqual([]);
  });

  it("reads a go.mod's requirement of one module, not the lines of others or its replacements", () => {
    const goMod = [
      "module x",
      "require github.com/a/b v1.2.3",
      "require (",
      "\tgithub.com/c/d v0.1.0 // indirect",
      "\tgithub.com/c/d/v2 v2.0.0",
      ")",
      "replace github.com/e/f => github.com/e/f v9.9.9",
    ].join("\n");
    expect(requiredVersion(goMod, "github.com/a/b")).toBe("v1.2.3");
    expect(requiredVersion(goMod, "github.com/c/d")).toBe("v0.1.0");
    expect(requiredVersion(goMod, "github.com/e/f")).toBeUndefined();
    expect(pinProblem("w", goMod, { module: "github.com/c/d", version: "v0.2.0" })).toBe(
      "w/go.mod requires github.com/c/d v0.1.0, but versions.json pins v0.2.0: change both together (then `go mod tidy` in that folder)",
    );
  });

  it("agrees with scripts/env.sh and package.json on the Node major", () => {
    const major = VERSIONS.node.major;
    expect(/^FC_NODE_MAJOR=(\d+)$/m.exec(read("scripts/env.sh"))?.[1]).toBe(String(major));
    expect(JSON.parse(read("package.json")).engines.node).toBe(`>=${major}`);
    expect(VERSIONS.node.version.startsWith(`${major}.`)).toBe(true);
    expect(VERSIONS.node.officialImage).toMatch(new RegExp(`^node:${major}-`));
  });

  it("is the only tracked file, lockfiles aside, that names a Flink line's release or connector version", () => {
    const versions = Object.values(FLINK_LINES).flatMap((line) => [line.flink, line.kafkaConnector]);
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
    const mentions = tracked
      .filter((path) => !MAY_NAME_VERSIONS.some((allowed) => allowed.test(path)) && existsSync(join(REPO_ROOT, path)))
      .flatMap((path) => {
        const text = readFileSync(join(REPO_ROOT, path), "utf8");
        return text.includes("\0") ? [] : versions.flatMap((version) => mentionsOf(path, text, version));
      });
    expect(mentions).toEqual([]);
  });

  it("counts a version only where it stands alone", () => {
    expect(mentionsOf("f", "image: flink:9.8.7-scala_2.12\nFlink 9.8.7.\n", "9.8.7")).toEqual([
      "f:1: image: flink:9.8.7-scala_2.12",
      "f:2: Flink 9.8.7.",
    ]);
    // A Go module of another project whose version happens to be the same (an `// indirect` line of a wrapper).
    expect(mentionsOf("go.mod", "\tgithub.com/aws/smithy-go v9.8.7 // indirect\n19.8.7 9.8.70", "9.8.7")).toEqual([]);
  });
});
