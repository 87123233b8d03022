// Running a command for a preflight: its output, or why it gave none. Both targets' preflights read the machine this way.

import { execFileSync } from "node:child_process";

/** The result of one command: its output, or whether the program is missing and the error. */
export interface Probe {
  readonly ok: boolean;
  readonly stdout: string;
  readonly missing: boolean;
  readonly error: string;
}

/** Runs `file` with `args` (30 s at most) and says what came of it; never throws. */
export function probe(file: string, args: readonly string[]): Probe {
  try {
    const stdout = execFileSync(file, [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    return { ok: true, stdout, missing: false, error: "" };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    return { ok: false, stdout: "", missing: e.code === "ENOENT", error: (e.stderr || e.message || "").toString() };
  }
}
