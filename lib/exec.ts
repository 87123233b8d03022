// Running the command-line tools the host reaches a stack with (docker, kubectl, podman, java): commands as data,
// run without a shell, every failure naming the command and what it printed.

import { execFile } from "node:child_process";

/** A command line: the program and its arguments. */
export interface Command {
  readonly file: string;
  readonly args: readonly string[];
}

export const shown = (command: Command): string => [command.file, ...command.args].join(" ");

export interface CommandResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCommand(command: Command, timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command.file, [...command.args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
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

/** A command's output, or why it could not run; `command` is what ran, for the report. */
export interface Ran {
  readonly output: string | null;
  readonly problem?: string;
  readonly command: string;
}

export async function runShown(command: Command, timeoutMs: number): Promise<Ran> {
  const ran = await runCommand(command, timeoutMs);
  return ran.ok
    ? { output: ran.stdout, command: shown(command) }
    : {
        output: null,
        command: shown(command),
        problem: `\`${shown(command)}\` failed: ${[ran.stdout, ran.stderr].filter(Boolean).join("\n")}`,
      };
}
