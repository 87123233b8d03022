// `npm run report-check -- <report.html> …`: opens HTML reports of the verification in headless Chromium and checks
// what a person would see (report/pageCheck.ts). A matrix page is checked with every fault page it links to.
// Exit codes: 0 every page shows what it must, 1 a page does not, 2 bad arguments, 3 no browser or it failed.

import { BrowserError, findChromium } from "../../lib/browser/chromium";
import { checkReportPage } from "../report/pageCheck";

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help")) {
    console.error("usage: npm run report-check -- <report.html> [<report.html> …]   (the JSON report must be beside each page)");
    return argv.includes("--help") ? 0 : 2;
  }
  const chromium = findChromium();
  if (!chromium) {
    console.error(
      "report-check: no chromium to run (none on PATH, or $CHROMIUM is not executable). Next: bash scripts/browser.sh installs Debian's chromium package",
    );
    return 3;
  }
  let failed = false;
  try {
    for (const path of argv) {
      for (const check of await checkReportPage(chromium, path)) {
        if (check.problems.length === 0) {
          console.log(`report-check: ok ${check.page}: ${check.seen}; screenshot ${check.screenshot}`);
        } else {
          failed = true;
          console.error(
            `report-check: FAILED ${check.page}${check.screenshot ? ` (screenshot ${check.screenshot})` : ""}:\n${check.problems.map((p) => `  - ${p}`).join("\n")}`,
          );
        }
      }
    }
  } catch (error) {
    if (!(error instanceof BrowserError)) throw error;
    console.error(`report-check: ${error.message}`);
    return 3;
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`report-check: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    process.exit(3);
  },
);
