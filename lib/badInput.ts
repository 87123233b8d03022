// For tests: a command's main run in this process with bad arguments, recording its exit code, what it printed, and
// every entry of the folders it could have written to before and after, so a test can assert that a refusal named
// the problem and left everything as it was.

import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative } from "node:path";

/** Every entry under `folder` (links not followed): a file's content, a link's target, "folder" for a folder. */
export function folderSnapshot(folder: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const visit = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const entry = join(path, name);
      const stat = lstatSync(entry);
      const key = relative(folder, entry);
      if (stat.isSymbolicLink()) entries[key] = `-> ${readlinkSync(entry)}`;
      else if (stat.isDirectory()) {
        entries[key] = "folder";
        visit(entry);
      } else entries[key] = readFileSync(entry, "latin1");
    }
  };
  visit(folder);
  return entries;
}

export interface Refusal {
  code: number;
  /** What the command printed on stderr, line by line. */
  errors: string[];
  /** What it printed on stdout. */
  output: string[];
  /** The watched folders' snapshots before and after. */
  before: Record<string, string>[];
  after: Record<string, string>[];
}

/** Runs `main(argv)` with console output captured, snapshotting `watched` folders around it. */
export async function runRefused(
  main: (argv: readonly string[]) => Promise<number>,
  argv: readonly string[],
  watched: readonly string[],
): Promise<Refusal> {
  const errors: string[] = [];
  const output: string[] = [];
  const before = watched.map(folderSnapshot);
  const { error, log } = console;
  console.error = (...parts: unknown[]) => errors.push(...parts.map(String).join(" ").split("\n"));
  console.log = (...parts: unknown[]) => output.push(...parts.map(String).join(" ").split("\n"));
  let code: number;
  try {
    code = await main(argv);
  } finally {
    console.error = error;
    console.log = log;
  }
  return { code, errors, output, before, after: watched.map(folderSnapshot) };
}
