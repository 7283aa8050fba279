// The configuration as the EEPROM keeps it: its tables as compact binary records (varints, with
// lists that carry their length), a few kilobytes where its JSON text takes tens. Boot reads it
// straight into tables, without parsing JSON. Fields are only ever appended: a record written
// by older firmware, with fewer fields, reads back with the defaults of the missing ones.
import { Reader, Writer } from './storage/bytes';
import type { Config } from './config';
import { AccountTable, emptyAccounts, emptyMeters, F64, grown, I16, MeterTable, nameAt, pack, table, trimmed } from './tables';
import { LineSettings } from '../hal/serial';
import { parseProfile } from './metering/profile-parse';

/** Version of the layout below. */
const LAYOUT = 1;

function list(w: Writer, v: number[], from: number, to: number): void {
  w.num(to - from);
  for (let i = from; i < to; i++) w.num(v[i]);
}

/** A count of what follows: every element takes at least a byte, so a count that is negative or
 *  larger than the bytes left is damage (the reader turns bad), never an allocation. */
function count(r: Reader): number {
  const n = r.num();
  if (n < 0 || n > r.end - r.pos) {
    r.bad = true;
    return 0;
  }
  return n;
}

/** A list of numbers as a table: on the board a plan's schedule of 13 pairs costs about 27
 *  variables as an array, 19 as a table. */
function readList(r: Reader): number[] {
  const n = count(r);
  const v = table(F64, r.bad ? 0 : n);
  for (let i = 0; i < n && !r.bad; i++) v[i] = r.num();
  return v;
}

/** Field k of a record of nf numbers: the next number, or d when the record is shorter. */
function field(r: Reader, k: number, nf: number, d: number): number {
  return k < nf ? r.num() : d;
}

/** JSON text of v in ASCII: every other character as its \u escape. */
function asciiJson(v: unknown): string {
  const s = JSON.stringify(v);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 128 ? s.charAt(i) : '\\u' + (65536 + c).toString(16).substr(1);
  }
  return out;
}

/** A counted list into t from index at, keeping at most max of its numbers. */
function readInto(r: Reader, t: number[], at: number, max: number): void {
  const n = count(r);
  for (let k = 0; k < n && !r.bad; k++) {
    const v = r.num();
    if (k < max) t[at + k] = v;
  }
}

/** Reads past n numbers a newer layout may have added. */
function skip(r: Reader, n: number): void {
  for (let i = 0; i < n && !r.bad; i++) r.num();
}

function line(w: Writer, l: LineSettings): void {
  w.num(l.baud);
  w.num(l.parity === 'none' ? 0 : l.parity === 'even' ? 1 : 2);
  w.num(l.stopBits);
}

function readLine(r: Reader): LineSettings {
  const baud = r.num();
  const p = r.num();
  return { baud: baud, dataBits: 8, parity: p === 0 ? 'none' : p === 1 ? 'even' : 'odd', stopBits: r.num() === 2 ? 2 : 1 };
}

/** The configuration as bytes: counted first, then written into one buffer of that size. */
export function encodeConfig(c: Config): Uint8Array {
  const k = new Writer(-1);
  encodeInto(c, k);
  // (8 more: what Writer.num asks before it writes a number)
  const w = new Writer(k.n + 8);
  encodeInto(c, w);
  return w.b.subarray(0, k.n);
}

/** The configuration as what writes it into a Writer: the EEPROM's config record streams it
 *  (store-boot.ts writeConfig) instead of holding its bytes whole. */
export function configSource(c: Config): (w: Writer) => void {
  return function (w: Writer) {
    encodeInto(c, w);
  };
}

function encodeInto(c: Config, w: Writer): void {
  const a = c.accounts;
  const m = c.meters;
  w.num(LAYOUT);
  w.num(c.plans.length);
  w.num(a.n);
  w.num(m.n);
  w.num(c.profiles.length);
  // unit: calendar, PINs, bus
  w.num(c.calendar.utcOffsetS);
  w.num(c.calendar.weekendMask);
  w.num(c.calendar.billingDay);
  list(w, c.calendar.holidays, 0, c.calendar.holidays.length);
  for (let r = 1; r < 4; r++) w.str(c.pins[r]);
  w.num(c.pollS);
  line(w, c.dltLine);
  line(w, c.modbusLine);
  for (let i = 0; i < c.profiles.length; i++) {
    // One byte a character: what is beyond ASCII is written as a JSON escape (\u4e09).
    const s = asciiJson(c.profileSpecs[i]);
    w.u16(s.length);
    for (let k = 0; k < s.length; k++) w.u8(s.charCodeAt(k));
  }
  for (let i = 0; i < c.plans.length; i++) {
    const p = c.plans[i];
    w.str(c.planNames[i]);
    list(w, p.periodPrice, 0, 4);
    list(w, p.workday, 0, p.workday.length);
    // A plan without its own weekend shares the workday's list: said, not copied.
    if (p.weekend === p.workday) w.num(0);
    else {
      w.num(1);
      list(w, p.weekend, 0, p.weekend.length);
    }
    list(w, p.tierUptoWh, 0, p.tierUptoWh.length);
    list(w, p.tierAdder, 0, p.tierAdder.length);
    w.num(p.safePrice);
  }
  for (let i = 0; i < a.n; i++) {
    w.str(nameAt(a.names, i));
    w.num(a.plan[i]);
    const f = [a.creditLimit[i], a.reconnect[i], a.maxBalance[i], a.flags[i], a.mode[i], a.relay[i], a.ovMaxW[i], a.ovHoldS[i], a.ovWaitS[i], a.ovWindowS[i], a.ovTrips[i], a.tokenStart[i], a.tokenUnit[i]];
    list(w, f, 0, f.length);
    list(w, a.alarm, a.alarmAt[i], a.alarmAt[i + 1]);
    list(w, a.friend, a.friendAt[i], a.friendAt[i + 1]);
    list(w, a.tokenKey, i * 16, i * 16 + 16);
  }
  for (let i = 0; i < m.n; i++) {
    w.str(nameAt(m.names, i));
    const f = [m.account[i], m.plan[i], m.maxPowerW[i], m.proto[i], m.id[i], m.profile[i], m.impPerKwh[i]];
    list(w, f, 0, f.length);
    list(w, m.addr, i * 6, i * 6 + 6);
  }
  // SMS, then the uplink, appended (a record written without them reads back with none): ASCII text
  const x = [c.sms, c.uplink || ''];
  for (let i = 0; i < (c.uplink ? 2 : 1); i++) {
    w.u16(x[i].length);
    for (let k = 0; k < x[i].length; k++) w.u8(x[i].charCodeAt(k));
  }
}

/** A name as the configuration accepts them (1 or more printable ASCII characters, no space:
 *  the tables keep names separated by spaces); anything else makes the record bad. */
function nameFrom(r: Reader): string {
  const s = r.str();
  if (!s) r.bad = true;
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) <= 32 || s.charCodeAt(k) >= 127) r.bad = true;
  return s;
}

/** A configuration from bytes encodeConfig wrote, or null when they do not read as one. */
export function decodeConfig(b: Uint8Array): Config | null {
  const r = new Reader(b, 0, b.length);
  if (r.num() !== LAYOUT) return null;
  const np = count(r);
  const na = count(r);
  const nm = count(r);
  const nf = count(r);
  if (r.bad || np > 255 || na > 4096 || nm > 4096 || nf > 255) return null;
  const c: Config = {
    calendar: { utcOffsetS: r.num(), weekendMask: r.num(), billingDay: r.num(), holidays: readList(r) },
    plans: [], planNames: [], accounts: null as unknown as AccountTable, meters: null as unknown as MeterTable,
    pins: ['', r.str(), r.str(), r.str()], pollS: r.num(), dltLine: readLine(r), modbusLine: readLine(r), profileSpecs: [], profiles: [],
    sms: '',
  };
  for (let i = 0; i < nf && !r.bad; i++) {
    const n = r.u16();
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(r.u8());
    let spec: unknown = null;
    try {
      spec = JSON.parse(s);
    } catch (e) {
      return null;
    }
    const p = parseProfile(spec);
    if (!p.ok) return null;
    c.profileSpecs.push(spec);
    c.profiles.push(p.value);
  }
  for (let i = 0; i < np && !r.bad; i++) {
    c.planNames.push(r.str());
    const periodPrice = readList(r);
    const workday = readList(r);
    const weekend = r.num() ? readList(r) : workday;
    const tierUptoWh = readList(r);
    const tierAdder = readList(r);
    c.plans.push({ periodPrice: periodPrice, workday: workday, weekend: weekend, tierUptoWh: tierUptoWh, tierAdder: tierAdder, safePrice: r.num() });
  }
  const a = emptyAccounts();
  a.n = na;
  pack(a, na, { alarmAt: na + 1, friendAt: na + 1, tokenKey: na * 16, alarm: 0, friend: 0 });
  // Records are read straight into the tables (a list of the heap's numbers per account would
  // cost the board more than the tables). Alarm levels and windows go into tables that grow.
  let alarm = table(F64, na * 3);
  let friend = table(I16, na * 2);
  let nAlarm = 0;
  let nFriend = 0;
  for (let i = 0; i < na && !r.bad; i++) {
    a.names += nameFrom(r) + ' ';
    a.plan[i] = r.num();
    // Defaults of fields a shorter record lacks (none yet: every layout-1 record has 13).
    const nf = count(r);
    a.creditLimit[i] = field(r, 0, nf, 0);
    a.reconnect[i] = field(r, 1, nf, 0);
    a.maxBalance[i] = field(r, 2, nf, 0);
    a.flags[i] = field(r, 3, nf, 0);
    a.mode[i] = field(r, 4, nf, 0);
    a.relay[i] = field(r, 5, nf, -1);
    a.ovMaxW[i] = field(r, 6, nf, 0);
    a.ovHoldS[i] = field(r, 7, nf, 0);
    a.ovWaitS[i] = field(r, 8, nf, 0);
    a.ovWindowS[i] = field(r, 9, nf, 0);
    a.ovTrips[i] = field(r, 10, nf, 3);
    a.tokenStart[i] = field(r, 11, nf, 0);
    a.tokenUnit[i] = field(r, 12, nf, 1000);
    skip(r, nf - 13);
    const nl = count(r);
    a.alarmAt[i] = nAlarm;
    alarm = grown(alarm, F64, nAlarm + nl);
    for (let k = 0; k < nl && !r.bad; k++) alarm[nAlarm++] = r.num();
    const nw = count(r);
    a.friendAt[i] = nFriend;
    friend = grown(friend, I16, nFriend + nw);
    for (let k = 0; k < nw && !r.bad; k++) friend[nFriend++] = r.num();
    readInto(r, a.tokenKey, i * 16, 16);
  }
  a.alarmAt[na] = nAlarm;
  a.friendAt[na] = nFriend;
  a.alarm = trimmed(alarm, F64, nAlarm);
  a.friend = trimmed(friend, I16, nFriend);
  c.accounts = a;
  const m = emptyMeters();
  m.n = nm;
  pack(m, nm, { addr: nm * 6 });
  for (let i = 0; i < nm && !r.bad; i++) {
    m.names += nameFrom(r) + ' ';
    const nf = count(r);
    m.account[i] = field(r, 0, nf, 0);
    m.plan[i] = field(r, 1, nf, -1);
    m.maxPowerW[i] = field(r, 2, nf, 13800);
    m.proto[i] = field(r, 3, nf, 0);
    m.id[i] = field(r, 4, nf, 0);
    m.profile[i] = field(r, 5, nf, 0);
    m.impPerKwh[i] = field(r, 6, nf, 0);
    skip(r, nf - 7);
    readInto(r, m.addr, i * 6, 6);
  }
  c.meters = m;
  if (r.pos < r.end && !r.bad) {
    const n = r.u16();
    for (let k = 0; k < n && !r.bad; k++) c.sms += String.fromCharCode(r.u8());
  }
  if (r.pos < r.end && !r.bad) {
    const n = r.u16();
    let s = '';
    for (let k = 0; k < n && !r.bad; k++) s += String.fromCharCode(r.u8());
    // (absent when none, one variable less in the heap; the encoder never writes an empty one)
    if (s) c.uplink = s;
    else r.bad = true;
  }
  return r.bad || r.pos !== r.end ? null : c;
}
