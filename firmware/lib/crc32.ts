// CRC-32 (IEEE) from the platform (hal/crc32.ts; on the board the interpreter's native
// E.CRC32), and the little-endian 32-bit fields it is stored in. The EEPROM journal and slots use
// it rather than CRC-16: a batch torn by a power cut ends in old bytes, and over tens of
// thousands of cuts a 16-bit check lets some of them pass (measured by the power-cut test).
import { crc32 as platformCrc32 } from '../../hal/crc32';

/** CRC-32 over bytes[start, end), unsigned. A binding of this file rather than a re-export, so
 *  that on-demand modules can share it with the resident code (tools/build.ts). */
export const crc32 = platformCrc32;

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
