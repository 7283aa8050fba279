// OpenPAYGO Token generation for the vending side (tools, simulator, tests); the board only
// decodes. Shares the hash chain with the device decoder so both walk the same codes.
import { DISABLE_VALUE, nextTokenCode, SYNC_VALUE, TokenKind } from '../firmware/tokens/openpaygo';
import { sipKey } from '../firmware/tokens/siphash';

/** What to issue: the account's secret, the vendor's last count, and the token to make. */
export interface TokenRequest {
  key: Uint8Array;
  startingCode: number;
  /** The last count issued for this account (1 for a new account). */
  count: number;
  kind: TokenKind;
  /** Credit units for add/set (0..995 standard, 0..999999 extended); ignored otherwise. */
  value: number;
  extended?: boolean;
  restricted?: boolean;
}

/** An issued token and the count the vendor must store for the next one. */
export type TokenIssue = { ok: true; token: string; count: number } | { ok: false; error: string };

/** The next count of the right parity: even for add, odd for set, disable and sync. */
export function nextCount(count: number, kind: TokenKind): number {
  const odd = count % 2 === 1;
  if (kind === 'add') return odd ? count + 1 : count + 2;
  return odd ? count + 2 : count + 1;
}

/** Issues the token after `count`. */
export function generateToken(r: TokenRequest): TokenIssue {
  const extended = !!r.extended;
  const mod = extended ? 1000000 : 1000;
  if (r.key.length !== 16) return { ok: false, error: 'key must be 16 bytes' };
  if (!(r.startingCode >= 0 && r.startingCode <= 999999999 && r.startingCode % 1 === 0)) return { ok: false, error: 'starting code must be 0..999999999' };
  if (!(r.count >= 0 && r.count % 1 === 0)) return { ok: false, error: 'count must be a whole number >= 0' };
  let value: number;
  if (r.kind === 'disable') value = DISABLE_VALUE;
  else if (r.kind === 'sync') value = SYNC_VALUE;
  else {
    value = r.value;
    const max = extended ? 999999 : 995;
    if (!(value >= 0 && value <= max && value % 1 === 0)) return { ok: false, error: 'value must be a whole number 0..' + max };
    // On odd counts 998 and 999 mean disable and sync, so an extended set cannot carry them.
    if (r.kind === 'set' && (value === DISABLE_VALUE || value === SYNC_VALUE)) return { ok: false, error: 'set value ' + value + ' would read as ' + (value === DISABLE_VALUE ? 'disable' : 'sync') + '; use another value' };
  }
  const count = nextCount(r.count, r.kind);
  const scBase = r.startingCode % mod;
  const base = (scBase + value) % mod;
  let code = r.startingCode - scBase + base;
  const iv = new Int32Array(8);
  sipKey(r.key, iv);
  for (let i = 0; i < count; i++) code = nextTokenCode(iv, code, extended);
  code = code - (code % mod) + base;
  return { ok: true, token: tokenDigits(code, extended, !!r.restricted), count };
}

/** The token's digits: decimal zero-padded to 9/12, or 15/20 keys 1-4 for a restricted keypad. */
export function tokenDigits(code: number, extended: boolean, restricted: boolean): string {
  if (restricted) {
    const n = extended ? 20 : 15;
    const d: string[] = [];
    let x = code;
    for (let i = 0; i < n; i++) {
      d.push(String((x % 4) + 1));
      x = Math.floor(x / 4);
    }
    return d.reverse().join('');
  }
  return String(code).padStart(extended ? 12 : 9, '0');
}

/** Parses a 32-digit hex key, or returns null. */
export function keyFromHex(hex: string): Uint8Array | null {
  const h = hex.trim();
  if (!/^[0-9a-fA-F]{32}$/.test(h)) return null;
  const k = new Uint8Array(16);
  for (let i = 0; i < 16; i++) k[i] = parseInt(h.substr(i * 2, 2), 16);
  return k;
}
