// Horizontal bars with ranges: groups of rows, each group named on the left (its label wrapped into a column as wide as
// the longest label needs, up to a share of the chart), each row a set of marks on one value axis — bars from one
// value to another, range lines, ticks — and the row's value printed after its furthest mark, in room kept for it.

import { linearAxis, linearScale, type Scale, xAxisMarkup } from "./axis";
import type { Block } from "./document";
import { firstBaseline, fittedLabel, labelColumnWidth, labelMarkup } from "./labels";
import { el, text, title } from "./markup";
import { fitLabel, LINE_EM, textWidth } from "./textSize";

export type BarMark =
  /** A bar from one value to another; `tip` is its tooltip. */
  | { kind: "bar"; from: number; to: number; fill: string; opacity?: number; tip: string }
  /** A line through the bar's middle, e.g. from the least to the greatest of the runs. */
  | { kind: "range"; from: number; to: number; stroke: string; width?: number }
  /** A short vertical mark across the bar, e.g. at a percentile. */
  | { kind: "tick"; at: number; stroke: string };

export interface BarRow {
  marks: BarMark[];
  /** Printed after the row's furthest mark. */
  value?: string;
  /** Printed in place of marks when the row has none (what was not measured, and why). */
  note?: string;
}

export interface BarGroup {
  label: string;
  rows: BarRow[];
}

export interface BarsSpec {
  groups: BarGroup[];
  /** Tick labels of the value axis. */
  format: (value: number) => string;
  axisTitle?: string;
  barHeight: number;
  labelFontSize: number;
  labelBold?: boolean;
  /** The value axis's tick steps when not 1, 2 or 5 times a power of ten. */
  ladder?: readonly number[];
}

/** The plot's left and right edges; labels go left of it, values right of it. */
export interface Frame {
  left: number;
  right: number;
}

const ROW_GAP = 4;
const GROUP_GAP = 18;
const VALUE_SIZE = 12;
const TICK_SIZE = 11;
const MARGIN = 20;
/** The group labels' lines: three lines of a long label beside two bars still read as one label. */
const LABEL_LINES = 3;

const ends = (row: BarRow): number[] =>
  row.marks.flatMap((m) => (m.kind === "tick" ? [m.at] : [m.from, m.to])).filter((v) => Number.isFinite(v));

/** The greatest value any mark reaches (at least `floor`): where the axis must reach. */
const greatestValue = (groups: readonly BarGroup[], floor = 0): number => Math.max(floor, ...groups.flatMap((g) => g.rows.flatMap(ends)));

/** Where the plot goes in a chart `width` wide: labels as wide as they need (at most 45 % of it), values after it. */
export function barsFrame(spec: BarsSpec, width: number): Frame {
  const labels = labelColumnWidth(
    spec.groups.map((g) => ({ text: g.label, fontSize: spec.labelFontSize, bold: spec.labelBold })),
    { min: 60, max: Math.round(width * 0.45), gap: 12 },
  );
  const values = Math.max(30, ...spec.groups.flatMap((g) => g.rows.map((r) => textWidth(r.value ?? "", VALUE_SIZE))));
  return { left: MARGIN + labels, right: width - MARGIN - values - 8 };
}

const groupHeight = (g: BarGroup, barHeight: number) => g.rows.length * (barHeight + ROW_GAP) - ROW_GAP;

/** The bars as a block of a chart, its value axis below them. */
export function barsBlock(spec: BarsSpec, frame: Frame): Block {
  const axis = linearAxis(0, greatestValue(spec.groups, 1e-9), spec.format, {
    length: frame.right - frame.left,
    fontSize: TICK_SIZE,
    direction: "x",
    ladder: spec.ladder,
  });
  const x: Scale = linearScale(axis.start, axis.end, frame.left, frame.right);
  const body = spec.groups.reduce((h, g) => h + groupHeight(g, spec.barHeight) + GROUP_GAP, 0);
  const height = body + 20 + (spec.axisTitle ? 18 : 0);
  return {
    height,
    render: (top) => {
      const parts: string[] = [];
      const axisY = top + body;
      parts.push(xAxisMarkup(axis.ticks, x, top, axisY, axisY + 14, { fontSize: TICK_SIZE, colour: "#24292f", grid: "#ddd" }));
      if (spec.axisTitle)
        parts.push(text({ x: (frame.left + frame.right) / 2, y: axisY + 32, "font-size": 12, "text-anchor": "middle" }, spec.axisTitle));
      let y = top + GROUP_GAP / 2;
      for (const group of spec.groups) {
        const h = groupHeight(group, spec.barHeight);
        const fitted = fitLabel(group.label, frame.left - 10 - MARGIN, spec.labelFontSize, {
          maxLines: Math.min(LABEL_LINES, Math.max(1, Math.floor((h + GROUP_GAP) / (spec.labelFontSize * LINE_EM)))),
          bold: spec.labelBold,
        });
        parts.push(
          labelMarkup(frame.left - 10, firstBaseline(y + h / 2, fitted.lines.length, spec.labelFontSize), group.label, fitted, {
            fontSize: spec.labelFontSize,
            bold: spec.labelBold,
            anchor: "end",
            className: "group-label",
          }),
        );
        group.rows.forEach((row, i) => {
          parts.push(rowMarkup(row, y + i * (spec.barHeight + ROW_GAP), spec.barHeight, x, frame));
        });
        y += h + GROUP_GAP;
      }
      return parts.join("\n");
    },
  };
}

function rowMarkup(row: BarRow, y: number, barHeight: number, x: Scale, frame: Frame): string {
  const middle = y + barHeight / 2;
  const baseline = middle + 0.35 * VALUE_SIZE;
  if (row.marks.length === 0)
    return row.note
      ? fittedLabel(frame.left + 4, baseline, row.note, frame.right - frame.left - 4, { fontSize: VALUE_SIZE, fill: "#a00" })
      : "";
  const marks = row.marks.map((m) => {
    if (m.kind === "bar")
      return el(
        "rect",
        { x: x(m.from), y, width: Math.max(1, x(m.to) - x(m.from)), height: barHeight, fill: m.fill, opacity: m.opacity },
        title(m.tip),
      );
    if (m.kind === "range")
      return el("line", { x1: x(m.from), x2: x(m.to), y1: middle, y2: middle, stroke: m.stroke, "stroke-width": m.width ?? 1.5 });
    return el("line", { x1: x(m.at), x2: x(m.at), y1: y, y2: y + barHeight, stroke: m.stroke, "stroke-width": 2 });
  });
  const end = Math.max(...ends(row));
  const value = row.value === undefined ? "" : text({ x: x(end) + 6, y: baseline, "font-size": VALUE_SIZE }, row.value);
  return marks.join("") + value;
}
