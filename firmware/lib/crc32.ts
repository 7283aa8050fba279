// CRC-32 (IEEE, reflected polynomial 0xEDB88320), bitwise: no 1 KB table in RAM. The EEPROM
// journal and slots use it rather than CRC-16: a batch torn by a power cut ends in old bytes,
// and over tens of thousands of cuts a 16-bit check lets some of them pass (measured by the
// power-cut test).

/** CRC-32 over bytes[start, end), as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i];
    // The polynomial times the low bit rather than a branch on it: the same bits, no slower on
    // the board, and about three times faster in the simulator's V8 (no branch to mispredict).
    for (let b = 0; b < 8; b++) crc = (crc >>> 1) ^ ((crc & 1) * 0xedb88320);
  }
  return ~crc >>> 0;
}

/** Writes c (a CRC, a sequence number) little-endian at b[at..at+3]. */
export function putU32(b: Uint8Array, at: number, c: number): void {
  b[at] = c & 255;
  b[at + 1] = (c >>> 8) & 255;
  b[at + 2] = (c >>> 16) & 255;
  b[at + 3] = c >>> 24;
}

/** The little-endian 32-bit number at b[at..at+3]. */
export function u32At(b: Uint8Array, at: number): number {
  return b[at] + b[at + 1] * 256 + b[at + 2] * 65536 + b[at + 3] * 16777216;
}
