// What a person would see of an HTML report of the verification, checked in headless Chromium. From the DOM
// Chromium parsed: the SVG timeline with its marks (checkpoints, the fault), the verdict and the key figures as text, each as the JSON report beside the page says. From a
// screenshot (written beside the page as <report>.png): the verdict's banner, the timeline's lanes and the fault
// line actually painted in the first screen. From the boxes Chromium drew its SVG's labels in (lib/browser/plotCheck.ts):
// none cut off, none on another. A matrix page is checked with every fault page it links to.

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { runChromium } from "../../lib/browser/chromium";
import { drawingProblems, measureDrawings } from "../../lib/browser/plotCheck";
import { countColor, decodePng, type RgbaImage } from "../../lib/browser/png";
import { matrixVerdictOf, type Verdict, verdictOf } from "./html";
import type { MatrixReport, VerifyReport } from "./model";

const WINDOW = { width: 1400, height: 1000 };

/** The colours the pages paint with (html.ts) that the screenshot must show. */
const PAINTED = { PASSED: "#1a7f37", FAILED: "#cf222e", INCOMPLETE: "#9a6700", plot: "#f3f6fb", fault: "#d1242f" } as const;

/** The text of the element carrying data-figure="name" in a DOM, tags inside it dropped. */
const figureIn = (dom: string, name: string): string | undefined => {
  const found = new RegExp(`data-figure="${name}"[^>]*>([^]*?)</(dd|div|p)>`).exec(dom)?.[1];
  return found === undefined ? undefined : decodeEntities(found.replace(/<[^>]*>/g, "")).trim();
};

const decodeEntities = (text: string): string =>
  text.replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" })[name]!);

const count = (dom: string, pattern: RegExp): number => (dom.match(new RegExp(pattern.source, "g")) ?? []).length;

/** What a fault page's DOM must show, as its JSON report says; returns the problems (none: fine). */
export function inspectFaultDom(dom: string, report: VerifyReport): string[] {
  const problems: string[] = [];
  const expect = (name: string, wanted: string, shown: string | undefined) => {
    if (shown !== wanted)
      problems.push(`${name}: the page shows ${shown === undefined ? "nothing" : `"${shown}"`}, the report says "${wanted}"`);
  };
  expect("verdict", verdictOf(report), figureIn(dom, "verdict"));
  expect("restored checkpoint", report.restored ? `chk-${report.restored.id}` : "none", figureIn(dom, "restored"));
  if (report.expectedRestore) expect("expected checkpoint", `chk-${report.expectedRestore.id}`, figureIn(dom, "expected"));
  expect("duplicates", `${report.duplicates} (${report.duplicatesAfterFault})`, figureIn(dom, "duplicates"));
  expect("missing", String(report.missing), figureIn(dom, "missing"));
  expect("unexpected", String(report.unexpected), figureIn(dom, "unexpected"));
  if (figureIn(dom, "dead-letters") === undefined) problems.push("dead letters: not shown");
  if (!/<svg[^>]*id="timeline"/.test(dom)) problems.push("no SVG timeline (svg#timeline) in the page");
  if (report.timeline?.faultAtMs != null && !dom.includes('<g class="moment fault">')) problems.push("the timeline has no fault marker");
  if ((report.timeline?.checkpoints.length ?? 0) > 0 && count(dom, /<g class="checkpoint[ "]/) === 0)
    problems.push(`the timeline shows none of the report's ${report.timeline!.checkpoints.length} checkpoints`);
  if (report.timeline && report.timeline.samples.length > 0 && count(dom, /class="input-end"/) === 0)
    problems.push("the timeline shows no input offsets although the report has samples");
  return problems;
}

/** What the matrix page's DOM must show; returns the problems and the fault pages it links to. */
export function inspectMatrixDom(dom: string, matrix: MatrixReport): { problems: string[]; links: string[] } {
  const problems: string[] = [];
  const verdict = matrixVerdictOf(matrix);
  const shown = figureIn(dom, "verdict");
  if (shown !== verdict)
    problems.push(`verdict: the page shows ${shown === undefined ? "nothing" : `"${shown}"`}, the report says "${verdict}"`);
  if (!/<svg[^>]*id="timeline"/.test(dom)) problems.push("no SVG overview (svg#timeline) in the page");
  const bars = count(dom, /<g class="run"/);
  if (bars !== matrix.rows.length) problems.push(`the overview draws ${bars} runs, the report has ${matrix.rows.length}`);
  const links = [...dom.matchAll(/<a class="fault-page" href="([^"]*)"/g)].map((m) => decodeURIComponent(decodeEntities(m[1]!)));
  if (links.length !== matrix.rows.length)
    problems.push(`the table links ${links.length} fault pages, the report has ${matrix.rows.length} runs`);
  for (const row of matrix.rows) if (!dom.includes(`<td>${row.fault}</td>`)) problems.push(`the table has no row for ${row.fault}`);
  return { problems, links };
}

/** What the first screen of a page must show painted; returns the problems. */
export function inspectScreenshot(image: RgbaImage, verdict: Verdict, hasFaultMarker: boolean): string[] {
  const problems: string[] = [];
  if (image.width !== WINDOW.width || image.height !== WINDOW.height)
    problems.push(`screenshot is ${image.width}×${image.height}, not ${WINDOW.width}×${WINDOW.height}`);
  // The banner is about 1350×80 pixels, the lanes much more: a tenth of either is surely there when painted.
  if (countColor(image, PAINTED[verdict]) < 10_000) problems.push(`the ${verdict} banner is not painted in the first screen`);
  if (countColor(image, PAINTED.plot) < 10_000) problems.push("the timeline's lanes are not painted in the first screen");
  if (hasFaultMarker && countColor(image, PAINTED.fault) < 100) problems.push("the fault's line is not painted in the first screen");
  return problems;
}

export interface PageCheck {
  page: string;
  screenshot: string;
  problems: string[];
  /** One line: what was seen. */
  seen: string;
}

const jsonPathOf = (htmlPath: string) => htmlPath.replace(/\.html$/, ".json");

/** Checks one page, and for a matrix every fault page it links to. */
export async function checkReportPage(chromium: string, htmlPath: string): Promise<PageCheck[]> {
  const page = resolve(htmlPath);
  const jsonPath = jsonPathOf(page);
  if (!existsSync(page)) return [{ page, screenshot: "", problems: [`${page} does not exist`], seen: "" }];
  if (!existsSync(jsonPath))
    return [{ page, screenshot: "", problems: [`no JSON report beside it (${jsonPath}): the page is checked against it`], seen: "" }];
  const report = JSON.parse(await readFile(jsonPath, "utf8")) as VerifyReport | MatrixReport;
  const screenshot = page.replace(/\.html$/, ".png");
  // One launch does both: the DOM on standard output, the screenshot into its file.
  const dom = await runChromium(chromium, page, [
    "--dump-dom",
    `--screenshot=${screenshot}`,
    `--window-size=${WINDOW.width},${WINDOW.height}`,
  ]);
  const image = decodePng(await readFile(screenshot));
  const drawings = await measureDrawings(chromium, page);
  const labels =
    drawings === null ? ["the labels could not be measured: Chromium did not run the measuring script"] : drawingProblems(drawings);
  if ("rows" in report) {
    const { problems, links } = inspectMatrixDom(dom, report);
    const verdict = matrixVerdictOf(report);
    problems.push(...inspectScreenshot(image, verdict, false), ...labels);
    const own: PageCheck = {
      page,
      screenshot,
      problems,
      seen: `${verdict}, ${report.rows.length} runs, ${links.length} fault pages linked`,
    };
    const linked: PageCheck[] = [];
    for (const link of links) linked.push(...(await checkReportPage(chromium, join(dirname(page), link))));
    return [own, ...linked];
  }
  const problems = inspectFaultDom(dom, report);
  const verdict = verdictOf(report);
  problems.push(...inspectScreenshot(image, verdict, report.timeline?.faultAtMs != null), ...labels);
  const checkpoints = count(dom, /<g class="checkpoint[ "]/);
  const seen = `${verdict}, restored ${figureIn(dom, "restored")} (expected ${figureIn(dom, "expected")}), duplicates ${figureIn(dom, "duplicates")}, missing ${figureIn(dom, "missing")}, ${checkpoints} checkpoints drawn`;
  return [{ page, screenshot, problems, seen }];
}
