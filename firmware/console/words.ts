// Console input parsing: a line into words, and words into values. Every parser returns a
// value or an error text for the user; none throws.
import { Freeze, dateText } from '../storage/history';

/** A parsed value or the reason it is not one. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function good<T>(value: T): Parsed<T> {
  return { ok: true, value: value };
}

function bad<T>(error: string): Parsed<T> {
  return { ok: false, error: error };
}

/** Splits a line into words; double quotes group words ("Room 1"). */
export function splitWords(line: string): Parsed<string[]> {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && (c === ' ' || c === '\t')) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quoted) return bad('unclosed quote');
  if (inWord) out.push(cur);
  return good(out);
}

// No regular expressions here: Espruino's RegExp (2v29) has no `?`, no `{n,m}` and no `(?:`,
// so /^-?\d{1,15}$/ rejects "20" on the board while Node accepts it.

/** True when s is between min and max decimal digits and nothing else. */
function digits(s: string, min: number, max: number): boolean {
  if (s.length < min || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A whole number in [min, max]. */
export function parseWhole(s: string, what: string, min: number, max: number): Parsed<number> {
  if (!digits(s.charAt(0) === '-' ? s.substr(1) : s, 1, 15)) return bad(what + ' must be a whole number, got "' + s + '"');
  const n = parseInt(s, 10);
  if (n < min || n > max) return bad(what + ' must be between ' + min + ' and ' + max + ', got ' + s);
  return good(n);
}

/** A money amount "12", "12.5", "12.345" in milli-units (at most 3 decimals and 999,999,999.999,
 *  positive unless allowed). */
export function parseMoney(s: string, what: string, allowZero: boolean): Parsed<number> {
  const dot = s.indexOf('.');
  const whole = dot < 0 ? s : s.substr(0, dot);
  const dec = dot < 0 ? '' : s.substr(dot + 1);
  if (!digits(whole, 1, 400) || (dot >= 0 && !digits(dec, 1, 3))) return bad(what + ' must be an amount like 25 or 12.50 (at most 3 decimals), got "' + s + '"');
  const frac = dec ? parseInt((dec + '00').substr(0, 3), 10) : 0;
  const v = parseInt(whole, 10) * 1000 + frac;
  if (v > 999999999999) return bad(what + ' is too large: at most 999999999.999, got ' + s);
  if (!allowZero && v === 0) return bad(what + ' must be more than 0');
  return good(v);
}

/** Milli-units as text with three decimals ("-1.005"). */
export function formatMoney(v: number): string {
  const a = v < 0 ? -v : v;
  const f = String(a % 1000);
  return (v < 0 ? '-' : '') + Math.floor(a / 1000) + '.' + '000'.substr(f.length) + f;
}

/** "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS]" into its six numbers. */
export function parseDateTime(s: string): Parsed<number[]> {
  // YYYY-MM-DD?HH:MM[:SS]: the separators at fixed places, digits between them.
  const sep = s.charAt(10);
  let okShape = (s.length === 16 || (s.length === 19 && s.charAt(16) === ':')) && s.charAt(4) === '-' && s.charAt(7) === '-' && (sep === ' ' || sep === 'T') && s.charAt(13) === ':';
  const at = [0, 4, 5, 2, 8, 2, 11, 2, 14, 2, 17, 2];
  const v: number[] = [];
  for (let i = 0; i < 12 && okShape; i += 2) {
    const f = s.substr(at[i], at[i + 1]);
    if (i === 10 && s.length === 16) v.push(0);
    else if (digits(f, at[i + 1], at[i + 1])) v.push(parseInt(f, 10));
    else okShape = false;
  }
  if (!okShape) return bad('expected a time like 2026-03-01 08:30[:00], got "' + s + '"');
  if (v[0] < 2000 || v[0] > 2199 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59) return bad('no such time: "' + s + '"');
  return good(v);
}

/** key=value words into an object; a word without "=" is an error naming it. */
export function parseOptions(words: string[], from: number, allowed: string[]): Parsed<{ [k: string]: string }> {
  const out: { [k: string]: string } = {};
  for (let i = from; i < words.length; i++) {
    const eq = words[i].indexOf('=');
    if (eq <= 0) return bad('expected key=value, got "' + words[i] + '" (keys: ' + allowed.join(', ') + ')');
    const k = words[i].substr(0, eq);
    if (allowed.indexOf(k) < 0) return bad('unknown option "' + k + '" (keys: ' + allowed.join(', ') + ')');
    out[k] = words[i].substr(eq + 1);
  }
  return good(out);
}

/** A freeze record as one line (kWh and money with three decimals). */
export function freezeLine(f: Freeze): string {
  const w = f.periodWh;
  return dateText(f.day) + ' ' + f.account + ' kWh ' + formatMoney(w[0] + w[1] + w[2] + w[3] + w[4]) + ' (S ' + formatMoney(w[0]) + ' P ' + formatMoney(w[1]) + ' F ' + formatMoney(w[2]) + ' V ' + formatMoney(w[3]) + (w[4] ? ' ? ' + formatMoney(w[4]) : '') + ') charged ' + formatMoney(f.chargedMilli) + ' topups ' + formatMoney(f.topupMilli) + ' bal ' + formatMoney(f.balanceMilli) + (f.late ? ' late' : '');
}

export function pad(s: string, n: number): string {
  while (s.length < n) s += ' ';
  return s;
}

export function lpad(s: string, n: number): string {
  while (s.length < n) s = ' ' + s;
  return s;
}
