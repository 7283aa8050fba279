// CRC-32 (IEEE, reflected polynomial 0xEDB88320: zlib's, and Espruino's E.CRC32), a service of
// the platform. The board build puts hal/espruino/crc32.ts in this file's place
// (tools/build.ts): the interpreter's native E.CRC32, no table in the heap and thousands of
// times faster than a bitwise loop in JavaScript there (0.06 ms against 57 ms for 850 bytes on
// the Linux interpreter). This one runs in the simulator and the tests on Node: a table of 256
// entries made at first use, about five times faster in V8 than the bitwise loop, or a native
// CRC-32 that the platform hands over (the simulator gives Node's zlib.crc32: four times faster
// again for a journal batch).

let table: Int32Array | null = null;
let native: ((bytes: Uint8Array) => number) | null = null;

/** Uses a native CRC-32 (IEEE, unsigned) of a whole array from now on. */
export function useNativeCrc32(f: (bytes: Uint8Array) => number): void {
  native = f;
}

/** CRC-32 over bytes[start, end), as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (native) return native(bytes.subarray(start, end));
  let t = table;
  if (!t) {
    t = table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let b = 0; b < 8; b++) c = (c >>> 1) ^ ((c & 1) * 0xedb88320);
      t[n] = c;
    }
  }
  let crc = -1;
  for (let i = start; i < end; i++) crc = t[(crc ^ bytes[i]) & 255] ^ (crc >>> 8);
  return ~crc >>> 0;
}
