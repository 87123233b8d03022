// The benchmark charts' colours: two that tell series apart for most colour vision (blue and orange), a paler blue
// for a part of the first series, and the near-black of range lines and ticks.

export const PALETTE = {
  blue: "#3b6fb6",
  orange: "#e08a2c",
  paleBlue: "#7aa0d6",
  range: "#222",
} as const;
