// Seeded pseudo-random numbers (mulberry32): the same seed gives the same run, byte for byte.

/** A deterministic generator of numbers in [0, 1). */
export type Random = () => number;

/** Creates a generator from a 32-bit seed. */
export function mulberry32(seed: number): Random {
  let s = seed >>> 0;
  return function () {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
