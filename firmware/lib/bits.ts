// Flag sets as small integers, with arithmetic instead of bit operators: the one place the
// billing core touches bits, so the Lua 5.1 build (no bit operators) needs no `bit` library.

/** True when flag i (0..30) is set in mask. */
export function hasFlag(mask: number, i: number): boolean {
  return Math.floor(mask / pow2(i)) % 2 === 1;
}

/** mask with flag i set. */
export function withFlag(mask: number, i: number): number {
  return hasFlag(mask, i) ? mask : mask + pow2(i);
}

/** mask with flag i cleared. */
export function withoutFlag(mask: number, i: number): number {
  return hasFlag(mask, i) ? mask - pow2(i) : mask;
}

/** 2^i by multiplication (Math.pow is inexact on Espruino). */
export function pow2(i: number): number {
  let x = 1;
  for (let k = 0; k < i; k++) x *= 2;
  return x;
}
