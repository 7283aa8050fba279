/** @noSelfInFile */
// JavaScript's meaning of what tools/lua/plugin.ts and prelude.lua take care of, case by case,
// including what the billing core does not use today (% of negatives, >>>, wrapping stores):
// semantics.test.ts runs cases() on Node and compiled to Lua and compares the lines.
import { F64, I16, I32, I8, U32, U8, table } from '../../firmware/tables';

/** Each case as "name = value", the value as String() gives it. */
export function cases(): string[] {
  const out: string[] = [];
  const put = (name: string, v: unknown) => out.push(name + ' = ' + String(v));
  // Numbers and strings tested for truth, and && || giving a value.
  const zero = Number('0');
  const empty = String('');
  const nan = Number('x');
  put('0 ?', zero ? 'yes' : 'no');
  put("'' ?", empty ? 'yes' : 'no');
  put('NaN ?', nan ? 'yes' : 'no');
  put('!0', !zero);
  put("!''", !empty);
  put('0 || 5', zero || 5);
  put('0 && 5', zero && 5);
  put("'' || 'd'", empty || 'd');
  put("'a' && 'b'", 'a' + empty && 'b');
  put('NaN || 1', nan || 1);
  let n = 0;
  const first = n++ || n++;
  put('n++ || n++', first + ' then n ' + n);
  let loops = 0;
  let left = 3;
  while (left) {
    left--;
    loops++;
  }
  put('while (n)', loops);
  let k = 4;
  do k -= 2;
  while (k);
  put('do while (n)', k);
  let cnt = 0;
  for (let i = 5; i; i--) cnt++;
  put('for (; n;)', cnt);
  put('0 ? : (nested)', (zero || empty) && 1 ? 'yes' : 'no');
  if (zero || (empty && 1) || nan) put('if', 'wrong');
  else put('if', 'right');
  // %: the dividend's sign.
  const mod = [-7 % 3, 7 % -3, -7.5 % 2, 5 % zero, -0 % 1, 10 % 2.5, 2 ** 53 % 3];
  put('%', mod.join(' '));
  let m = -9;
  m %= 4;
  put('%=', m);
  // Bit operators, 32-bit as in JavaScript.
  const big = 2 ** 32 + 5;
  put('& | ^ ~', [5 & 3, 5 | 8, 5 ^ 1, ~5, ~-1, big | 0, 3.7 | 0, -3.7 | 0, 0x80000000 | 0, nan | 0].join(' '));
  put('<< >> >>>', [1 << 31, 1 << 32, 1 << 33, -8 >> 1, -8 >>> 28, -1 >>> 0, 0xdeadbeef >> 4, 0xdeadbeef >>> 4].join(' '));
  let b = 3;
  b |= 4;
  b <<= 2;
  b ^= 1;
  b >>>= 1;
  put('compound', b);
  // Typed arrays: stores convert to the element type.
  const kinds = [U8, I8, I16, U32, I32, F64];
  const values = [260, -1, 200, 70000, 40000, -40000, 84.8, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 3, nan];
  for (const kind of kinds) {
    const t = table(kind, values.length);
    for (let i = 0; i < values.length; i++) t[i] = values[i];
    t[0] += 1;
    t[1]++;
    put('table kind ' + kind, t.join(' ') + ' length ' + t.length);
  }
  // Number text.
  const texts = [0.1 + 0.2, 1e21, 1e-7, 1.5e-10, -1.5e-10, 2 ** 53 + 2, 123456789012345680000, 5e-324, -zero, 1 / zero, -1 / zero, nan, 1 / 3, 100, 1e20, 2.5e-6, 1234.5678, -0.000001];
  put('String', texts.map((x) => String(x)).join(' '));
  put('concat', 'x' + 1.5 + 2 + (1 + 2));
  put('template', `${0.1 * 3}|${2 ** 60}`);
  put('Math', [Math.floor(-2.5), Math.ceil(2.1), Math.floor(1e20), Math.floor(7 / 2), Math.ceil(-0.5)].join(' '));
  // parseInt, Math.min and Math.max, string methods.
  const ints: string[] = [];
  for (const t of ['08', ' 12abc', '-0', '+5', 'x', '', '0x1A', '  -7e3', '\t9', '.5', '123456789012345678901']) ints.push(String(parseInt(t, 10)) + '/' + String(parseInt(t)) + '/' + String(parseInt(t, 16)));
  put('parseInt', ints.join(' '));
  put('min max', [Math.min(3, nan), Math.max(nan, 1), Math.min(), Math.max(), Math.min(4, -2, 7), Math.max(4, -2, 7)].join(' '));
  const word = 'Tariff,Peak,,Valley';
  put('strings', [word.substr(-6, 3), word.substr(2), word.charCodeAt(40), word.charAt(3), word.split(',').length, ''.split(',').length, word.toLowerCase(), word.indexOf('Peak'), word.length].join('|'));
  // in, instanceof Array, for-in over parsed JSON.
  const o: { [k: string]: unknown } = { x: 1 };
  put('in', ['x' in o, 'y' in o, 'toString' in o, 'constructor' in o].join(' '));
  const parsed = JSON.parse('{"b": 1, "10": 2, "a": [], "2": {}, "01": 3, "c": [1, {"z": 0}]}') as { [k: string]: unknown };
  const keys: string[] = [];
  for (const key in parsed) keys.push(key);
  put('for in', keys.join(','));
  put('instanceof Array', [parsed.a instanceof Array, parsed['2'] instanceof Array, parsed.c instanceof Array, o instanceof Array, table(U8, 2) instanceof Array].join(' '));
  put('JSON.stringify', JSON.stringify(parsed) + ' ' + JSON.stringify('q"\\\n\u0001') + ' ' + JSON.stringify([1e21, 0.5, -0]));
  put('String([])', String([1, 2.5, 'x']));
  return out;
}
