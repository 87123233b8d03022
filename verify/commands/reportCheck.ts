// `npm run report-check -- <report.html | plot.svg> …`: opens HTML reports of the verification and the benchmarks' SVG
// plots in headless Chromium and checks what a person would see: a page's verdict, figures and timeline
// (report/pageCheck.ts), and on every page and plot that no label is cut off or overlaps another
// (lib/browser/plotCheck.ts). A matrix page is checked with every fault page it links to; a screenshot is written
// beside each page and plot (<name>.png).
// Exit codes: 0 everything shows what it must, 1 something does not, 2 bad arguments, 3 no browser or it failed.

import { BrowserError, findChromium } from "../../lib/browser/chromium";
import { checkPlot } from "../../lib/browser/plotCheck";
import { checkReportPage } from "../report/pageCheck";

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help")) {
    console.error(
      "usage: npm run report-check -- <report.html | plot.svg> […]   (a page's JSON report must be beside it; e.g. reports/faults.html reports/bench/*.svg)",
    );
    return argv.includes("--help") ? 0 : 2;
  }
  const unknown = argv.filter((path) => !/\.(html|svg)$/i.test(path));
  if (unknown.length > 0) {
    console.error(`report-check: ${unknown.join(", ")}: neither an HTML report (.html) nor a plot (.svg)`);
    return 2;
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
      const checks = /\.svg$/i.test(path)
        ? [await checkPlot(chromium, path)].map((c) => ({ page: c.plot, screenshot: c.screenshot, problems: c.problems, seen: c.seen }))
        : await checkReportPage(chromium, path);
      for (const check of checks) {
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
