import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../lib/paths";
import { DEFAULT_FLINK_LINE, FLINK_LINES } from "../lib/versions";
import { dockerTarget, kindTarget, OTHER_LINE_FAULTS, otherLineTarget } from "./targets";

/** A stack file's config keys without the project's prefix (its lines `  flink-checkpointer:<key>: <value>`). */
const stackConfig = (stack: string): Record<string, string> =>
  Object.fromEntries(
    [...readFileSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8").matchAll(/^\s+flink-checkpointer:(\w+):\s*"?([^"\n]*)"?\s*$/gm)].map(
      (match) => [match[1]!, match[2]!],
    ),
  );

describe("the end-to-end run's stacks", () => {
  const docker = stackConfig(dockerTarget().stack);
  const otherLine = stackConfig(otherLineTarget().stack);

  it("run the default Flink line on docker and kind, so CI runs every fault on it", () => {
    expect(docker.flinkVersion).toBeUndefined();
    expect(stackConfig(kindTarget().stack).flinkVersion).toBeUndefined();
  });

  it("run another line of versions.json in a stack of its own", () => {
    expect(Object.keys(FLINK_LINES)).toContain(otherLine.flinkVersion);
    expect(otherLine.flinkVersion).not.toBe(DEFAULT_FLINK_LINE);
  });

  it("give the other line's stack the ci stack's settings on host ports of its own", () => {
    const { flinkVersion, flinkRestPort, kafkaExternalPort, ...settings } = otherLine;
    const { flinkRestPort: ciRest, kafkaExternalPort: ciKafka, ...ciSettings } = docker;
    expect(settings).toEqual(ciSettings);
    expect([flinkRestPort, kafkaExternalPort]).toEqual(["18181", "18194"]);
    // Neither the ci stack's nor the kind cluster's (8081, 9094), which are up at the same time.
    expect([ciRest, ciKafka, "8081", "9094"]).not.toContain(flinkRestPort);
    expect([ciRest, ciKafka, "8081", "9094"]).not.toContain(kafkaExternalPort);
  });

  it("run the four faults on the other line that the issue names, each one the default line runs too", () => {
    expect(otherLineTarget().faults).toEqual(OTHER_LINE_FAULTS);
    expect(OTHER_LINE_FAULTS).toEqual(["cancel-restore", "taskmanager-crash", "jobmanager-crash", "broker-restart"]);
    for (const fault of OTHER_LINE_FAULTS) expect(dockerTarget().faults).toContain(fault);
  });
});
