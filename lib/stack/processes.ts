// The stack's processes as the fault injection sees them: how to crash a TaskManager or the JobManager as a
// crash (not a stop) and how to restart the broker. Docker: the containers by name; kind: the pods by label
// selector. The commands are pure data, run by runCommand.

import { execFile } from "node:child_process";
import type { StackProcesses } from "../../infra/contract";

export type { StackProcesses };

export type FlinkRole = "jobmanager" | "taskmanager";

export interface Command {
  file: string;
  args: string[];
}

export const shown = (command: Command): string => [command.file, ...command.args].join(" ");

const kubectl = (p: Extract<StackProcesses, { kind: "kubernetes" }>, ...args: string[]): Command => ({
  file: "kubectl",
  args: ["--context", p.context, "-n", p.namespace, ...args],
});

/**
 * The container (docker) or pod selector (kubernetes) of a Flink process. A TaskManager is the one named (see
 * pickTaskManager), else the first container, else every pod of the selector.
 */
function flinkTarget(p: StackProcesses, role: FlinkRole, taskManager?: string): string[] {
  if (p.kind === "docker") {
    const container = role === "jobmanager" ? p.jobManager : (taskManager ?? p.taskManagers[0]);
    if (!container) throw new Error(`the stack outputs name no ${role} container`);
    return [container];
  }
  if (role === "taskmanager" && taskManager) return [taskManager];
  return ["-l", role === "jobmanager" ? p.jobManagerSelector : p.taskManagerSelector];
}

/**
 * The steps of a crash of a Flink process. Docker: `docker kill` counts as a manual stop and the container would
 * stay down, so the container's main process (the JVM) is killed with SIGKILL from the host, which Docker's
 * restart policy treats as a crash. Kubernetes: the pod is deleted with no grace period; its Deployment starts
 * a new one. The docker steps need the PID, read by the first command (`{pid}` in the second is replaced by it).
 */
export function crashCommands(p: StackProcesses, role: FlinkRole, taskManager?: string): Command[] {
  const target = flinkTarget(p, role, taskManager);
  if (p.kind === "docker") {
    return [
      { file: "docker", args: ["inspect", "-f", "{{.State.Pid}}", ...target] },
      { file: "kill", args: ["-9", "{pid}"] },
    ];
  }
  return [kubectl(p, "delete", "pod", ...target, "--grace-period=0", "--force", "--wait=false")];
}

/**
 * The steps that stop (SIGSTOP) or continue (SIGCONT) a TaskManager's JVM: a frozen TaskManager acknowledges no
 * checkpoint, so one triggered meanwhile stays in progress for as long as the freeze lasts. Docker: the signal from
 * the host to the container's main process (its PID read first, as for a crash); Kubernetes: inside the pod, where
 * the JVM is PID 1 (the image's entrypoint execs it).
 */
export function freezeCommands(p: StackProcesses, taskManager: string, freeze: boolean): Command[] {
  const signal = freeze ? "-STOP" : "-CONT";
  const [target] = flinkTarget(p, "taskmanager", taskManager);
  if (p.kind === "docker") {
    return [
      { file: "docker", args: ["inspect", "-f", "{{.State.Pid}}", target!] },
      { file: "kill", args: [signal, "{pid}"] },
    ];
  }
  return [kubectl(p, "exec", target!, "--", "kill", signal, "1")];
}

/** A TaskManager process and the addresses Flink may know it by. */
export interface TaskManagerProcess {
  name: string;
  addresses: string[];
}

/**
 * Which TaskManager to crash: the first of `hosts` (where the job's tasks run, busiest first) that is one of the
 * processes. A crash of an idle standby would prove nothing about the job.
 */
export function pickTaskManager(processes: readonly TaskManagerProcess[], hosts: readonly string[]): string {
  for (const host of hosts) {
    // Docker's DNS gives a container's name with its network appended (name.network).
    const match = processes.find((tm) => tm.addresses.some((address) => host === address || host.startsWith(`${address}.`)));
    if (match) return match.name;
  }
  if (processes.length === 1) return processes[0]!.name;
  const known = processes.map((tm) => `${tm.name} (${tm.addresses.join(", ") || "no address"})`).join("; ") || "none";
  throw new Error(
    `none of the stack's TaskManagers runs the job's tasks: Flink places them on ${hosts.join(", ") || "no TaskManager"}; the TaskManagers are ${known}`,
  );
}

/** The TaskManager processes and their addresses: each container's IPs and host name, or each pod's IP and name. */
export async function taskManagerProcesses(p: StackProcesses): Promise<TaskManagerProcess[]> {
  if (p.kind === "docker") {
    return Promise.all(
      p.taskManagers.map(async (name) => {
        const text = await mustRun({
          file: "docker",
          args: ["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}{{.Config.Hostname}}", name],
        });
        return { name, addresses: [...text.split(/\s+/).filter(Boolean), name] };
      }),
    );
  }
  const text = await mustRun(
    kubectl(p, "get", "pods", "-l", p.taskManagerSelector, "-o", 'jsonpath={range .items[*]}{.metadata.name} {.status.podIP}{"\\n"}{end}'),
  );
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const [name, ...addresses] = line.trim().split(/\s+/);
      return { name: name!, addresses: [...addresses, name!] };
    });
}

/** A graceful broker restart: Kafka shuts down cleanly, then starts on the same data. */
export function brokerRestartCommand(p: StackProcesses): Command {
  if (p.kind === "docker") return { file: "docker", args: ["restart", "--time", "30", p.kafka] };
  return kubectl(p, "delete", "pod", "-l", p.kafkaSelector, "--wait=true");
}

export interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export function runCommand(command: Command, timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command.file, command.args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ ok: !error, stdout: stdout.trim(), stderr: (stderr || (error ? error.message : "")).trim() });
    });
  });
}

/** Runs a command and gives its stdout; a failure names the command and what it printed. */
export async function mustRun(command: Command, timeoutMs?: number): Promise<string> {
  const result = await runCommand(command, timeoutMs);
  if (!result.ok) throw new Error(`\`${shown(command)}\` failed: ${result.stderr || "no output"}`);
  return result.stdout;
}

/** Crashes a Flink process (see crashCommands); returns what was done, for the log. */
export function crash(p: StackProcesses, role: FlinkRole, taskManager?: string): Promise<string> {
  return runSignalSteps(crashCommands(p, role, taskManager), role);
}

/** Freezes or continues a TaskManager's JVM (see freezeCommands); returns what was done, for the log. */
export function freeze(p: StackProcesses, taskManager: string, frozen: boolean): Promise<string> {
  return runSignalSteps(freezeCommands(p, taskManager, frozen), "taskmanager");
}

/** One command, or a PID lookup and a signal to `{pid}`. */
async function runSignalSteps([first, second]: Command[], role: FlinkRole): Promise<string> {
  if (!second) {
    await mustRun(first!);
    return shown(first!);
  }
  const pid = (await mustRun(first!)).trim();
  if (!/^[1-9]\d*$/.test(pid))
    throw new Error(`\`${shown(first!)}\` gave no running process (PID "${pid}"): is the ${role} container running?`);
  const kill = { file: second.file, args: second.args.map((a) => (a === "{pid}" ? pid : a)) };
  await mustRun(kill);
  return `${shown(kill)} (the ${role}'s JVM, PID ${pid} on the host)`;
}

export async function restartBroker(p: StackProcesses): Promise<string> {
  const command = brokerRestartCommand(p);
  await mustRun(command, 120_000);
  return shown(command);
}
