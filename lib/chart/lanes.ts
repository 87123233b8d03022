// A timeline's lanes: horizontal bands stacked from the top, each with a label of a few lines in the column left of the
// plot (its first line bold, as the lane's name), the column as wide as its longest line needs.

import { labelColumnWidth, labelMarkup } from "./labels";
import { fitLabel } from "./textSize";

export interface LaneSpec {
  height: number;
  /** Room below the lane before the next one. */
  gap: number;
}

export interface Lane {
  top: number;
  height: number;
}

/** The lanes' places, stacked from `top`; `bottom` is where the last one's gap ends. */
export function stackLanes(top: number, specs: readonly LaneSpec[]): { lanes: Lane[]; bottom: number } {
  let y = top;
  const lanes = specs.map((spec) => {
    const lane = { top: y, height: spec.height };
    y += spec.height + spec.gap;
    return lane;
  });
  return { lanes, bottom: y };
}

const NAME_SIZE = 12;
const LINE_SIZE = 11;
const LINE_STEP = 14;

const lineStyle = (i: number) => ({ fontSize: i === 0 ? NAME_SIZE : LINE_SIZE, bold: i === 0 });

/** The width the lane labels' column needs for all their lines, within `max` (longer lines are shortened). */
export const laneLabelsWidth = (labels: ReadonlyArray<readonly string[]>, max: number): number =>
  labelColumnWidth(
    labels.flatMap((lines) => lines.map((text, i) => ({ text, ...lineStyle(i) }))),
    { min: 0, max, gap: 0 },
  );

/** A lane's label from (x, first baseline y), each line fitted into `width` (shortened with its full text as a tooltip). */
export function laneLabel(x: number, y: number, lines: readonly string[], width: number, fill: string): string {
  return lines
    .map((line, i) => {
      const style = lineStyle(i);
      return labelMarkup(x, y + i * LINE_STEP, line, fitLabel(line, width, style.fontSize, { bold: style.bold }), { ...style, fill });
    })
    .join("");
}
