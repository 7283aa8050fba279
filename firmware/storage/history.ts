// The money log, the event log and the freeze records as EEPROM slots. A money entry (a ledger
// entry other than a charge: top-up, refund, correction, transfer) in 40 bytes: time, kind,
// entry number, amount, balance after it, related entry or account, the number of the event
// logged before it, the account's name. An
// event: time, account, kind and a reason text (cut to fit the slot). A freeze record: an
// account's cumulative counters at the end of a local day or billing month (energy by tariff
// period, money charged, money topped up, balance); a day's or month's figures are the
// differences between two records, as with a meter's own frozen registers (seed 001's
// consumption and sales reports).
import type { Core, Decision } from '../core';
import { civilFromSeconds } from '../../hal/calendar';
import { entryName } from '../billing/ledger';
import { crc16 } from '../lib/crc16';
import { Reader, Writer } from './bytes';
import { SlotRing } from './slot-ring';
import { newest, slotAt } from './slot-scan';
import { nameAt } from '../tables';

/** Filters for reading the event log back. */
export interface EventFilter {
  /** Account name, or '' for all. */
  account: string;
  kind: string;
  /** UTC seconds, from inclusive, to exclusive. */
  from: number;
  to: number;
}

/** Appends one event; the text is cut to what the slot holds. */
export function appendEvent(ring: SlotRing, time: number, account: string, kind: string, text: string): boolean {
  const w = new Writer(ring.size);
  w.u32(time);
  w.str(account);
  w.str(kind.substr(0, 12));
  w.str(text.substr(0, ring.size - 8 - w.n - 1));
  return ring.append(w.out()).ok;
}

/** Appends money entry d of account `account`, logged after event `ev` of the event log (its
 *  sequence number: how the console orders the two logs): its numbers, then its name. A name
 *  longer than the slot has room for after the numbers (12 characters beside amounts and
 *  balances below 1,048.576, entry numbers below 2^27 and events below 2^20; 9 beside the
 *  number a correction corrects) keeps what fits but two bytes, and those hold the whole
 *  name's CRC-16 (kind + 128): the reader finds the account it names among the names it is
 *  given. Numbers too large to leave those two bytes are refused: never below entry numbers
 *  of 2^34, events of 2^20, balances of 2^41 (2.2 billion) and any amount the console takes. */
export function appendMoney(ring: SlotRing, time: number, account: string, d: Decision, ev: number): boolean {
  const n = ring.size - 8;
  const w = new Writer(n + 32);
  let k = 1;
  while (k < 6 && entryName(k) !== d.code) k++;
  w.u32(time);
  w.u8(k);
  w.num(d.seq);
  w.num(d.value);
  w.num(d.balance);
  w.num(d.ref);
  w.num(ev);
  const at = w.n;
  w.bytes(ascii(account));
  if (at > n - 2) return false;
  if (w.n > n) {
    w.b[4] += 128;
    const h = crc16(w.b, at, w.n);
    w.n = n - 2;
    w.u16(h);
  }
  return ring.append(w.out()).ok;
}

/** A name's bytes. */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** Where reading one ring has got to: slot k back from the head is next, and the entry it gave
 *  last (t < 0: none left), with its place among the events (q: an event's sequence number, the
 *  number of the event logged before a money entry). */
interface Cursor {
  r: SlotRing;
  money: boolean;
  k: number;
  t: number;
  q: number;
  a: string;
  kind: string;
  x: string;
}

/** The ring's next valid entry, newest first. A money entry comes back as the event log had it:
 *  kind and ledger line ("ledger #7 a0 topup 12500 bal 12500"; the console names the account
 *  from its own field); a name kept in part is the one of `names` it is the start and CRC of,
 *  else its start and ~. In the event log ledger lines are skipped when `skip` (format 4: the
 *  money entries an older format logged there, which the migration copied). */
function step(c: Cursor, skip: boolean, names: string): void {
  const r = c.r;
  c.t = -1;
  while (c.t < 0 && c.k <= r.slots) {
    const s = slotAt(r, (r.next - c.k++ + r.slots) % r.slots);
    if (!s || s.seq > r.seq || s.seq <= r.seq - r.slots) continue;
    const d = s.data;
    const rd = new Reader(d, 0, d.length);
    const t = rd.u32();
    c.q = s.seq;
    if (c.money) {
      const k = rd.u8();
      c.kind = entryName(k & 127);
      c.x = 'ledger #' + rd.num() + ' a0 ' + c.kind + ' ' + rd.num() + ' bal ' + rd.num();
      const ref = rd.num();
      if (ref >= 0) c.x += ' ref ' + ref;
      c.q = rd.num();
      const end = k > 127 ? d.length - 2 : d.length;
      let a = '';
      while (rd.pos < end && d[rd.pos] !== 0xff) a += String.fromCharCode(d[rd.pos++]);
      c.a = a;
      for (let at = 0, sp = names.indexOf(' '); end < d.length && sp > 0; at = sp + 1, sp = names.indexOf(' ', at)) {
        const nm = names.slice(at, sp);
        const b = ascii(nm);
        if (nm.substr(0, a.length) === a && crc16(b, 0, b.length) === d[end] + d[end + 1] * 256) c.a = nm;
      }
      if (c.a === a && end < d.length) c.a += '~';
    } else {
      c.a = rd.str();
      c.kind = rd.str();
      c.x = rd.str();
      if (skip && c.x.substr(0, 7) === 'ledger ') continue;
    }
    if (!rd.bad) c.t = t;
  }
}

/** Entries newest first from the event log and the money log (null when money entries are
 *  events, before format 4), in the order they were logged, through the filter, at most max;
 *  fmt gets each. `names`: the accounts a money entry may name in part (the configuration's, as
 *  AccountTable.names keeps them). */
export function readLog(events: SlotRing, money: SlotRing | null, f: EventFilter, max: number, fmt: (time: number, account: string, kind: string, text: string) => void, names?: string): void {
  const cs: Cursor[] = [];
  const rs = money ? [events, money] : [events];
  const ns = names || '';
  for (let i = 0; i < rs.length; i++) {
    const c = { r: rs[i], money: i > 0, k: 1, t: -1, q: 0, a: '', kind: '', x: '' };
    if (rs[i].slots) step(c, !!money, ns);
    cs.push(c);
  }
  let n = 0;
  while (n < max) {
    // The money entry when it was logged after the event (or no event is left).
    const m = cs[1];
    const c = m && m.t >= 0 && (cs[0].t < 0 || m.q >= cs[0].q) ? m : cs[0];
    if (c.t < 0) return;
    if ((!f.account || c.a === f.account) && (!f.kind || c.kind === f.kind) && c.t >= f.from && c.t < f.to) {
      fmt(c.t, c.a, c.kind, c.x);
      n++;
    }
    step(c, !!money, ns);
  }
}

/** A money entry's decision from the words of its ledger line ("ledger #7 a0 topup 12500 bal
 *  12500 ref 3": the event log's text for it before format 4, the '!' record's lines). */
export function ledgerLine(w: string[]): Decision {
  return { kind: 'ledger', account: +(w[2] || '').substr(1), meter: -1, code: w[3], value: +w[4], balance: +w[6], seq: +(w[1] || '').substr(1), ref: w[7] === 'ref' ? +w[8] : -1 };
}

function two(n: number): string {
  return (n < 10 ? '0' : '') + String(n);
}

/** "YYYY-MM-DD HH:MM:SS" of local seconds (the console's stamps, the freeze dates). */
export function timeText(local: number): string {
  const c = civilFromSeconds(local);
  return String(c.year) + '-' + two(c.month) + '-' + two(c.day) + ' ' + two(c.hour) + ':' + two(c.minute) + ':' + two(c.second);
}

/** Local date of a day number. */
export function dateText(day: number): string {
  return timeText(day * 86400).substr(0, 10);
}

/** The money entry with sequence number `seq` of ring r (the uplink's batches; its name found
 *  among `names` as `log` finds it), as its decision (ledger line), time and account, or null
 *  when that slot holds another (written over) or is torn. */
export function moneyEntry(r: SlotRing, seq: number, names: string): { d: Decision; t: number; a: string } | null {
  const c: Cursor = { r: r, money: true, k: r.seq - seq + 1, t: -1, q: 0, a: '', kind: '', x: '' };
  if (c.k < 1 || c.k > r.slots) return null;
  step(c, false, names);
  // (step passes over a bad slot to an older one: then this one was not there)
  return c.t < 0 || c.k !== r.seq - seq + 2 ? null : { d: ledgerLine(c.x.split(' ')), t: c.t, a: c.a };
}

/** The events logged after sequence number `after`, oldest first, at most max (the oldest of
 *  them; the rest wait for the next call): fn(seq, time, account, kind, text). Returns the seq of
 *  the last one given, or `after` when none. Texts made from the log (the SMS alarms) are then
 *  as durable as the log: the caller keeps the seq, and a power cut loses none (only what the
 *  ring has overwritten since, which a long outage of the network can). */
export function eventsAfter(events: SlotRing, after: number, max: number, fn: (seq: number, time: number, account: string, kind: string, text: string) => void): number {
  const c: Cursor = { r: events, money: false, k: 1, t: -1, q: 0, a: '', kind: '', x: '' };
  // newest first: the last max seen before the cursor are the oldest after it
  const got: Cursor[] = [];
  for (step(c, false, ''); c.t >= 0 && c.q > after; step(c, false, '')) {
    got.push({ r: events, money: false, k: 0, t: c.t, q: c.q, a: c.a, kind: c.kind, x: c.x });
    if (got.length > max) got.shift();
  }
  let last = after;
  for (let i = got.length - 1; i >= 0; i--) {
    const g = got[i];
    fn(g.q, g.t, g.a, g.kind, g.x);
    last = g.q;
  }
  return last;
}

/** Events of one ring newest first through the filter, at most max, each formatted by fmt. */
export function readEvents(ring: SlotRing, f: EventFilter, max: number, fmt: (time: number, account: string, kind: string, text: string) => string): string[] {
  const out: string[] = [];
  readLog(ring, null, f, max, function (t: number, a: string, k: string, x: string) {
    out.push(fmt(t, a, k, x));
  });
  return out;
}

/** Writes account a's freeze record for local day `day` (daily or monthly ring). */
export function appendFreeze(ring: SlotRing, core: Core, a: number, day: number, late: boolean): boolean {
  const w = new Writer(ring.size);
  w.u16(day);
  w.u8(late ? 1 : 0);
  w.str(nameAt(core.cfg.accounts.names, a));
  for (let p = 0; p < 5; p++) w.num(core.periodWh[a * 5 + p]);
  w.num(core.chargedMilli[a]);
  w.num(core.topupMilli[a]);
  w.num(core.balance[a]);
  return ring.append(w.out()).ok;
}

/** One freeze record. */
export interface Freeze {
  day: number;
  late: boolean;
  account: string;
  /** sharp, peak, flat, valley, and energy billed while the time was not valid. */
  periodWh: number[];
  chargedMilli: number;
  topupMilli: number;
  balanceMilli: number;
}

function decodeFreeze(d: Uint8Array): Freeze | null {
  const r = new Reader(d, 0, d.length);
  const day = r.u16();
  const late = r.u8() === 1;
  const account = r.str();
  const wh: number[] = [];
  for (let p = 0; p < 5; p++) wh.push(r.num());
  const f = { day: day, late: late, account: account, periodWh: wh, chargedMilli: r.num(), topupMilli: r.num(), balanceMilli: r.num() };
  return r.bad ? null : f;
}

/** Freeze records newest first (account '' for all), days in [from, to]. */
export function readFreezes(ring: SlotRing, account: string, from: number, to: number, max: number): Freeze[] {
  const out: Freeze[] = [];
  newest(ring, function (d: Uint8Array) {
    const f = decodeFreeze(d);
    if (f && (!account || f.account === account) && f.day >= from && f.day <= to) out.push(f);
    return out.length < max;
  });
  return out;
}

/** The newest frozen day in a ring and the accounts frozen for it (-1 when empty). */
export function lastFrozen(ring: SlotRing): { day: number; accounts: string[] } {
  let day = -1;
  const names: string[] = [];
  newest(ring, function (d: Uint8Array) {
    const f = decodeFreeze(d);
    if (!f) return true;
    if (day < 0) day = f.day;
    if (f.day !== day) return false;
    names.push(f.account);
    return true;
  });
  return { day: day, accounts: names };
}
