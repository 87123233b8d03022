import { describe, expect, it } from "vitest";
import { inside, overlaps } from "./box";
import { estimatedTextBoxes } from "./labelCheck";
import { fittedLabel, labelColumnWidth, labelRows, placePointLabels } from "./labels";
import { textBox, textWidth } from "./textSize";

describe("labelColumnWidth", () => {
  const bounds = { min: 60, max: 450, gap: 12 };

  it("grows with the longest label, within its bounds", () => {
    const short = labelColumnWidth([{ text: "standby", fontSize: 13 }], bounds);
    const longer = labelColumnWidth(
      [
        { text: "standby", fontSize: 13 },
        { text: "thread mode and a stable ResourceID", fontSize: 13 },
      ],
      bounds,
    );
    expect(labelColumnWidth([{ text: "a", fontSize: 13 }], bounds)).toBe(60);
    expect(longer).toBeGreaterThan(short);
    expect(longer).toBeGreaterThanOrEqual(textWidth("thread mode and a stable ResourceID", 13) + 12);
    expect(labelColumnWidth([{ text: "x".repeat(500), fontSize: 13 }], bounds)).toBe(450);
  });
});

describe("fittedLabel", () => {
  it("keeps a shortened label's full text in a title and every line within its width", () => {
    const full = "Flink's defaults (heartbeats 10 s / 50 s, restart delay up to 60 s, Python worker processes, one TaskManager)";
    const markup = fittedLabel(300, 40, full, 280, { fontSize: 13, anchor: "end", maxLines: 2 });
    expect(markup).toContain(`<title>Flink&#39;s defaults (heartbeats 10 s / 50 s`);
    const { boxes } = estimatedTextBoxes(`<svg viewBox="0 0 400 100">${markup}</svg>`);
    expect(boxes).toHaveLength(2);
    for (const box of boxes) expect(inside(box, { x: 20, y: 0, width: 280, height: 100 }, 0.01)).toBe(true);
  });
});

describe("labelRows", () => {
  it("puts a label on the first row where it clears the one before", () => {
    expect(
      labelRows([
        { x: 0, width: 50 },
        { x: 20, width: 50 },
        { x: 60, width: 10 },
        { x: 65, width: 10 },
      ]),
    ).toEqual([0, 1, 0, 2]);
  });
});

describe("placePointLabels", () => {
  it("never lets two labels overlap, nor leave the area; a label with no room is left out", () => {
    const area = { x: 0, y: 0, width: 300, height: 200 };
    const points = [
      { x: 100, y: 100, text: "11.7 kB" },
      { x: 100, y: 104, text: "9.9 kB" },
      { x: 102, y: 102, text: "10.2 kB" },
      { x: 298, y: 2, text: "15.9 MB" },
    ];
    const placed = placePointLabels(points, 11, area);
    const boxes = placed.filter((p) => p.at).map((p) => textBox(p.at!.x, p.at!.y, p.text, 11, p.at!.anchor));
    expect(boxes.length).toBeGreaterThanOrEqual(3);
    for (const box of boxes) expect(inside(box, area)).toBe(true);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlaps(boxes[i]!, boxes[j]!)).toBe(false);
    expect(placePointLabels([{ x: 5, y: 5, text: "far too long for the area" }], 11, { x: 0, y: 0, width: 40, height: 10 })[0]!.at).toBe(
      null,
    );
  });
});
