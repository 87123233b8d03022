import { describe, expect, it } from "vitest";
import { brokerRestartCommand, crashCommands, freezeCommands, pickTaskManager, type StackProcesses } from "./processes";

const docker: StackProcesses = {
  kind: "docker",
  jobManager: "s-jobmanager",
  taskManagers: ["s-taskmanager-1", "s-taskmanager-2"],
  kafka: "s-kafka",
};
const kind: StackProcesses = {
  kind: "kubernetes",
  context: "kind-fc",
  namespace: "fc",
  jobManagerSelector: "app=flink,component=jobmanager",
  taskManagerSelector: "app=flink,component=taskmanager",
  kafkaSelector: "app=kafka",
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
      {
        file: "kubectl",
        args: [
          "--context",
          "kind-fc",
          "-n",
          "fc",
          "delete",
          "pod",
          "-l",
          "app=flink,component=taskmanager",
          "--grace-period=0",
          "--force",
          "--wait=false",
        ],
      },
    ]);
  });

  it("crashes the TaskManager named, container or pod", () => {
    expect(crashCommands(docker, "taskmanager", "s-taskmanager-2")[0]!.args).toEqual([
      "inspect",
      "-f",
      "{{.State.Pid}}",
      "s-taskmanager-2",
    ]);
    expect(crashCommands(kind, "taskmanager", "flink-taskmanager-abc")[0]!.args).toEqual([
      "--context",
      "kind-fc",
      "-n",
      "fc",
      "delete",
      "pod",
      "flink-taskmanager-abc",
      "--grace-period=0",
      "--force",
      "--wait=false",
    ]);
  });

  it("says so when the stack names no TaskManager", () => {
    expect(() => crashCommands({ ...docker, taskManagers: [] }, "taskmanager")).toThrow("the stack outputs name no taskmanager container");
  });
});

describe("freezeCommands", () => {
  it("stops and continues the named TaskManager's JVM: from the host on docker, as PID 1 inside the pod on kubernetes", () => {
    expect(freezeCommands(docker, "s-taskmanager-2", true)).toEqual([
      { file: "docker", args: ["inspect", "-f", "{{.State.Pid}}", "s-taskmanager-2"] },
      { file: "kill", args: ["-STOP", "{pid}"] },
    ]);
    expect(freezeCommands(docker, "s-taskmanager-2", false)[1]).toEqual({ file: "kill", args: ["-CONT", "{pid}"] });
    expect(freezeCommands(kind, "flink-taskmanager-abc", true)).toEqual([
      { file: "kubectl", args: ["--context", "kind-fc", "-n", "fc", "exec", "flink-taskmanager-abc", "--", "kill", "-STOP", "1"] },
    ]);
  });
});

describe("brokerRestartCommand", () => {
  it("restarts the broker cleanly", () => {
    expect(brokerRestartCommand(docker)).toEqual({ file: "docker", args: ["restart", "--time", "30", "s-kafka"] });
    expect(brokerRestartCommand(kind).args).toEqual([
      "--context",
      "kind-fc",
      "-n",
      "fc",
      "delete",
      "pod",
      "-l",
      "app=kafka",
      "--wait=true",
    ]);
  });
});

describe("pickTaskManager", () => {
  const processes = [
    { name: "s-taskmanager-1", addresses: ["172.18.0.4", "a1b2c3"] },
    { name: "s-taskmanager-2", addresses: ["172.18.0.5", "d4e5f6"] },
  ];

  it("picks the busiest TaskManager running the job's tasks, never an idle standby", () => {
    expect(pickTaskManager(processes, ["172.18.0.5", "172.18.0.4"])).toBe("s-taskmanager-2");
    expect(pickTaskManager(processes, ["10.0.0.9", "172.18.0.4"])).toBe("s-taskmanager-1");
    // As Flink on Docker names it: the container's name on its network.
    expect(
      pickTaskManager(
        [...processes, { name: "s-taskmanager-10", addresses: ["s-taskmanager-10"] }].map((tm) => ({
          ...tm,
          addresses: [...tm.addresses, tm.name],
        })),
        ["s-taskmanager-10.s-net"],
      ),
    ).toBe("s-taskmanager-10");
  });

  it("takes the only TaskManager when Flink knows it by another address", () => {
    expect(pickTaskManager(processes.slice(0, 1), ["10.0.0.9"])).toBe("s-taskmanager-1");
  });

  it("names the placements and the TaskManagers when none matches", () => {
    expect(() => pickTaskManager(processes, ["10.0.0.9"])).toThrow(
      "Flink places them on 10.0.0.9; the TaskManagers are s-taskmanager-1 (172.18.0.4, a1b2c3); s-taskmanager-2 (172.18.0.5, d4e5f6)",
    );
    expect(() => pickTaskManager(processes, [])).toThrow("Flink places them on no TaskManager");
  });
});
