// Per-account and per-meter data as tables: one typed array per field, indexed by account or
// meter number. On the board a typed array of 33 doubles costs about 25 variables where 33
// numbers in objects cost hundreds (../shared/ESPRUINO.md); the Lua build swaps this one module
// for plain tables. Everything is typed number[] so the code using it stays in the subset.

/** Element kinds of a table. */
export const F64 = 0;
export const I32 = 1;
export const U8 = 2;
export const I8 = 3;
/** 16 bits signed only: a Uint16Array too would cost the board's heap its constructor and
 *  prototype (about 8 variables) for values that all stay below 32,768. */
export const I16 = 4;
export const U32 = 5;

/** A zero-filled table of n elements of a kind. */
export function table(kind: number, n: number): number[] {
  if (kind === F64) return new Float64Array(n) as unknown as number[];
  if (kind === I32) return new Int32Array(n) as unknown as number[];
  if (kind === U8) return new Uint8Array(n) as unknown as number[];
  if (kind === I8) return new Int8Array(n) as unknown as number[];
  if (kind === U32) return new Uint32Array(n) as unknown as number[];
  return new Int16Array(n) as unknown as number[];
}

/** Bytes per element of each kind. */
const SIZE = [8, 4, 1, 1, 2, 4];

/** A view of kind over buf at byte offset at, n elements. */
function view(kind: number, buf: ArrayBuffer, at: number, n: number): number[] {
  if (kind === F64) return new Float64Array(buf, at, n) as unknown as number[];
  if (kind === I32) return new Int32Array(buf, at, n) as unknown as number[];
  if (kind === U8) return new Uint8Array(buf, at, n) as unknown as number[];
  if (kind === I8) return new Int8Array(buf, at, n) as unknown as number[];
  if (kind === U32) return new Uint32Array(buf, at, n) as unknown as number[];
  return new Int16Array(buf, at, n) as unknown as number[];
}

/** The kind of a table, or -1 when v is not one. */
function kindOf(v: unknown): number {
  if (v instanceof Float64Array) return F64;
  if (v instanceof Int32Array) return I32;
  if (v instanceof Uint8Array) return U8;
  if (v instanceof Int8Array) return I8;
  if (v instanceof Uint32Array) return U32;
  if (v instanceof Int16Array) return I16;
  return -1;
}

/** Largest buffer pack() makes: a buffer is one run of free variables on the board, and a
 *  fragmented heap may not have a long one (../shared/ESPRUINO.md). */
const PACK_BYTES = 1024;

/** Gives every empty table of object o room for n elements (len[field] for the fields len
 *  names), zero-filled, as views over a few shared buffers: on the board a table of its own costs
 *  about 4 variables besides its bytes, a view about 2. Tables that are not empty are left alone. */
export function pack(o: object, n: number, len?: { [field: string]: number }): void {
  const t = o as { [field: string]: number[] };
  // Largest elements first, so that every view's offset is a multiple of its element size.
  const order: string[] = [];
  for (let s = 8; s >= 1; s >>= 1) for (const k in t) if (kindOf(t[k]) >= 0 && t[k].length === 0 && SIZE[kindOf(t[k])] === s) order.push(k);
  const size = (k: string) => SIZE[kindOf(t[k])] * (len && len[k] !== undefined ? len[k] : n);
  let from = 0;
  while (from < order.length) {
    let bytes = 0;
    let to = from;
    for (; to < order.length && (to === from || bytes + size(order[to]) <= PACK_BYTES); to++) bytes += size(order[to]);
    const buf = new ArrayBuffer(bytes || 1);
    let at = 0;
    for (let i = from; i < to; i++) {
      const k = order[i];
      const b = size(k);
      t[k] = view(kindOf(t[k]), buf, at, b / SIZE[kindOf(t[k])]);
      at += b;
    }
    from = to;
  }
}

/** Copies every table of `from` into the table of the same field of `to`, as far as both go. */
export function copyTables(from: object, to: object): void {
  const f = from as { [field: string]: number[] };
  const t = to as { [field: string]: number[] };
  for (const k in t) if (kindOf(t[k]) >= 0 && f[k]) for (let i = 0; i < t[k].length && i < f[k].length; i++) t[k][i] = f[k][i];
}

/** A zero-filled table of n numbers (exact integers up to 2^53). */
export function numbers(n: number): number[] {
  return table(F64, n);
}

/** A zero-filled table of n small integers (flags, modes, 32-bit times). */
export function smalls(n: number): number[] {
  return table(I32, n);
}

/** t with room for n elements: itself, or a copy twice as long (tables being built grow). */
export function grown(t: number[], kind: number, n: number): number[] {
  if (n <= t.length) return t;
  let c = t.length || 8;
  while (c < n) c *= 2;
  const g = table(kind, c);
  for (let i = 0; i < t.length; i++) g[i] = t[i];
  return g;
}

/** The first n elements of t as a table of their own (a finished table has no spare room). */
export function trimmed(t: number[], kind: number, n: number): number[] {
  if (t.length === n) return t;
  const g = table(kind, n);
  for (let i = 0; i < n; i++) g[i] = t[i];
  return g;
}

/** Name i of a table (accounts, meters) whose names are kept in one string, each followed by a
 *  space (names have none): on the board an array of short strings costs about two variables a
 *  name, one string one variable per 9 characters. '' when there is no name i. */
export function nameAt(names: string, i: number): string {
  let at = i >= 0 ? 0 : -1;
  for (let k = 0; k < i && at >= 0; k++) {
    const sp = names.indexOf(' ', at);
    at = sp < 0 ? -1 : sp + 1;
  }
  const end = at >= 0 ? names.indexOf(' ', at) : -1;
  return end > at ? names.slice(at, end) : '';
}

/** The names of such a string as a list (host side: tests, the simulator, tools). */
export function nameList(names: string): string[] {
  const l = names.split(' ');
  l.pop();
  return l;
}

/** Index of name in such a string of names, or -1. */
export function nameIndex(names: string, name: string): number {
  if (!name || name.indexOf(' ') >= 0) return -1;
  const key = ' ' + name + ' ';
  const s = ' ' + names;
  const k = s.indexOf(key);
  // Espruino (2v29) also finds a needle whose end runs past the string's: " R301 ".indexOf(" R302 ")
  // gives 5, the last space. Only the string's tail can match so, so one check is enough.
  if (k < 0 || s.substr(k, key.length) !== key) return -1;
  let i = 0;
  for (let at = names.indexOf(' '); at >= 0 && at < k; at = names.indexOf(' ', at + 1)) i++;
  return i;
}

/** Account flags. */
export const FRIENDLY_REST_DAYS = 1;
export const IMPORT_ONLY = 2;
export const HAS_TOKEN = 4;

/** The accounts of a configuration: field[a] for account a. Money in milli-currency. */
export interface AccountTable {
  n: number;
  /** The accounts' names, each followed by a space (see nameAt). */
  names: string;
  /** Price plan index. */
  plan: number[];
  /** Emergency credit: the balance may go down to -creditLimit. */
  creditLimit: number[];
  /** After a cut, supply returns when a credit brings the balance above this. */
  reconnect: number[];
  /** Hoarding limit: top-ups beyond this balance are refused; 0 = none. */
  maxBalance: number[];
  /** Alarm levels of account a are alarm[alarmAt[a]] .. alarm[alarmAt[a + 1] - 1], descending. */
  alarmAt: number[];
  alarm: number[];
  /** Friendly windows of account a, local minutes [start, end, ...] in friend[friendAt[a]] ..
   *  friend[friendAt[a + 1] - 1]; end < start wraps past midnight. */
  friendAt: number[];
  friend: number[];
  /** FRIENDLY_REST_DAYS, IMPORT_ONLY, HAS_TOKEN. */
  flags: number[];
  /** Relay mode as configured (MODE_AUTO, MODE_ON, MODE_OFF). */
  mode: number[];
  /** GPIO relay channel on the board, or -1 when the account's meters switch it over the bus. */
  relay: number[];
  /** Overload protection (Tasmota's MaxPower, MaxPowerHold, ...): trip above ovMaxW (0: off)
   *  held ovHoldS, reclose after ovWaitS, lock out after ovTrips trips within ovWindowS. */
  ovMaxW: number[];
  ovHoldS: number[];
  ovWaitS: number[];
  ovWindowS: number[];
  ovTrips: number[];
  /** OpenPAYGO identity: 16 key bytes per account at tokenKey[16 a], starting code, and
   *  milli-currency per token value unit. */
  tokenKey: number[];
  tokenStart: number[];
  tokenUnit: number[];
}

/** Meter protocols. */
export const PROTO_NONE = 0;
export const PROTO_DLT645 = 1;
export const PROTO_MODBUS = 2;
export const PROTO_PULSE = 3;

/** The meters of a configuration: field[m] for meter m. */
export interface MeterTable {
  n: number;
  /** The meters' names, each followed by a space (see nameAt). */
  names: string;
  /** Account index. */
  account: number[];
  /** Own price plan, or -1 for the account's. */
  plan: number[];
  /** Largest plausible power; a register that rises faster is quarantined. */
  maxPowerW: number[];
  /** PROTO_NONE (readings given to the unit from outside), PROTO_DLT645, PROTO_MODBUS, PROTO_PULSE. */
  proto: number[];
  /** DL/T 645 wire address: 6 bytes per meter at addr[6 m]. */
  addr: number[];
  /** Modbus slave id, or pulse input channel. */
  id: number[];
  /** Modbus profile: 1 sdm120, 2 sdm230, 3 dds238, 4 + i the configuration's own profile i. */
  profile: number[];
  /** Pulse constant, imp/kWh. */
  impPerKwh: number[];
}

/** An account table with no accounts (pack() gives it room). */
export function emptyAccounts(): AccountTable {
  return {
    n: 0, names: '', plan: table(U8, 0), creditLimit: table(F64, 0), reconnect: table(F64, 0), maxBalance: table(F64, 0),
    alarmAt: table(I16, 0), alarm: table(F64, 0), friendAt: table(I16, 0), friend: table(I16, 0), flags: table(U8, 0), mode: table(U8, 0),
    relay: table(I8, 0), ovMaxW: table(I32, 0), ovHoldS: table(I32, 0), ovWaitS: table(I32, 0), ovWindowS: table(I32, 0), ovTrips: table(U8, 0),
    tokenKey: table(U8, 0), tokenStart: table(F64, 0), tokenUnit: table(I32, 0),
  };
}

/** A meter table with no meters (pack() gives it room). */
export function emptyMeters(): MeterTable {
  return { n: 0, names: '', account: table(I16, 0), plan: table(I16, 0), maxPowerW: table(I32, 0), proto: table(U8, 0), addr: table(U8, 0), id: table(I16, 0), profile: table(U8, 0), impPerKwh: table(I32, 0) };
}
