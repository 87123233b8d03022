import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../lib/paths";
import { FAULT_NAMES } from "../verify";
import { clusterNameOf, e2eRuns, selectRuns } from "./targets";

describe("the end-to-end runs", () => {
  const runs = e2eRuns();

  it("each have a name and a stack of their own, whose stack file exists, and known faults", () => {
    expect(new Set(runs.map((run) => run.name)).size).toBe(runs.length);
    expect(new Set(runs.map((run) => run.stack)).size).toBe(runs.length);
    for (const run of runs) {
      expect(existsSync(join(REPO_ROOT, `Pulumi.${run.stack}.yaml`)), `Pulumi.${run.stack}.yaml`).toBe(true);
      for (const fault of run.faults) expect(FAULT_NAMES).toContain(fault);
    }
  });

  it("are selected by target or by name, and an unknown name is reported", () => {
    expect(selectRuns(runs, []).runs).toEqual(runs);
    expect(selectRuns(runs, ["docker"]).runs.every((run) => run.target === "docker")).toBe(true);
    expect(selectRuns(runs, ["docker"]).runs.length).toBe(runs.filter((run) => run.target === "docker").length);
    expect(selectRuns(runs, ["kind"]).runs.map((run) => run.name)).toEqual(["kind"]);
    expect(selectRuns(runs, ["kind", "nope"]).unknown).toEqual(["nope"]);
  });
});

describe("the kind run", () => {
  it("is CI's stack on CI's cluster unless the environment names others to run beside it", () => {
    expect(e2eRuns({}).find((run) => run.target === "kind")!.stack).toBe("ci-kind");
    expect(e2eRuns({ E2E_KIND_STACK: "kind" }).find((run) => run.target === "kind")!.stack).toBe("kind");
  });

  it("reads the cluster's name from its kind config as kind does, and refuses a config without one", () => {
    expect(clusterNameOf("kind: Cluster\nname: kmn\nnodes:\n  - role: control-plane\n")).toBe("kmn");
    expect(clusterNameOf('name: "fc-2"\n')).toBe("fc-2");
    expect(() => clusterNameOf("kind: Cluster\nnodes: []\n")).toThrow("no top-level name:");
  });
});
