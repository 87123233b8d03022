// The shell around the end-to-end run: the project's scripts, run with their output in the run's log, and the
// environment scripts/env.sh sets (Node, the toolchain, Pulumi's backend, how this machine runs kind).

import { execFileSync, spawn } from "node:child_process";
import { REPO_ROOT } from "../lib/paths";
import type { Log } from "./phases";

/** Runs `bash <args>` in the repository, its output line by line into `log`; fails naming the script and its exit. */
export function runScript(args: readonly string[], log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [...args], { cwd: REPO_ROOT, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    const onData = (chunk: Buffer) => {
      pending += chunk.toString();
      const complete = pending.split("\n");
      pending = complete.pop() ?? "";
      for (const line of complete) log(`   | ${line}`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => reject(new Error(`bash ${args.join(" ")} could not start: ${error.message}`)));
    child.on("close", (code) => {
      if (pending) log(`   | ${pending}`);
      if (code === 0) resolve();
      else reject(new Error(`bash ${args.join(" ")} exited with ${code} (its output is above)`));
    });
  });
}

/**
 * Takes the environment scripts/env.sh makes into this process, so the Pulumi CLI the Automation API starts, kubectl
 * and kind find what it sets up (it sources the kind settings the setup program's kind group writes).
 */
export function loadProjectEnvironment(): void {
  const dump = execFileSync("bash", ["-c", "source scripts/env.sh >/dev/null 2>&1 && env -0"], { cwd: REPO_ROOT, encoding: "utf8" });
  const made = new Map<string, string>();
  for (const entry of dump.split("\0")) {
    const at = entry.indexOf("=");
    if (at > 0) made.set(entry.slice(0, at), entry.slice(at + 1));
  }
  for (const [name, value] of made) process.env[name] = value;
  // env.sh unsets the project's former fixed passphrase inherited from an older shell: so must this process.
  if (!made.has("PULUMI_CONFIG_PASSPHRASE")) delete process.env.PULUMI_CONFIG_PASSPHRASE;
}
