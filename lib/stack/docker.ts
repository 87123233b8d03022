// The docker target: the stack's processes are containers of the local Docker Engine, found by name.

import { readFile } from "node:fs/promises";
import type { StackProcesses } from "../../infra/contract";
import { type Command, mustRun, type Ran, runShown, shown } from "../exec";
import type { FlinkRole, StackTarget, TaskManagerProcess } from "./target";

export type DockerProcesses = Extract<StackProcesses, { target: "docker" }>;

/** A signal the fault injection sends to a container's main process. */
export type Signal = "KILL" | "STOP" | "CONT";

/**
 * Whether a process's cgroup file (/proc/<pid>/cgroup) places it in the container with this full id: Docker names
 * the container's cgroup after its id (`/docker/<id>` with cgroupfs, `docker-<id>.scope` with systemd).
 */
export function cgroupIsContainers(cgroup: string, containerId: string): boolean {
  return (
    /^[0-9a-f]{64}$/.test(containerId) &&
    cgroup.split("\n").some((line) => line.includes(`/docker/${containerId}`) || line.includes(`docker-${containerId}.scope`))
  );
}

export class DockerTarget implements StackTarget {
  readonly name = "docker" as const;
  /** All containers run on this one machine. */
  readonly nodes = null;

  constructor(
    private readonly processes: DockerProcesses,
    /** Runs a command and gives its stdout (a test gives its own). */
    private readonly run: (command: Command, timeoutMs?: number) => Promise<string> = mustRun,
    /** Reads /proc/<pid>/cgroup (a test gives its own). */
    private readonly readCgroup: (pid: string) => Promise<string> = (pid) => readFile(`/proc/${pid}/cgroup`, "utf8"),
  ) {}

  /** The container of a Flink process: the JobManager, or the TaskManager named (else the first). */
  container(role: FlinkRole, taskManager?: string): string {
    const container = role === "jobmanager" ? this.processes.jobManager : (taskManager ?? this.processes.taskManagers[0]);
    if (!container) throw new Error(`the stack outputs name no ${role} container`);
    return container;
  }

  /** `docker inspect` of what a signal needs: the main process's PID on the host, the container's id, whether it runs. */
  static inspectCommand(container: string): Command {
    return { file: "docker", args: ["inspect", "-f", "{{.State.Pid}} {{.Id}} {{.State.Running}}", container] };
  }

  /**
   * Sends a signal to a container's main process (its JVM) from the host. A crash is SIGKILL this way, never
   * `docker kill`, which Docker counts as a manual stop and would not restart. The PID is checked to be the
   * container's (its cgroup), so a PID reused since, or one of a Docker daemon on another machine, is never signalled.
   */
  async signal(container: string, signal: Signal): Promise<string> {
    const [pid = "", id = "", running = ""] = (await this.run(DockerTarget.inspectCommand(container))).split(" ");
    if (running !== "true" || !/^[1-9]\d*$/.test(pid))
      throw new Error(`container ${container} is not running (PID "${pid}"): nothing to signal`);
    const cgroup = await this.readCgroup(pid).catch(() => "");
    if (!cgroupIsContainers(cgroup, id)) {
      throw new Error(
        `PID ${pid}, which Docker gives as ${container}'s main process, is not in that container's cgroup on this machine ` +
          `(the process ended and the PID is another's, or the Docker daemon runs elsewhere: DOCKER_HOST=${process.env.DOCKER_HOST ?? "unset"}); nothing was signalled`,
      );
    }
    await this.run({ file: "kill", args: [`-${signal}`, pid] });
    return `kill -${signal} ${pid} (${container}'s main process on the host)`;
  }

  crash(role: FlinkRole, taskManager?: string): Promise<string> {
    return this.signal(this.container(role, taskManager), "KILL");
  }

  freeze(taskManager: string, frozen: boolean): Promise<string> {
    return this.signal(this.container("taskmanager", taskManager), frozen ? "STOP" : "CONT");
  }

  static brokerRestartCommand(kafka: string): Command {
    return { file: "docker", args: ["restart", "--time", "30", kafka] };
  }

  async restartBroker(): Promise<string> {
    const command = DockerTarget.brokerRestartCommand(this.processes.kafka);
    await this.run(command, 120_000);
    return [command.file, ...command.args].join(" ");
  }

  /** Each TaskManager container with its IPs and host name, as Flink may know it. */
  /** `docker pause` / `unpause` of the S3 server's container: its process and address stay, nothing answers meanwhile. */
  static objectStoreOutageCommand(container: string | undefined, down: boolean): Command {
    if (container === undefined)
      throw new Error("the stack runs no S3 server of its own (checkpointStorage s3 without s3Endpoint): no object store to take down");
    return { file: "docker", args: [down ? "pause" : "unpause", container] };
  }

  async objectStoreOutage(down: boolean): Promise<string> {
    const command = DockerTarget.objectStoreOutageCommand(this.processes.objectStore, down);
    await this.run(command);
    return shown(command);
  }

  async taskManagers(): Promise<TaskManagerProcess[]> {
    return Promise.all(
      this.processes.taskManagers.map(async (name) => {
        const text = await this.run({
          file: "docker",
          args: ["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}{{.Config.Hostname}}", name],
        });
        return { name, addresses: [...text.split(/\s+/).filter(Boolean), name] };
      }),
    );
  }

  execCommand(argv: readonly string[]): Command {
    return { file: "docker", args: ["exec", this.processes.jobManager, ...argv] };
  }

  copyCommand(file: string, target: string): Command {
    return { file: "docker", args: ["cp", file, `${this.processes.jobManager}:${target}`] };
  }

  runInJobManager(argv: readonly string[], timeoutMs = 30_000): Promise<Ran> {
    return runShown(this.execCommand(argv), timeoutMs);
  }

  copyToJobManager(file: string, target: string, timeoutMs = 60_000): Promise<Ran> {
    return runShown(this.copyCommand(file, target), timeoutMs);
  }
}
