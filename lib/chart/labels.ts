// Labels that fit: drawn from fitted lines (the full text kept in a <title> when a label had to be shortened), the
// room a column of labels needs, rows that keep labels along a line apart, and a placement of labels beside points
// that never lets two of them overlap.

import { type Box, inside, overlaps } from "./box";
import { el, text, title } from "./markup";
import { type Anchor, type FittedLabel, fitLabel, LINE_EM, textBox, textWidth } from "./textSize";

export interface LabelStyle {
  fontSize: number;
  bold?: boolean;
  fill?: string;
  anchor?: Anchor;
  className?: string;
}

/** The baseline of a label's first line, for its lines to be centred on `middle`. */
export const firstBaseline = (middle: number, lines: number, fontSize: number): number =>
  middle - ((lines - 1) * LINE_EM * fontSize) / 2 + 0.35 * fontSize;

/**
 * A label's markup: one <text> per line, `y` the first line's baseline, lines LINE_EM apart. Separate <text>s (not
 * <tspan>s) keep each line a box of its own for the layout check; a shortened label gets its full text as a <title>.
 */
export function labelMarkup(x: number, y: number, full: string, fitted: FittedLabel, style: LabelStyle): string {
  const lines = fitted.lines.map((line, i) =>
    text(
      {
        x,
        y: y + i * LINE_EM * style.fontSize,
        "font-size": style.fontSize,
        "font-weight": style.bold ? "bold" : undefined,
        "text-anchor": style.anchor && style.anchor !== "start" ? style.anchor : undefined,
        fill: style.fill,
      },
      line,
    ),
  );
  if (!fitted.shortened && lines.length === 1 && !style.className) return lines[0]!;
  return el("g", { class: style.className }, (fitted.shortened ? title(full) : "") + lines.join(""));
}

/** A label fitted into `width` (wrapped to `maxLines`, then shortened) and drawn at (x, first baseline y). */
export function fittedLabel(x: number, y: number, full: string, width: number, style: LabelStyle & { maxLines?: number }): string {
  return labelMarkup(x, y, full, fitLabel(full, width, style.fontSize, { maxLines: style.maxLines, bold: style.bold }), style);
}

/**
 * The room a column of labels takes beside a plot: the widest label plus `gap` to the plot, within `min` and `max`.
 * Labels wider than `max` allows are wrapped or shortened into it (fitLabel).
 */
export function labelColumnWidth(
  labels: ReadonlyArray<{ text: string; fontSize: number; bold?: boolean }>,
  bounds: { min: number; max: number; gap: number },
): number {
  const widest = Math.max(0, ...labels.map((l) => textWidth(l.text, l.fontSize, l.bold)));
  return Math.min(bounds.max, Math.max(bounds.min, Math.ceil(widest + bounds.gap)));
}

/** Places spans along a line, left to right, in as few rows as keep them `gap` apart; returns each one's row. */
export function labelRows(items: ReadonlyArray<{ x: number; width: number }>, gap = 8): number[] {
  const rowEnds: number[] = [];
  return items.map((item) => {
    let row = rowEnds.findIndex((end) => end + gap <= item.x);
    if (row < 0) {
      row = rowEnds.length;
      rowEnds.push(-Infinity);
    }
    rowEnds[row] = item.x + item.width;
    return row;
  });
}

export interface PointLabel {
  /** The point the label belongs to. */
  x: number;
  y: number;
  text: string;
}

/** Where a label may go around its point: right and above first, as a reader looks for it. */
const OFFSETS: ReadonlyArray<{ dx: number; dy: number; anchor: Anchor }> = [
  { dx: 8, dy: -6, anchor: "start" },
  { dx: 8, dy: 14, anchor: "start" },
  { dx: -8, dy: -6, anchor: "end" },
  { dx: -8, dy: 14, anchor: "end" },
  { dx: 0, dy: -12, anchor: "middle" },
  { dx: 0, dy: 22, anchor: "middle" },
];

export interface PlacedLabel extends PointLabel {
  /** Baseline position and anchor of the text; null when no place kept it clear of the others (then left out). */
  at: { x: number; y: number; anchor: Anchor } | null;
}

/**
 * Labels beside their points, each at the first of its places that lies inside `area` and clear of the labels placed
 * before it and of `obstacles` (other texts of the chart). A label with no such place is left out; its point keeps
 * its value in a tooltip.
 */
export function placePointLabels(
  labels: readonly PointLabel[],
  fontSize: number,
  area: Box,
  obstacles: readonly Box[] = [],
): PlacedLabel[] {
  const taken: Box[] = [...obstacles];
  return labels.map((label) => {
    for (const o of OFFSETS) {
      const at = { x: label.x + o.dx, y: label.y + o.dy, anchor: o.anchor };
      const box = textBox(at.x, at.y, label.text, fontSize, at.anchor);
      if (inside(box, area) && !taken.some((t) => overlaps(t, box))) {
        taken.push(box);
        return { ...label, at };
      }
    }
    return { ...label, at: null };
  });
}
