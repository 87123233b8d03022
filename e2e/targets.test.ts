import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../lib/paths";
import { DEFAULT_FLINK_LINE, FLINK_LINES } from "../lib/versions";
import { FAULT_NAMES, nextFlinkLine, STACK_CHANGING_FAULTS } from "../verify";
import { clusterNameOf, DOCKER_FAULTS, e2eRuns, OTHER_LINE_FAULTS, selectRuns } from "./targets";

/** A stack file's config keys without the project's prefix (its lines `  flink-checkpointer:<key>: <value>`). */
const stackConfig = (stack: string): Record<string, string> =>
  Object.fromEntries(
    [...readFileSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8").matchAll(/^\s+flink-checkpointer:(\w+):\s*"?([^"\n]*)"?\s*$/gm)].map(
      (match) => [match[1]!, match[2]!],
    ),
  );

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
    expect(selectRuns(runs, ["docker-other-line"]).runs.map((run) => run.stack)).toEqual(["ci-other-line"]);
    expect(selectRuns(runs, ["kind", "nope"]).unknown).toEqual(["nope"]);
  });
});

describe("the end-to-end runs' Flink lines", () => {
  const runs = e2eRuns();
  const line = (stack: string) => stackConfig(stack).flinkVersion ?? DEFAULT_FLINK_LINE;
  const otherLine = runs.find((run) => line(run.stack) !== DEFAULT_FLINK_LINE);

  it("run every fault of each target on the default line", () => {
    const onDefault = runs.filter((run) => line(run.stack) === DEFAULT_FLINK_LINE);
    expect(new Set(onDefault.map((run) => run.target))).toEqual(new Set(["docker", "kind"]));
    expect(onDefault.find((run) => run.stack === "ci")!.faults).toEqual(DOCKER_FAULTS);
  });

  it("run the four faults the issue names on every other line of versions.json, on docker, in a stack of its own", () => {
    const others = Object.keys(FLINK_LINES).filter((l) => l !== DEFAULT_FLINK_LINE);
    expect(runs.filter((run) => line(run.stack) !== DEFAULT_FLINK_LINE).map((run) => line(run.stack))).toEqual(others);
    expect(otherLine?.target).toBe("docker");
    // Then, last, the upgrade to the next line (below).
    expect(otherLine?.faults.slice(0, OTHER_LINE_FAULTS.length)).toEqual(OTHER_LINE_FAULTS);
    expect(OTHER_LINE_FAULTS).toEqual(["cancel-restore", "taskmanager-crash", "jobmanager-crash", "broker-restart"]);
  });

  it("give the other line's stack the ci stack's settings on host ports of its own", () => {
    const { flinkVersion, flinkRestPort, kafkaExternalPort, ...settings } = stackConfig(otherLine!.stack);
    const { flinkRestPort: ciRest, kafkaExternalPort: ciKafka, ...ciSettings } = stackConfig("ci");
    expect(settings).toEqual(ciSettings);
    expect([flinkRestPort, kafkaExternalPort]).toEqual(["18181", "18194"]);
    // Neither the ci stack's nor the kind cluster's (8081, 9094), which are up at the same time.
    for (const port of [flinkRestPort, kafkaExternalPort]) expect([ciRest, ciKafka, "8081", "9094"]).not.toContain(port);
  });
});

describe("the upgrade", () => {
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
