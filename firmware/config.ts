// Configuration parser: one schema for every path a configuration takes (a scenario or trace
// file, the factory configuration, a console import or edit). A JSON-shaped object, or its
// elements one at a time (ConfigBuilder: a pasted import is parsed as it arrives, never held
// whole), becomes the unit's tables (tables.ts), or one clear error naming the field. Unknown
// keys are refused with the nearest known name. Nothing here throws past parseConfig or the
// builder's methods. docs/configuration.md lists every field.
import { Calendar, PricePlan } from './billing/tariff';
import { daysFromCivil } from '../hal/calendar';
import { LineSettings } from '../hal/serial';
import type { ModbusProfile } from './metering/meter-profiles';
import { parseProfile } from './metering/profile-parse';
import { parseAddress } from './metering/address';
import { phoneNumber, plainNumber } from '../hal/modem';
import { SMS } from './sms/feature';
import { UPLINK, UPLINK_BROKER, UPLINK_WIFI } from './uplink/feature';
import { AccountTable, copyTables, emptyAccounts, emptyMeters, F64, FRIENDLY_REST_DAYS, grown, HAS_TOKEN, I16, I32, I8, IMPORT_ONLY, MeterTable, nameAt, nameIndex, pack, PROTO_DLT645, PROTO_MODBUS, PROTO_NONE, PROTO_PULSE, table, U8 } from './tables';

/** The configuration as JSON-shaped data (see docs/configuration.md). */
export interface RawConfig {
  plans: { [name: string]: { [k: string]: unknown } };
  accounts: { [k: string]: unknown; name: string }[];
  meters: { [k: string]: unknown; name: string; account: string }[];
  [k: string]: unknown;
}

/** A parsed configuration: the core's part (calendar, plans, account and meter tables) and the
 *  unit's settings. Plain data and typed arrays only, so it may outlive the module that made it. */
export interface Config {
  calendar: Calendar;
  plans: PricePlan[];
  planNames: string[];
  accounts: AccountTable;
  meters: MeterTable;
  /** Console PIN per role index 1..3 ('' at 0). */
  pins: string[];
  /** Bus poll interval, and the line settings of DL/T 645 and Modbus meters. */
  pollS: number;
  dltLine: LineSettings;
  modbusLine: LineSettings;
  /** Modbus register maps the configuration defines (meter profile 4 + i), as given and parsed. */
  profileSpecs: unknown[];
  profiles: ModbusProfile[];
  /** SMS (docs/sms.md), in one string ('' without the section: one variable of heap): a first
   *  line "<seconds between sessions> <key as 32 hex digits, or ->", then a line per phone,
   *  "a <number>" for an administrator, "u <number> <account> ..." for a user of those accounts. */
  sms: string;
  /** The uplink (docs/uplink.md), in one string (absent without the section: no variable of
   *  heap): "<interval minutes> <keep-alive seconds> <unit id> <key as 32 hex digits>". */
  uplink?: string;
}

/** Parse outcome: the config, or an error such as `accounts[2].plan: unknown plan "x"`. */
export type ConfigResult = { ok: true; value: Config } | { ok: false; error: string };

/** Time-of-use period names by number. A function: on the board its text stays in flash until asked for. */
export function periodNames(): string[] {
  return 'sharp peak flat valley'.split(' ');
}
/** Day names, Sunday first. */
export function dayNames(): string[] {
  return 'sun mon tue wed thu fri sat'.split(' ');
}
/** Relay mode names by number (core.ts MODE_AUTO, MODE_ON, MODE_OFF). */
export function modeList(): string[] {
  return 'auto on off'.split(' ');
}
/** Meter protocol names by number (tables.ts PROTO_*). */
export function protoNames(): string[] {
  return 'none dlt645 modbus pulse'.split(' ');
}
/** Built-in Modbus profile names by number (tables.ts MeterTable.profile). */
export function profileNames(): string[] {
  return ' sdm120 sdm230 dds238'.split(' ');
}

/** Default account settings; alarm levels as in seed 004 (three reminders). */
export const ACCOUNT_DEFAULTS = {
  alarmLevels: [30000, 20000, 10000],
  maxPowerW: 13800,
  holdS: 10,
  waitS: 30,
  windowS: 3600,
  maxTrips: 3,
  tokenUnit: 1000,
};

/** Account and meter names: what a technician types and what the EEPROM, the event log and
 *  the freeze records keep whole (1 to 16 printable ASCII characters, no spaces). */
export const NAME_MAX = 16;
/** Largest amount of money or energy a field takes (milli-currency, Wh): far below 2^53. */
const BIG = 1e12;
const NO_KEYS = {};
/** DL/T 645 meters ship at 2400 8E1; Modbus meters are set to 9600 8N1 (`bus` overrides). */
const DLT_LINE: LineSettings = { baud: 2400, dataBits: 8, parity: 'even', stopBits: 1 };
const MODBUS_LINE: LineSettings = { baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 };

// Errors travel as a thrown string inside this module only; parseConfig and the builder's
// methods catch them all.
function bad(path: string, msg: string): never {
  throw path + ': ' + msg;
}

function obj(v: unknown, path: string): { [k: string]: unknown } {
  if (typeof v !== 'object' || v === null || v instanceof Array) bad(path, 'expected an object');
  return v as { [k: string]: unknown };
}

/** Edit distance of two short words (for "did you mean"). */
function distance(a: string, b: string): number {
  let prev: number[] = [];
  for (let j = 0; j <= b.length; j++) prev.push(j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const c = prev[j - 1] + (a.charAt(i - 1) === b.charAt(j - 1) ? 0 : 1);
      cur.push(Math.min(c, prev[j] + 1, cur[j - 1] + 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Refuses a key of o that is not in the space-separated list, naming the nearest known one. */
function known(o: { [k: string]: unknown }, path: string, list: string): void {
  const names = list.split(' ');
  for (const k in o) {
    if (names.indexOf(k) >= 0) continue;
    let best = '';
    let d = 1e9;
    for (let i = 0; i < names.length; i++) {
      const x = distance(k.toLowerCase(), names[i].toLowerCase());
      if (x < d) {
        d = x;
        best = names[i];
      }
    }
    bad((path ? path + '.' : '') + k, 'unknown key' + (d <= 3 || k.toLowerCase() === best.toLowerCase() ? ' (did you mean "' + best + '"?)' : ' (known: ' + names.join(', ') + ')'));
  }
}

/** An integer in [min, max]; absent gives def (or an error when def is undefined). */
function int(v: unknown, path: string, min: number, max: number, def?: number): number {
  if (v === undefined) {
    if (def === undefined) bad(path, 'missing');
    return def as number;
  }
  if (typeof v !== 'number' || Math.floor(v) !== v) bad(path, 'expected a whole number, got ' + JSON.stringify(v));
  if ((v as number) < min || (v as number) > max) bad(path, 'must be between ' + min + ' and ' + max + ', got ' + v);
  return v as number;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') bad(path, 'expected a non-empty string');
  return v as string;
}

function arr(v: unknown, path: string): unknown[] {
  if (!(v instanceof Array)) bad(path, 'expected a list');
  return v as unknown[];
}

function bool(v: unknown, path: string, def: boolean): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') bad(path, 'expected true or false');
  return v as boolean;
}

function digits(s: string, from: number, n: number): number {
  let x = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}

/** Minutes of the day from "HH:MM" ("24:00" allowed as an end). */
export function parseClock(v: unknown, path: string): number {
  const s = str(v, path);
  const h = digits(s, 0, 2);
  const m = digits(s, 3, 2);
  if (s.length !== 5 || s.charAt(2) !== ':' || h < 0 || m < 0 || m > 59 || h * 60 + m > 1440) bad(path, 'expected a time HH:MM, got "' + s + '"');
  return h * 60 + m;
}

/** Days in a month of the Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Day number from "YYYY-MM-DD" (a date that exists). */
export function parseDate(v: unknown, path: string): number {
  const s = str(v, path);
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (s.length !== 10 || s.charAt(4) !== '-' || s.charAt(7) !== '-' || y < 1970 || y > 2199 || mo < 1 || mo > 12 || d < 1 || d > 31) bad(path, 'expected a date YYYY-MM-DD, got "' + s + '"');
  if (d > daysInMonth(y, mo)) bad(path, 'no such date: "' + s + '"');
  return daysFromCivil(y, mo, d);
}

function indexOf(list: string[], v: unknown, path: string, what: string): number {
  for (let i = 0; i < list.length; i++) if (list[i] === v) return i;
  const names: string[] = [];
  for (let i = 0; i < list.length; i++) if (list[i]) names.push(list[i]);
  return bad(path, 'unknown ' + what + ' ' + JSON.stringify(v) + (names.length ? ' (known: ' + names.join(', ') + ')' : ''));
}

function schedule(v: unknown, path: string): number[] {
  const list = arr(v, path);
  if (!list.length) bad(path, 'needs at least one ["HH:MM", period] entry');
  const out: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const p = path + '[' + i + ']';
    const e = arr(list[i], p);
    if (e.length !== 2) bad(p, 'expected ["HH:MM", period]');
    const start = parseClock(e[0], p + '[0]');
    if (i === 0 && start !== 0) bad(p, 'the first period must start at 00:00');
    if (i > 0 && start <= out[out.length - 2]) bad(p, 'start times must increase');
    out.push(start, indexOf(periodNames(), e[1], p + '[1]', 'period'));
  }
  return out;
}

/** A price plan from its JSON form. */
export function parsePlan(v: unknown, path: string): PricePlan {
  const o = obj(v, path);
  known(o, path, 'price prices workday weekend tiers safePrice');
  const periodPrice = [0, 0, 0, 0];
  let workday = [0, 2];
  if (o.price !== undefined) {
    periodPrice[2] = int(o.price, path + '.price', 0, 100000000);
    if (o.prices !== undefined || o.workday !== undefined) bad(path, 'give either price (flat) or prices with workday (time of use)');
  } else {
    const pr = obj(o.prices, path + '.prices');
    for (const k in pr) {
      periodPrice[indexOf(periodNames(), k, path + '.prices', 'period')] = int(pr[k], path + '.prices.' + k, 0, 100000000);
    }
    workday = schedule(o.workday, path + '.workday');
  }
  const weekend = o.weekend === undefined ? workday : schedule(o.weekend, path + '.weekend');
  const tierUptoWh: number[] = [];
  const tierAdder: number[] = [0];
  if (o.tiers !== undefined) {
    const tiers = arr(o.tiers, path + '.tiers');
    for (let i = 0; i < tiers.length; i++) {
      const p = path + '.tiers[' + i + ']';
      const t = obj(tiers[i], p);
      known(t, p, 'uptoWh add');
      tierAdder[i] = int(t.add, p + '.add', -100000000, 100000000, 0);
      if (i < tiers.length - 1) {
        const upto = int(t.uptoWh, p + '.uptoWh', 1, BIG);
        if (i > 0 && upto <= tierUptoWh[i - 1]) bad(p + '.uptoWh', 'thresholds must increase');
        tierUptoWh.push(upto);
      } else if (t.uptoWh !== undefined) bad(p + '.uptoWh', 'the last tier has no upper limit');
    }
  }
  let safePrice = 0;
  for (let i = 0; i < 4; i++) if (periodPrice[i] > safePrice) safePrice = periodPrice[i];
  if (o.safePrice !== undefined) safePrice = int(o.safePrice, path + '.safePrice', 0, 100000000);
  return { periodPrice: periodPrice, workday: workday, weekend: weekend, tierUptoWh: tierUptoWh, tierAdder: tierAdder, safePrice: safePrice };
}

/** A name as accounts and meters take them. */
function nameOf(v: unknown, path: string): string {
  const n = str(v, path);
  let okName = n.length <= NAME_MAX;
  for (let k = 0; k < n.length && okName; k++) okName = n.charCodeAt(k) > 32 && n.charCodeAt(k) < 127;
  if (!okName) bad(path, 'names are 1 to ' + NAME_MAX + ' printable ASCII characters without spaces, got "' + n + '"');
  // Names key records in the EEPROM journal: none an object already has (toString, ...).
  if (n.charAt(0) === '_' || n in NO_KEYS) bad(path, '"' + n + '" is a reserved word; choose another name');
  return n;
}

function lineOf(v: unknown, path: string, d: LineSettings): LineSettings {
  if (v === undefined) return d;
  const o = obj(v, path);
  known(o, path, 'baud parity stopBits');
  const baud = int(o.baud, path + '.baud', 300, 115200, d.baud);
  const parity = o.parity === undefined ? d.parity : ['none', 'even', 'odd'][indexOf(['none', 'even', 'odd'], o.parity, path + '.parity', 'parity')];
  return { baud: baud, dataBits: 8, parity: parity as 'none' | 'even' | 'odd', stopBits: int(o.stopBits, path + '.stopBits', 1, 2, d.stopBits) as 1 | 2 };
}

/** A hexadecimal digit's value, or a large negative number. */
function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1000;
}

/** A 16-byte key given as 32 hexadecimal digits. */
function key16(v: unknown, path: string): number[] {
  const ks = typeof v === 'string' ? v : '';
  const key: number[] = [];
  for (let k = 0; k < 16 && ks.length === 32; k++) key.push(hex(ks.charCodeAt(2 * k)) * 16 + hex(ks.charCodeAt(2 * k + 1)));
  for (let k = 0; k < key.length; k++) if (key[k] < 0) key[k] = -1;
  if (key.length !== 16 || key.indexOf(-1) >= 0) bad(path, 'expected 32 hexadecimal digits');
  return key;
}

/** The `uplink` section into c: the unit's name at the head-end and its key, how often interval
 *  readings are taken (a whole number of them in a day), the MQTT keep-alive. */
function parseUplink(c: Config, v: unknown): void {
  const o = obj(v, 'uplink');
  // (the network the link joins: a WiFi's name and password, or a GSM bearer's)
  const w = UPLINK_WIFI ? ['ssid', 'wifiPassword'] : ['apn', 'apnUser', 'apnPassword'];
  known(o, 'uplink', 'id key intervalMinutes keepAliveSeconds broker ' + w.join(' '));
  const id = str(o.id, 'uplink.id');
  for (let k = 0; k < id.length; k++) {
    const ch = id.charCodeAt(k) | 32;
    if (id[k] !== '-' && id[k] !== '_' && !(ch >= 97 && ch <= 122) && !(id[k] >= '0' && id[k] <= '9')) bad('uplink.id', 'letters, digits, - and _ only');
  }
  if (id.length < 1 || id.length > 32) bad('uplink.id', '1 to 32 characters');
  key16(o.key, 'uplink.key');
  const iv = int(o.intervalMinutes, 'uplink.intervalMinutes', 5, 1440, 15);
  if (1440 % iv) bad('uplink.intervalMinutes', 'a whole number of intervals in a day (5, 10, 15, 30, 60, ...)');
  let u = iv + ' ' + int(o.keepAliveSeconds, 'uplink.keepAliveSeconds', 10, 3600, 120) + ' ' + id + ' ' + (o.key as string).toLowerCase();
  // The broker and the network (the GPRS bearer, the WiFi), for a board whose uplink goes
  // through its modem or its WiFi (the simulator has a link of its own): words after the key,
  // each only with the one before it.
  const b = o.broker;
  if (UPLINK_BROKER && b === undefined) bad('uplink.broker', 'this unit\'s uplink goes through its ' + (UPLINK_WIFI ? 'WiFi' : 'modem') + ': expected host:port');
  if (UPLINK_WIFI && o.ssid === undefined) bad('uplink.ssid', 'this unit\'s uplink goes through its WiFi: expected the network\'s name');
  if (b !== undefined) {
    const at = word(b, 'uplink.broker', 70).indexOf(':');
    const port = +(b as string).substr(at + 1);
    if (at < 1 || !(port === Math.floor(port) && port > 0 && port < 65536)) bad('uplink.broker', 'expected host:port (a port 1 to 65535)');
    u += ' ' + b;
  }
  for (let k = 0; k < w.length; k++) {
    const v = o[w[k]];
    if (v === undefined) continue;
    if (o[k ? w[k - 1] : 'broker'] === undefined) bad('uplink.' + w[k], 'only with uplink.' + (k ? w[k - 1] : 'broker'));
    // (a WiFi's name up to 32 characters, its WPA password 8 to 63; both may hold spaces)
    const s = word(v, 'uplink.' + w[k], UPLINK_WIFI && !k ? 32 : 63, UPLINK_WIFI);
    if (UPLINK_WIFI && k && s.length < 8) bad('uplink.wifiPassword', '8 to 63 characters');
    u += ' ' + s;
  }
  c.uplink = u;
}

/** A word the modem or the WiFi module takes between quotes: 1 to max printable ASCII characters,
 *  no '"', no space unless `spaces` (then each kept as \x7f: the section's words are
 *  space-separated). */
function word(v: unknown, path: string, max: number, spaces?: boolean): string {
  const s = str(v, path);
  if (s.length > max) bad(path, 'at most ' + max + ' characters');
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) < (spaces ? 32 : 33) || s.charCodeAt(k) > 126 || s[k] === '"') bad(path, 'printable characters only, no ' + (spaces ? '' : 'space or ') + '"');
  return spaces ? s.split(' ').join('\x7f') : s;
}

/** Phones on the SMS list at most (each costs the heap a line of text). */
const MAX_PHONES = 20;

/** The `sms` section into c: key, session interval, phones (their accounts checked at finish). */
function parseSms(c: Config, v: unknown, accts: string[][]): void {
  const o = obj(v, 'sms');
  known(o, 'sms', 'key everySeconds phones');
  if (o.key !== undefined) key16(o.key, 'sms.key');
  const lines = [int(o.everySeconds, 'sms.everySeconds', 60, 86400, 60) + ' ' + (o.key === undefined ? '-' : (o.key as string).toLowerCase())];
  const ps = o.phones === undefined ? [] : arr(o.phones, 'sms.phones');
  if (ps.length > MAX_PHONES) bad('sms.phones', 'at most ' + MAX_PHONES + ' numbers');
  const seen: string[] = [];
  accts.length = 0;
  for (let i = 0; i < ps.length; i++) {
    const path = 'sms.phones[' + i + ']';
    const p = obj(ps[i], path);
    known(p, path, 'number admin accounts');
    const n = plainNumber(str(p.number, path + '.number'));
    if (!phoneNumber(n)) bad(path + '.number', 'a phone number is 3 to 20 digits, with a + in front when international, got "' + p.number + '"');
    if (seen.indexOf(n) >= 0) bad(path + '.number', 'listed twice');
    seen.push(n);
    const admin = bool(p.admin, path + '.admin', false);
    const as = p.accounts === undefined ? [] : arr(p.accounts, path + '.accounts');
    if (admin && as.length) bad(path + '.accounts', 'an administrator may ask about every account: give no accounts');
    if (!admin && !as.length) bad(path, 'a user needs accounts (or "admin": true)');
    const names: string[] = [];
    for (let k = 0; k < as.length; k++) names.push(nameOf(as[k], path + '.accounts[' + k + ']'));
    accts.push(names);
    lines.push((admin ? 'a ' : 'u ') + n + (names.length ? ' ' + names.join(' ') : ''));
  }
  c.sms = lines.join('\n');
}

/** The `sms` section alone, its users' accounts among `names` (`sms` console commands): the
 *  configuration's `sms` string, or what is wrong (an object holding the error). */
export function smsSection(v: unknown, names: string[]): string | { error: string } {
  const c = {} as Config;
  const sa: string[][] = [];
  try {
    parseSms(c, v, sa);
    smsAccounts(sa, names);
    return c.sms;
  } catch (e) {
    return { error: typeof e === 'string' ? e : 'sms: ' + e };
  }
}

/** Refuses an SMS user's account that is not among `names`. */
function smsAccounts(sa: string[][], names: string[]): void {
  for (let i = 0; i < sa.length; i++) for (let k = 0; k < sa[i].length; k++) indexOf(names, sa[i][k], 'sms.phones[' + i + '].accounts[' + k + ']', 'account');
}

/** A PIN: 4 to 12 digits. */
function pin(v: unknown, path: string): string {
  const s = typeof v === 'string' ? v : '';
  if (s.length < 4 || s.length > 12 || digits(s, 0, s.length) < 0) bad(path, 'a PIN is 4 to 12 digits, got ' + JSON.stringify(v));
  return s;
}

/** Builds a configuration element by element: the top-level settings, plans, accounts and
 *  meters may come in any order (references are resolved at finish). Each method returns an
 *  error text or null; after an error the builder is not used again. */
export class ConfigBuilder {
  private c: Config;
  private acctPlan: string[] = [];
  private meterAcct: string[] = [];
  private meterPlan: string[] = [];
  private alarms = 0;
  private friends = 0;
  private seen: string[] = [];
  /** The accounts each SMS user is given, checked at finish. */
  private smsAccts: string[][] = [];
  /** Pulse inputs the board has (channels 0 to n-1), when the unit knows it; else 0 to 15. */
  pulseInputs?: number;

  constructor(pulseInputs?: number) {
    this.pulseInputs = pulseInputs;
    const a = emptyAccounts();
    a.alarmAt = table(I16, 1);
    a.friendAt = table(I16, 1);
    const m = emptyMeters();
    this.c = {
      calendar: { utcOffsetS: 0, weekendMask: 65, holidays: [], billingDay: 1 },
      plans: [], planNames: [], accounts: a, meters: m, pins: ['', '1111', '2222', '3333'],
      pollS: 60, dltLine: DLT_LINE, modbusLine: MODBUS_LINE, profileSpecs: [], profiles: [],
      sms: '',
    };
  }

  private guard(fn: (v?: unknown) => void, v?: unknown): string | null {
    try {
      fn.call(this, v);
      return null;
    } catch (e) {
      return typeof e === 'string' ? e : 'config: ' + e;
    }
  }

  /** One top-level setting (not plans, accounts or meters). */
  top(key: string, v: unknown): string | null {
    const c = this.c;
    const sa = this.smsAccts;
    return this.guard(function () {
      if (key === 'utcOffsetMinutes') c.calendar.utcOffsetS = int(v, key, -720, 840) * 60;
      else if (key === 'weekend') {
        const days = arr(v, key);
        let mask = 0;
        for (let i = 0; i < days.length; i++) mask |= 1 << indexOf(dayNames(), days[i], 'weekend[' + i + ']', 'day');
        c.calendar.weekendMask = mask;
      } else if (key === 'holidays') {
        const hol = arr(v, key);
        for (let i = 0; i < hol.length; i++) c.calendar.holidays.push(parseDate(hol[i], 'holidays[' + i + ']'));
      } else if (key === 'billingDay') c.calendar.billingDay = int(v, key, 1, 28);
      else if (key === 'console') {
        const o = obj(v, key);
        known(o, key, 'pins');
        const p = obj(o.pins, 'console.pins');
        known(p, 'console.pins', 'read operator technician');
        const roles = ['', 'read', 'operator', 'technician'];
        for (let r = 1; r < 4; r++) if (p[roles[r]] !== undefined) c.pins[r] = pin(p[roles[r]], 'console.pins.' + roles[r]);
        for (let r = 1; r < 4; r++) for (let q = 1; q < r; q++) if (c.pins[r] === c.pins[q]) bad('console.pins.' + roles[r], 'the same PIN as ' + roles[q] + ': every role needs its own');
      } else if (key === 'bus') {
        const o = obj(v, key);
        known(o, key, 'pollSeconds dlt645 modbus');
        c.pollS = int(o.pollSeconds, 'bus.pollSeconds', 1, 86400, 60);
        c.dltLine = lineOf(o.dlt645, 'bus.dlt645', DLT_LINE);
        c.modbusLine = lineOf(o.modbus, 'bus.modbus', MODBUS_LINE);
      } else if (key === 'sms' && SMS) parseSms(c, v, sa);
      else if (key === 'uplink' && UPLINK) parseUplink(c, v);
      else {
        const o: { [k: string]: unknown } = {};
        o[key] = v;
        known(o, '', 'utcOffsetMinutes weekend holidays billingDay console bus ' + (SMS ? 'sms ' : '') + (UPLINK ? 'uplink ' : '') + 'plans accounts meters');
      }
    });
  }

  /** One price plan. */
  plan(name: string, v: unknown): string | null {
    const c = this.c;
    return this.guard(function () {
      nameOf(name, 'plans.' + name);
      if (c.planNames.indexOf(name) >= 0) bad('plans.' + name, 'duplicate plan');
      c.plans.push(parsePlan(v, 'plans.' + name));
      c.planNames.push(name);
    });
  }

  /** The next account. */
  account(v: unknown): string | null {
    return this.guard(this.addAccount, v);
  }

  /** One price plan alone: the plan, or what is wrong with it. */
  onePlan(name: string, v: unknown): PricePlan | string {
    return this.plan(name, v) || this.c.plans[0];
  }

  /** One account alone, its plan looked up among the plans named: a table of that one account
   *  (for `putAccount`), or what is wrong with it, named as in a whole configuration's first. */
  oneAccount(v: unknown, planNames: string[]): AccountTable | string {
    const self = this;
    const e = this.guard(function () {
      self.addAccount(v);
      self.c.accounts.plan[0] = indexOf(planNames, self.acctPlan[0], 'accounts[0].plan', 'plan');
    });
    return e || this.c.accounts;
  }

  private addAccount(v: unknown): void {
    const t = this.c.accounts;
    const i = t.n;
    const path = 'accounts[' + i + ']';
    const o = obj(v, path);
    known(o, path, 'name plan alarmLevels creditLimit reconnect maxBalance friendly friendlyRestDays mode importOnly relay overload token');
    const name = nameOf(o.name, path + '.name');
    if (nameIndex(t.names, name) >= 0) bad(path + '.name', 'duplicate name "' + name + '"');
    str(o.plan, path + '.plan');
    const d = ACCOUNT_DEFAULTS;
    const levels = o.alarmLevels === undefined ? d.alarmLevels : arr(o.alarmLevels, path + '.alarmLevels');
    if (levels.length > 8) bad(path + '.alarmLevels', 'at most 8 levels');
    const lv: number[] = [];
    for (let k = 0; k < levels.length; k++) {
      lv.push(int(levels[k], path + '.alarmLevels[' + k + ']', -BIG, BIG));
      if (k > 0 && lv[k] >= lv[k - 1]) bad(path + '.alarmLevels', 'levels must decrease');
    }
    const fw = o.friendly === undefined ? [] : arr(o.friendly, path + '.friendly');
    if (fw.length > 8) bad(path + '.friendly', 'at most 8 windows');
    const fr: number[] = [];
    for (let k = 0; k < fw.length; k++) {
      const p = path + '.friendly[' + k + ']';
      const w = arr(fw[k], p);
      if (w.length !== 2) bad(p, 'expected ["HH:MM", "HH:MM"]');
      fr.push(parseClock(w[0], p + '[0]'), parseClock(w[1], p + '[1]'));
    }
    const ov = o.overload === undefined ? {} : obj(o.overload, path + '.overload');
    known(ov, path + '.overload', 'maxPowerW holdS waitS windowS maxTrips');
    const credit = int(o.creditLimit, path + '.creditLimit', 0, BIG, 0);
    const reconnect = int(o.reconnect, path + '.reconnect', -credit, BIG, 0);
    const maxBalance = int(o.maxBalance, path + '.maxBalance', 0, BIG, 0);
    const mode = indexOf(modeList(), o.mode === undefined ? 'auto' : o.mode, path + '.mode', 'relay mode');
    const relay = int(o.relay, path + '.relay', -1, 15, -1);
    let flags = bool(o.friendlyRestDays, path + '.friendlyRestDays', false) ? FRIENDLY_REST_DAYS : 0;
    if (bool(o.importOnly, path + '.importOnly', true)) flags |= IMPORT_ONLY;
    let key: number[] = [];
    let start = 0;
    let unit = d.tokenUnit;
    if (o.token !== undefined) {
      const tk = obj(o.token, path + '.token');
      known(tk, path + '.token', 'key start unit');
      key = key16(tk.key, path + '.token.key');
      start = int(tk.start, path + '.token.start', 0, 999999999999);
      unit = int(tk.unit, path + '.token.unit', 1, 1000000000, d.tokenUnit);
      flags |= HAS_TOKEN;
    }
    // Everything checked: the row goes in.
    const n = i + 1;
    t.plan = grown(t.plan, U8, n);
    t.creditLimit = grown(t.creditLimit, F64, n);
    t.reconnect = grown(t.reconnect, F64, n);
    t.maxBalance = grown(t.maxBalance, F64, n);
    t.flags = grown(t.flags, U8, n);
    t.mode = grown(t.mode, U8, n);
    t.relay = grown(t.relay, I8, n);
    t.ovMaxW = grown(t.ovMaxW, I32, n);
    t.ovHoldS = grown(t.ovHoldS, I32, n);
    t.ovWaitS = grown(t.ovWaitS, I32, n);
    t.ovWindowS = grown(t.ovWindowS, I32, n);
    t.ovTrips = grown(t.ovTrips, U8, n);
    t.tokenKey = grown(t.tokenKey, U8, n * 16);
    t.tokenStart = grown(t.tokenStart, F64, n);
    t.tokenUnit = grown(t.tokenUnit, I32, n);
    t.alarmAt = grown(t.alarmAt, I16, n + 1);
    t.friendAt = grown(t.friendAt, I16, n + 1);
    t.alarm = grown(t.alarm, F64, this.alarms + lv.length);
    t.friend = grown(t.friend, I16, this.friends + fr.length);
    t.names += name + ' ';
    this.acctPlan.push(o.plan as string);
    t.creditLimit[i] = credit;
    t.reconnect[i] = reconnect;
    t.maxBalance[i] = maxBalance;
    t.flags[i] = flags;
    t.mode[i] = mode;
    t.relay[i] = relay;
    t.ovMaxW[i] = int(ov.maxPowerW, path + '.overload.maxPowerW', 0, 1e7, 0);
    t.ovHoldS[i] = int(ov.holdS, path + '.overload.holdS', 0, 86400, d.holdS);
    t.ovWaitS[i] = int(ov.waitS, path + '.overload.waitS', 0, 86400, d.waitS);
    t.ovWindowS[i] = int(ov.windowS, path + '.overload.windowS', 0, 864000, d.windowS);
    t.ovTrips[i] = int(ov.maxTrips, path + '.overload.maxTrips', 1, 100, d.maxTrips);
    for (let k = 0; k < key.length; k++) t.tokenKey[i * 16 + k] = key[k];
    t.tokenStart[i] = start;
    t.tokenUnit[i] = unit;
    t.alarmAt[i] = this.alarms;
    for (let k = 0; k < lv.length; k++) t.alarm[this.alarms++] = lv[k];
    t.alarmAt[n] = this.alarms;
    t.friendAt[i] = this.friends;
    for (let k = 0; k < fr.length; k++) t.friend[this.friends++] = fr[k];
    t.friendAt[n] = this.friends;
    t.n = n;
  }

  /** The next meter. */
  meter(v: unknown): string | null {
    return this.guard(this.addMeter, v);
  }

  private addMeter(v: unknown): void {
    const t = this.c.meters;
    const i = t.n;
    const path = 'meters[' + i + ']';
    const o = obj(v, path);
    known(o, path, 'name account plan maxPowerW proto addr profile impPerKwh');
    const name = nameOf(o.name, path + '.name');
    if (nameIndex(t.names, name) >= 0) bad(path + '.name', 'duplicate name "' + name + '"');
    str(o.account, path + '.account');
    if (o.plan !== undefined) str(o.plan, path + '.plan');
    const maxW = int(o.maxPowerW, path + '.maxPowerW', 1, 1e7, ACCOUNT_DEFAULTS.maxPowerW);
    const proto = o.proto === undefined ? PROTO_NONE : indexOf(protoNames(), o.proto, path + '.proto', 'protocol');
    if (proto === PROTO_NONE && o.proto !== undefined) bad(path + '.proto', 'give dlt645, modbus or pulse, or leave it out');
    const addrText = o.addr === undefined ? '' : String(o.addr);
    let wire: Uint8Array | null = null;
    let id = 0;
    let profile = 0;
    let imp = 0;
    if (proto !== PROTO_MODBUS && o.profile !== undefined) bad(path + '.profile', 'only Modbus meters have a profile');
    if (proto !== PROTO_PULSE && o.impPerKwh !== undefined) bad(path + '.impPerKwh', 'only pulse meters have a pulse constant');
    if (proto === PROTO_NONE && o.addr !== undefined) bad(path + '.addr', 'give the meter a proto (dlt645, modbus, pulse) for its address');
    if (proto === PROTO_DLT645) {
      const a = parseAddress(addrText);
      if (!a.ok) bad(path + '.addr', 'a DL/T 645 address is 12 digits (printed on the meter), got ' + JSON.stringify(o.addr === undefined ? '' : o.addr));
      wire = a.ok ? a.value : null;
      if (addrText === '999999999999' || addrText === 'aaaaaaaaaaaa') bad(path + '.addr', 'the broadcast and wildcard addresses read no single meter');
    } else if (proto === PROTO_MODBUS) {
      id = digits(addrText, 0, addrText.length);
      if (!(addrText.length >= 1 && addrText.length <= 3 && id >= 1 && id <= 247)) bad(path + '.addr', 'a Modbus slave id is 1 to 247, got ' + JSON.stringify(o.addr === undefined ? '' : o.addr));
      if (o.profile === undefined || typeof o.profile === 'string') profile = indexOf(profileNames(), o.profile === undefined ? 'sdm120' : o.profile, path + '.profile', 'profile');
      else {
        // a register map of the configuration's own: its keys checked here, its values by parseProfile
        // (for...in over a number or null throws on Espruino: objects only)
        const po = o.profile as { [k: string]: unknown };
        if (typeof po === 'object' && po) {
          known(po, path + '.profile', 'name import export power voltage current relay');
          for (const q in po) {
            const f = po[q];
            if (q !== 'name' && typeof f === 'object' && f) known(f as { [k: string]: unknown }, path + '.profile.' + q, q === 'relay' ? 'reg on off' : 'reg fn type scale unit');
          }
        }
        const r = parseProfile(o.profile);
        if (!r.ok) bad(path + '.profile', 'register map: ' + r.error + (r.detail ? ' ' + r.detail : ''));
        else {
          this.c.profileSpecs.push(o.profile);
          this.c.profiles.push(r.value);
          profile = 3 + this.c.profiles.length;
        }
      }
    } else if (proto === PROTO_PULSE) {
      id = addrText === '' ? this.nextPulse() : digits(addrText, 0, addrText.length);
      // an input the board does not have is never read
      const np = this.pulseInputs;
      const max = np === undefined ? 16 : np;
      if (!(addrText.length <= 2 && id >= 0 && id < max)) bad(path + '.addr', max ? 'a pulse input is 0 to ' + (max - 1) + (np === undefined ? '' : ' on this unit') + ', got ' + JSON.stringify(o.addr === undefined ? id : o.addr) : 'this unit has no pulse inputs');
      imp = int(o.impPerKwh, path + '.impPerKwh', 1, 100000, 1000);
    }
    // Unique per line: one address answers once.
    for (let k = 0; k < i; k++) {
      if (t.proto[k] !== proto || proto === PROTO_NONE) continue;
      let same = proto !== PROTO_DLT645 ? t.id[k] === id : true;
      for (let b = 0; b < 6 && proto === PROTO_DLT645 && wire; b++) if (t.addr[k * 6 + b] !== wire[b]) same = false;
      if (same) bad(path + '.addr', (proto === PROTO_PULSE ? 'pulse input ' + id : 'address ' + addrText) + ' is already meter ' + nameAt(t.names, k) + "'s");
    }
    const n = i + 1;
    t.account = grown(t.account, I16, n);
    t.plan = grown(t.plan, I16, n);
    t.maxPowerW = grown(t.maxPowerW, I32, n);
    t.proto = grown(t.proto, U8, n);
    t.addr = grown(t.addr, U8, n * 6);
    t.id = grown(t.id, I16, n);
    t.profile = grown(t.profile, U8, n);
    t.impPerKwh = grown(t.impPerKwh, I32, n);
    t.names += name + ' ';
    this.meterAcct.push(o.account as string);
    this.meterPlan.push(o.plan === undefined ? '' : (o.plan as string));
    t.maxPowerW[i] = maxW;
    t.proto[i] = proto;
    for (let b = 0; b < 6 && wire; b++) t.addr[i * 6 + b] = wire[b];
    t.id[i] = id;
    t.profile[i] = profile;
    t.impPerKwh[i] = imp;
    t.n = n;
  }

  /** The pulse input a pulse meter without an address takes: the next after those taken. */
  private nextPulse(): number {
    let k = 0;
    const t = this.c.meters;
    for (let m = 0; m < t.n; m++) if (t.proto[m] === PROTO_PULSE) k++;
    return k;
  }

  /** Notes that a key was given (plans, accounts and meters are required). */
  saw(key: string): void {
    this.seen.push(key);
  }

  /** Resolves the references and gives the configuration. */
  finish(): ConfigResult {
    const c = this.c;
    const self = this;
    const e = this.guard(function () {
      if (self.seen.indexOf('plans') < 0) bad('plans', 'expected an object');
      if (!c.plans.length) bad('plans', 'needs at least one price plan');
      const lists = ['accounts', 'meters'];
      for (let i = 0; i < 2; i++) if (self.seen.indexOf(lists[i]) < 0) bad(lists[i], 'expected a list');
      const a = c.accounts;
      for (let i = 0; i < a.n; i++) a.plan[i] = indexOf(c.planNames, self.acctPlan[i], 'accounts[' + i + '].plan', 'plan');
      const m = c.meters;
      const names = a.names.split(' ');
      names.pop();
      for (let i = 0; i < m.n; i++) {
        m.account[i] = indexOf(names, self.meterAcct[i], 'meters[' + i + '].account', 'account');
        m.plan[i] = self.meterPlan[i] === '' ? -1 : indexOf(c.planNames, self.meterPlan[i], 'meters[' + i + '].plan', 'plan');
      }
      if (SMS) smsAccounts(self.smsAccts, names);
    });
    if (e) return { ok: false, error: e };
    const a = c.accounts;
    const n = a.n;
    // The tables, grown while they were built, copied into their exact sizes.
    const a2 = emptyAccounts();
    a2.n = n;
    a2.names = a.names;
    pack(a2, n, { tokenKey: n * 16, alarmAt: n + 1, friendAt: n + 1, alarm: this.alarms, friend: this.friends });
    copyTables(a, a2);
    c.accounts = a2;
    const m = emptyMeters();
    m.n = c.meters.n;
    m.names = c.meters.names;
    pack(m, m.n, { addr: m.n * 6 });
    copyTables(c.meters, m);
    c.meters = m;
    return { ok: true, value: c };
  }
}

/** Feeds a whole JSON-shaped configuration to a builder, section by section. */
export function feedConfig(b: ConfigBuilder, v: unknown): string | null {
  if (typeof v !== 'object' || v === null || v instanceof Array) return 'config: expected an object';
  const o = v as { [k: string]: unknown };
  for (const k in o) {
    const x = o[k];
    let e: string | null = null;
    if (k === 'plans') {
      if (typeof x !== 'object' || x === null || x instanceof Array) return 'plans: expected an object';
      for (const p in x as object) if (!e) e = b.plan(p, (x as { [k: string]: unknown })[p]);
    } else if (k === 'accounts' || k === 'meters') {
      if (!(x instanceof Array)) return k + ': expected a list';
      for (let i = 0; i < x.length && !e; i++) e = k === 'accounts' ? b.account(x[i]) : b.meter(x[i]);
    } else e = b.top(k, x);
    if (e) return e;
    b.saw(k);
  }
  return null;
}

/** Parses a whole configuration; see docs/configuration.md for the fields. */
export function parseConfig(v: unknown): ConfigResult {
  const b = new ConfigBuilder();
  const e = feedConfig(b, v);
  return e ? { ok: false, error: e } : b.finish();
}
