// The chart kinds drawn whole, their texts' boxes estimated: inside the viewBox, none on another.

import { describe, expect, it } from "vitest";
import { type BarsSpec, barsBlock, barsFrame } from "./bars";
import { besideBlocks, chartSvg } from "./document";
import { estimatedTextBoxes, labelProblems } from "./labelCheck";
import { laneLabel, laneLabelsWidth, stackLanes } from "./lanes";
import { legendBlock, swatch } from "./legend";
import { type XySpec, xLabelOverhang, xyBlock, yLabelRoom } from "./xy";

const problemsOf = (svg: string) => {
  const { area, boxes } = estimatedTextBoxes(svg);
  return labelProblems(boxes, area);
};

const bars = (labels: string[]): BarsSpec => ({
  groups: labels.map((label, i) => ({
    label,
    rows: [
      {
        marks: [
          { kind: "bar", from: 0, to: 10_000 * (i + 1), fill: "#3b6fb6", tip: "RUNNING" },
          { kind: "range", from: 9_000 * (i + 1), to: 12_000 * (i + 1), stroke: "#222" },
        ],
        value: `${10 * (i + 1)}.0 s`,
      },
      { marks: [], note: "first committed output: not measured" },
    ],
  })),
  format: (ms) => `${ms / 1000} s`,
  barHeight: 16,
  labelFontSize: 13,
});

describe("horizontal bars", () => {
  it("widen the labels' column for a longer label, up to a share of the width", () => {
    const short = barsFrame(bars(["standby"]), 1000).left;
    const longer = barsFrame(bars(["standby", "thread mode and a stable ResourceID"]), 1000).left;
    const longest = barsFrame(bars(["x ".repeat(300)]), 1000).left;
    expect(longer).toBeGreaterThan(short);
    expect(longest).toBeLessThanOrEqual(20 + 450);
  });

  it("wrap or shorten a label that cannot fit, keep its full text, and cut off nothing", () => {
    const long = "Flink's defaults (heartbeats 10 s / 50 s, restart delay up to 60 s, Python worker processes, one TaskManager) ".repeat(2);
    const spec = bars([long, "standby"]);
    const svg = chartSvg({ width: 700, title: "TaskManager crash", blocks: [barsBlock(spec, barsFrame(spec, 700))] });
    expect(problemsOf(svg)).toEqual([]);
    expect(svg).toContain(`<title>${long.replace(/'/g, "&#39;")}</title>`);
  });
});

describe("lines and points", () => {
  const spec = (values: number[]): XySpec => ({
    x: { scale: "log", values: [10, 100_000], format: (k) => k.toLocaleString("en-US"), title: "open windows (keys)" },
    y: { scale: "linear", values, format: (v) => `${v} ms`, title: "checkpoint duration, trigger to last acknowledgement" },
    plotHeight: 200,
    series: [
      {
        colour: "#e08a2c",
        dots: true,
        points: [10, 1000, 100_000].map((k, i) => ({
          x: k,
          y: values[i]!,
          tip: `${k}`,
          label: `${values[i]} ms`,
          range: { low: 1, high: 2 },
        })),
      },
      {
        colour: "#3b6fb6",
        dots: true,
        points: [10, 1000, 100_000].map((k, i) => ({ x: k, y: values[i]! + 1, tip: `${k}`, label: `${values[i]! + 1} ms` })),
      },
    ],
  });

  it("leave room for the y axis's labels and the last x label, and overlap no label with another", () => {
    expect(yLabelRoom(spec([18, 31, 126_000]))).toBeGreaterThan(yLabelRoom(spec([18, 31, 126])));
    const a = spec([18, 31, 126]);
    const b = spec([180_000, 31, 126_000]);
    const left = 20 + yLabelRoom(a);
    const bLeft = 520 + yLabelRoom(b);
    const svg = chartSvg({
      width: 1000,
      title: "Checkpoints against the number of open windows",
      blocks: [besideBlocks([xyBlock(a, left, 480 - xLabelOverhang(a, 460)), xyBlock(b, bLeft, 980 - xLabelOverhang(b, 460))])],
    });
    expect(problemsOf(svg)).toEqual([]);
    expect(svg.match(/class="point-label"/g)!.length).toBeGreaterThanOrEqual(4);
  });
});

describe("legends", () => {
  it("wrap into rows within the width", () => {
    const items = ["whole checkpoint (median; line: least–greatest)", "the windows' vertex", "duration (median; line: least–greatest)"].map(
      (label) => ({ label, mark: swatch("#3b6fb6") }),
    );
    const narrow = legendBlock(items, 20, 300);
    const wide = legendBlock(items, 20, 960);
    expect(narrow.height).toBeGreaterThan(wide.height);
    expect(problemsOf(chartSvg({ width: 340, title: "", blocks: [narrow] }))).toEqual([]);
  });
});

describe("lanes", () => {
  it("stack from the top, and their labels' column fits the longest line", () => {
    expect(
      stackLanes(10, [
        { height: 50, gap: 8 },
        { height: 90, gap: 4 },
      ]),
    ).toEqual({
      lanes: [
        { top: 10, height: 50 },
        { top: 68, height: 90 },
      ],
      bottom: 162,
    });
    const labels = [["visits", "partition 0", "offsets"], ["flink-checkpointer-ci-visit-windows-output"]];
    const width = laneLabelsWidth(labels, 400);
    expect(width).toBeGreaterThan(laneLabelsWidth([["visits"]], 400));
    const svg = `<svg viewBox="0 0 ${8 + width} 100">${laneLabel(8, 20, labels[1]!, width, "#000")}${laneLabel(8, 50, labels[0]!, width, "#000")}</svg>`;
    expect(problemsOf(svg)).toEqual([]);
    expect(laneLabel(8, 20, ["a very long topic name indeed"], 60, "#000")).toContain("<title>a very long topic name indeed</title>");
  });
});
