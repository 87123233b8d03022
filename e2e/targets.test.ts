import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../lib/paths";
import { FLINK_LINES } from "../lib/versions";
import { FAULT_NAMES, nextFlinkLine, STACK_CHANGING_FAULTS } from "../verify";
import { e2eRuns, selectRuns } from "./targets";

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

describe("the upgrade run", () => {
  it("starts its stack on a line with a newer one in versions.json, so its fault has a line to upgrade to", () => {
    const run = e2eRuns().find((r) => r.faults.some((f) => STACK_CHANGING_FAULTS.includes(f)))!;
    const line = /flink-checkpointer:flinkVersion: "([^"]+)"/.exec(readFileSync(join(REPO_ROOT, `Pulumi.${run.stack}.yaml`), "utf8"))?.[1];
    expect(line).toBeDefined();
    expect(Object.keys(FLINK_LINES)).toContain(line);
    expect(nextFlinkLine(line!)).toBeDefined();
  });

  it("has the stack-changing faults last in every run, where nothing after them expects the line they left", () => {
    for (const run of e2eRuns()) {
      const first = run.faults.findIndex((f) => STACK_CHANGING_FAULTS.includes(f));
      if (first >= 0)
        expect(
          run.faults.slice(first).every((f) => STACK_CHANGING_FAULTS.includes(f)),
          run.name,
        ).toBe(true);
    }
  });
});
