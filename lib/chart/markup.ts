// Markup primitives for the SVG charts and the HTML report pages alike: elements built from attribute records, and
// every text escaped on its way in, so a string from a run (a fault name, a topic, an error) can never become markup.

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for HTML and SVG, in element content and in quoted attributes alike. */
export const escapeMarkup = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** Attribute values; numbers are rounded to a tenth (a pixel's tenth is finer than any screen), undefined ones left out. */
export type Attributes = Readonly<Record<string, string | number | undefined>>;

const attributeList = (attrs: Attributes): string =>
  Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeMarkup(typeof v === "number" ? String(Math.round(v * 10) / 10) : v!)}"`)
    .join("");

/** An element; `content` is markup already (escape text with escapeMarkup, or use `text` and `title`). */
export const el = (name: string, attrs: Attributes, content = ""): string => `<${name}${attributeList(attrs)}>${content}</${name}>`;

/** An SVG <text>, its content escaped. */
export const text = (attrs: Attributes, content: string): string => el("text", attrs, escapeMarkup(content));

/** A <title>, which a browser shows as the tooltip of its parent: where a shortened label keeps its full text. */
export const title = (content: string): string => el("title", {}, escapeMarkup(content));
