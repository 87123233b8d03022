import { describe, expect, it } from "vitest";
import { estimatedTextBoxes, labelProblems } from "./labelCheck";

describe("labelProblems", () => {
  const area = { x: 0, y: 0, width: 500, height: 300 };

  it("names a label cut off at an edge, by how far", () => {
    expect(labelProblems([{ text: "setting", x: -40, y: 10, width: 100, height: 14 }], area)).toEqual([
      '"setting" is cut off: 40 px past the left edge',
    ]);
    expect(labelProblems([{ text: "30 s", x: 480, y: 290, width: 30, height: 14 }], area)).toEqual([
      '"30 s" is cut off: 10 px past the right edge, 4 px past the bottom edge',
    ]);
  });

  it("names two labels that overlap, and lets touching ones be", () => {
    expect(
      labelProblems(
        [
          { text: "11.7 kB", x: 100, y: 100, width: 40, height: 13 },
          { text: "9.9 kB", x: 110, y: 105, width: 35, height: 13 },
          { text: "line 2", x: 100, y: 112.5, width: 40, height: 13 },
        ],
        area,
      ),
    ).toEqual(['"11.7 kB" and "9.9 kB" overlap (30×8 px)', '"9.9 kB" and "line 2" overlap (30×6 px)']);
    expect(
      labelProblems(
        [
          { text: "a", x: 0, y: 0, width: 10, height: 14 },
          { text: "b", x: 0, y: 13.5, width: 10, height: 14 },
        ],
        area,
      ),
    ).toEqual([]);
  });
});

describe("estimatedTextBoxes", () => {
  it("reads the viewBox and every text's position, size, anchor and weight, its entities decoded", () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">' +
      '<text x="10" y="20" font-size="10">a &amp; b</text><g><title>t</title><text x="190" y="40" font-size="12" text-anchor="end" font-weight="bold">z</text></g></svg>';
    const { area, boxes } = estimatedTextBoxes(svg);
    expect(area).toEqual({ x: 0, y: 0, width: 200, height: 100 });
    expect(boxes.map((b) => b.text)).toEqual(["a & b", "z"]);
    expect(boxes[0]!.x).toBe(10);
    expect(boxes[1]!.x + boxes[1]!.width).toBeCloseTo(190);
  });
});
