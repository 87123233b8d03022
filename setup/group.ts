// What every module of pieces gets and gives: the machine's setting (repository, cache, environment, versions) and
// a group of pieces with the targets the group brings up to date.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/paths";
import { FLINK_LINES, type FlinkLine, type GoPin, pinProblem, VERSIONS } from "../lib/versions";
import type { BuildContext, Piece } from "./engine";

export interface Setting {
  readonly repo: string;
  /** $FC_CACHE: ${FLINK_CHECKPOINTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flink-checkpointer}, as scripts/env.sh sets it. */
  readonly cache: string;
  readonly env: NodeJS.ProcessEnv;
  readonly versions: typeof VERSIONS;
  /** versions.json's Flink lines by line (`1.20`): each gets its connector jars, local Flink image and inspector. */
  readonly flinkLines: Readonly<Record<string, FlinkLine>>;
}

export function settingFromEnvironment(env: NodeJS.ProcessEnv = process.env): Setting {
  const cache = env.FLINK_CHECKPOINTER_CACHE || join(env.XDG_CACHE_HOME || join(env.HOME ?? "/root", ".cache"), "flink-checkpointer");
  return { repo: REPO_ROOT, cache, env, versions: VERSIONS, flinkLines: FLINK_LINES };
}

/** A group of pieces: what the group brings up to date (`targets`) and what it says without building (your own tools). */
export interface Group {
  readonly pieces: readonly Piece[];
  readonly targets: readonly string[];
  readonly notes: readonly string[];
  /** Runs once its pieces are all up to date (tidying what they replaced); gives what it did, to print. */
  readonly finish?: () => Promise<readonly string[]>;
}

/** A group cannot be set up on this machine as it is (no Go, not root); the message says what to do. */
export class SetupError extends Error {}

export const recipe = (setting: Setting, ...parts: string[]): string => join(setting.repo, "setup", "recipes", ...parts);

const toolAnswers = new Map<string, string>();
/** The first line a tool answers (`go env GOVERSION`, `gcc --version`), asked once per run: part of the keys it builds. */
export function askTool(file: string, args: readonly string[]): string {
  const asked = `${file} ${args.join(" ")}`;
  let answer = toolAnswers.get(asked);
  if (answer === undefined) {
    try {
      answer = execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
        .split("\n")[0]!
        .trim();
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string; status?: number };
      if (failure.code === "ENOENT") throw new Error(`\`${asked}\` could not run: ${file} is not installed`);
      throw new Error(`\`${asked}\` exited with ${failure.status}: ${(failure.stderr ?? "").trim() || "no message"}`);
    }
    toolAnswers.set(asked, answer);
  }
  return answer;
}

export const goVersion = (): string => askTool("go", ["env", "GOVERSION"]);
/** The user's GOFLAGS (environment or go env file) with -mod=mod: go may add the checksums a build copy needs to go.sum. */
export const goFlagsWithModMod = (): string => `${askTool("go", ["env", "GOFLAGS"])} -mod=mod`.trim();

/** Fails unless the wrapper module's go.mod requires exactly its pinned version. */
export function checkPin(context: BuildContext, setting: Setting, wrapper: string, pin: GoPin): void {
  const problem = pinProblem(wrapper, readFileSync(join(setting.repo, wrapper, "go.mod"), "utf8"), pin);
  if (problem !== undefined) throw new Error(problem);
  context.log(`# ${wrapper}/go.mod requires ${pin.module} ${pin.version}, as versions.json pins`);
}

/** The folder of a module version in the Go module cache, downloaded if needed (asked outside any module). */
export async function goModuleDir(context: BuildContext, module: string, version: string, cwd: string): Promise<string> {
  const json = await context.capture("go", ["mod", "download", "-json", `${module}@${version}`], { cwd, env: { GOFLAGS: "-mod=mod" } });
  const dir = (JSON.parse(json) as { Dir?: string }).Dir;
  if (dir === undefined || !existsSync(dir)) throw new Error(`the Go module proxy gave no download of ${module}@${version}`);
  return dir;
}

/** Whether a Debian package is installed (dpkg's status). */
export function debianPackageInstalled(name: string): boolean {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's field format, not a template
  const format = "${Status}";
  try {
    return execFileSync("dpkg-query", ["-W", "-f", format, name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).includes(
      "install ok installed",
    );
  } catch {
    return false;
  }
}

/** Installs Debian packages with apt-get (into the piece's log). */
export async function installDebianPackages(context: BuildContext, packages: readonly string[]): Promise<void> {
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await context.run("apt-get", ["update", "-q"], { env });
  await context.run("apt-get", ["install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", "--no-install-recommends", ...packages], { env });
}

/** Makes `command` available, installing Debian's `debianPackage` when it is missing and apt-get is there. */
export async function ensureCommand(context: BuildContext, command: string, debianPackage: string): Promise<void> {
  if (commandExists(command)) return;
  if (!commandExists("apt-get"))
    throw new Error(`${command} is missing and there is no apt-get to install Debian's ${debianPackage}: install ${command} and run again`);
  context.log(`# ${command} is missing; installing Debian's ${debianPackage}`);
  await installDebianPackages(context, [debianPackage]);
}

export function commandExists(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const isRoot = (): boolean => process.getuid?.() === 0;
