// Lines and points over two value axes (linear or log): each series a line through its points in their order, a dot per point
// (filled, or hollow for a point that falls short), optional vertical ranges, and value labels placed beside the
// points where they overlap nothing. The y axis's title sits above the plot, its tick labels left of it.

import {
  decadesAround,
  linearAxis,
  linearScale,
  logScale,
  logTicks,
  type Scale,
  type Tick,
  tickLabelsWidth,
  xAxisMarkup,
  yAxisMarkup,
} from "./axis";
import type { Box } from "./box";
import type { Block } from "./document";
import { fittedLabel, placePointLabels } from "./labels";
import { el, text, title } from "./markup";
import { textBox, textWidth } from "./textSize";

export interface XyPoint {
  x: number;
  y: number;
  tip: string;
  /** Drawn as a ring: e.g. a step the job did not keep up with. */
  hollow?: boolean;
  /** Printed beside the point where it overlaps nothing. */
  label?: string;
  /** A vertical line from `low` to `high` through the point, e.g. the least and the greatest of the runs. */
  range?: { low: number; high: number };
}

export interface XySeries {
  colour: string;
  points: XyPoint[];
  /** A dot at each point (without: the line alone, for dense samples). */
  dots: boolean;
}

export interface XyAxisSpec {
  scale: "linear" | "log";
  /** The values the axis must cover (a linear axis starts at 0 unless one is below it). */
  values: number[];
  format: (value: number) => string;
  title: string;
}

export interface XySpec {
  x: XyAxisSpec;
  y: XyAxisSpec;
  series: XySeries[];
  plotHeight: number;
  /** A dashed line where y equals x, labelled (both axes must measure the same thing). */
  diagonal?: string;
}

const TICK_SIZE = 11;
const TITLE_SIZE = 12;
const POINT_LABEL_SIZE = 11;
const TOP_TITLE = 22;
const BELOW_PLOT = 46;

interface ResolvedAxis {
  low: number;
  high: number;
  ticks: Tick[];
  scale: (from: number, to: number) => Scale;
}

function resolveAxis(spec: XyAxisSpec, length: number, direction: "x" | "y"): ResolvedAxis {
  const fit = { length, fontSize: TICK_SIZE, direction };
  if (spec.scale === "log") {
    const { low, high } = decadesAround(spec.values);
    return { low, high, ticks: logTicks(low, high, spec.format, fit), scale: (from, to) => logScale(low, high, from, to) };
  }
  const finite = spec.values.filter(Number.isFinite);
  const axis = linearAxis(Math.min(0, ...finite), Math.max(1e-9, ...finite), spec.format, fit);
  return { low: axis.start, high: axis.end, ticks: axis.ticks, scale: (from, to) => linearScale(axis.start, axis.end, from, to) };
}

/** The room left of the plot its y tick labels need (with their gap): where the plot's left edge goes. */
export function yLabelRoom(spec: XySpec): number {
  return Math.ceil(tickLabelsWidth(resolveAxis(spec.y, spec.plotHeight, "y").ticks, TICK_SIZE)) + 10;
}

/** The room right of the plot the last x tick label needs, centred on the plot's edge. */
export function xLabelOverhang(spec: XySpec, length: number): number {
  const ticks = resolveAxis(spec.x, length, "x").ticks;
  return Math.ceil(textWidth(ticks[ticks.length - 1]?.label ?? "", TICK_SIZE) / 2) + 2;
}

/** The plot as a block of a chart, between `left` and `right` (its labels outside: see yLabelRoom, xLabelOverhang). */
export function xyBlock(spec: XySpec, left: number, right: number): Block {
  const xAxis = resolveAxis(spec.x, right - left, "x");
  const yAxis = resolveAxis(spec.y, spec.plotHeight, "y");
  return {
    height: TOP_TITLE + spec.plotHeight + BELOW_PLOT,
    render: (top) => {
      const plotTop = top + TOP_TITLE;
      const bottom = plotTop + spec.plotHeight;
      const x = xAxis.scale(left, right);
      const y = yAxis.scale(bottom, plotTop);
      const parts: string[] = [];
      const axisStyle = { fontSize: TICK_SIZE, colour: "#24292f", grid: "#eee" };
      parts.push(xAxisMarkup(xAxis.ticks, x, plotTop, bottom, bottom + 18, axisStyle));
      parts.push(yAxisMarkup(yAxis.ticks, y, left, right, axisStyle));
      parts.push(el("line", { x1: left, x2: right, y1: bottom, y2: bottom, stroke: "#888" }));
      parts.push(fittedLabel(left, top + 12, spec.y.title, right - left, { fontSize: TITLE_SIZE + 1 }));
      parts.push(fittedLabel((left + right) / 2, bottom + 38, spec.x.title, right - left, { fontSize: TITLE_SIZE, anchor: "middle" }));
      const area: Box = { x: left, y: plotTop, width: right - left, height: spec.plotHeight };
      const obstacles: Box[] = [];
      if (spec.diagonal) {
        const end = Math.min(xAxis.high, yAxis.high);
        parts.push(el("line", { x1: x(0), y1: y(0), x2: x(end), y2: y(end), stroke: "#999", "stroke-dasharray": "5,4" }));
        const at = { x: x(end) - 4, y: y(end) + 14 };
        obstacles.push(textBox(at.x, at.y, spec.diagonal, TICK_SIZE, "end"));
        parts.push(text({ x: at.x, y: at.y, "font-size": TICK_SIZE, "text-anchor": "end", fill: "#666" }, spec.diagonal));
      }
      for (const series of spec.series) parts.push(seriesMarkup(series, x, y));
      const labelled = spec.series.flatMap((s) =>
        s.points.filter((p) => p.label !== undefined).map((p) => ({ x: x(p.x), y: y(p.y), text: p.label! })),
      );
      for (const label of placePointLabels(labelled, POINT_LABEL_SIZE, area, obstacles))
        if (label.at)
          parts.push(
            text(
              {
                class: "point-label",
                x: label.at.x,
                y: label.at.y,
                "font-size": POINT_LABEL_SIZE,
                "text-anchor": label.at.anchor === "start" ? undefined : label.at.anchor,
                // A halo of the background keeps the label legible where a line runs under it.
                stroke: "#fff",
                "stroke-width": 3,
                "paint-order": "stroke",
              },
              label.text,
            ),
          );
      return parts.join("\n");
    },
  };
}

function seriesMarkup(series: XySeries, x: Scale, y: Scale): string {
  const parts: string[] = [];
  if (series.points.length > 1)
    parts.push(
      el("polyline", {
        points: series.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" "),
        fill: "none",
        stroke: series.colour,
        "stroke-width": 2,
      }),
    );
  for (const p of series.points) {
    if (p.range)
      parts.push(
        el("line", { x1: x(p.x), x2: x(p.x), y1: y(p.range.low), y2: y(p.range.high), stroke: series.colour, "stroke-width": 1.5 }),
      );
    if (series.dots)
      parts.push(
        el(
          "circle",
          { cx: x(p.x), cy: y(p.y), r: 5, fill: p.hollow ? "#fff" : series.colour, stroke: series.colour, "stroke-width": 2 },
          title(p.tip),
        ),
      );
  }
  return parts.join("");
}
