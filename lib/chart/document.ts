// A chart as a standalone SVG document: a title that fits the width, then blocks (panels, legends) stacked from the
// top, each knowing its height before it is drawn, so the document's height and viewBox cover everything drawn.

import { type LabelStyle, labelMarkup } from "./labels";
import { el } from "./markup";
import { FONT_FAMILY, fitLabel, LINE_EM } from "./textSize";

/** A part of a chart: its height first, then its markup once its top is known. */
export interface Block {
  height: number;
  render: (top: number) => string;
}

/** Blocks side by side (each drawn at its own x already): as high as the highest. */
export const besideBlocks = (blocks: readonly Block[]): Block => ({
  height: Math.max(0, ...blocks.map((b) => b.height)),
  render: (top) => blocks.map((b) => b.render(top)).join("\n"),
});

export interface ChartSpec {
  width: number;
  title: string;
  subtitle?: string;
  blocks: readonly Block[];
}

const MARGIN = 20;
const TITLE_SIZE = 16;
const SUBTITLE_SIZE = 12;
const BLOCK_GAP = 14;

/** The chart's SVG: title and subtitle wrapped to the width, then its blocks; the viewBox is the whole drawing. */
export function chartSvg(spec: ChartSpec): string {
  const room = spec.width - 2 * MARGIN;
  const parts: string[] = [];
  let y = MARGIN;
  const heading = (content: string, style: LabelStyle) => {
    const fitted = fitLabel(content, room, style.fontSize, { maxLines: 2, bold: style.bold });
    parts.push(labelMarkup(MARGIN, y + style.fontSize, content, fitted, style));
    y += style.fontSize * LINE_EM * fitted.lines.length;
  };
  if (spec.title) heading(spec.title, { fontSize: TITLE_SIZE, bold: true });
  if (spec.subtitle) heading(spec.subtitle, { fontSize: SUBTITLE_SIZE, fill: "#555" });
  y += BLOCK_GAP;
  for (const block of spec.blocks) {
    parts.push(block.render(y));
    y += block.height + BLOCK_GAP;
  }
  const height = Math.ceil(y - BLOCK_GAP + MARGIN);
  return `${el(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      width: spec.width,
      height,
      viewBox: `0 0 ${spec.width} ${height}`,
      "font-family": FONT_FAMILY,
    },
    `\n${el("rect", { width: "100%", height: "100%", fill: "#fff" })}\n${parts.join("\n")}\n`,
  )}\n`;
}
