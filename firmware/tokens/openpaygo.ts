// OpenPAYGO Token decoding on the device: standard (9 digits), extended (12), and the
// restricted keypad forms (15 and 20 digits of keys 1-4). Facts in
// shared/protocols/openpaygo-token.md. Everything 64-bit is done on 32-bit halves or in
// doubles below 2^41, since the board has no BigInt.
import { sipKey, sipWords } from './siphash';

/** What the device holds per account to recognise tokens: a 16-byte key and a starting code. */
export interface TokenSecret {
  key: Uint8Array;
  startingCode: number;
}

/** A token as typed, reduced to its number: restricted forms are already converted. */
export interface ParsedToken {
  code: number;
  extended: boolean;
}

/** What a token does: add credit, set credit, switch pay-as-you-go off, or resync the count. */
export type TokenKind = 'add' | 'set' | 'disable' | 'sync';

/** A matched token, or why not: no match at all, or a match that was already used. */
export type TokenMatch =
  | { ok: true; count: number; value: number; kind: TokenKind }
  | { ok: false; error: 'invalid' | 'used' };

/** The outcome of an entry; 'locked' carries the seconds left before entry is allowed. */
export type TokenResult = TokenMatch | { ok: false; error: 'locked'; waitSeconds: number };

/**
 * Per-account token state, stored atomically with the balance the token changed.
 * usedBitmap bit i = count lastCount - i already used (16 counts); lockedUntil in the
 * caller's seconds (must survive reboots, e.g. RTC seconds).
 */
export interface TokenState {
  lastCount: number;
  usedBitmap: number;
  invalidCount: number;
  lockedUntil: number;
}

/** Reasons a typed token is refused before any decoding. */
export type TokenParseError = 'empty' | 'character' | 'length' | 'keypad';

/** A parsed token, or a typed error with a message for the user. */
export type TokenParse = { ok: true; value: ParsedToken } | { ok: false; error: TokenParseError; detail: string };

export const DISABLE_VALUE = 998;
export const SYNC_VALUE = 999;
const MAX_JUMP = 64;
const MAX_JUMP_SYNC = 100;
const OLDER_WINDOW = 16;
const FREE_INVALID = 2;
const MAX_INVALID = 11;

/** The state of an account that has never taken a token (the vendor also starts at count 1). */
export function freshTokenState(): TokenState {
  return { lastCount: 1, usedBitmap: 0, invalidCount: 0, lockedUntil: 0 };
}

/**
 * Reads a token as users type it: digits with optional spaces or dashes between groups.
 * 9 or 12 digits are standard or extended; 15 or 20 digits of 1-4 are the keypad forms.
 */
export function parseToken(text: string): TokenParse {
  // One declaration at the top: Espruino does not hoist `var`, and a minifier merging two
  // loop-local declarations into one late `var` would write the outer scope's name instead.
  let ch = 0;
  let n = 0;
  let digits = 0;
  let keypad = true;
  for (let i = 0; i < text.length; i++) {
    ch = text.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      if (digits < 20) n = n * 10 + ch - 48;
      if (ch < 49 || ch > 52) keypad = false;
      digits++;
    } else if (ch !== 32 && ch !== 45 && ch !== 9) {
      return { ok: false, error: 'character', detail: 'token: unexpected "' + text.charAt(i) + '" at position ' + (i + 1) + '; use digits, spaces or dashes' };
    }
  }
  if (digits === 0) return { ok: false, error: 'empty', detail: 'token: no digits entered' };
  if (digits === 9 || digits === 12) return { ok: true, value: { code: n, extended: digits === 12 } };
  if (digits !== 15 && digits !== 20) {
    return { ok: false, error: 'length', detail: 'token: ' + digits + ' digits; expected 9 or 12 (or 15 or 20 on a 1-4 keypad)' };
  }
  if (!keypad) return { ok: false, error: 'keypad', detail: 'token: ' + digits + '-digit tokens use only the digits 1 to 4' };
  // Each key 1..4 is two bits, most significant first. Re-read the text: n above was decimal.
  n = 0;
  for (let i = 0; i < text.length; i++) {
    ch = text.charCodeAt(i);
    if (ch >= 49 && ch <= 52) n = n * 4 + ch - 49;
  }
  return { ok: true, value: { code: n, extended: digits === 20 } };
}

// The 8-byte message as SipHash words: block (low, high), then the padding block with the
// length 8 in its top byte.
const words = new Int32Array([0, 0, 0, 0x08000000]);
const hash = new Uint32Array(2);

/** The 32-bit value with its bytes reversed: big-endian bytes read as a little-endian word. */
function swapBytes(x: number): number {
  return (x >>> 24) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24);
}

/**
 * The code after `code` in the hash chain (extended: the 40-bit chain). iv is the key's
 * SipHash state from sipKey, computed once per walk.
 */
export function nextTokenCode(iv: Int32Array, code: number, extended: boolean): number {
  if (extended) {
    // The code's 8 bytes big-endian, hashed once.
    const hi = Math.floor(code / 4294967296);
    words[0] = swapBytes(hi);
    words[1] = swapBytes(code - hi * 4294967296);
    sipWords(iv, words, 4, hash);
    // Bits 24..63 of the hash: exact in a double (< 2^40).
    const x = hash[0] * 256 + (hash[1] >>> 24);
    return x > 999999999999 ? x - 99511627777 : x;
  }
  // The code's 4 bytes big-endian, twice.
  words[0] = words[1] = swapBytes(code);
  sipWords(iv, words, 4, hash);
  const t = (hash[0] ^ hash[1]) >>> 2;
  return t > 999999999 ? t - 73741825 : t;
}

/** The kind a token of this count and value carries: parity, then the special values. */
export function tokenKind(count: number, value: number): TokenKind {
  if (count % 2 === 0) return 'add';
  return value === DISABLE_VALUE ? 'disable' : value === SYNC_VALUE ? 'sync' : 'set';
}

/**
 * Walks the hash chain: moves the code in st on by one link at a time, at most `steps` times,
 * and stops after the first link whose code matches the token; returns the links taken.
 * st (14 words): 0..7 the key's SipHash state (sipKey), 8..9 the code (low, high 32 bits),
 * 10..11 the lowest matching code, 12 how many codes match from there, 13 1 for the 40-bit
 * chain. hal/espruino/native/token-walk.c does the same in machine code, same layout.
 */
export type ChainWalker = (st: Int32Array, steps: number) => number;

/** The chain walker in JavaScript. */
export function walkChain(st: Int32Array, steps: number): number {
  const ext = st[13] === 1;
  let code = getCode(st, 8);
  const lo = getCode(st, 10);
  const hi = lo + st[12];
  let n = 0;
  while (n < steps) {
    code = nextTokenCode(st, code, ext);
    n++;
    if (code >= lo && code < hi) break;
  }
  setCode(st, 8, code);
  return n;
}

function getCode(st: Int32Array, i: number): number {
  return (st[i + 1] >>> 0) * 4294967296 + (st[i] >>> 0);
}

function setCode(st: Int32Array, i: number, code: number): void {
  const h = Math.floor(code / 4294967296);
  st[i] = (code - h * 4294967296) | 0;
  st[i + 1] = h;
}

let walker: ChainWalker = walkChain;

/** Makes the token search use another walker (the board's machine code); null: walkChain. */
export function useChainWalker(w: ChainWalker | null): void {
  walker = w || walkChain;
}

/** A chain walk in progress: matchToken in one go, or startSearch + stepSearch in slices. */
export interface TokenSearch {
  /** The walker's state (see ChainWalker); its code is kept in `code` between walks. */
  st: Int32Array;
  mod: number;
  target: number;
  value: number;
  last: number;
  used: number;
  max: number;
  code: number;
  n: number;
  older: boolean;
}

/**
 * Starts looking for the token's count. The walk covers counts 0..lastCount+64 (+100 for a
 * sync) and accepts the first match above lastCount, or an add (count > 0) or a sync within
 * 16 below whose used bit is clear. The reference accepts a sync up to 64 below because it
 * then lowers the count; this device never lowers it (see acceptedState), so an older sync
 * is just another older token and every token is accepted at most once.
 */
export function startSearch(secret: TokenSecret, token: ParsedToken, lastCount: number, usedBitmap: number): TokenSearch {
  const mod = token.extended ? 1000000 : 1000;
  const base = token.code % mod;
  const scBase = secret.startingCode % mod;
  let value = base - scBase;
  if (value < 0) value += mod;
  const st = new Int32Array(14);
  sipKey(secret.key, st);
  setCode(st, 10, token.code - base);
  st[12] = mod;
  st[13] = token.extended ? 1 : 0;
  return {
    st: st,
    mod: mod,
    target: token.code - base,
    value: value,
    last: lastCount,
    used: usedBitmap,
    max: lastCount + (value === SYNC_VALUE ? MAX_JUMP_SYNC : MAX_JUMP),
    code: secret.startingCode - scBase + base,
    n: 0,
    older: false,
  };
}

/**
 * Walks at most `steps` counts (one hash each); the outcome, or null when not done yet. On a
 * board without the machine-code walker a count costs milliseconds, so the caller spreads
 * the walk over its main-loop ticks.
 */
export function stepSearch(w: TokenSearch, steps: number): TokenMatch | null {
  const st = w.st;
  let code = w.code;
  let n = w.n;
  const stop = n + steps < w.max ? n + steps : w.max;
  for (;;) {
    if (code - (code % w.mod) === w.target) {
      const kind = tokenKind(n, w.value);
      const below = w.last - n;
      if (below < 0 || (below < OLDER_WINDOW && ((w.used >> below) & 1) === 0 && (kind === 'sync' || (kind === 'add' && n > 0)))) {
        return { ok: true, count: n, value: w.value, kind: kind };
      }
      w.older = true;
    }
    if (n >= stop) break;
    // On to the next count whose code matches, or to the stop.
    setCode(st, 8, code);
    n += walker(st, stop - n);
    code = getCode(st, 8);
  }
  if (n < w.max) {
    // Resume at the next count.
    setCode(st, 8, code);
    w.n = n + walker(st, 1);
    w.code = getCode(st, 8);
    return null;
  }
  return { ok: false, error: w.older ? 'used' : 'invalid' };
}

/** Finds the token's count and whether the device may accept it, in one go; no state changes. */
export function matchToken(secret: TokenSecret, token: ParsedToken, lastCount: number, usedBitmap: number): TokenMatch {
  const w = startSearch(secret, token, lastCount, usedBitmap);
  return stepSearch(w, w.max + 1) as TokenMatch;
}

/**
 * The state after accepting a token of `count` and `kind`. The count never moves back: the
 * Python reference sets it to a sync's count even when lower, which makes every token between
 * the two counts acceptable again (a replay). Set, disable and sync mark the window used.
 */
export function acceptedState(s: TokenState, count: number, kind: TokenKind): TokenState {
  let last = s.lastCount;
  let used = s.usedBitmap;
  if (count > last) {
    used = count - last >= OLDER_WINDOW ? 1 : ((used << (count - last)) | 1) & 0xffff;
    last = count;
  } else {
    used |= 1 << (last - count);
  }
  if (kind !== 'add') used = 0xffff;
  return { lastCount: last, usedBitmap: used, invalidCount: 0, lockedUntil: 0 };
}

/** 'locked' with the seconds left while wrong entries keep the keypad shut, else null. */
export function tokenLocked(s: TokenState, nowSeconds: number): TokenResult | null {
  return nowSeconds < s.lockedUntil ? { ok: false, error: 'locked', waitSeconds: Math.ceil(s.lockedUntil - nowSeconds) } : null;
}

/**
 * The result and next state once a match is known. A wrong token counts towards the
 * lock-out; 'used' does not (it is a real token entered again).
 */
export function settleToken(s: TokenState, m: TokenMatch, nowSeconds: number): { result: TokenResult; state: TokenState } {
  if (m.ok) return { result: m, state: acceptedState(s, m.count, m.kind) };
  if (m.error === 'used') return { result: m, state: s };
  const n = s.invalidCount < MAX_INVALID ? s.invalidCount + 1 : MAX_INVALID;
  // From the third wrong entry in a row: 2^(n-2) minutes, at most 512.
  const until = n > FREE_INVALID ? Math.floor(nowSeconds) + (1 << (n - 2)) * 60 : s.lockedUntil;
  return { result: m, state: { lastCount: s.lastCount, usedBitmap: s.usedBitmap, invalidCount: n, lockedUntil: until } };
}

/**
 * Enters a token in one go: lock-out, decode, result and next state. The caller stores that
 * state with the credit it grants, in one commit; the state passed in is not changed. On the
 * board, tokenLocked + startSearch/stepSearch + settleToken do the same in slices (one token
 * entry per account at a time).
 */
export function enterToken(secret: TokenSecret, s: TokenState, token: ParsedToken, nowSeconds: number): { result: TokenResult; state: TokenState } {
  const locked = tokenLocked(s, nowSeconds);
  if (locked) return { result: locked, state: s };
  return settleToken(s, matchToken(secret, token, s.lastCount, s.usedBitmap), nowSeconds);
}

/** Bytes of a stored token state: count 3, bitmap 2, wrong entries 1, locked-until 4. */
export const TOKEN_STATE_BYTES = 10;

/** Writes s into out at `at`, big-endian. */
export function encodeTokenState(s: TokenState, out: Uint8Array, at: number): void {
  const c = s.lastCount;
  const u = s.lockedUntil > 4294967295 ? 4294967295 : s.lockedUntil;
  out[at] = (c >>> 16) & 255;
  out[at + 1] = (c >>> 8) & 255;
  out[at + 2] = c & 255;
  out[at + 3] = (s.usedBitmap >>> 8) & 255;
  out[at + 4] = s.usedBitmap & 255;
  out[at + 5] = s.invalidCount;
  out[at + 6] = (u >>> 24) & 255;
  out[at + 7] = (u >>> 16) & 255;
  out[at + 8] = (u >>> 8) & 255;
  out[at + 9] = u & 255;
}

/** Reads a state written by encodeTokenState. */
export function decodeTokenState(b: Uint8Array, at: number): TokenState {
  return {
    lastCount: b[at] * 65536 + b[at + 1] * 256 + b[at + 2],
    usedBitmap: b[at + 3] * 256 + b[at + 4],
    invalidCount: b[at + 5] > MAX_INVALID ? MAX_INVALID : b[at + 5],
    lockedUntil: b[at + 6] * 16777216 + b[at + 7] * 65536 + b[at + 8] * 256 + b[at + 9],
  };
}
