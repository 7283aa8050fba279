// The payloads a unit sends on unit/<id>/up (docs/uplink.md), read and checked whole before the
// head-end stores any part of one: a message with one bad item is refused as 'payload' and
// leaves nothing half-stored. Integers only (money in milli-units, energy in Wh): a fraction, a
// number past 2^53 or a string where a number belongs is refused, not rounded. Arrays are
// positional, so their length is checked exactly (a firmware that adds a field shows up as
// refusals, not as shifted columns); keys an object does not need are ignored.

/** One interval's cumulative import registers of meters first, first + 1, ...; null: no reading. */
export interface ReadingItem {
  rseq: number;
  t: number;
  gen: number;
  first: number;
  wh: (number | null)[];
}

/** One ledger (money) entry. */
export interface LedgerItem {
  mseq: number;
  t: number;
  kind: string;
  entry: number;
  amount: number;
  balance: number;
  ref: number;
  account: string;
}

/** One event. */
export interface EventItem {
  eseq: number;
  t: number;
  account: string;
  kind: string;
  text: string;
}

/** One account in a state message. */
export interface AccountState {
  account: string;
  balance: number;
  relay: boolean;
  mode: string;
  charged: number;
  toppedUp: number;
}

/** A payload, read. */
export type Payload =
  | { k: 'b'; r: ReadingItem[]; m: LedgerItem[]; e: EventItem[] }
  | { k: 'c'; gen: number; meters: string[]; accounts: string[] }
  | { k: 's'; t: number; accounts: AccountState[]; waiting: [number, number, number]; hours: number }
  | { k: 'a'; cmd: number; ok: boolean; text: string };

const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const nat = (v: unknown): v is number => int(v) && v >= 0;
const str = (v: unknown): v is string => typeof v === 'string';
const bit = (v: unknown): v is 0 | 1 => v === 0 || v === 1;
const tuple = (v: unknown, n: number): v is unknown[] => Array.isArray(v) && v.length === n;

/** Each element of v read by one, or null if v is not an array or one of them is not right. */
function list<T>(v: unknown, one: (x: unknown) => T | null): T[] | null {
  if (!Array.isArray(v)) return null;
  const out: T[] = [];
  for (const x of v) {
    const r = one(x);
    if (r === null) return null;
    out.push(r);
  }
  return out;
}

function reading(v: unknown): ReadingItem | null {
  if (!tuple(v, 5)) return null;
  const [rseq, t, gen, first, wh] = v;
  if (!nat(rseq) || !nat(t) || !nat(gen) || !nat(first)) return null;
  const regs = list(wh, (x) => (int(x) && x >= -1 ? x : null));
  return regs && { rseq, t, gen, first, wh: regs.map((x) => (x < 0 ? null : x)) };
}

function ledger(v: unknown): LedgerItem | null {
  if (!tuple(v, 8)) return null;
  const [mseq, t, kind, entry, amount, balance, ref, account] = v;
  if (!nat(mseq) || !nat(t) || !str(kind) || !int(entry) || !int(amount) || !int(balance) || !int(ref) || !str(account)) return null;
  return { mseq, t, kind, entry, amount, balance, ref, account };
}

function event(v: unknown): EventItem | null {
  if (!tuple(v, 5)) return null;
  const [eseq, t, account, kind, text] = v;
  if (!nat(eseq) || !nat(t) || !str(account) || !str(kind) || !str(text)) return null;
  return { eseq, t, account, kind, text };
}

function account(v: unknown): AccountState | null {
  if (!tuple(v, 6)) return null;
  const [name, balance, relay, mode, charged, toppedUp] = v;
  if (!str(name) || !int(balance) || !bit(relay) || !str(mode) || !int(charged) || !int(toppedUp)) return null;
  return { account: name, balance, relay: relay === 1, mode, charged, toppedUp };
}

/** A batch's optional list: absent is empty. */
function optional<T>(v: unknown, one: (x: unknown) => T | null): T[] | null {
  return v === undefined ? [] : list(v, one);
}

/** The payload in text, or null when it is not JSON of one of the unit's forms. */
export function parsePayload(text: string): Payload | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
  switch (o.k) {
    case 'b': {
      const r = optional(o.r, reading);
      const m = optional(o.m, ledger);
      const e = optional(o.e, event);
      return r && m && e && { k: 'b', r, m, e };
    }
    case 'c': {
      const meters = list(o.m, (x) => (str(x) ? x : null));
      const accounts = list(o.a, (x) => (str(x) ? x : null));
      if (!nat(o.g) || !meters || !accounts || meters.length !== accounts.length) return null;
      return { k: 'c', gen: o.g, meters, accounts };
    }
    case 's': {
      const accounts = list(o.a, account);
      if (!nat(o.t) || !accounts || !tuple(o.w, 3) || !o.w.every(nat) || !nat(o.h)) return null;
      return { k: 's', t: o.t, accounts, waiting: o.w as [number, number, number], hours: o.h };
    }
    case 'a':
      if (!nat(o.c) || !bit(o.ok) || !str(o.m)) return null;
      return { k: 'a', cmd: o.c, ok: o.ok === 1, text: o.m };
    default:
      return null;
  }
}
