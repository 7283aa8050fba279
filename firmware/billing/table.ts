// Per-account and per-meter numeric state. Typed arrays on the board (a Float64Array of 32
// costs ~23 variables where 32 numbers in objects cost hundreds); the Lua build swaps this
// one module for plain tables. Everything typed as number[] so the core stays in the subset.

/** A zero-filled table of n numbers (exact integers up to 2^53). */
export function numbers(n: number): number[] {
  return new Float64Array(n) as unknown as number[];
}

/** A zero-filled table of n small integers (flags, modes, 32-bit times). */
export function smalls(n: number): number[] {
  return new Int32Array(n) as unknown as number[];
}
