import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTest } from "./browserTest";
import { checkPlot, drawingProblems, drawingsIn, instrumented } from "./plotCheck";

describe("the measuring copy", () => {
  it("runs its script after everything drawn: last in an SVG, at the end of a page's body", () => {
    const svg = instrumented('<svg xmlns="http://www.w3.org/2000/svg"><text>a</text></svg>\n', "svg");
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"><text>a<\/text><script><!\[CDATA\[[\s\S]*\]\]><\/script><\/svg>\n$/);
    expect(instrumented("<html><body><p>x</p></body></html>", "html")).toMatch(/<p>x<\/p><script>[\s\S]*<\/script><\/body><\/html>$/);
    expect(() => instrumented("<html></html>", "svg")).toThrow("not an SVG document");
  });
});

describe("reading the measurements back", () => {
  it("decodes the attribute Chromium dumped and names each problem by its drawing when there are several", () => {
    const drawings = [
      { id: "timeline", area: { x: 0, y: 0, width: 100, height: 50 }, texts: [{ text: 'a "b" & c', x: -5, y: 10, width: 20, height: 12 }] },
      { id: "svg 2", area: { x: 0, y: 0, width: 100, height: 50 }, texts: [] },
    ];
    const attribute = JSON.stringify(drawings).replace(/&/g, "&amp;").replace(/"/g, "&quot;");
    const read = drawingsIn(`<svg data-text-boxes="${attribute}"></svg>`)!;
    expect(read).toEqual(drawings);
    expect(drawingProblems(read)).toEqual(['timeline: "a "b" & c" is cut off: 5 px past the left edge']);
    expect(drawingsIn("<svg></svg>")).toBeNull();
  });
});

// The plot check in the real browser, on a plot drawn by hand: broken (a label past the left edge, two labels on each
// other) and fixed.
describe("the plot check in headless Chromium", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "plot-check-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const plot = (labelX: number, secondY: number) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="120" viewBox="0 0 400 120" font-family="DejaVu Sans, Verdana, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${labelX}" y="30" font-size="13" text-anchor="end">Flink's defaults (heartbeats 10 s / 50 s)</text>
<rect x="${labelX + 10}" y="18" width="80" height="16" fill="#3b6fb6"/>
<text x="300" y="80" font-size="12">24.6 s</text>
<text x="305" y="${secondY}" font-size="12">27.3 s</text>
</svg>
`;

  browserTest("fails a plot with a label past its left edge and two labels on each other, and passes it fixed", async (browser) => {
    const broken = join(dir, "broken.svg");
    await writeFile(broken, plot(150, 84));
    const failed = await checkPlot(browser, broken);
    expect(failed.problems).toEqual([
      expect.stringMatching(/^"Flink's defaults \(heartbeats 10 s \/ 50 s\)" is cut off: \d+ px past the left edge$/),
      expect.stringMatching(/^"24.6 s" and "27.3 s" overlap \(\d+×\d+ px\)$/),
    ]);
    expect((await readFile(join(dir, "broken.png"))).subarray(1, 4).toString()).toBe("PNG");

    const fixed = join(dir, "fixed.svg");
    await writeFile(fixed, plot(300, 100));
    expect(await checkPlot(browser, fixed)).toMatchObject({ problems: [], seen: "3 labels in a 400×120 drawing" });
  });

  browserTest("says so of a file that is no well-formed SVG, or none at all", async (browser) => {
    const malformed = join(dir, "malformed.svg");
    await writeFile(malformed, plot(300, 100).replace("<rect ", "<rect <"));
    expect((await checkPlot(browser, malformed)).problems).toEqual(["Chromium drew nothing to measure: the file is no well-formed SVG"]);
    expect((await checkPlot(browser, join(dir, "absent.svg"))).problems).toEqual([`${join(dir, "absent.svg")} does not exist`]);
  });
});
