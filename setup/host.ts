// What the setup program needs of this machine: running commands into a piece's log, the lock two setups share,
// finding programs on PATH, and hashing the files a piece is built from.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { CommandFailed, type CommandRunner, type EngineStore } from "./engine";

/** A command line as it could be pasted into a shell (with the variables it sets), for logs and failure reports. */
export function shellLine(
  file: string,
  args: readonly string[],
  cwd?: string,
  env: Readonly<Record<string, string | undefined>> = {},
): string {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  const settings = Object.entries(env).map(([name, value]) => (value === undefined ? `-u ${name}` : `${name}=${quote(value)}`));
  const line = [...(settings.length > 0 ? ["env", ...settings] : []), ...[file, ...args].map(quote)].join(" ");
  return cwd === undefined ? line : `(cd ${quote(cwd)} && ${line})`;
}

/** Runs commands for the engine: output into the piece's log, the command line first; nothing on the terminal. */
export const spawnRunner: CommandRunner = (file, args, options) =>
  new Promise((resolve, reject) => {
    const shown = shellLine(file, args, options.cwd, options.env);
    const log = openSync(options.logFile, "a");
    writeFileSync(log, `+ ${shown}\n`);
    const [program, argv] = options.nice ? ["nice", ["-n", "10", file, ...args]] : [file, [...args]];
    const env: Record<string, string | undefined> = { ...process.env };
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const child = spawn(program, argv, {
      cwd: options.cwd,
      env,
      stdio: [options.input === undefined ? "ignore" : "pipe", options.captureStdout ? "pipe" : log, log],
    });
    let stdout = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on("error", (error) => {
      closeSync(log);
      reject(new CommandFailed(shown, `could not start: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      closeSync(log);
      if (code === 0) resolve(stdout);
      else reject(new CommandFailed(shown, signal ? `was killed by ${signal}` : `exited with ${code}`));
    });
  });

/**
 * The lock of one piece in `dir`, held by a child `flock` for as long as it runs: the kernel releases it when this
 * program ends in any way, so a setup that was killed never leaves a lock behind. Who holds it is written beside.
 */
export function flockStore(cacheDir: string): EngineStore {
  const lockDir = join(cacheDir, "locks");
  return {
    stampDir: join(cacheDir, "stamps"),
    logDir: join(cacheDir, "logs"),
    lock: (name, onWait) =>
      new Promise((resolve, reject) => {
        const file = join(lockDir, `${name}.lock`);
        mkdirSync(dirname(file), { recursive: true });
        const child = spawn("flock", [file, "sh", "-c", "echo locked; exec cat >/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
        let held = false;
        const waitNotice = setTimeout(() => {
          if (!held) onWait(readHolder(`${file}.holder`));
        }, 500);
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          if (held || !chunk.includes("locked")) return;
          held = true;
          clearTimeout(waitNotice);
          writeFileSync(`${file}.holder`, `pid ${process.pid} in ${process.cwd()} since ${new Date().toISOString()}\n`);
          resolve(() => child.stdin.end());
        });
        child.on("error", (error) => {
          clearTimeout(waitNotice);
          reject(new Error(`could not run flock for the lock ${file} (${error.message}): install util-linux's flock`));
        });
        child.on("close", (code) => {
          clearTimeout(waitNotice);
          if (!held) reject(new Error(`flock ${file} ended with ${code} before it held the lock`));
        });
      }),
  };
}

function readHolder(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return "holder unknown";
  }
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The first `name` on a PATH, skipping the folders in `except` (the program's own outputs). */
export function findOnPath(
  name: string,
  path: string | undefined,
  except: readonly string[] = [],
  executable: (file: string) => boolean = isExecutable,
): string | undefined {
  for (const dir of (path ?? "").split(delimiter)) {
    if (dir === "" || except.includes(dir)) continue;
    if (executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

/** sha256 of one file's content. */
export const fileHash = (file: string): string => sha256(readFileSync(file));

/** sha256 over the relative paths and contents of every file under `dir`, in a stable order. */
export function treeHash(dir: string): string {
  const hash = createHash("sha256");
  const walk = (current: string): void => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else
        hash
          .update(`${relative(dir, path)}\0`)
          .update(readFileSync(path))
          .update("\0");
    }
  };
  walk(dir);
  return hash.digest("hex");
}

/** Puts a built program in place in one rename, so that a running copy (a pulumi up beside) is never overwritten. */
export function installExecutable(from: string, to: string): void {
  mkdirSync(join(to, ".."), { recursive: true });
  copyFileSync(from, `${to}.new`);
  chmodSync(`${to}.new`, 0o755);
  renameSync(`${to}.new`, to);
}
