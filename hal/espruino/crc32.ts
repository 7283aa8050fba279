// The board's CRC-32: the interpreter's native E.CRC32 (IEEE, as hal/crc32.ts, whose place it
// takes in the board build). It takes no seed, so a CRC is always over one run of bytes.

/** CRC-32 over bytes[start, end), as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  // subarray, not new Uint8Array(buffer, offset, 0): Espruino reads a length of 0 as "to the end".
  return E.CRC32(bytes.subarray(start, end)) >>> 0;
}
