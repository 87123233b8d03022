// Headless Chromium, as the report and plot checks run it: found on the machine (never downloaded), started with a
// profile of its own for one page, its DOM and a screenshot read back.

import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";

export class BrowserError extends Error {}

const BROWSER_TIMEOUT_MS = 90_000;

/** Chromium from $CHROMIUM or the PATH; null when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.CHROMIUM
    ? [env.CHROMIUM]
    : (env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .flatMap((dir) => ["chromium", "chromium-browser"].map((name) => join(dir, name)));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there: try the next one
    }
  }
  return null;
}

/** Runs headless Chromium on a page with a profile of its own, removed afterwards; returns its standard output. */
export async function runChromium(chromium: string, page: string, flags: string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), "report-check-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--no-default-browser-check",
    `--user-data-dir=${profile}`,
    ...flags,
    pathToFileURL(page).href,
  ];
  try {
    return await new Promise<string>((done, fail) => {
      execFile(chromium, args, { timeout: BROWSER_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error)
          fail(
            new BrowserError(
              `${chromium} ${args.join(" ")} failed (${error.message.split("\n")[0]}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`,
            ),
          );
        else done(stdout);
      });
    });
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
