/*
 * The OpenPAYGO token hash chain in Thumb-2 machine code for Cortex-M boards, called from
 * JavaScript with E.nativeCall (hal/espruino/native-walk.ts). It does what walkChain in
 * firmware/tokens/openpaygo.ts does, about a hundred times faster than the interpreter.
 *
 *   int walk(uint32_t *st, int steps)
 *
 * st[0..7]  SipHash-2-4 initial state of the key: v0 high, v0 low, v1 high, ... v3 low
 * st[8..9]  the current code, low and high 32 bits (high is 0 for the 30-bit chain)
 * st[10..11] the lowest code that matches the token, low and high
 * st[12]    how many codes match from there (1000, or 1000000 for the 40-bit chain)
 * st[13]    0: standard (9-digit) chain, 1: extended (12-digit) 40-bit chain
 *
 * Moves the code on by one link at a time, at most `steps` times, and stops after the first
 * link whose code matches; returns the links taken and leaves the code in st[8..9].
 *
 * Built by tools/native.ts with arm-none-eabi-gcc: no data, no calls, no literal pools
 * (-mpure-code), so the bytes run wherever they are loaded on a 2-byte boundary.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                               \
  do {                                                                         \
    v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                  \
    v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                     \
    v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                     \
    v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                  \
  } while (0)

static inline u32 bswap(u32 x) { return __builtin_bswap32(x); }

/* SipHash-2-4 of one 8-byte message m (little-endian word of its bytes). */
static inline u64 sip8(const u32 *st, u64 m) {
  u64 v0 = ((u64)st[0] << 32) | st[1];
  u64 v1 = ((u64)st[2] << 32) | st[3];
  u64 v2 = ((u64)st[4] << 32) | st[5];
  u64 v3 = ((u64)st[6] << 32) | st[7];
  const u64 b = (u64)8 << 56; /* the padding block: no more bytes, length 8 in the top byte */
  /* message block, length block, finalisation: 2, 2 and 4 rounds (one loop keeps the code small) */
  u64 x = m;
  for (int r = 0; r < 8; r++) {
    if (r == 0 || r == 2) v3 ^= x;
    if (r == 4) v2 ^= 0xff;
    SIPROUND;
    if (r == 1) { v0 ^= x; x = b; }
    if (r == 3) v0 ^= x;
  }
  return v0 ^ v1 ^ v2 ^ v3;
}

__attribute__((section(".text.entry"))) int walk(u32 *st, int steps) {
  u64 code = ((u64)st[9] << 32) | st[8];
  const u64 lo = ((u64)st[11] << 32) | st[10];
  const u64 hi = lo + st[12];
  const int ext = st[13];
  int n = 0;
  while (n < steps) {
    if (ext) {
      /* the code's 8 bytes big-endian; bits 24..63 of the hash, folded below 10^12 */
      u64 h = sip8(st, ((u64)bswap((u32)code) << 32) | bswap((u32)(code >> 32)));
      code = h >> 24;
      if (code > 999999999999ULL) code -= 99511627777ULL;
    } else {
      /* the code's 4 bytes big-endian, twice; the two halves folded to 30 bits below 10^9 */
      u32 c = bswap((u32)code);
      u64 h = sip8(st, ((u64)c << 32) | c);
      u32 t = ((u32)(h >> 32) ^ (u32)h) >> 2;
      code = t > 999999999u ? t - 73741825u : t;
    }
    n++;
    if (code >= lo && code < hi) break;
  }
  st[8] = (u32)code;
  st[9] = (u32)(code >> 32);
  return n;
}
