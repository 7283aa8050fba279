// Console input parsing: a line into words, and words into values. Every parser returns a
// value or an error text for the user; none throws.

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

/** A whole number in [min, max]. */
export function parseWhole(s: string, what: string, min: number, max: number): Parsed<number> {
  if (!/^-?\d{1,15}$/.test(s)) return bad(what + ' must be a whole number, got "' + s + '"');
  const n = parseInt(s, 10);
  if (n < min || n > max) return bad(what + ' must be between ' + min + ' and ' + max + ', got ' + s);
  return good(n);
}

/** A money amount "12", "12.5", "12.345" in milli-units (at most 3 decimals, positive unless allowed). */
export function parseMoney(s: string, what: string, allowZero: boolean): Parsed<number> {
  const m = /^(\d{1,9})(?:\.(\d{1,3}))?$/.exec(s);
  if (!m) return bad(what + ' must be an amount like 25 or 12.50 (at most 3 decimals), got "' + s + '"');
  const frac = m[2] ? parseInt((m[2] + '00').substr(0, 3), 10) : 0;
  const v = parseInt(m[1], 10) * 1000 + frac;
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
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (!m) return bad('expected a time like 2026-03-01 08:30[:00], got "' + s + '"');
  const v = [parseInt(m[1], 10), parseInt(m[2], 10), parseInt(m[3], 10), parseInt(m[4], 10), parseInt(m[5], 10), m[6] ? parseInt(m[6], 10) : 0];
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
