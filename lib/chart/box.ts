// Rectangles in a chart's coordinates (the SVG's user units: x to the right, y down), for laying labels out and for
// checking where they ended up.

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How far two boxes overlap in each direction (0 when they do not). */
export function overlapOf(a: Box, b: Box): { width: number; height: number } {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? { width, height } : { width: 0, height: 0 };
}

/** Whether two boxes share more than `tolerance` pixels in both directions. */
export const overlaps = (a: Box, b: Box, tolerance = 0): boolean => {
  const o = overlapOf(a, b);
  return o.width > tolerance && o.height > tolerance;
};

/** How far `inner` reaches past each edge of `outer` (0 where it stays inside). */
export function overhang(inner: Box, outer: Box): { left: number; right: number; top: number; bottom: number } {
  return {
    left: Math.max(0, outer.x - inner.x),
    right: Math.max(0, inner.x + inner.width - (outer.x + outer.width)),
    top: Math.max(0, outer.y - inner.y),
    bottom: Math.max(0, inner.y + inner.height - (outer.y + outer.height)),
  };
}

export const inside = (inner: Box, outer: Box, tolerance = 0): boolean =>
  Object.values(overhang(inner, outer)).every((v) => v <= tolerance);
