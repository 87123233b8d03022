import { describe, expect, it } from "vitest";
import { brokerRestartCommand, crashCommands, StackProcesses } from "./processes";

const docker: StackProcesses = { kind: "docker", jobManager: "s-jobmanager", taskManagers: ["s-taskmanager-1", "s-taskmanager-2"], kafka: "s-kafka" };
const kind: StackProcesses = {
  kind: "kubernetes", context: "kind-fc", namespace: "fc",
  jobManagerSelector: "app=flink,component=jobmanager", taskManagerSelector: "app=flink,component=taskmanager", kafkaSelector: "app=kafka",
};

describe("crashCommands", () => {
  it("kills the container's JVM with SIGKILL from the host on docker, never `docker kill` (a manual stop)", () => {
    expect(crashCommands(docker, "taskmanager")).toEqual([
      { file: "docker", args: ["inspect", "-f", "{{.State.Pid}}", "s-taskmanager-1"] },
      { file: "kill", args: ["-9", "{pid}"] },
    ]);
    expect(crashCommands(docker, "jobmanager")[0]!.args).toContain("s-jobmanager");
    expect(crashCommands(docker, "taskmanager").some((c) => c.file === "docker" && c.args[0] === "kill")).toBe(false);
  });

  it("deletes the pod with no grace period on kubernetes", () => {
    expect(crashCommands(kind, "taskmanager")).toEqual([
      { file: "kubectl", args: ["--context", "kind-fc", "-n", "fc", "delete", "pod", "-l", "app=flink,component=taskmanager", "--grace-period=0", "--force", "--wait=false"] },
    ]);
  });

  it("says so when the stack names no TaskManager", () => {
    expect(() => crashCommands({ ...docker, taskManagers: [] }, "taskmanager")).toThrow("the stack outputs name no taskmanager container");
  });
});

describe("brokerRestartCommand", () => {
  it("restarts the broker cleanly", () => {
    expect(brokerRestartCommand(docker)).toEqual({ file: "docker", args: ["restart", "--time", "30", "s-kafka"] });
    expect(brokerRestartCommand(kind).args).toEqual(["--context", "kind-fc", "-n", "fc", "delete", "pod", "-l", "app=kafka", "--wait=true"]);
  });
});
