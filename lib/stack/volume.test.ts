import { describe, expect, it } from "vitest";
import { copyCommand, execCommand, metadataPath, podLookupCommand } from "./volume";

describe("checkpoint volume", () => {
  it("finds _metadata under the mount whatever the file URI spelling", () => {
    expect(metadataPath("file:/checkpoints_flink/j1/chk-4", "/checkpoints_flink")).toBe("/checkpoints_flink/j1/chk-4/_metadata");
    expect(metadataPath("file:///checkpoints_flink/j1/chk-4/", "/checkpoints_flink/")).toBe("/checkpoints_flink/j1/chk-4/_metadata");
  });

  it("refuses a checkpoint outside the volume, naming both", () => {
    expect(() => metadataPath("file:/tmp/j1/chk-4", "/checkpoints_flink")).toThrow(
      "checkpoint file:/tmp/j1/chk-4 is not on the checkpoint volume mounted at /checkpoints_flink",
    );
    expect(() => metadataPath("file:/checkpoints_flink_other/j/chk-1", "/checkpoints_flink")).toThrow("not on the checkpoint volume");
  });

  it("runs commands on the volume through docker exec or kubectl exec", () => {
    expect(execCommand({ kind: "docker", container: "jm", mountPath: "/c" }, ["ls", "-l", "/c/j/chk-1/_metadata"])).toEqual({
      file: "docker",
      args: ["exec", "jm", "ls", "-l", "/c/j/chk-1/_metadata"],
    });
    const kube = {
      kind: "kubernetes" as const,
      context: "kind-fc",
      namespace: "ns",
      podSelector: "app=flink,component=jobmanager",
      mountPath: "/c",
    };
    expect(podLookupCommand(kube).args).toEqual(
      expect.arrayContaining(["--context", "kind-fc", "-n", "ns", "-l", "app=flink,component=jobmanager"]),
    );
    expect(execCommand(kube, ["ls", "-l", "/c/m"], "jm-0")).toEqual({
      file: "kubectl",
      args: ["--context", "kind-fc", "-n", "ns", "exec", "jm-0", "--", "ls", "-l", "/c/m"],
    });
  });

  it("copies a file into the container or pod that mounts the volume", () => {
    expect(copyCommand({ kind: "docker", container: "jm", mountPath: "/c" }, "/cache/i.jar", "/tmp/i.jar")).toEqual({
      file: "docker",
      args: ["cp", "/cache/i.jar", "jm:/tmp/i.jar"],
    });
    const kube = { kind: "kubernetes" as const, context: "kind-fc", namespace: "ns", podSelector: "component=jobmanager", mountPath: "/c" };
    expect(copyCommand(kube, "/cache/i.jar", "/tmp/i.jar", "jm-0")).toEqual({
      file: "kubectl",
      args: ["--context", "kind-fc", "-n", "ns", "cp", "/cache/i.jar", "jm-0:/tmp/i.jar"],
    });
  });
});
