// The one rounding rule of the meter bus: integer units, nearest, halves away from zero,
// so a reading and its negation (import vs export power) round alike.

/** Round(v * mul / div) to the nearest integer, halves away from zero. */
export function scaleRound(v: number, mul: number, div: number): number {
  const x = (v < 0 ? -v : v) * mul;
  const q = Math.floor((x * 2 + div) / (div * 2));
  return v < 0 ? -q : q;
}
