// What makes a label unreadable, judged from the boxes its texts take: a text reaching past the drawing's visible area
// (the viewBox: a browser cuts it off there) or two texts sharing pixels. The browser check (lib/browser/plotCheck.ts)
// judges the boxes Chromium measured; the unit tests judge the boxes estimated here from a chart's own markup.

import { type Box, overhang, overlapOf } from "./box";
import { type Anchor, textBox } from "./textSize";

export interface TextBox extends Box {
  text: string;
}

/** Boxes may touch: a browser's line boxes of neighbouring lines share a fraction of a pixel. */
const TOLERANCE = 1;

const quoted = (t: string) => `"${t.length > 60 ? `${t.slice(0, 57)}…` : t}"`;

/** The problems of a drawing's texts: each one cut off at an edge of `area`, and each pair that overlaps. */
export function labelProblems(boxes: readonly TextBox[], area: Box): string[] {
  const problems: string[] = [];
  for (const box of boxes) {
    const past = Object.entries(overhang(box, area)).filter(([, v]) => v > TOLERANCE);
    if (past.length > 0)
      problems.push(`${quoted(box.text)} is cut off: ${past.map(([edge, v]) => `${Math.round(v)} px past the ${edge} edge`).join(", ")}`);
  }
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const o = overlapOf(boxes[i]!, boxes[j]!);
      if (o.width > TOLERANCE && o.height > TOLERANCE)
        problems.push(
          `${quoted(boxes[i]!.text)} and ${quoted(boxes[j]!.text)} overlap (${Math.round(o.width)}×${Math.round(o.height)} px)`,
        );
    }
  return problems;
}

const attribute = (attrs: string, name: string): string | undefined => new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attrs)?.[1];

const decode = (markup: string): string =>
  markup
    .replace(/<[^>]*>/g, "")
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, name: string) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" })[name]!);

/**
 * The visible area and the estimated text boxes of an SVG the chart module drew: every <text> positioned by its own
 * x, y, font-size, font-weight and text-anchor (as the module writes them; no transforms, no inherited sizes).
 */
export function estimatedTextBoxes(svg: string): { area: Box; boxes: TextBox[] } {
  const root = /<svg\b([^>]*)>/.exec(svg)?.[1] ?? "";
  const [vx, vy, vw, vh] = (attribute(root, "viewBox") ?? `0 0 ${attribute(root, "width")} ${attribute(root, "height")}`)
    .split(/[\s,]+/)
    .map(Number);
  const boxes = [...svg.matchAll(/<text\b([^>]*)>([\s\S]*?)<\/text>/g)].map(([, attrs, content]) => {
    const shown = decode(content!);
    const box = textBox(
      Number(attribute(attrs!, "x") ?? 0),
      Number(attribute(attrs!, "y") ?? 0),
      shown,
      Number(attribute(attrs!, "font-size") ?? 16),
      (attribute(attrs!, "text-anchor") ?? "start") as Anchor,
      attribute(attrs!, "font-weight") === "bold",
    );
    return { ...box, text: shown };
  });
  return { area: { x: vx!, y: vy!, width: vw!, height: vh! }, boxes };
}
