import { describe, expect, it } from "vitest";
import type { Command } from "../exec";
import { cgroupIsContainers, DockerTarget } from "./docker";

const ID = "a".repeat(64);
const processes = {
  target: "docker" as const,
  jobManager: "s-jobmanager",
  taskManagers: ["s-taskmanager-1", "s-taskmanager-2"],
  kafka: "s-kafka",
  generator: "s-generator",
};

/** A docker target whose commands are recorded and answered by `answer`. */
function recording(answer: (command: Command) => string, cgroup: string) {
  const ran: Command[] = [];
  const target = new DockerTarget(
    processes,
    async (command) => {
      ran.push(command);
      return answer(command);
    },
    async () => cgroup,
  );
  return { target, ran };
}

const inspectAnswer =
  (pid: string, running = "true") =>
  (command: Command) =>
    command.file === "docker" ? `${pid} ${ID} ${running}` : "";

describe("cgroupIsContainers", () => {
  it("finds the container's id in a cgroupfs or a systemd cgroup path", () => {
    expect(cgroupIsContainers(`12:memory:/docker/${ID}\n11:cpu:/docker/${ID}`, ID)).toBe(true);
    expect(cgroupIsContainers(`0::/system.slice/docker-${ID}.scope`, ID)).toBe(true);
  });

  it("refuses another container's process, a host process and a malformed id", () => {
    expect(cgroupIsContainers(`12:memory:/docker/${"b".repeat(64)}`, ID)).toBe(false);
    expect(cgroupIsContainers("0::/user.slice/user-0.slice/session-1.scope", ID)).toBe(false);
    expect(cgroupIsContainers(`12:memory:/docker/${ID}`, "")).toBe(false);
  });
});

describe("DockerTarget", () => {
  it("crashes a container's JVM with SIGKILL from the host, never with `docker kill` (a manual stop Docker would not restart)", async () => {
    const { target, ran } = recording(inspectAnswer("4242"), `12:memory:/docker/${ID}`);
    expect(await target.crash("taskmanager", "s-taskmanager-2")).toBe("kill -KILL 4242 (s-taskmanager-2's main process on the host)");
    expect(ran).toEqual([DockerTarget.inspectCommand("s-taskmanager-2"), { file: "kill", args: ["-KILL", "4242"] }]);
    expect(ran.some((c) => c.file === "docker" && c.args[0] === "kill")).toBe(false);
  });

  it("freezes and continues a TaskManager with SIGSTOP and SIGCONT", async () => {
    const { target, ran } = recording(inspectAnswer("77"), `0::/system.slice/docker-${ID}.scope`);
    await target.freeze("s-taskmanager-1", true);
    await target.freeze("s-taskmanager-1", false);
    expect(ran.filter((c) => c.file === "kill").map((c) => c.args[0])).toEqual(["-STOP", "-CONT"]);
  });

  it("signals nothing when the PID is not in the container's cgroup (a reused PID, a daemon on another machine)", async () => {
    const { target, ran } = recording(inspectAnswer("4242"), "0::/user.slice/session-3.scope");
    await expect(target.crash("jobmanager")).rejects.toThrow(
      "PID 4242, which Docker gives as s-jobmanager's main process, is not in that container's cgroup on this machine",
    );
    expect(ran.filter((c) => c.file === "kill")).toEqual([]);
  });

  it("signals nothing in a container that does not run", async () => {
    const { target, ran } = recording(inspectAnswer("0", "false"), "");
    await expect(target.crash("jobmanager")).rejects.toThrow("container s-jobmanager is not running");
    expect(ran.filter((c) => c.file === "kill")).toEqual([]);
  });

  it("crashes the first TaskManager unless one is named, and says so when there is none", () => {
    const target = new DockerTarget(processes);
    expect(target.container("taskmanager")).toBe("s-taskmanager-1");
    expect(target.container("jobmanager")).toBe("s-jobmanager");
    expect(() => new DockerTarget({ ...processes, taskManagers: [] }).container("taskmanager")).toThrow(
      "the stack outputs name no taskmanager container",
    );
  });

  it("restarts the broker cleanly and reaches the JobManager with docker exec and docker cp", () => {
    const target = new DockerTarget(processes);
    expect(DockerTarget.brokerRestartCommand("s-kafka")).toEqual({ file: "docker", args: ["restart", "--time", "30", "s-kafka"] });
    expect(target.execCommand(["ls", "-l", "/c/j/chk-1/_metadata"])).toEqual({
      file: "docker",
      args: ["exec", "s-jobmanager", "ls", "-l", "/c/j/chk-1/_metadata"],
    });
    expect(target.copyCommand("/cache/i.jar", "/tmp/i.jar")).toEqual({
      file: "docker",
      args: ["cp", "/cache/i.jar", "s-jobmanager:/tmp/i.jar"],
    });
  });

  it("takes the stack's own S3 server away by pausing its container, and refuses without one", () => {
    expect(DockerTarget.objectStoreOutageCommand("s-s3", true)).toEqual({ file: "docker", args: ["pause", "s-s3"] });
    expect(DockerTarget.objectStoreOutageCommand("s-s3", false)).toEqual({ file: "docker", args: ["unpause", "s-s3"] });
    expect(() => DockerTarget.objectStoreOutageCommand(undefined, true)).toThrow("the stack runs no S3 server of its own");
  });
});
