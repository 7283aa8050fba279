// The configuration back as JSON-shaped data, element by element (the technician's `config
// export`, and the elements a console edit changes and parses again). Fields at their default
// are left out, so the text stays short; parseConfig(exportConfig(c)) gives c again.
import type { Config, RawConfig } from './config';
import { ACCOUNT_DEFAULTS, dayNames, modeList, periodNames, profileNames, protoNames } from './config';
import { formatAddress } from './metering/address';
import { SMS } from './sms/feature';
import { UPLINK, UPLINK_WIFI } from './uplink/feature';
import { civilFromSeconds } from '../hal/calendar';
import { FRIENDLY_REST_DAYS, HAS_TOKEN, IMPORT_ONLY, nameAt, PROTO_DLT645, PROTO_MODBUS, PROTO_PULSE } from './tables';

type Obj = { [k: string]: unknown };

function clock(min: number): string {
  const h = Math.floor(min / 60);
  const m = min - h * 60;
  return (h < 10 ? '0' : '') + h + ':' + (m < 10 ? '0' : '') + m;
}

function date(day: number): string {
  const t = civilFromSeconds(day * 86400);
  return t.year + '-' + (t.month < 10 ? '0' : '') + t.month + '-' + (t.day < 10 ? '0' : '') + t.day;
}

function schedule(s: number[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < s.length; i += 2) out.push([clock(s[i]), periodNames()[s[i + 1]]]);
  return out;
}

/** The top-level settings, as key and value pairs in the order they are written. */
export function exportTop(c: Config): Obj {
  const o: Obj = {};
  const cal = c.calendar;
  if (cal.utcOffsetS) o.utcOffsetMinutes = cal.utcOffsetS / 60;
  if (cal.weekendMask !== 65) {
    const days: string[] = [];
    for (let d = 0; d < 7; d++) if (Math.floor(cal.weekendMask / (1 << d)) % 2) days.push(dayNames()[d]);
    o.weekend = days;
  }
  if (cal.holidays.length) {
    const h: string[] = [];
    for (let i = 0; i < cal.holidays.length; i++) h.push(date(cal.holidays[i]));
    o.holidays = h;
  }
  if (cal.billingDay !== 1) o.billingDay = cal.billingDay;
  const roles = ['', 'read', 'operator', 'technician'];
  const factory = ['', '1111', '2222', '3333'];
  const pins: Obj = {};
  let any = false;
  for (let r = 1; r < 4; r++) {
    if (c.pins[r] !== factory[r]) {
      pins[roles[r]] = c.pins[r];
      any = true;
    }
  }
  if (any) o.console = { pins: pins };
  const bus: Obj = {};
  if (c.pollS !== 60) bus.pollSeconds = c.pollS;
  const lines = [c.dltLine, c.modbusLine];
  const defaults = [[2400, 'even', 1], [9600, 'none', 1]];
  for (let i = 0; i < 2; i++) {
    const l = lines[i];
    const d = defaults[i];
    if (l.baud !== d[0] || l.parity !== d[1] || l.stopBits !== d[2]) bus[i ? 'modbus' : 'dlt645'] = { baud: l.baud, parity: l.parity, stopBits: l.stopBits };
  }
  for (const k in bus) {
    o.bus = bus;
    break;
  }
  if (SMS && c.sms) o.sms = exportSms(c.sms);
  if (UPLINK && c.uplink) {
    const w = c.uplink.split(' ');
    const up: Obj = (o.uplink = { id: w[2], key: w[3], intervalMinutes: +w[0], keepAliveSeconds: +w[1] });
    const n = UPLINK_WIFI ? ['broker', 'ssid', 'wifiPassword'] : ['broker', 'apn', 'apnUser', 'apnPassword'];
    // (a WiFi's name and password with their spaces back: config.ts word)
    for (let k = 4; k < w.length; k++) up[n[k - 4]] = w[k].split('\x7f').join(' ');
  }
  return o;
}

/** The `sms` section from the configuration's `sms` string (config.ts Config.sms). */
export function exportSms(sms: string): Obj {
  const o: Obj = {};
  const lines = sms ? sms.split('\n') : ['60 -'];
  const top = lines[0].split(' ');
  if (top[1] !== '-') o.key = top[1];
  if (top[0] !== '60') o.everySeconds = +top[0];
  const ps: Obj[] = [];
  for (let i = 1; i < lines.length; i++) {
    const w = lines[i].split(' ');
    ps.push(w[0] === 'a' ? { number: w[1], admin: true } : { number: w[1], accounts: w.slice(2) });
  }
  o.phones = ps;
  return o;
}

/** Price plan p. */
export function exportPlan(c: Config, p: number): Obj {
  const pl = c.plans[p];
  const o: Obj = {};
  const pr = pl.periodPrice;
  const flat = pl.workday.length === 2 && pl.workday[1] === 2 && pl.weekend === pl.workday && !pr[0] && !pr[1] && !pr[3];
  if (flat) o.price = pr[2];
  else {
    const prices: Obj = {};
    for (let i = 0; i < 4; i++) if (pr[i]) prices[periodNames()[i]] = pr[i];
    o.prices = prices;
    o.workday = schedule(pl.workday);
    if (pl.weekend !== pl.workday) o.weekend = schedule(pl.weekend);
  }
  if (pl.tierUptoWh.length || pl.tierAdder[0]) {
    const tiers: Obj[] = [];
    for (let i = 0; i < pl.tierAdder.length; i++) {
      const t: Obj = {};
      if (i < pl.tierUptoWh.length) t.uptoWh = pl.tierUptoWh[i];
      t.add = pl.tierAdder[i];
      tiers.push(t);
    }
    o.tiers = tiers;
  }
  let top = 0;
  for (let i = 0; i < 4; i++) if (pr[i] > top) top = pr[i];
  if (pl.safePrice !== top) o.safePrice = pl.safePrice;
  return o;
}

function hex2(b: number): string {
  return (b < 16 ? '0' : '') + b.toString(16);
}

/** Account a. */
export function exportAccount(c: Config, a: number): Obj {
  const t = c.accounts;
  const d = ACCOUNT_DEFAULTS;
  const o: Obj = { name: nameAt(t.names, a), plan: c.planNames[t.plan[a]] };
  const lv: number[] = [];
  for (let i = t.alarmAt[a]; i < t.alarmAt[a + 1]; i++) lv.push(t.alarm[i]);
  if (lv.join(',') !== d.alarmLevels.join(',')) o.alarmLevels = lv;
  if (t.creditLimit[a]) o.creditLimit = t.creditLimit[a];
  if (t.reconnect[a]) o.reconnect = t.reconnect[a];
  if (t.maxBalance[a]) o.maxBalance = t.maxBalance[a];
  if (t.friendAt[a + 1] > t.friendAt[a]) {
    const w: string[][] = [];
    for (let i = t.friendAt[a]; i < t.friendAt[a + 1]; i += 2) w.push([clock(t.friend[i]), clock(t.friend[i + 1])]);
    o.friendly = w;
  }
  const f = t.flags[a];
  if (f & FRIENDLY_REST_DAYS) o.friendlyRestDays = true;
  if (t.mode[a]) o.mode = modeList()[t.mode[a]];
  if (!(f & IMPORT_ONLY)) o.importOnly = false;
  if (t.relay[a] >= 0) o.relay = t.relay[a];
  if (t.ovMaxW[a] || t.ovHoldS[a] !== d.holdS || t.ovWaitS[a] !== d.waitS || t.ovWindowS[a] !== d.windowS || t.ovTrips[a] !== d.maxTrips) {
    o.overload = { maxPowerW: t.ovMaxW[a], holdS: t.ovHoldS[a], waitS: t.ovWaitS[a], windowS: t.ovWindowS[a], maxTrips: t.ovTrips[a] };
  }
  if (f & HAS_TOKEN) {
    let key = '';
    for (let i = 0; i < 16; i++) key += hex2(t.tokenKey[a * 16 + i]);
    const tk: Obj = { key: key, start: t.tokenStart[a] };
    if (t.tokenUnit[a] !== d.tokenUnit) tk.unit = t.tokenUnit[a];
    o.token = tk;
  }
  return o;
}

/** Meter m. */
export function exportMeter(c: Config, m: number): Obj {
  const t = c.meters;
  const o: Obj = { name: nameAt(t.names, m), account: nameAt(c.accounts.names, t.account[m]) };
  if (t.plan[m] >= 0) o.plan = c.planNames[t.plan[m]];
  if (t.maxPowerW[m] !== d13800()) o.maxPowerW = t.maxPowerW[m];
  const p = t.proto[m];
  if (p) o.proto = protoNames()[p];
  if (p === PROTO_DLT645) {
    const b = new Uint8Array(6);
    for (let i = 0; i < 6; i++) b[i] = t.addr[m * 6 + i];
    o.addr = formatAddress(b);
  } else if (p === PROTO_MODBUS || p === PROTO_PULSE) o.addr = String(t.id[m]);
  if (p === PROTO_MODBUS && t.profile[m] !== 1) o.profile = t.profile[m] < 4 ? profileNames()[t.profile[m]] : c.profileSpecs[t.profile[m] - 4];
  if (p === PROTO_PULSE && t.impPerKwh[m] !== 1000) o.impPerKwh = t.impPerKwh[m];
  return o;
}

function d13800(): number {
  return ACCOUNT_DEFAULTS.maxPowerW;
}

/** The whole configuration (tests, the simulator; the console prints it element by element). */
export function exportConfig(c: Config): RawConfig {
  const o = exportTop(c) as RawConfig;
  o.plans = {};
  for (let p = 0; p < c.plans.length; p++) o.plans[c.planNames[p]] = exportPlan(c, p);
  o.accounts = [];
  for (let a = 0; a < c.accounts.n; a++) o.accounts.push(exportAccount(c, a) as RawConfig['accounts'][0]);
  o.meters = [];
  for (let m = 0; m < c.meters.n; m++) o.meters.push(exportMeter(c, m) as RawConfig['meters'][0]);
  return o;
}

/** Prints configuration c as JSON text in lines of at most 76 characters, element by element,
 *  between BEGIN CONFIG and END CONFIG (what `config import` reads back). */
export function exportLines(c: Config, out: (line: string) => void): void {
  let buf = '';
  const put = function (text: string): void {
    buf += text;
    while (buf.length >= 76) {
      out(buf.substr(0, 76));
      buf = buf.substr(76);
    }
  };
  out('BEGIN CONFIG');
  put('{');
  const top = exportTop(c);
  for (const k in top) put(JSON.stringify(k) + ':' + JSON.stringify(top[k]) + ',');
  put('"plans":{');
  for (let p = 0; p < c.plans.length; p++) put((p ? ',' : '') + JSON.stringify(c.planNames[p]) + ':' + JSON.stringify(exportPlan(c, p)));
  put('},"accounts":[');
  for (let a = 0; a < c.accounts.n; a++) put((a ? ',' : '') + JSON.stringify(exportAccount(c, a)));
  put('],"meters":[');
  for (let m = 0; m < c.meters.n; m++) put((m ? ',' : '') + JSON.stringify(exportMeter(c, m)));
  put(']}');
  if (buf) out(buf);
  out('END CONFIG');
}

/** Account option words (money in currency units) onto a raw account. */
