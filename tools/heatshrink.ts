// Heatshrink compression as Espruino decompresses it (`require("heatshrink").decompress`, built
// into every Espruino firmware): LZSS over a 256-byte window with matches of up to 64 bytes
// (Espruino's window of 8 bits and look-ahead of 6, measured on the interpreter). The stream is
// bits, most significant first: 1 and a byte for a literal; 0, the distance less one (8 bits)
// and the length less one (6 bits) for a match; zero bits to the last byte's end. The window
// starts as 256 zero bytes.
//
// Parsed for the fewest bits (the cheapest way from each byte to the end, computed from the
// end), not greedily: a few percent smaller than Espruino's own encoder. Used for the modules a
// board keeps compressed in flash (tools/image.ts); checked against Espruino's decompressor.

const WINDOW = 256;
const LONGEST = 64;
const LITERAL_BITS = 9;
const MATCH_BITS = 15;

/** Compresses a byte string (one char per byte) into one. */
export function heatshrink(bytes: string): string {
  const n = bytes.length;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = bytes.charCodeAt(i);
  // The longest match at each byte and its distance (any shorter length at that distance too).
  const len = new Uint8Array(n);
  const dist = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const most = Math.min(LONGEST, n - i);
    // (The window starts as zeros: a match may reach before the first byte.)
    for (let d = 1; d <= WINDOW && len[i] < most; d++) {
      let l = 0;
      while (l < most && b[i + l] === (i + l >= d ? b[i + l - d] : 0)) l++;
      if (l > len[i]) {
        len[i] = l;
        dist[i] = d;
      }
    }
  }
  // The fewest bits from each byte to the end, and the step that gives them (0: a literal).
  const cost = new Float64Array(n + 1);
  const step = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    cost[i] = LITERAL_BITS + cost[i + 1];
    for (let l = 2; l <= len[i]; l++) {
      if (MATCH_BITS + cost[i + l] < cost[i]) {
        cost[i] = MATCH_BITS + cost[i + l];
        step[i] = l;
      }
    }
  }
  let out = '';
  let acc = 0;
  let bits = 0;
  const put = (v: number, count: number) => {
    for (let k = count - 1; k >= 0; k--) {
      acc = (acc << 1) | ((v >> k) & 1);
      if (++bits === 8) {
        out += String.fromCharCode(acc);
        acc = 0;
        bits = 0;
      }
    }
  };
  for (let i = 0; i < n; ) {
    if (step[i]) {
      put(0, 1);
      put(dist[i] - 1, 8);
      put(step[i] - 1, 6);
      i += step[i];
    } else {
      put(1, 1);
      put(b[i], 8);
      i++;
    }
  }
  if (bits) out += String.fromCharCode(acc << (8 - bits));
  return out;
}
