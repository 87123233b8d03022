// Whether every label of a drawing can be read, as headless Chromium draws it: a label reaching past the visible area
// (the SVG's viewBox: cut off there) or one sharing pixels with another fails. The file itself stays as it is (the
// reports have no script): Chromium opens a temporary copy with a measuring script added, which writes the box of
// every <text> into the root element, read back with --dump-dom; the same launch writes a screenshot for a person.

import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import type { Box } from "../chart/box";
import { labelProblems, type TextBox } from "../chart/labelCheck";
import { runChromium } from "./chromium";

/**
 * Measures each outermost <svg> of the document: its visible area (the viewBox, or its width and height) and the box
 * of each <text> drawn, in the SVG's own units (mapped through its screen matrix, so a scaled SVG measures alike).
 * A text's own <title> (a tooltip) is not part of what it shows; an SVG not drawn at all (display: none) has no texts.
 */
const MEASURE_SCRIPT = `(function () {
  var root = document.documentElement;
  var svgs = root.nodeName.toLowerCase() === "svg" ? [root] : Array.prototype.filter.call(document.querySelectorAll("svg"), function (s) {
    return !(s.parentElement && s.parentElement.closest("svg"));
  });
  var drawings = svgs.map(function (svg, index) {
    var vb = svg.viewBox && svg.viewBox.baseVal;
    var area = vb && vb.width > 0
      ? { x: vb.x, y: vb.y, width: vb.width, height: vb.height }
      : { x: 0, y: 0, width: svg.width.baseVal.value, height: svg.height.baseVal.value };
    var texts = [];
    var screen = svg.getScreenCTM();
    if (!screen) return { id: svg.id || "svg " + (index + 1), area: area, texts: texts };
    var toSvg = screen.inverse();
    Array.prototype.forEach.call(svg.querySelectorAll("text"), function (t) {
      var r = t.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;
      var a = new DOMPoint(r.left, r.top).matrixTransform(toSvg);
      var b = new DOMPoint(r.right, r.bottom).matrixTransform(toSvg);
      var shown = Array.prototype.filter.call(t.childNodes, function (n) { return n.nodeName.toLowerCase() !== "title"; })
        .map(function (n) { return n.textContent; }).join("");
      texts.push({ text: shown, x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(b.x - a.x), height: Math.abs(b.y - a.y) });
    });
    return { id: svg.id || "svg " + (index + 1), area: area, texts: texts };
  });
  root.setAttribute("data-text-boxes", JSON.stringify(drawings));
})();`;

/** The copy Chromium opens: the document with the measuring script last, so that everything before it is drawn. */
export function instrumented(markup: string, kind: "svg" | "html"): string {
  if (kind === "svg") {
    const end = markup.lastIndexOf("</svg>");
    if (end < 0) throw new Error("not an SVG document: no </svg>");
    return `${markup.slice(0, end)}<script><![CDATA[${MEASURE_SCRIPT}]]></script>${markup.slice(end)}`;
  }
  const end = markup.lastIndexOf("</body>");
  const at = end < 0 ? markup.length : end;
  return `${markup.slice(0, at)}<script>${MEASURE_SCRIPT}</script>${markup.slice(at)}`;
}

export interface Drawing {
  id: string;
  area: Box;
  texts: TextBox[];
}

const decodeAttribute = (value: string): string =>
  value.replace(
    /&(quot|amp|lt|gt|nbsp|#39);/g,
    (_, name: string) => ({ quot: '"', amp: "&", lt: "<", gt: ">", nbsp: " ", "#39": "'" })[name]!,
  );

/** The drawings the measuring script wrote into the DOM Chromium dumped; null when it did not run (nothing drawn). */
export function drawingsIn(dom: string): Drawing[] | null {
  const found = /data-text-boxes="([^"]*)"/.exec(dom)?.[1];
  return found === undefined ? null : (JSON.parse(decodeAttribute(found)) as Drawing[]);
}

/** Every label problem of the drawings, each named by its drawing when there are several. */
export function drawingProblems(drawings: readonly Drawing[]): string[] {
  return drawings.flatMap((d) => labelProblems(d.texts, d.area).map((p) => (drawings.length > 1 ? `${d.id}: ${p}` : p)));
}

const attribute = (markup: string, name: string): number | undefined => {
  const root = /<svg\b[^>]*>/.exec(markup)?.[0] ?? "";
  const value = new RegExp(`\\s${name}="([\\d.]+)`).exec(root)?.[1];
  return value === undefined ? undefined : Number(value);
};

/** Opens `path` (an .svg or an .html page) in Chromium and measures its drawings' labels; a screenshot if asked. */
export async function measureDrawings(chromium: string, path: string, screenshot?: string): Promise<Drawing[] | null> {
  const kind = extname(path).toLowerCase() === ".svg" ? "svg" : "html";
  const markup = await readFile(path, "utf8");
  // An SVG in a window of its own size, so that the screenshot shows all of it; a page as the report check opens it.
  const window =
    kind === "svg" ? `${Math.ceil(attribute(markup, "width") ?? 1000)},${Math.ceil(attribute(markup, "height") ?? 800)}` : "1400,1000";
  const dir = await mkdtemp(join(tmpdir(), "plot-check-"));
  try {
    const copy = join(dir, basename(path));
    await writeFile(copy, instrumented(markup, kind));
    const dom = await runChromium(chromium, copy, [
      "--dump-dom",
      `--window-size=${window}`,
      ...(screenshot ? [`--screenshot=${join(dir, "screenshot.png")}`] : []),
    ]);
    if (screenshot) await copyFile(join(dir, "screenshot.png"), screenshot);
    return drawingsIn(dom);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface PlotCheck {
  plot: string;
  screenshot: string;
  problems: string[];
  /** One line: what was seen. */
  seen: string;
}

/** Checks the labels of one SVG plot, and leaves a screenshot of it beside it (<plot>.png). */
export async function checkPlot(chromium: string, svgPath: string): Promise<PlotCheck> {
  const plot = resolve(svgPath);
  const screenshot = plot.replace(/\.svg$/i, ".png");
  if (!existsSync(plot)) return { plot, screenshot: "", problems: [`${plot} does not exist`], seen: "" };
  const drawings = await measureDrawings(chromium, plot, screenshot);
  if (drawings === null)
    return { plot, screenshot, problems: ["Chromium drew nothing to measure: the file is no well-formed SVG"], seen: "" };
  const texts = drawings.reduce((n, d) => n + d.texts.length, 0);
  const area = drawings[0]?.area;
  return {
    plot,
    screenshot,
    problems: drawingProblems(drawings),
    seen: `${texts} labels in ${area ? `a ${area.width}×${area.height} drawing` : "no drawing"}`,
  };
}
