import { describe, expect, it } from "vitest";
import { CI_KIND_RUN, clusterNameOf, KIND_FAULTS, kindRunOf, kindTarget } from "./targets";

describe("the kind run", () => {
  it("is CI's stack and cluster unless the environment names others to run beside it", () => {
    expect(kindRunOf({})).toEqual(CI_KIND_RUN);
    expect(kindRunOf({ E2E_KIND_STACK: "kmn-e2e", E2E_KIND_CONFIG: "/tmp/kmn.yaml" })).toEqual({
      stack: "kmn-e2e",
      clusterConfig: "/tmp/kmn.yaml",
      namespace: "flink-checkpointer",
    });
  });

  it("reads the cluster's name from its kind config as kind does, and refuses a config without one", () => {
    expect(clusterNameOf("kind: Cluster\nname: kmn\nnodes:\n  - role: control-plane\n")).toBe("kmn");
    expect(clusterNameOf('name: "fc-2"\n')).toBe("fc-2");
    expect(() => clusterNameOf("kind: Cluster\nnodes: []\n")).toThrow("no top-level name:");
  });

  it("runs CI's stack on the project's cluster, with its own faults", () => {
    const target = kindTarget();
    expect(target.stack).toBe("ci-kind");
    expect(target.faults).toEqual(KIND_FAULTS);
  });
});
