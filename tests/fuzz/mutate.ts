// Mutation of valid inputs for the fuzzers (tests/fuzz/fuzzers.ts): bit flips, truncation,
// deletion, insertion, duplication and splicing of bytes or characters, and structural edits
// of JSON-shaped documents. Each mutation is a list of small operations drawn by fast-check, so
// a counterexample shrinks to the fewest and smallest edits of the smallest valid input.
import fc from 'fast-check';

/** One edit; `at` and `len` are taken modulo the input's length when applied. */
export interface Edit {
  kind: number;
  at: number;
  len: number;
  bits: number;
  fill: number[];
}

/** Edit kinds, in the order `edit` draws them. */
const FLIP = 0;
const SET = 1;
const TRUNCATE = 2;
const DELETE = 3;
const INSERT = 4;
const DUPLICATE = 5;
const MOVE = 6;

/** Bytes a parser of these protocols treats specially (frame start, end, preamble, sign bits). */
export const SPECIAL_BYTES = [0x00, 0x01, 0x16, 0x33, 0x68, 0x7f, 0x80, 0x91, 0x99, 0xaa, 0xfe, 0xff];

/** Characters a console or JSON parser treats specially (and a lone surrogate). */
export const SPECIAL_CHARS = ['\x00', '\x03', '\x08', '\x7f', '\x1b', '\t', '\r', '\n', ' ', '"', '\\', '{', '}', '[', ']', ',', ':', '=', '-', '.', '0', '9', 'e', '\u00e9', '\u2028', '\ud83d'];

/** One edit: which kind, where, how much, which bits, and what to insert (element codes). */
export function edit(fillCode: fc.Arbitrary<number>): fc.Arbitrary<Edit> {
  return fc.record({
    kind: fc.integer({ min: 0, max: 6 }),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 16 }),
    bits: fc.integer({ min: 0, max: 255 }),
    fill: fc.array(fillCode, { minLength: 1, maxLength: 8 }),
  });
}

/** Applies edits to a list of element codes (bytes, or UTF-16 code units): a SET writes the
 *  edit's first fill element, a FLIP xors one of the element's `width` bits. */
export function applyEdits(input: number[], edits: Edit[], width: number): number[] {
  let x = input.slice();
  for (const e of edits) {
    const n = x.length;
    const p = n ? e.at % n : 0;
    switch (e.kind) {
      case FLIP:
        if (n) x[p] ^= 1 << (e.bits % width);
        break;
      case SET:
        if (n) x[p] = e.fill[0];
        break;
      case TRUNCATE:
        x = x.slice(0, n ? e.at % n : 0);
        break;
      case DELETE:
        x.splice(p, e.len);
        break;
      case INSERT:
        x.splice(n ? e.at % (n + 1) : 0, 0, ...e.fill);
        break;
      case DUPLICATE: {
        const piece = x.slice(p, p + e.len);
        x.splice(p + piece.length, 0, ...piece);
        break;
      }
      case MOVE: {
        const piece = x.slice(p, p + e.len);
        x.splice(p, piece.length);
        const q = x.length ? e.bits % (x.length + 1) : 0;
        x.splice(q, 0, ...piece);
        break;
      }
    }
  }
  return x;
}

/** The byte an edit inserts or sets: any byte, often a special one. */
export const byteCode: fc.Arbitrary<number> = fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_BYTES) });

/** The character an edit inserts or sets (as a UTF-16 code unit sequence start): printable,
 *  control, special or any. */
export const charCode: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_CHARS.map((c) => c.charCodeAt(0))) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);

/** Bytes mutated from a valid input by 1..maxEdits edits. */
export function mutatedBytes(valid: fc.Arbitrary<Uint8Array>, maxEdits = 4): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(edit(byteCode), { minLength: 1, maxLength: maxEdits })).map(([b, es]) => Uint8Array.from(applyEdits(Array.from(b), es, 8)));
}

/** Text mutated from a valid input by 1..maxEdits edits (bit flips within 16-bit code units). */
export function mutatedText(valid: fc.Arbitrary<string>, maxEdits = 4): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.array(edit(charCode), { minLength: 1, maxLength: maxEdits })).map(([s, es]) => {
    const codes: number[] = [];
    for (let i = 0; i < s.length; i++) codes.push(s.charCodeAt(i));
    return String.fromCharCode(...applyEdits(codes, es, 16));
  });
}

/** Two inputs spliced: the head of one and the tail of the other. */
export function splicedBytes(a: fc.Arbitrary<Uint8Array>, b: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(a, b, fc.nat(), fc.nat()).map(([x, y, i, j]) => {
    const head = Array.from(x.subarray(0, x.length ? i % (x.length + 1) : 0));
    return Uint8Array.from(head.concat(Array.from(y.subarray(y.length ? j % (y.length + 1) : 0))));
  });
}

/** Edits a JSON-shaped value at a path chosen by `route` (child index per level, modulo the
 *  children): replace with `v`, delete, rename the key, duplicate an array element, wrap in a
 *  list, or change the type. */
export interface JsonEdit {
  route: number[];
  kind: number;
  value: unknown;
  key: string;
}

const JSON_KINDS = 8;

/** A JSON value an edit puts in: edge numbers, near-miss strings, small structures. */
export const jsonFill: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(0, -1, 1, 0.5, -0.001, 2.5e9, 1e12, 1e12 + 1, 2 ** 53, -(2 ** 31), 1e308, '', '0', '1', '12', '000000000161', '999999999999', 'aaaaaaaaaaaa', '00:00', '24:00', '23:60', '2026-02-30', '2026-02-28', 'flat', 'tou', 'auto', 'on', 'off', 'dlt645', 'modbus', 'pulse', 'sdm120', 'R1', 'M1', 'toString', '__proto__', 'constructor', null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
);

/** Keys an edit renames to or adds: near misses of real ones, and tricky names. */
export const jsonKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('name', 'plan', 'plans', 'price', 'prices', 'accounts', 'meters', 'account', 'proto', 'addr', 'profile', 'crediLimit', 'creditLimit', 'maxBalance', 'alarmLevels', 'friendly', 'token', 'key', 'start', 'console', 'pins', 'technician', 'bus', 'holidays', 'weekend', 'loads', 'tenants', 'topups', 'config', 'faults', '__proto__', 'constructor', 'toString', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

export const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  route: fc.array(fc.nat(), { maxLength: 6 }),
  kind: fc.integer({ min: 0, max: JSON_KINDS - 1 }),
  value: jsonFill,
  key: jsonKey,
});

function isObject(v: unknown): v is { [k: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of JSON-shaped data; own "__proto__" keys stay plain keys. */
export function copyJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Applies one structural edit to a copy of `doc` and returns the copy. */
export function applyJsonEdit(doc: unknown, e: JsonEdit): unknown {
  const root = { v: copyJson(doc) } as { [k: string]: unknown };
  let parent: { [k: string]: unknown } | unknown[] = root;
  let key: string | number = 'v';
  // Walk down as far as the route goes and children exist.
  for (const step of e.route) {
    const cur: unknown = Array.isArray(parent) ? parent[key as number] : (parent as { [k: string]: unknown })[key as string];
    if (Array.isArray(cur) && cur.length) {
      parent = cur;
      key = step % cur.length;
    } else if (isObject(cur) && Object.keys(cur).length) {
      const ks = Object.keys(cur);
      parent = cur;
      key = ks[step % ks.length];
    } else break;
  }
  const get = (): unknown => (Array.isArray(parent) ? parent[key as number] : (parent as { [k: string]: unknown })[key as string]);
  const put = (v: unknown): void => {
    if (Array.isArray(parent)) parent[key as number] = v;
    else Object.defineProperty(parent, key as string, { value: v, enumerable: true, writable: true, configurable: true });
  };
  const cur = get();
  switch (e.kind) {
    case 0: // replace
      put(copyJson(e.value === undefined ? null : e.value));
      break;
    case 1: // delete
      if (parent === root) put(null);
      else if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    case 2: // rename the key (or add a key beside it)
      if (!Array.isArray(parent) && parent !== root) {
        delete parent[key as string];
        Object.defineProperty(parent, e.key, { value: cur, enumerable: true, writable: true, configurable: true });
      } else if (Array.isArray(parent)) parent.splice(key as number, 0, copyJson(cur));
      break;
    case 3: // add an unknown key to an object, or an element to a list
      if (isObject(cur)) Object.defineProperty(cur, e.key, { value: copyJson(e.value === undefined ? null : e.value), enumerable: true, writable: true, configurable: true });
      else if (Array.isArray(cur)) cur.push(copyJson(e.value === undefined ? null : e.value));
      else put([cur]);
      break;
    case 4: // duplicate a list element (the same name twice)
      if (Array.isArray(parent)) parent.splice(key as number, 0, copyJson(cur));
      else put([cur, cur]);
      break;
    case 5: // change the type: number <-> string, list <-> object
      if (typeof cur === 'number') put(String(cur));
      else if (typeof cur === 'string') put(cur !== '' && isFinite(Number(cur)) ? Number(cur) : cur.length);
      else if (Array.isArray(cur)) put(Object.assign({}, cur));
      else if (isObject(cur)) put(Object.keys(cur).map((k) => cur[k]));
      else put(String(cur));
      break;
    case 6: // a number off by one, or a string with a character more
      if (typeof cur === 'number') put(cur + (e.route.length % 2 ? 1 : -1));
      else if (typeof cur === 'string') put(cur + (e.key.charAt(0) || 'x'));
      else put(e.value === undefined ? null : copyJson(e.value));
      break;
    case 7: // empty it
      if (Array.isArray(cur)) put([]);
      else if (isObject(cur)) put({});
      else if (typeof cur === 'string') put('');
      else put(0);
      break;
  }
  return root.v;
}

/** A document mutated from a valid one by 1..maxEdits structural edits. */
export function mutatedJson(valid: fc.Arbitrary<unknown>, maxEdits = 3): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.array(jsonEdit, { minLength: 1, maxLength: maxEdits })).map(([doc, es]) => es.reduce((d, e) => applyJsonEdit(d, e), doc));
}

/** Cut points that split an input of length n into slices (for streaming parsers). */
export function slices(n: number, cuts: number[]): [number, number][] {
  const at = [0].concat(cuts.map((c) => (n ? c % (n + 1) : 0)).sort((a, b) => a - b), [n]);
  const out: [number, number][] = [];
  for (let i = 1; i < at.length; i++) out.push([at[i - 1], at[i]]);
  return out;
}
