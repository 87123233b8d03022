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
  /** The program's exit code; null when it did not start, was killed or timed out. */
  readonly exitCode: number | null;
}

export function runCommand(command: Command, timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command.file, [...command.args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      // execFile's error carries the exit status as a number, or a system error's name (ENOENT) as a string.
      const code = (error as { code?: unknown } | null)?.code;
      const exitCode = !error ? 0 : typeof code === "number" && !error.killed ? code : null;
      resolve({ ok: !error, stdout: stdout.trim(), stderr: (stderr || (error ? error.message : "")).trim(), exitCode });
    });
  });
}

/** Runs a command and gives its stdout; a failure names the command and what it printed. */
export async function mustRun(command: Command, timeoutMs?: number): Promise<string> {
  const result = await runCommand(command, timeoutMs);
  if (!result.ok) throw new Error(`\`${shown(command)}\` failed: ${result.stderr || "no output"}`);
  return result.stdout;
}

/**
 * A command's output, or why it could not run; `command` is what ran, for the report. A failed command keeps what it
 * printed and its exit code apart too, so a tool that answers "no" with an exit code of its own (checkpoints.py prune's
 * 1 with its table) can be told from a command that did not run.
 */
export interface Ran {
  readonly output: string | null;
  readonly problem?: string;
  readonly command: string;
  readonly failed?: { readonly exitCode: number | null; readonly stdout: string; readonly stderr: string };
}

export async function runShown(command: Command, timeoutMs: number): Promise<Ran> {
  const ran = await runCommand(command, timeoutMs);
  return ran.ok
    ? { output: ran.stdout, command: shown(command) }
    : {
        output: null,
        command: shown(command),
        problem: `\`${shown(command)}\` failed: ${[ran.stdout, ran.stderr].filter(Boolean).join("\n")}`,
        failed: { exitCode: ran.exitCode, stdout: ran.stdout, stderr: ran.stderr },
      };
}
