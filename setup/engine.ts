// The build engine of the setup program: pieces with a key of their inputs, built once per key, dependencies first,
// side by side within a resource budget, with a line of progress at least every 10 s and a failure report that
// names the piece, what it is built from, the command and the end of its log.
//
// A piece is up to date when its stamp ($FC_CACHE/stamps/<name>) holds its key and every output exists, or, for
// what carries its key itself (an image's label) or is only checked (a running daemon), when `holds` says so.

import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** What a build mostly uses: Go compilers want the CPU; downloads, debootstrap and image imports the network and disk. */
export type ResourceClass = "cpu" | "io";

/** At most this many pieces of each class build at once (2 cores: one compiler beside one download). */
export type Limits = Readonly<Record<ResourceClass, number>>;
const DEFAULT_LIMITS: Limits = { cpu: 1, io: 1 };

/** A command a build ran that failed: the failure report names it. */
export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly detail: string,
  ) {
    super(`\`${command}\` ${detail}`);
  }
}

/** What a build gets: its key, its log, and a way to run commands into that log. */
export interface BuildContext {
  readonly key: string;
  readonly logFile: string;
  /** Appends a line to the piece's log. */
  log(line: string): void;
  /** Runs a command with its output in the log; throws CommandFailed naming it when it fails. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<void>;
  /** Like run, but gives the command's standard output (its standard error goes to the log). */
  capture(file: string, args: readonly string[], options?: RunOptions): Promise<string>;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Added to (or, with a value of undefined, removed from) the program's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Runs it at a lower priority (nice -n 10); every command of a cpu piece is. */
  readonly nice?: boolean;
  /** Text given on standard input. */
  readonly input?: string;
}

/** Runs the commands of a build: the real one spawns processes (runner.ts); tests need none. */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options: RunOptions & { readonly logFile: string; readonly captureStdout: boolean },
) => Promise<string>;

export interface Piece {
  /** Unique, path-like: `toolchain/pulumi`, `images/flink/1.20`. Its stamp and log are named after it. */
  readonly name: string;
  readonly deps?: readonly string[];
  readonly resource: ResourceClass;
  /** What it is built from, named in progress and failures: a module@version, a package, a recipe folder. */
  readonly from: string;
  /**
   * Everything besides the dependencies' keys that determines the output: versions, recipe files' hashes, tool
   * versions. Its key is the sha256 of these, its name and its dependencies' keys.
   */
  inputs(): Record<string, string> | Promise<Record<string, string>>;
  /** The files it produces (for its key): up to date needs each of them besides the stamp. */
  outputs?(key: string): readonly string[];
  /** Instead of a stamp: whether what is there carries this key or works (an image's label, a running daemon). */
  holds?(key: string): Promise<boolean>;
  build(context: BuildContext): Promise<void>;
}

/** Where the engine keeps its state: the stamps, the logs and the locks (the user's cache; tests use a temporary folder). */
export interface EngineStore {
  readonly stampDir: string;
  readonly logDir: string;
  /** Takes the lock of one piece, so that two setups at once never build it together; gives its release. */
  lock(name: string, onWait: (holder: string) => void): Promise<() => void>;
}

export type Outcome =
  | { readonly state: "up to date" }
  | { readonly state: "built"; readonly seconds: number }
  | { readonly state: "failed"; readonly report: string }
  | { readonly state: "blocked"; readonly by: readonly string[] };

export interface RunResult {
  readonly outcomes: ReadonlyMap<string, Outcome>;
  readonly keys: ReadonlyMap<string, string>;
  readonly ok: boolean;
}

export interface EngineOptions {
  readonly store: EngineStore;
  readonly runner: CommandRunner;
  readonly print: (line: string) => void;
  readonly limits?: Limits;
  /** A progress line at least this often while anything builds or waits (default 10 s: never silent longer). */
  readonly progressEveryMs?: number;
  readonly now?: () => number;
}

/** The key of a piece: sha256 of its name, its inputs (in a stable order) and its dependencies' keys. */
export function pieceKey(name: string, inputs: Readonly<Record<string, string>>, depKeys: ReadonlyMap<string, string>): string {
  const sorted = (entries: [string, string][]) => entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256")
    .update(JSON.stringify([name, sorted(Object.entries(inputs)), sorted([...depKeys])]))
    .digest("hex");
}

/** The pieces `targets` need, dependencies included, in an order where each comes after its dependencies. */
export function buildOrder(pieces: readonly Piece[], targets: readonly string[]): Piece[] {
  const byName = new Map<string, Piece>();
  for (const piece of pieces) {
    if (byName.has(piece.name)) throw new Error(`two pieces are named ${piece.name}; each needs its own name (its stamp and log)`);
    byName.set(piece.name, piece);
  }
  const ordered: Piece[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: readonly string[]): void => {
    const piece = byName.get(name);
    if (piece === undefined) {
      const needed = path.length > 0 ? `${path[path.length - 1]} depends on it` : "it was asked for";
      throw new Error(`no piece named ${name} (${needed}); pieces: ${[...byName.keys()].join(", ")}`);
    }
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") throw new Error(`the pieces depend on each other in a circle: ${[...path, name].join(" -> ")}`);
    state.set(name, "visiting");
    for (const dep of piece.deps ?? []) visit(dep, [...path, name]);
    state.set(name, "done");
    ordered.push(piece);
  };
  for (const target of targets) visit(target, []);
  return ordered;
}

/** A counting semaphore handing out slots in the order they were asked for. */
class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

const formatSeconds = (ms: number): string => {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
};

/** The progress line of a piece that builds: what, for how long, and the last thing its log says. */
export function progressLine(name: string, elapsedMs: number, lastLogLine: string): string {
  const last = lastLogLine.trim();
  const shown = last.length > 160 ? `${last.slice(0, 157)}...` : last;
  return `  ... ${name}: building for ${formatSeconds(elapsedMs)}${shown === "" ? "" : ` | ${shown}`}`;
}

/** A log line as a terminal would show it: colour codes out, only what the last carriage return left. */
export const plainLine = (line: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the escape sequences are what this removes
  (line.split("\r").pop() ?? "").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").trim();

/** The last line of a file with something to read (read from its end: logs grow to megabytes). */
function lastLine(file: string): string {
  try {
    const lines = readFileSync(file, "utf8").slice(-4096).split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      const plain = plainLine(lines[i]!);
      if (plain !== "") return plain;
    }
  } catch {
    // no log yet
  }
  return "";
}

function tail(file: string, count: number): string[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .map(plainLine)
      .filter((line) => line !== "")
      .slice(-count);
  } catch {
    return [];
  }
}

/** A failure report: the piece, what it is built from, the command (or error) and the end of its log. */
function failureReport(piece: Piece, error: unknown, logFile: string, logTail: readonly string[]): string {
  const what = error instanceof CommandFailed ? `command: ${error.command}\n    ${error.detail}` : `error:   ${errorText(error)}`;
  return [
    `FAILED: ${piece.name}`,
    `  from:    ${piece.from}`,
    `  ${what}`,
    `  log:     ${logFile} (last lines below; the whole log says more)`,
    ...logTail.map((line) => `    | ${line}`),
  ].join("\n");
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The stamp file of a piece, and its log. */
const stampPath = (store: EngineStore, name: string): string => join(store.stampDir, name);
const logPath = (store: EngineStore, name: string): string => join(store.logDir, `${name}.log`);

/**
 * Brings the pieces `targets` need up to date: each after its dependencies, at most `limits` of a class at once, a
 * failed piece reported while the pieces that do not need it go on. Never throws for a piece's failure: the result
 * says what failed, and `ok` is false.
 */
export async function runPieces(pieces: readonly Piece[], targets: readonly string[], options: EngineOptions): Promise<RunResult> {
  const order = buildOrder(pieces, targets);
  const { store, print } = options;
  const now = options.now ?? Date.now;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const slots: Record<ResourceClass, Slots> = { cpu: new Slots(limits.cpu), io: new Slots(limits.io) };
  const keys = new Map<string, string>();
  const outcomes = new Map<string, Outcome>();
  const building = new Map<string, { since: number; logFile: string }>();
  const waitingForLock = new Map<string, string>();
  let lastPrinted = now();
  const say = (line: string): void => {
    print(line);
    lastPrinted = now();
  };

  const everyMs = options.progressEveryMs ?? 10_000;
  const ticker = setInterval(
    () => {
      if (now() - lastPrinted < everyMs - 1000 || (building.size === 0 && waitingForLock.size === 0)) return;
      for (const [name, { since, logFile }] of building) say(progressLine(name, now() - since, lastLine(logFile)));
      for (const [name, holder] of waitingForLock) say(`  ... ${name}: waiting for another setup that builds it (${holder})`);
    },
    Math.min(1000, everyMs),
  );

  const done = new Map<string, Promise<Outcome>>();
  const settle = async (piece: Piece): Promise<Outcome> => {
    const depOutcomes = await Promise.all((piece.deps ?? []).map((dep) => done.get(dep)!));
    const failedDeps = (piece.deps ?? []).filter((_, i) => {
      const state = depOutcomes[i]!.state;
      return state === "failed" || state === "blocked";
    });
    if (failedDeps.length > 0) {
      say(`${piece.name}: not built, it needs ${failedDeps.join(", ")}`);
      return { state: "blocked", by: failedDeps };
    }
    const logFile = logPath(store, piece.name);
    let key: string;
    try {
      key = pieceKey(piece.name, await piece.inputs(), new Map((piece.deps ?? []).map((dep) => [dep, keys.get(dep)!])));
    } catch (error) {
      const report = failureReport(piece, new Error(`could not read its inputs: ${errorText(error)}`), logFile, []);
      say(report);
      return { state: "failed", report };
    }
    keys.set(piece.name, key);

    const release = await store.lock(piece.name, (holder) => {
      waitingForLock.set(piece.name, holder);
      say(`${piece.name}: another setup builds it (${holder}); waiting for it`);
    });
    waitingForLock.delete(piece.name);
    try {
      if (await isUpToDate(piece, key, store)) {
        say(`${piece.name}: up to date`);
        return { state: "up to date" };
      }
      await slots[piece.resource].take();
      const since = now();
      try {
        rmSync(stampPath(store, piece.name), { force: true });
        mkdirSync(dirname(logFile), { recursive: true });
        writeFileSync(logFile, `# ${piece.name} from ${piece.from}, key ${key}, started ${new Date(since).toISOString()}\n`);
        say(`${piece.name}: building from ${piece.from} (log ${logFile})`);
        building.set(piece.name, { since, logFile });
        await piece.build(contextFor(piece, key, logFile, options.runner));
        if (piece.holds === undefined) {
          const missing = (piece.outputs?.(key) ?? []).filter((output) => !existsSync(output));
          if (missing.length > 0) throw new Error(`its build ended without producing ${missing.join(", ")}`);
          writeStamp(store, piece.name, key);
        } else if (!(await piece.holds(key))) {
          throw new Error("its build ended, but what it builds does not carry its key (see the log)");
        }
        const seconds = Math.round((now() - since) / 1000);
        say(`${piece.name}: built in ${formatSeconds(now() - since)}`);
        return { state: "built", seconds };
      } catch (error) {
        const report = failureReport(piece, error, logFile, tail(logFile, 15));
        say(report);
        return { state: "failed", report };
      } finally {
        building.delete(piece.name);
        slots[piece.resource].give();
      }
    } finally {
      release();
    }
  };

  try {
    for (const piece of order) {
      const outcome = settle(piece).then((result) => {
        outcomes.set(piece.name, result);
        return result;
      });
      done.set(piece.name, outcome);
    }
    await Promise.all(done.values());
  } finally {
    clearInterval(ticker);
  }
  const ok = [...outcomes.values()].every((outcome) => outcome.state === "up to date" || outcome.state === "built");
  return { outcomes, keys, ok };
}

async function isUpToDate(piece: Piece, key: string, store: EngineStore): Promise<boolean> {
  if (piece.holds !== undefined) return piece.holds(key);
  let stamp: string;
  try {
    stamp = readFileSync(stampPath(store, piece.name), "utf8").trim();
  } catch {
    return false;
  }
  return stamp === key && (piece.outputs?.(key) ?? []).every((output) => existsSync(output));
}

function writeStamp(store: EngineStore, name: string, key: string): void {
  const path = stampPath(store, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.new`, `${key}\n`);
  renameSync(`${path}.new`, path);
}

function contextFor(piece: Piece, key: string, logFile: string, runner: CommandRunner): BuildContext {
  const run = (file: string, args: readonly string[], options: RunOptions, captureStdout: boolean) =>
    runner(file, args, { ...options, nice: options.nice ?? piece.resource === "cpu", logFile, captureStdout });
  return {
    key,
    logFile,
    log: (line) => appendFileSync(logFile, `${line}\n`),
    run: async (file, args, options = {}) => {
      await run(file, args, options, false);
    },
    capture: (file, args, options = {}) => run(file, args, options, true),
  };
}

/** The lines that end a run: what was built, what failed and what could not be built because of it. */
export function summary(result: RunResult, elapsedMs: number): string[] {
  const byState = (state: Outcome["state"]) => [...result.outcomes].filter(([, outcome]) => outcome.state === state).map(([name]) => name);
  const built = byState("built");
  const failed = byState("failed");
  const blocked = byState("blocked");
  const lines = [
    `setup: ${result.outcomes.size} ${result.outcomes.size === 1 ? "piece" : "pieces"} in ${formatSeconds(elapsedMs)}: ${byState("up to date").length} up to date, ${built.length} built` +
      (failed.length > 0 ? `, ${failed.length} FAILED` : "") +
      (blocked.length > 0 ? `, ${blocked.length} not built` : ""),
  ];
  const seconds = (name: string) => {
    const outcome = result.outcomes.get(name);
    return outcome?.state === "built" ? ` (${formatSeconds(outcome.seconds * 1000)})` : "";
  };
  if (built.length > 0) lines.push(`  built: ${built.map((name) => `${name}${seconds(name)}`).join(", ")}`);
  if (failed.length > 0) lines.push(`  FAILED: ${failed.join(", ")} (each failure above names its command and log)`);
  if (blocked.length > 0) lines.push(`  not built, as they need a failed piece: ${blocked.join(", ")}`);
  if (failed.length > 0) lines.push("  Next: fix what the failure says and run the same command again; what was built is kept.");
  return lines;
}
