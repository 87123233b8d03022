// Axes: scales from values to pixels, ticks at nice values (1, 2 or 5 times a power of ten, or a ladder of one's own
// such as seconds to minutes) chosen so that their labels never overlap, and the grid lines and labels drawn.

import { el, text } from "./markup";
import { textWidth } from "./textSize";

export type Scale = (value: number) => number;

/** Values from [low, high] onto pixels from [from, to] (`to` may be less than `from`: a y axis grows upwards). */
export const linearScale =
  (low: number, high: number, from: number, to: number): Scale =>
  (v) =>
    from + ((v - low) / (high - low || 1)) * (to - from);

/** As linearScale, over the values' powers of ten; values at or below 0 go to `low`. */
export const logScale = (low: number, high: number, from: number, to: number): Scale => {
  const scale = linearScale(Math.log10(low), Math.log10(high), from, to);
  return (v) => scale(Math.log10(Math.max(v, low)));
};

/** 1, 2 and 5 times the powers of ten: a step a reader adds up without effort. */
const decimalLadder = (rough: number): number[] => {
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1e-12)));
  return [1, 2, 5, 10].map((m) => m * power);
};

/** Seconds as a clock divides them, then minutes: for time axes. */
export const SECONDS_LADDER: readonly number[] = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/** The smallest step of the ladder (decimal by default) that covers `span` in at most `maxTicks` steps. */
export function niceStep(span: number, maxTicks: number, ladder?: readonly number[]): number {
  const rough = Math.max(span, 1e-12) / Math.max(1, maxTicks);
  const steps = ladder ?? decimalLadder(rough);
  return steps.find((s) => s >= rough) ?? steps[steps.length - 1]!;
}

/** A value without floating-point dust (0.6000000000000001 → 0.6). */
const clean = (v: number): number => Number.parseFloat(v.toPrecision(12));

export interface Tick {
  value: number;
  label: string;
}

export interface LinearAxis {
  /** The axis runs from `start` to `end`, both multiples of `step`. */
  start: number;
  end: number;
  step: number;
  ticks: Tick[];
}

/** Ticks every `step` from the first multiple at or past `from` to the last at or before `to`. */
export const ticksBetween = (from: number, to: number, step: number, format: (v: number) => string): Tick[] => {
  const first = Math.ceil(clean(from / step));
  const last = Math.floor(clean(to / step));
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => clean((first + i) * step)).map((value) => ({
    value,
    label: format(value),
  }));
};

export interface AxisFit {
  /** Pixels the axis spans. */
  length: number;
  fontSize: number;
  /** Whether the labels sit side by side (an x axis: their widths count) or one above the other (y: their height). */
  direction: "x" | "y";
  /** No more ticks than this, even when more would fit. */
  maxTicks?: number;
  ladder?: readonly number[];
}

/** Room between two neighbouring tick labels. */
const LABEL_GAP = 10;

/** The distance neighbouring tick labels need between their centres. */
const labelSpacing = (ticks: readonly Tick[], fit: AxisFit): number =>
  fit.direction === "x" ? Math.max(0, ...ticks.map((t) => textWidth(t.label, fit.fontSize))) + LABEL_GAP : fit.fontSize * 1.2 + 4;

/**
 * An axis from `low` (0 for quantities) to a nice value at or past `high`, with as many ticks as its labels leave room
 * for (at most `maxTicks`): fewer ticks until neighbouring labels are apart.
 */
export function linearAxis(low: number, high: number, format: (v: number) => string, fit: AxisFit): LinearAxis {
  const span = Math.max(high - low, 1e-9);
  for (let maxTicks = fit.maxTicks ?? 10; ; maxTicks--) {
    const step = niceStep(span, maxTicks, fit.ladder);
    const start = Math.floor(clean(low / step)) * step;
    const end = Math.max(clean(Math.ceil(clean(high / step)) * step), clean(start + step));
    const ticks = ticksBetween(start, end, step, format);
    const spacing = (step / (end - start)) * fit.length;
    if (maxTicks <= 1 || spacing >= labelSpacing(ticks, fit)) return { start: clean(start), end, step, ticks };
  }
}

/** Ticks at the powers of ten from `low` to `high` (both powers of ten): every decade, or every other when they crowd. */
export function logTicks(low: number, high: number, format: (v: number) => string, fit: AxisFit): Tick[] {
  const decades = Math.max(1, Math.round(Math.log10(high / low)));
  for (let every = 1; ; every++) {
    const ticks = Array.from({ length: Math.floor(decades / every) + 1 }, (_, i) => clean(low * 10 ** (i * every))).map((value) => ({
      value,
      label: format(value),
    }));
    if (every >= decades || (every / decades) * fit.length >= labelSpacing(ticks, fit)) return ticks;
  }
}

/** The powers of ten around `values` (at least one decade apart): a log axis's ends. */
export function decadesAround(values: readonly number[]): { low: number; high: number } {
  const positive = values.filter((v) => v > 0);
  const low = 10 ** Math.floor(Math.log10(Math.min(...positive, 1e300)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...positive, 0)));
  const lowEnd = Number.isFinite(low) ? low : 1;
  return { low: lowEnd, high: Math.max(Number.isFinite(high) ? high : 10, lowEnd * 10) };
}

export interface AxisStyle {
  fontSize: number;
  /** Tick labels' colour and the grid's. */
  colour: string;
  grid: string;
}

/** Vertical grid lines from `top` to `bottom` at each tick, its label centred below at `labelY`. */
export function xAxisMarkup(ticks: readonly Tick[], x: Scale, top: number, bottom: number, labelY: number, style: AxisStyle): string {
  return ticks
    .map(
      (t) =>
        el("line", { x1: x(t.value), x2: x(t.value), y1: top, y2: bottom, stroke: style.grid }) +
        text({ x: x(t.value), y: labelY, "font-size": style.fontSize, "text-anchor": "middle", fill: style.colour }, t.label),
    )
    .join("");
}

/** Horizontal grid lines from `left` to `right` at each tick, its label ending `6` px left of the plot. */
export function yAxisMarkup(ticks: readonly Tick[], y: Scale, left: number, right: number, style: AxisStyle): string {
  return ticks
    .map(
      (t) =>
        el("line", { x1: left, x2: right, y1: y(t.value), y2: y(t.value), stroke: style.grid }) +
        text(
          {
            x: left - 6,
            y: y(t.value) + 0.35 * style.fontSize,
            "font-size": style.fontSize,
            "text-anchor": "end",
            fill: style.colour,
          },
          t.label,
        ),
    )
    .join("");
}

/** The width of the widest tick label: the room a y axis's labels need. */
export const tickLabelsWidth = (ticks: readonly Tick[], fontSize: number): number =>
  Math.max(0, ...ticks.map((t) => textWidth(t.label, fontSize)));
