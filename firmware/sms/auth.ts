// The authenticator of an administrator's SMS command that changes something (relay mode,
// prices, alarm levels): anyone can fake a sender's number, so the text itself must prove it
// comes from someone who holds the unit's SMS key. The command's words are followed by a
// counter and a 6-digit code, SipHash-2-4 of "<counter> <words>" under the key (the hash the
// token system runs already). The unit keeps the last counter it took: a counter at or below
// it is a replay, a code that does not match is a forgery or an altered text. Top-ups need
// none of this: an OpenPAYGO token carries its own. `tools/sms-code.ts` makes the codes.
import { Result, fail, ok } from '../../hal/result';
import { siphashText } from '../tokens/siphash';
import { digits } from '../../hal/modem';

/** Counters taken ahead of the last one used: codes made and never sent are skipped. */
export const CODE_WINDOW = 100;

/** The 6 digits for command words (upper case, one space between) with counter n under key. */
export function smsCode(key: Uint8Array, n: number, words: string): string {
  const h = siphashText(key, n + ' ' + words);
  // the 64-bit hash mod 10^6 in exact doubles: 2^32 mod 10^6 = 967296
  const v = ((h[0] % 1000000) * 967296 + h[1]) % 1000000;
  return String(1000000 + v).substr(1);
}

/** Checks the counter and code that end words w (the command's words before them) against key
 *  and the last counter taken: the counter to keep, or 'code' (none, or a wrong one: forged
 *  or altered) or 'replay' (a counter already used, or too far ahead). */
export function checkCode(key: Uint8Array, last: number, w: string[]): Result<number> {
  const c = w.length >= 3 ? w[w.length - 1] : '';
  const t = w.length >= 3 ? w[w.length - 2] : '';
  if (c.length !== 6 || !digits(c) || !t || t.length > 9 || !digits(t)) return fail('code');
  const n = +t;
  if (smsCode(key, n, w.slice(0, w.length - 2).join(' ').toUpperCase()) !== c) return fail('code');
  if (n <= last || n > last + CODE_WINDOW) return fail('replay');
  return ok(n);
}

/** Wrong codes in a row, and the unit's time (s) until which commands with a code are refused. */
export interface CodeGuard {
  wrong: number;
  until: number;
}

/** Counts a code checked at nowS: right clears the count; wrong, from the third in a row,
 *  refuses codes for 2^(n-2) minutes (at most 512), as wrong tokens lock token entry. A replay
 *  does not count: it is a real code sent again. */
export function guardCode(g: CodeGuard, right: boolean, nowS: number): void {
  if (right) {
    g.wrong = 0;
    return;
  }
  if (g.wrong < 11) g.wrong++;
  if (g.wrong > 2) g.until = Math.floor(nowS) + (1 << (g.wrong - 2)) * 60;
}
