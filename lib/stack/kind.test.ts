import { describe, expect, it } from "vitest";
import { KindTarget } from "./kind";

const target = new KindTarget({
  target: "kind",
  context: "kind-fc",
  namespace: "fc",
  jobManagerSelector: "app=flink,component=jobmanager",
  taskManagerSelector: "app=flink,component=taskmanager",
  kafkaSelector: "app=kafka",
  generatorSelector: "app=visit-generator",
});
const kubectl = (...args: string[]) => ({ file: "kubectl", args: ["--context", "kind-fc", "-n", "fc", ...args] });

describe("KindTarget", () => {
  it("crashes a pod by deleting it with no grace period: the named TaskManager, else every pod of the role", () => {
    expect(target.crashCommand("taskmanager")).toEqual(
      kubectl("delete", "pod", "-l", "app=flink,component=taskmanager", "--grace-period=0", "--force", "--wait=false"),
    );
    expect(target.crashCommand("taskmanager", "flink-taskmanager-abc")).toEqual(
      kubectl("delete", "pod", "flink-taskmanager-abc", "--grace-period=0", "--force", "--wait=false"),
    );
    expect(target.crashCommand("jobmanager").args).toContain("app=flink,component=jobmanager");
  });

  it("freezes the TaskManager's JVM as PID 1 inside its pod", () => {
    expect(target.freezeCommand("flink-taskmanager-abc", true)).toEqual(
      kubectl("exec", "flink-taskmanager-abc", "--", "kill", "-STOP", "1"),
    );
    expect(target.freezeCommand("flink-taskmanager-abc", false).args).toContain("-CONT");
  });

  it("restarts the broker by deleting its pod and waiting", () => {
    expect(target.brokerRestartCommand()).toEqual(kubectl("delete", "pod", "-l", "app=kafka", "--wait=true"));
  });

  it("finds the running JobManager pod by its selector", () => {
    expect(target.jobManagerLookupCommand().args).toEqual(
      expect.arrayContaining(["--context", "kind-fc", "-n", "fc", "-l", "app=flink,component=jobmanager", "status.phase=Running"]),
    );
  });

  it("takes the stack's own S3 server away by scaling its Deployment to none and back, and refuses without one", () => {
    const withStore = new KindTarget({
      target: "kind",
      context: "kind-fc",
      namespace: "fc",
      jobManagerSelector: "app=flink,component=jobmanager",
      taskManagerSelector: "app=flink,component=taskmanager",
      kafkaSelector: "app=kafka",
      generatorSelector: "app=visit-generator",
      objectStoreSelector: "app=s3",
    });
    expect(withStore.objectStoreOutageCommand(true)).toEqual(kubectl("scale", "deployment", "-l", "app=s3", "--replicas=0"));
    expect(withStore.objectStoreOutageCommand(false)).toEqual(kubectl("scale", "deployment", "-l", "app=s3", "--replicas=1"));
    expect(() => target.objectStoreOutageCommand(true)).toThrow("the stack runs no S3 server of its own");
  });
});
