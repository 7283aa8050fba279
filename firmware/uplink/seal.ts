// The authenticator of every uplink message, both ways (issue 13): the board cannot do TLS, so a
// message proves itself. Its text is "<seq> <mac> <payload>": a sequence number, then SipHash-2-4
// (the hash the tokens and SMS codes run already) of "<unit> <seq> <payload>" under the unit's
// 16-byte uplink key, as 16 hex digits. The receiver keeps the last sequence number it took from
// the other side: a message at or below it is a replay (or a copy already stored), a MAC that
// does not match is a forgery or an altered message, whatever part was altered (the unit's name
// too: a message of one unit cannot pass for another's).
import { Result, fail, ok } from '../../hal/result';
import { digits } from '../../hal/modem';
import { siphashText } from '../tokens/siphash';

/** A message opened: its sequence number and payload. */
export interface Opened {
  seq: number;
  payload: string;
}

/** The 16 hex digits of the MAC of payload with sequence number seq from or to unit. */
export function uplinkMac(key: Uint8Array, unit: string, seq: number, payload: string): string {
  const h = siphashText(key, payload, unit + ' ' + seq + ' ');
  return hex8(h[0]) + hex8(h[1]);
}

/** A 32-bit word as 8 hex digits. (Not a number's toString: Espruino makes its Number object
 *  at the first method called on a number and keeps it, 6 variables of the heap for good.) */
function hex8(x: number): string {
  let s = '';
  for (let i = 28; i >= 0; i -= 4) s += '0123456789abcdef'.charAt((x >>> i) & 15);
  return s;
}

/** The message text of payload with sequence number seq. */
export function sealMessage(key: Uint8Array, unit: string, seq: number, payload: string): string {
  return seq + ' ' + uplinkMac(key, unit, seq, payload) + ' ' + payload;
}

/** Opens message text from or to unit; `last`: the last sequence number taken from that side.
 *  Errors: 'malformed', 'mac' (forged or altered), 'replay' (a number at or below last). */
export function openMessage(key: Uint8Array, unit: string, last: number, text: string): Result<Opened> {
  const a = text.indexOf(' ');
  const b = a > 0 ? text.indexOf(' ', a + 1) : -1;
  if (a < 1 || a > 15 || b !== a + 17) return fail('malformed');
  const t = text.substr(0, a);
  // (a number written as the sender writes it: digits, no leading zero)
  const seq = +t;
  if (!digits(t) || String(seq) !== t) return fail('malformed');
  const payload = text.substr(b + 1);
  if (uplinkMac(key, unit, seq, payload) !== text.substr(a + 1, 16)) return fail('mac');
  if (seq <= last) return fail('replay');
  return ok({ seq: seq, payload: payload });
}
