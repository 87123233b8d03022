import { describe, expect, it } from "vitest";
import { el, escapeMarkup, text, title } from "./markup";

describe("escapeMarkup", () => {
  it("escapes every character that could open markup or leave an attribute", () => {
    expect(escapeMarkup(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });
});

describe("elements", () => {
  it("escape attribute values and text, round numbers to a tenth and leave out undefined attributes", () => {
    expect(el("rect", { x: 1.26, y: 0, fill: undefined, class: 'a"b' })).toBe('<rect x="1.3" y="0" class="a&quot;b"></rect>');
    expect(text({ x: 5 }, "<b>x</b> & y")).toBe('<text x="5">&lt;b&gt;x&lt;/b&gt; &amp; y</text>');
    expect(title("it's")).toBe("<title>it&#39;s</title>");
  });
});
