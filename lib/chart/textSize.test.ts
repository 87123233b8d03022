import { describe, expect, it } from "vitest";
import { fitLabel, textBox, textWidth } from "./textSize";

describe("textWidth", () => {
  it("grows with the text, the font size and bold", () => {
    expect(textWidth("", 12)).toBe(0);
    expect(textWidth("heartbeat", 12)).toBeLessThan(textWidth("heartbeats", 12));
    expect(textWidth("abc", 24)).toBeCloseTo(2 * textWidth("abc", 12));
    expect(textWidth("abc", 12, true)).toBeGreaterThan(textWidth("abc", 12));
  });

  it("is no less than DejaVu Sans's widths as Chromium measures them, so a layout from it has room to spare", () => {
    // Measured with getComputedTextLength() in Debian's Chromium 156 at 100 px (normal, bold).
    const measured: Array<[string, number, number]> = [
      ["0 s", 147.5, 163.9],
      ["RUNNING", 474.1, 528.6],
      ["1,010,000", 508.9, 563],
      ["thread mode and a stable ResourceID", 1890.2, 2128.7],
      ["AT_LEAST_ONCE: sustains 3861/s", 1669, 1852.4],
    ];
    for (const [text, normal, bold] of measured) {
      expect(textWidth(text, 100)).toBeGreaterThanOrEqual(normal);
      expect(textWidth(text, 100, true)).toBeGreaterThanOrEqual(bold);
      // Generous, not wasteful: within a tenth of the real width.
      expect(textWidth(text, 100)).toBeLessThan(normal * 1.1);
    }
  });
});

describe("fitLabel", () => {
  const long = "Flink's defaults (heartbeats 10 s / 50 s, restart delay up to 60 s, Python worker processes, one TaskManager)";

  it("keeps a label that fits as it is", () => {
    expect(fitLabel("from checkpoint 9", 200, 13)).toEqual({ lines: ["from checkpoint 9"], shortened: false });
  });

  it("wraps a long label at spaces into lines that each fit", () => {
    const fitted = fitLabel(long, 400, 13, { maxLines: 3 });
    expect(fitted.shortened).toBe(false);
    expect(fitted.lines.length).toBeGreaterThan(1);
    expect(fitted.lines.join(" ")).toBe(long);
    for (const line of fitted.lines) expect(textWidth(line, 13)).toBeLessThanOrEqual(400);
  });

  it("shortens what does not fit into the lines allowed, with an ellipsis", () => {
    const fitted = fitLabel(long, 300, 13, { maxLines: 2 });
    expect(fitted.shortened).toBe(true);
    expect(fitted.lines).toHaveLength(2);
    expect(fitted.lines[1]!.endsWith("…")).toBe(true);
    for (const line of fitted.lines) expect(textWidth(line, 13)).toBeLessThanOrEqual(300);
    expect(fitLabel("supercalifragilistic", 60, 12)).toEqual({ lines: [expect.stringMatching(/^super.*…$/)], shortened: true });
  });
});

describe("textBox", () => {
  it("puts the box by the anchor and around the baseline", () => {
    const start = textBox(100, 50, "abc", 10);
    const end = textBox(100, 50, "abc", 10, "end");
    const middle = textBox(100, 50, "abc", 10, "middle");
    expect(start.x).toBe(100);
    expect(end.x + end.width).toBeCloseTo(100);
    expect(middle.x + middle.width / 2).toBeCloseTo(100);
    expect(start.y).toBeLessThan(50);
    expect(start.y + start.height).toBeGreaterThan(50);
  });
});
