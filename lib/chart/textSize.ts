// How much room a label takes, estimated from its text and font size, so that a layout can reserve it before any
// browser draws it. The charts name DejaVu Sans first (Debian's default sans-serif, and the widest of the common sans
// fonts: Verdana is as wide, Arial and Helvetica narrower), so an estimate from its advance widths is a generous one.
// The widths are classes of characters, each as wide as its widest member, measured in Chromium in ems.

import type { Box } from "./box";

/** The font stack every chart names. */
export const FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif";

const WIDTH_CLASSES: ReadonlyArray<readonly [string, number]> = [
  ["'ijlIJ", 0.3],
  [" ,.·’/:;\\|", 0.35],
  ["f-()[]t!r", 0.42],
  ['"*_`–sz“”?', 0.55],
  ["cLFkvxyPTYaoe", 0.63],
  ["ESbdghnpqu0123456789{}$µ", 0.65],
  ["KAVBRXZC", 0.71],
  ["UHNDG&OQw", 0.8],
  ["#+<=>^~→≥≤×M", 0.86],
  ["%mW@—…", 1],
];
const EM_WIDTH = new Map(WIDTH_CLASSES.flatMap(([chars, em]) => [...chars].map((c) => [c, em] as const)));
/** Any other character (accented letters, other scripts): as wide as an M, to stay on the generous side. */
const OTHER_EM = 0.86;
/** Bold glyphs are up to this much wider. */
const BOLD_FACTOR = 1.16;

/** Above and below the baseline, in ems: the box a browser gives a line of this font. */
const ASCENT_EM = 0.93;
const DESCENT_EM = 0.25;
/** Lines of a wrapped label are this many ems apart. */
export const LINE_EM = 1.2;

/** The estimated width of `text` at `fontSize` pixels. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let ems = 0;
  for (const c of text) ems += EM_WIDTH.get(c) ?? OTHER_EM;
  return ems * fontSize * (bold ? BOLD_FACTOR : 1);
}

export interface FittedLabel {
  lines: string[];
  /** Whether text was left out: the label then needs its full text in a <title>. */
  shortened: boolean;
}

const ELLIPSIS = "…";

/** The longest start of `text` that fits `width` with an ellipsis after it. */
function shorten(text: string, width: number, fontSize: number, bold: boolean): string {
  let end = text.length;
  while (end > 0 && textWidth(`${text.slice(0, end).trimEnd()}${ELLIPSIS}`, fontSize, bold) > width) end--;
  return `${text.slice(0, end).trimEnd()}${ELLIPSIS}`;
}

/**
 * A label fitted into `width`: wrapped at spaces into at most `maxLines` lines, and when even that does not hold it,
 * its last line (or a word longer than the width) shortened with an ellipsis.
 */
export function fitLabel(text: string, width: number, fontSize: number, options: { maxLines?: number; bold?: boolean } = {}): FittedLabel {
  const { maxLines = 1, bold = false } = options;
  const fits = (line: string) => textWidth(line, fontSize, bold) <= width;
  if (fits(text)) return { lines: [text], shortened: false };
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines[lines.length - 1];
    if (last !== undefined && fits(`${last} ${word}`)) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  // What does not go into the lines allowed joins the last one, which is then shortened like any line too wide.
  const kept = lines.length > maxLines ? [...lines.slice(0, maxLines - 1), lines.slice(maxLines - 1).join(" ")] : lines;
  const fitted = kept.map((line) => (fits(line) ? line : shorten(line, width, fontSize, bold)));
  return { lines: fitted, shortened: fitted.some((line, i) => line !== kept[i]) };
}

export type Anchor = "start" | "middle" | "end";

/** The estimated box of one line of text drawn at (x, baseline y), as a browser would give it. */
export function textBox(x: number, y: number, text: string, fontSize: number, anchor: Anchor = "start", bold = false): Box {
  const width = textWidth(text, fontSize, bold);
  return {
    x: anchor === "start" ? x : anchor === "middle" ? x - width / 2 : x - width,
    y: y - ASCENT_EM * fontSize,
    width,
    height: (ASCENT_EM + DESCENT_EM) * fontSize,
  };
}
