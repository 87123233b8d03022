import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { countColor, decodePng } from "./png";

/** A PNG of `rows` (RGB bytes), each row written with the filter given for it, as an encoder would. */
function encodePng(width: number, rows: number[][], filters: number[]): Buffer {
  const bpp = 3;
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  const raw = rows.flatMap((row, y) => {
    const up = y > 0 ? rows[y - 1]! : row.map(() => 0);
    return [
      filters[y]!,
      ...row.map((v, i) => {
        const left = i >= bpp ? row[i - bpp]! : 0;
        const upLeft = i >= bpp ? up[i - bpp]! : 0;
        const predicted = [0, left, up[i]!, (left + up[i]!) >> 1, paeth(left, up[i]!, upLeft)][filters[y]!]!;
        return (v - predicted) & 0xff;
      }),
    ];
  });
  const chunk = (type: string, body: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    return Buffer.concat([length, Buffer.from(type, "latin1"), body, Buffer.alloc(4)]); // the reader does not check CRCs
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(rows.length, 4);
  header[8] = 8;
  header[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from(raw))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("decodePng", () => {
  it("reads 8-bit RGB rows written with each of the five filters", () => {
    const rows = [
      [26, 127, 55, 243, 246, 251],
      [243, 246, 251, 26, 127, 55],
      [10, 200, 30, 40, 50, 60],
      [255, 0, 128, 1, 2, 3],
      [26, 127, 55, 26, 127, 55],
    ];
    const image = decodePng(encodePng(2, rows, [0, 1, 2, 3, 4]));
    expect([image.width, image.height]).toEqual([2, 5]);
    expect([...image.rgba.subarray(0, 8)]).toEqual([26, 127, 55, 255, 243, 246, 251, 255]);
    expect([...image.rgba.subarray(8 * 4, 8 * 4 + 8)]).toEqual([26, 127, 55, 255, 26, 127, 55, 255]);
    expect(countColor(image, "#1a7f37")).toBe(4);
    expect(countColor(image, "#f3f6fb")).toBe(2);
  });

  it("refuses what is not a PNG it can read", () => {
    expect(() => decodePng(Buffer.from("<html>"))).toThrow(/not a PNG/);
  });
});
