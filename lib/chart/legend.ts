// Legends: a mark and its label per item, laid out left to right and wrapped into rows within the chart's width, each
// label given the room its text needs.

import type { Block } from "./document";
import { fittedLabel } from "./labels";
import { el } from "./markup";
import { textWidth } from "./textSize";

/** Draws an item's mark in the 18 × 12 px box whose left edge is `x` and whose middle is `y`. */
export type LegendMark = (x: number, y: number) => string;

export interface LegendItem {
  label: string;
  mark: LegendMark;
}

export const swatch =
  (fill: string, opacity?: number): LegendMark =>
  (x, y) =>
    el("rect", { x, y: y - 6, width: 18, height: 12, fill, opacity });

export const dotMark =
  (colour: string, hollow = false): LegendMark =>
  (x, y) =>
    el("circle", { cx: x + 9, cy: y, r: 5, fill: hollow ? "#fff" : colour, stroke: colour, "stroke-width": 2 });

const MARK_WIDTH = 18;
const MARK_GAP = 6;
const ITEM_GAP = 22;
const ROW_HEIGHT = 20;

export interface LegendLayout {
  markup: string;
  height: number;
}

/** The legend from (x, y: the first row's middle) within `width`; its height covers all its rows. */
export function legendMarkup(items: readonly LegendItem[], x: number, y: number, width: number, fontSize: number): LegendLayout {
  let cx = x;
  let row = 0;
  const parts: string[] = [];
  for (const item of items) {
    const labelRoom = width - MARK_WIDTH - MARK_GAP;
    const itemWidth = MARK_WIDTH + MARK_GAP + Math.min(labelRoom, textWidth(item.label, fontSize));
    if (cx > x && cx + itemWidth > x + width) {
      cx = x;
      row++;
    }
    const my = y + row * ROW_HEIGHT;
    parts.push(
      item.mark(cx, my) +
        fittedLabel(cx + MARK_WIDTH + MARK_GAP, my + 0.35 * fontSize, item.label, labelRoom, { fontSize, fill: "#24292f" }),
    );
    cx += itemWidth + ITEM_GAP;
  }
  return { markup: el("g", { class: "legend" }, parts.join("")), height: items.length === 0 ? 0 : (row + 1) * ROW_HEIGHT };
}

/** The legend as a block of a chart, from `x` within `width`. */
export function legendBlock(items: readonly LegendItem[], x: number, width: number, fontSize = 11): Block {
  const { height } = legendMarkup(items, x, 0, width, fontSize);
  return { height: height - 8, render: (top) => legendMarkup(items, x, top + 6, width, fontSize).markup };
}
