// The event log and the freeze records as EEPROM slots. An event: time, account, kind and a
// reason text (cut to fit the slot). A freeze record: an account's cumulative counters at
// the end of a local day or billing month (energy by tariff period, money charged, money
// topped up, balance); a day's or month's figures are the differences between two records,
// as with a meter's own frozen registers (seed 001's consumption and sales reports).
import { Core } from '../core';
import { civilFromSeconds } from '../../hal/calendar';
import { Reader, Writer } from './bytes';
import { SlotRing } from './slot-ring';
import { newest } from './slot-scan';

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

/** Events newest first through the filter, at most max, each formatted by fmt. */
export function readEvents(ring: SlotRing, f: EventFilter, max: number, fmt: (time: number, account: string, kind: string, text: string) => string): string[] {
  const out: string[] = [];
  newest(ring, function (d: Uint8Array) {
    const r = new Reader(d, 0, d.length);
    const t = r.u32();
    const a = r.str();
    const k = r.str();
    const x = r.str();
    if (!r.bad && (!f.account || a === f.account) && (!f.kind || k === f.kind) && t >= f.from && t < f.to) out.push(fmt(t, a, k, x));
    return out.length < max;
  });
  return out;
}

/** Writes account a's freeze record for local day `day` (daily or monthly ring). */
export function appendFreeze(ring: SlotRing, core: Core, a: number, day: number, late: boolean): boolean {
  const w = new Writer(ring.size);
  w.u16(day);
  w.u8(late ? 1 : 0);
  w.str(core.cfg.accounts.name[a]);
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
