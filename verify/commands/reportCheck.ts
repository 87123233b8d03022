// `npm run report-check -- <report.html | plot.svg> …`: opens HTML reports of the verification and the benchmarks' SVG
// plots in headless Chromium and checks what a person would see: a page's verdict, figures and timeline
// (report/pageCheck.ts), and on every page and plot that no label is cut off or overlaps another
// (lib/browser/plotCheck.ts). A matrix page is checked with every fault page it links to; a screenshot is written
// beside each page and plot (<name>.png).
// Exit codes: 0 everything shows what it must, 1 something does not, 2 bad arguments, 3 no browser or it failed.

import { existsSync, statSync } from "node:fs";
import { isPath, notAllowed, problemLines } from "../../lib/args";
import { BrowserError, findChromium } from "../../lib/browser/chromium";
import { checkPlot } from "../../lib/browser/plotCheck";
import { checkReportPage } from "../report/pageCheck";

export const REPORT_CHECK_USAGE =
  "usage: npm run report-check -- <report.html | plot.svg> […]   (a page's JSON report must be beside it; e.g. reports/faults.html reports/bench/*.svg)";

export class ReportCheckUsageError extends Error {}

const PAGE_OR_PLOT = "an HTML report page (.html) or a plot (.svg), such as reports/faults.html";

/** The pages and plots to check, in order; "help" for --help. */
export function parseReportCheckArguments(argv: readonly string[]): { help: true } | { help: false; paths: string[] } {
  if (argv.includes("--help") || argv.includes("-h")) return { help: true };
  if (argv.length === 0) throw new ReportCheckUsageError(`no page or plot named; allowed: one or more of ${PAGE_OR_PLOT}`);
  const problems = argv.map((argument) =>
    argument.startsWith("-")
      ? `unknown option ${JSON.stringify(argument)}; allowed: --help, and the pages and plots to check`
      : !/\.(html|svg)$/i.test(argument) || !isPath(argument)
        ? notAllowed("<page or plot>", argument, PAGE_OR_PLOT)
        : "",
  );
  if (problems.some(Boolean)) throw new ReportCheckUsageError(problems.filter(Boolean).join("\n"));
  return { help: false, paths: [...argv] };
}

export async function main(argv: readonly string[]): Promise<number> {
  let paths: string[];
  try {
    const parsed = parseReportCheckArguments(argv);
    if (parsed.help) {
      console.log(REPORT_CHECK_USAGE);
      return 0;
    }
    paths = parsed.paths;
  } catch (error) {
    if (!(error instanceof ReportCheckUsageError)) throw error;
    console.error(problemLines("report-check", error.message));
    return 2;
  }
  // A missing page would fail inside the browser check with a trace; say so before starting a browser.
  const missing = paths.filter((path) => !existsSync(path) || !statSync(path).isFile());
  if (missing.length > 0) {
    console.error(
      problemLines(
        "report-check",
        missing.map((path) => notAllowed("<page or plot>", path, "an existing file; no such file here")).join("\n"),
      ),
    );
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
    for (const path of paths) {
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

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`report-check: unexpected failure: ${(error as Error).stack ?? String(error)}`);
      process.exit(3);
    },
  );
}
