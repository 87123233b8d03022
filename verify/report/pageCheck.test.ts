import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTest } from "../../lib/browser/browserTest";
import { renderFaultHtml, renderMatrixHtml } from "./html";
import type { MatrixReport, VerifyReport } from "./model";
import { checkReportPage, inspectFaultDom, inspectMatrixDom } from "./pageCheck";

// A real taskmanager-crash report of the matrix (reports/m1), with a timeline made up to match its offsets and timings.
const fixture = async (): Promise<VerifyReport> =>
  JSON.parse(await readFile(join(__dirname, "fixtures", "taskmanager-crash-report.json"), "utf8")) as VerifyReport;

describe("what a fault page's DOM must show", () => {
  it("finds the verdict, the figures and the timeline's marks of the report", async () => {
    const report = await fixture();
    expect(inspectFaultDom(renderFaultHtml(report), report)).toEqual([]);
  });

  it("names each figure the page gets wrong, and a missing timeline", async () => {
    const report = await fixture();
    const page = renderFaultHtml(report)
      .replace('data-figure="verdict">PASSED', 'data-figure="verdict">FAILED')
      .replace('data-figure="missing">0', 'data-figure="missing">3')
      .replace(/<svg[\s\S]*<\/svg>/, "");
    expect(inspectFaultDom(page, report)).toEqual([
      'verdict: the page shows "FAILED", the report says "PASSED"',
      'missing: the page shows "3", the report says "0"',
      "no SVG timeline (svg#timeline) in the page",
      "the timeline has no fault marker",
      "the timeline shows none of the report's 4 checkpoints",
      "the timeline shows no input offsets although the report has samples",
    ]);
  });
});

describe("what the matrix page's DOM must show", () => {
  const matrix = async (): Promise<MatrixReport> => {
    const report = await fixture();
    return {
      ok: true,
      stack: "ci",
      faults: [report.fault],
      repeat: 1,
      rows: [
        {
          fault: report.fault,
          mode: report.mode,
          run: 1,
          ok: true,
          duplicates: 0,
          missing: 0,
          unexpected: 0,
          restored: 7,
          expected: 7,
          deadLetters: "n/a",
          timings: report.timings,
          explanation: "",
          error: null,
        },
      ],
    };
  };

  it("finds the verdict, a bar and a row for every run, and the links to the fault pages", async () => {
    const m = await matrix();
    expect(
      inspectMatrixDom(
        renderMatrixHtml(m, () => "faults-exactly_once-taskmanager-crash-1.html"),
        m,
      ),
    ).toEqual({ problems: [], links: ["faults-exactly_once-taskmanager-crash-1.html"] });
  });

  it("names a run the page lacks", async () => {
    const m = await matrix();
    const page = renderMatrixHtml({ ...m, rows: [] }, () => "x.html");
    expect(inspectMatrixDom(page, m).problems).toEqual([
      "the overview draws 0 runs, the report has 1",
      "the table links 0 fault pages, the report has 1 runs",
      "the table has no row for taskmanager-crash",
    ]);
  });
});

// The real browser: a page rendered from the fixture, opened in headless Chromium. Without Chromium the test says so,
// and fails in CI, where the project's setup (scripts/browser.sh) must have installed it.
describe("report-check in headless Chromium", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "html-check-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const writeReportPair = async (name: string, report: VerifyReport, page = renderFaultHtml(report)) => {
    await writeFile(join(dir, `${name}.json`), JSON.stringify(report));
    await writeFile(join(dir, `${name}.html`), page);
    return join(dir, `${name}.html`);
  };

  browserTest("sees the timeline, the verdict and the figures of a fault page, and leaves a screenshot beside it", async (browser) => {
    const page = await writeReportPair("faults-exactly_once-taskmanager-crash-1", await fixture());
    const [check] = await checkReportPage(browser, page);
    expect(check!.problems).toEqual([]);
    expect(check!.seen).toBe("PASSED, restored chk-7 (expected chk-7), duplicates 0 (0), missing 0, 4 checkpoints drawn");
    const screenshot = await readFile(join(dir, "faults-exactly_once-taskmanager-crash-1.png"));
    expect(screenshot.subarray(1, 4).toString()).toBe("PNG");
  });

  browserTest("fails a page whose timeline is not painted, which the DOM alone would not show", async (browser) => {
    const report = await fixture();
    const page = await writeReportPair("hidden-timeline", report, renderFaultHtml(report).replace("</style>", "svg{display:none}</style>"));
    const [check] = await checkReportPage(browser, page);
    expect(check!.problems).toEqual([
      "the timeline's lanes are not painted in the first screen",
      "the fault's line is not painted in the first screen",
    ]);
  });

  browserTest("fails a page whose timeline has a label cut off at its edge", async (browser) => {
    const report = await fixture();
    const page = await writeReportPair("cut-label", report, renderFaultHtml(report).replace('<text x="8"', '<text x="-60"'));
    const [check] = await checkReportPage(browser, page);
    expect(check!.problems).toEqual([expect.stringMatching(/^"checkpoints" is cut off: \d+ px past the left edge$/)]);
  });
});
