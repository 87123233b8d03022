// A test that needs headless Chromium: without one on the machine it is skipped with a warning, except in CI, where the
// project's setup (scripts/browser.sh) must have installed it, so a missing browser fails there instead of passing.

import { it } from "vitest";
import { findChromium } from "./chromium";

const BROWSER_TEST_TIMEOUT_MS = 120_000;

export function browserTest(name: string, body: (chromium: string) => Promise<void>): void {
  const chromium = findChromium();
  it(
    name,
    async (context) => {
      if (!chromium) {
        const missing = "no chromium to run (none on PATH, or $CHROMIUM is not executable): bash scripts/browser.sh installs it";
        if (process.env.CI) throw new Error(`${missing}; CI must check the reports and plots in a real browser`);
        console.warn(`SKIPPED "${name}": ${missing}`);
        context.skip();
        return;
      }
      await body(chromium);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
}
