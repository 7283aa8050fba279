// DL/T 645 meter addresses as the configuration writes them: 12 decimal digits, most significant
// first, against the 6 wire bytes of a frame (lowest two digits first). Apart from the codec
// (dlt645.ts) because only the configuration's parsing and export use them: the meter session,
// which carries the codec, never does.
import { Result, ok, fail } from '../../hal/result';

/** 12 decimal digits ('000000000161') to the 6 wire bytes (lowest two digits first). */
export function parseAddress(s: string): Result<Uint8Array> {
  if (typeof s !== 'string' || s.length !== 12) return fail('address', 'needs 12 digits');
  const a = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const hi = s.charCodeAt(10 - 2 * i) - 48;
    const lo = s.charCodeAt(11 - 2 * i) - 48;
    if (!(hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9)) return fail('address', 'needs 12 digits');
    a[i] = hi * 16 + lo;
  }
  return ok(a);
}

/** Wire address bytes back to 12 digits. */
export function formatAddress(a: Uint8Array): string {
  let s = '';
  for (let i = 5; i >= 0; i--) s += (a[i] >> 4).toString(16) + (a[i] & 15).toString(16);
  return s;
}
