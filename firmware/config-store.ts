// The configuration as the EEPROM keeps it: its tables as compact binary records (varints, with
// lists that carry their length), a few kilobytes where its JSON text takes tens. Boot reads it
// straight into tables, without parsing JSON. Fields are only ever appended: a record written
// by older firmware, with fewer fields, reads back with the defaults of the missing ones.
import { Reader, Writer } from './storage/bytes';
import type { Config } from './config';
import { AccountTable, F64, I16, I32, I8, MeterTable, U16, U8, table } from './tables';
import { LineSettings } from '../hal/serial';
import { parseProfile } from './metering/meter-profiles';

/** Version of the layout below. */
const LAYOUT = 1;

function list(w: Writer, v: number[], from: number, to: number): void {
  w.num(to - from);
  for (let i = from; i < to; i++) w.num(v[i]);
}

function readList(r: Reader): number[] {
  const n = r.num();
  const v: number[] = [];
  for (let i = 0; i < n && !r.bad; i++) v.push(r.num());
  return v;
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

/** The configuration as bytes. */
export function encodeConfig(c: Config): Uint8Array {
  const a = c.accounts;
  const m = c.meters;
  const w = new Writer(256 + a.n * 48 + m.n * 24);
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
    const s = JSON.stringify(c.profileSpecs[i]);
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
    w.str(a.name[i]);
    w.num(a.plan[i]);
    const f = [a.creditLimit[i], a.reconnect[i], a.maxBalance[i], a.flags[i], a.mode[i], a.relay[i], a.ovMaxW[i], a.ovHoldS[i], a.ovWaitS[i], a.ovWindowS[i], a.ovTrips[i], a.tokenStart[i], a.tokenUnit[i]];
    list(w, f, 0, f.length);
    list(w, a.alarm, a.alarmAt[i], a.alarmAt[i + 1]);
    list(w, a.friend, a.friendAt[i], a.friendAt[i + 1]);
    list(w, a.tokenKey, i * 16, i * 16 + 16);
  }
  for (let i = 0; i < m.n; i++) {
    w.str(m.name[i]);
    const f = [m.account[i], m.plan[i], m.maxPowerW[i], m.proto[i], m.id[i], m.profile[i], m.impPerKwh[i]];
    list(w, f, 0, f.length);
    list(w, m.addr, i * 6, i * 6 + 6);
  }
  return w.out();
}

/** A configuration from bytes encodeConfig wrote, or null when they do not read as one. */
export function decodeConfig(b: Uint8Array): Config | null {
  const r = new Reader(b, 0, b.length);
  if (r.num() !== LAYOUT) return null;
  const np = r.num();
  const na = r.num();
  const nm = r.num();
  const nf = r.num();
  if (r.bad || np > 255 || na > 4096 || nm > 4096 || nf > 255) return null;
  const c: Config = {
    calendar: { utcOffsetS: r.num(), weekendMask: r.num(), billingDay: r.num(), holidays: readList(r) },
    plans: [], planNames: [], accounts: null as unknown as AccountTable, meters: null as unknown as MeterTable,
    pins: ['', r.str(), r.str(), r.str()], pollS: r.num(), dltLine: readLine(r), modbusLine: readLine(r), profileSpecs: [], profiles: [],
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
  const a: AccountTable = {
    n: na, name: [], plan: table(U8, na), creditLimit: table(F64, na), reconnect: table(F64, na), maxBalance: table(F64, na),
    alarmAt: table(U16, na + 1), alarm: [], friendAt: table(U16, na + 1), friend: [], flags: table(U8, na), mode: table(U8, na),
    relay: table(I8, na), ovMaxW: table(I32, na), ovHoldS: table(I32, na), ovWaitS: table(I32, na), ovWindowS: table(I32, na), ovTrips: table(U8, na),
    tokenKey: table(U8, na * 16), tokenStart: table(F64, na), tokenUnit: table(I32, na),
  };
  // Alarm levels and windows: read into lists first, then tables of their exact size.
  const alarms: number[] = [];
  const friends: number[] = [];
  for (let i = 0; i < na && !r.bad; i++) {
    a.name.push(r.str());
    a.plan[i] = r.num();
    const f = readList(r);
    // Defaults of fields a shorter record lacks (none yet: every layout-1 record has 13).
    a.creditLimit[i] = f[0] || 0;
    a.reconnect[i] = f[1] || 0;
    a.maxBalance[i] = f[2] || 0;
    a.flags[i] = f[3] || 0;
    a.mode[i] = f[4] || 0;
    a.relay[i] = f[5] === undefined ? -1 : f[5];
    a.ovMaxW[i] = f[6] || 0;
    a.ovHoldS[i] = f[7] || 0;
    a.ovWaitS[i] = f[8] || 0;
    a.ovWindowS[i] = f[9] || 0;
    a.ovTrips[i] = f[10] || 3;
    a.tokenStart[i] = f[11] || 0;
    a.tokenUnit[i] = f[12] || 1000;
    const lv = readList(r);
    a.alarmAt[i] = alarms.length;
    for (let k = 0; k < lv.length; k++) alarms.push(lv[k]);
    const fr = readList(r);
    a.friendAt[i] = friends.length;
    for (let k = 0; k < fr.length; k++) friends.push(fr[k]);
    const key = readList(r);
    for (let k = 0; k < key.length && k < 16; k++) a.tokenKey[i * 16 + k] = key[k];
  }
  a.alarmAt[na] = alarms.length;
  a.friendAt[na] = friends.length;
  a.alarm = table(F64, alarms.length);
  for (let k = 0; k < alarms.length; k++) a.alarm[k] = alarms[k];
  a.friend = table(I16, friends.length);
  for (let k = 0; k < friends.length; k++) a.friend[k] = friends[k];
  c.accounts = a;
  const m: MeterTable = { n: nm, name: [], account: table(U16, nm), plan: table(I16, nm), maxPowerW: table(I32, nm), proto: table(U8, nm), addr: table(U8, nm * 6), id: table(U16, nm), profile: table(U8, nm), impPerKwh: table(I32, nm) };
  for (let i = 0; i < nm && !r.bad; i++) {
    m.name.push(r.str());
    const f = readList(r);
    m.account[i] = f[0] || 0;
    m.plan[i] = f[1] === undefined ? -1 : f[1];
    m.maxPowerW[i] = f[2] || 13800;
    m.proto[i] = f[3] || 0;
    m.id[i] = f[4] || 0;
    m.profile[i] = f[5] || 0;
    m.impPerKwh[i] = f[6] || 0;
    const ad = readList(r);
    for (let k = 0; k < ad.length && k < 6; k++) m.addr[i * 6 + k] = ad[k];
  }
  c.meters = m;
  return r.bad || r.pos !== r.end ? null : c;
}
