// SipHash-2-4 (Aumasson & Bernstein) on 32-bit halves: the board has no BigInt, and its bit
// operators are exact 32-bit JS. A token decode runs it ~1000 times on an interpreter that
// pays per statement, so: the key's initial state is computed once (sipKey), the message comes
// as 32-bit words, the state lives in locals, and two rounds are written out together so the
// 64-bit rotations by 32 become renamings instead of swaps (the second round reads v0 and v2
// with their halves exchanged).

/** How many hashes have run since load; the benchmark reads it, the device ignores it. */
export const sipStats = { calls: 0 };

/** Initial state v0..v3 (high, low halves) for a 16-byte key, written into iv (8 entries). */
export function sipKey(key: Uint8Array, iv: Int32Array): void {
  // k0 = key bytes 0..7 little-endian, k1 = bytes 8..15.
  const k0l = key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24);
  const k0h = key[4] | (key[5] << 8) | (key[6] << 16) | (key[7] << 24);
  const k1l = key[8] | (key[9] << 8) | (key[10] << 16) | (key[11] << 24);
  const k1h = key[12] | (key[13] << 8) | (key[14] << 16) | (key[15] << 24);
  // "somepseudorandomlygeneratedbytes"
  iv[0] = k0h ^ 0x736f6d65;
  iv[1] = k0l ^ 0x70736575;
  iv[2] = k1h ^ 0x646f7261;
  iv[3] = k1l ^ 0x6e646f6d;
  iv[4] = k0h ^ 0x6c796765;
  iv[5] = k0l ^ 0x6e657261;
  iv[6] = k1h ^ 0x74656462;
  iv[7] = k1l ^ 0x79746573;
}

/**
 * SipHash-2-4 of a message already cut into little-endian words: w[2i] low and w[2i+1] high
 * half of block i, the last block holding the length byte as SipHash pads it; n = words.
 * out[0] = high, out[1] = low 32 bits of the 64-bit result (unsigned).
 */
export function sipWords(iv: Int32Array, w: Int32Array, n: number, out: Uint32Array | number[]): void {
  // Espruino: keep this one pretokenised in RAM (faster than from flash; ~80 variables).
  // The minifier must keep directives (terser compress.directives: false).
  'ram';
  sipStats.calls++;
  // Espruino finds a local by a linear search in declaration order: hottest first.
  let t = 0, v0h = iv[0], v0l = iv[1], v1h = iv[2], v1l = iv[3], v2h = iv[4], v2l = iv[5], v3h = iv[6], v3l = iv[7];
  let r = 0, mh = 0, ml = 0;
  // Blocks take one double round (2 rounds); i === n is the finalisation, two (4 rounds).
  for (let i = 0; i <= n; i += 2) {
    if (i < n) {
      ml = w[i];
      mh = w[i + 1];
      v3l ^= ml;
      v3h ^= mh;
      r = 1;
    } else {
      v2l ^= 0xff;
      r = 2;
    }
    // A 64-bit add carries when the new low half is below the addend's, unsigned; the
    // comparison's boolean adds as 0 or 1 (cheaper than ?: on the interpreter). Two shifted
    // halves share no bits, so ^ joins them like | and needs no parentheses.
    for (; r > 0; r--) {
      // Round 1: v0 += v1; v1 = v1 <<< 13 ^ v0; v0 <<<= 32 (its halves now read swapped)
      v0l = (v0l + v1l) | 0;
      v0h = (v0h + v1h + ((v0l >>> 0 < v1l >>> 0) as unknown as number)) | 0;
      t = v1h;
      v1h = (v1h << 13) ^ (v1l >>> 19) ^ v0h;
      v1l = (v1l << 13) ^ (t >>> 19) ^ v0l;
      // v2 += v3; v3 = v3 <<< 16 ^ v2
      v2l = (v2l + v3l) | 0;
      v2h = (v2h + v3h + ((v2l >>> 0 < v3l >>> 0) as unknown as number)) | 0;
      t = v3h;
      v3h = (v3h << 16) ^ (v3l >>> 16) ^ v2h;
      v3l = (v3l << 16) ^ (t >>> 16) ^ v2l;
      // v0 += v3; v3 = v3 <<< 21 ^ v0 (v0 high in v0l, low in v0h)
      v0h = (v0h + v3l) | 0;
      v0l = (v0l + v3h + ((v0h >>> 0 < v3l >>> 0) as unknown as number)) | 0;
      t = v3h;
      v3h = (v3h << 21) ^ (v3l >>> 11) ^ v0l;
      v3l = (v3l << 21) ^ (t >>> 11) ^ v0h;
      // v2 += v1; v1 = v1 <<< 17 ^ v2; v2 <<<= 32 (its halves now read swapped)
      v2l = (v2l + v1l) | 0;
      v2h = (v2h + v1h + ((v2l >>> 0 < v1l >>> 0) as unknown as number)) | 0;
      t = v1h;
      v1h = (v1h << 17) ^ (v1l >>> 15) ^ v2h;
      v1l = (v1l << 17) ^ (t >>> 15) ^ v2l;
      // Round 2, v0 and v2 swapped: v0 += v1; v1 = v1 <<< 13 ^ v0; v0 <<<= 32 (normal again)
      v0h = (v0h + v1l) | 0;
      v0l = (v0l + v1h + ((v0h >>> 0 < v1l >>> 0) as unknown as number)) | 0;
      t = v1h;
      v1h = (v1h << 13) ^ (v1l >>> 19) ^ v0l;
      v1l = (v1l << 13) ^ (t >>> 19) ^ v0h;
      // v2 += v3; v3 = v3 <<< 16 ^ v2 (v2 high in v2l, low in v2h)
      v2h = (v2h + v3l) | 0;
      v2l = (v2l + v3h + ((v2h >>> 0 < v3l >>> 0) as unknown as number)) | 0;
      t = v3h;
      v3h = (v3h << 16) ^ (v3l >>> 16) ^ v2l;
      v3l = (v3l << 16) ^ (t >>> 16) ^ v2h;
      // v0 += v3; v3 = v3 <<< 21 ^ v0
      v0l = (v0l + v3l) | 0;
      v0h = (v0h + v3h + ((v0l >>> 0 < v3l >>> 0) as unknown as number)) | 0;
      t = v3h;
      v3h = (v3h << 21) ^ (v3l >>> 11) ^ v0h;
      v3l = (v3l << 21) ^ (t >>> 11) ^ v0l;
      // v2 += v1; v1 = v1 <<< 17 ^ v2; v2 <<<= 32 (normal again)
      v2h = (v2h + v1l) | 0;
      v2l = (v2l + v1h + ((v2h >>> 0 < v1l >>> 0) as unknown as number)) | 0;
      t = v1h;
      v1h = (v1h << 17) ^ (v1l >>> 15) ^ v2l;
      v1l = (v1l << 17) ^ (t >>> 15) ^ v2h;
    }
    if (i < n) {
      v0l ^= ml;
      v0h ^= mh;
    }
  }
  out[0] = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  out[1] = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

/** SipHash-2-4 of any message under a 16-byte key; out[0] = high, out[1] = low 32 bits. */
export function siphash24(key: Uint8Array, msg: Uint8Array, out: Uint32Array | number[]): void {
  const iv = new Int32Array(8);
  sipKey(key, iv);
  const len = msg.length;
  const n = ((len >> 3) + 1) * 2;
  const w = new Int32Array(n);
  for (let i = 0; i < len; i++) w[i >> 2] |= msg[i] << ((i & 3) << 3);
  w[n - 1] |= (len & 255) << 24;
  sipWords(iv, w, n, out);
}

/** SipHash-2-4 of a byte string (a character a byte: an SMS command's words, an uplink message)
 *  under key: [high, low] 32 bits. The string is `pre` followed by `s` (hashed without joining
 *  them: on a board an uplink message is long, and the heap holds it as few times as it can). */
export function siphashText(key: Uint8Array, s: string, pre = ''): number[] {
  const a = pre.length;
  const m = new Uint8Array(a + s.length);
  for (let i = 0; i < a; i++) m[i] = pre.charCodeAt(i) & 255;
  for (let i = 0; i < s.length; i++) m[a + i] = s.charCodeAt(i) & 255;
  const h = [0, 0];
  siphash24(key, m, h);
  return h;
}
