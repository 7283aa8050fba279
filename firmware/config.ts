// Configuration parser: a JSON-shaped object (from the console, EEPROM, a scenario or a
// trace) becomes a CoreConfig, or one clear error naming the field. It never throws.
import { AccountConfig, CoreConfig, MeterConfig, modeNames } from './core';
import { PricePlan } from './billing/tariff';
import { daysFromCivil } from '../hal/calendar';

/** The configuration as JSON-shaped data (see docs/configuration.md). */
export interface RawConfig {
  plans: { [name: string]: { [k: string]: unknown } };
  accounts: { [k: string]: unknown; name: string }[];
  meters: { [k: string]: unknown; name: string; account: string }[];
  [k: string]: unknown;
}

/** Parse outcome: the config, or an error such as `accounts[2].plan: unknown plan "x"`. */
export type ConfigResult = { ok: true; value: CoreConfig } | { ok: false; error: string };

/** Time-of-use period names by number. A function: on the board its text stays in flash until asked for. */
function periodNames(): string[] {
  return 'sharp peak flat valley'.split(' ');
}
/** Day names, Sunday first. A function: on the board its text stays in flash until asked for. */
function dayNames(): string[] {
  return 'sun mon tue wed thu fri sat'.split(' ');
}

/** Default account settings; alarm levels as in seed 004 (three reminders). */
export const ACCOUNT_DEFAULTS = {
  alarmLevels: [30000, 20000, 10000],
  creditLimit: 0,
  reconnect: 0,
  maxBalance: 0,
  mode: 'auto',
  importOnly: true,
  maxPowerW: 13800,
};

// Errors travel as a thrown string inside this module only; parseConfig catches them all.
function bad(path: string, msg: string): never {
  throw path + ': ' + msg;
}

function obj(v: unknown, path: string): { [k: string]: unknown } {
  if (typeof v !== 'object' || v === null || v instanceof Array) bad(path, 'expected an object');
  return v as { [k: string]: unknown };
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

/** Day number from "YYYY-MM-DD". */
export function parseDate(v: unknown, path: string): number {
  const s = str(v, path);
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (s.length !== 10 || s.charAt(4) !== '-' || s.charAt(7) !== '-' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31) bad(path, 'expected a date YYYY-MM-DD, got "' + s + '"');
  return daysFromCivil(y, mo, d);
}

function indexOf(list: string[], v: unknown, path: string, what: string): number {
  for (let i = 0; i < list.length; i++) if (list[i] === v) return i;
  return bad(path, 'unknown ' + what + ' ' + JSON.stringify(v) + (list.length ? ' (known: ' + list.join(', ') + ')' : ''));
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

function plan(v: unknown, path: string): PricePlan {
  const o = obj(v, path);
  const periodPrice = [0, 0, 0, 0];
  let workday = [0, 2];
  let weekend: number[];
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
  weekend = o.weekend === undefined ? workday : schedule(o.weekend, path + '.weekend');
  const tierUptoWh: number[] = [];
  const tierAdder: number[] = [0];
  if (o.tiers !== undefined) {
    const tiers = arr(o.tiers, path + '.tiers');
    for (let i = 0; i < tiers.length; i++) {
      const p = path + '.tiers[' + i + ']';
      const t = obj(tiers[i], p);
      tierAdder[i] = int(t.add, p + '.add', -100000000, 100000000, 0);
      if (i < tiers.length - 1) {
        const upto = int(t.uptoWh, p + '.uptoWh', 1, 1e12);
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

/** Account and meter names: what a technician types and what the EEPROM, the event log and
 *  the freeze records keep whole (1 to 16 printable ASCII characters, no spaces). */
export const NAME_MAX = 16;
const NO_KEYS = {};

function names(list: unknown[], path: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const n = str(obj(list[i], path + '[' + i + ']').name, path + '[' + i + '].name');
    let okName = n.length <= NAME_MAX;
    for (let k = 0; k < n.length && okName; k++) okName = n.charCodeAt(k) > 32 && n.charCodeAt(k) < 127;
    if (!okName) bad(path + '[' + i + '].name', 'names are 1 to ' + NAME_MAX + ' printable ASCII characters without spaces, got "' + n + '"');
    // Names key records in the EEPROM journal: none an object already has (toString, ...).
    if (n.charAt(0) === '_' || n in NO_KEYS) bad(path + '[' + i + '].name', '"' + n + '" is a reserved word; choose another name');
    for (let j = 0; j < out.length; j++) if (out[j] === n) bad(path + '[' + i + '].name', 'duplicate name "' + n + '"');
    out.push(n);
  }
  return out;
}

function account(v: unknown, path: string, planNames: string[]): AccountConfig {
  const o = obj(v, path);
  const d = ACCOUNT_DEFAULTS;
  const levels = o.alarmLevels === undefined ? d.alarmLevels : arr(o.alarmLevels, path + '.alarmLevels');
  const alarmLevelsMilli: number[] = [];
  for (let i = 0; i < levels.length; i++) {
    alarmLevelsMilli.push(int(levels[i], path + '.alarmLevels[' + i + ']', -1e12, 1e12));
    if (i > 0 && alarmLevelsMilli[i] >= alarmLevelsMilli[i - 1]) bad(path + '.alarmLevels', 'levels must decrease');
  }
  if (levels.length > 8) bad(path + '.alarmLevels', 'at most 8 levels');
  const friendly: number[] = [];
  const fw = o.friendly === undefined ? [] : arr(o.friendly, path + '.friendly');
  for (let i = 0; i < fw.length; i++) {
    const p = path + '.friendly[' + i + ']';
    const w = arr(fw[i], p);
    if (w.length !== 2) bad(p, 'expected ["HH:MM", "HH:MM"]');
    friendly.push(parseClock(w[0], p + '[0]'), parseClock(w[1], p + '[1]'));
  }
  const ov = o.overload === undefined ? {} : obj(o.overload, path + '.overload');
  const creditLimitMilli = int(o.creditLimit, path + '.creditLimit', 0, 1e12, d.creditLimit);
  const reconnectMilli = int(o.reconnect, path + '.reconnect', -creditLimitMilli, 1e12, d.reconnect);
  return {
    name: o.name as string,
    plan: indexOf(planNames, o.plan, path + '.plan', 'plan'),
    alarmLevelsMilli: alarmLevelsMilli,
    creditLimitMilli: creditLimitMilli,
    reconnectMilli: reconnectMilli,
    maxBalanceMilli: int(o.maxBalance, path + '.maxBalance', 0, 1e12, d.maxBalance),
    friendly: friendly,
    friendlyRestDays: bool(o.friendlyRestDays, path + '.friendlyRestDays', false),
    mode: indexOf(modeNames(), o.mode === undefined ? d.mode : o.mode, path + '.mode', 'relay mode'),
    importOnly: bool(o.importOnly, path + '.importOnly', d.importOnly),
    relay: int(o.relay, path + '.relay', -1, 15, -1),
    overload: {
      maxPowerW: int(ov.maxPowerW, path + '.overload.maxPowerW', 0, 1e7, 0),
      holdS: int(ov.holdS, path + '.overload.holdS', 0, 86400, 10),
      waitS: int(ov.waitS, path + '.overload.waitS', 0, 86400, 30),
      windowS: int(ov.windowS, path + '.overload.windowS', 0, 864000, 3600),
      maxTrips: int(ov.maxTrips, path + '.overload.maxTrips', 1, 100, 3),
    },
  };
}

/** Parses a whole configuration; see docs/configuration.md for the fields. */
export function parseConfig(v: unknown): ConfigResult {
  try {
    const o = obj(v, 'config');
    const weekendDays = o.weekend === undefined ? ['sat', 'sun'] : arr(o.weekend, 'weekend');
    let weekendMask = 0;
    for (let i = 0; i < weekendDays.length; i++) weekendMask |= 1 << indexOf(dayNames(), weekendDays[i], 'weekend[' + i + ']', 'day');
    const hol = o.holidays === undefined ? [] : arr(o.holidays, 'holidays');
    const holidays: number[] = [];
    for (let i = 0; i < hol.length; i++) holidays.push(parseDate(hol[i], 'holidays[' + i + ']'));
    const plansObj = obj(o.plans, 'plans');
    const planNames: string[] = [];
    const plans: PricePlan[] = [];
    for (const k in plansObj) {
      planNames.push(k);
      plans.push(plan(plansObj[k], 'plans.' + k));
    }
    if (!plans.length) bad('plans', 'needs at least one price plan');
    const accList = arr(o.accounts, 'accounts');
    const accNames = names(accList, 'accounts');
    const accounts: AccountConfig[] = [];
    for (let i = 0; i < accList.length; i++) accounts.push(account(accList[i], 'accounts[' + i + ']', planNames));
    const mList = arr(o.meters, 'meters');
    names(mList, 'meters');
    const meters: MeterConfig[] = [];
    for (let i = 0; i < mList.length; i++) {
      const p = 'meters[' + i + ']';
      const m = obj(mList[i], p);
      meters.push({
        name: m.name as string,
        account: indexOf(accNames, m.account, p + '.account', 'account'),
        plan: m.plan === undefined ? -1 : indexOf(planNames, m.plan, p + '.plan', 'plan'),
        maxPowerW: int(m.maxPowerW, p + '.maxPowerW', 1, 1e7, ACCOUNT_DEFAULTS.maxPowerW),
      });
    }
    return {
      ok: true,
      value: {
        calendar: {
          utcOffsetS: int(o.utcOffsetMinutes, 'utcOffsetMinutes', -720, 840, 0) * 60,
          weekendMask: weekendMask,
          holidays: holidays,
          billingDay: int(o.billingDay, 'billingDay', 1, 28, 1),
        },
        plans: plans,
        accounts: accounts,
        meters: meters,
      },
    };
  } catch (e) {
    return { ok: false, error: typeof e === 'string' ? e : 'config: ' + e };
  }
}
