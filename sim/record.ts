// What a run leaves for its reports: per account per day, per meter per day, the ledger,
// a timeline of alarms, cuts and reconnections, every top-up tried, and time series. Plain
// data (JSON-safe), so a worker thread can send it and a site report can merge it.

/** Per-account results of a run. Money in milli-currency, energy in Wh. */
export interface AccountSummary {
  name: string;
  energyWh: number;
  chargedMilli: number;
  topupsMilli: number;
  topupCount: number;
  /** Top-ups the unit refused (scheduled or by the tenant). */
  refusedTopups: number;
  /** Balance when the run started: non-zero when carried over from an EEPROM file. */
  openingMilli: number;
  balanceMilli: number;
  alarms: number;
  cutoffs: number;
  /** Overload trips and lock-outs. */
  trips: number;
  minutesOff: number;
  events: number;
}

/** The ledger check: what it found, and what it explains. */
export interface LedgerCheck {
  /** Every balance = its opening balance + the entries of the run, and every Wh the unit
   *  accepted from a meter's register was billed once. */
  consistent: boolean;
  /** Explained departures from "every registered Wh billed, every account from zero":
   *  balances carried over from an EEPROM file, energy quarantined by a plausibility limit,
   *  register resets. One line each. */
  notes: string[];
  /** Real inconsistencies, one line each (empty when consistent). */
  problems: string[];
}

/** Result of a run. */
export interface RunSummary {
  name: string;
  hours: number;
  /** Meter readings that reached the billing core (scenario-fed and bus/pulse meters alike). */
  readings: number;
  decisions: number;
  ledgerEntries: number;
  accounts: AccountSummary[];
  /** The sums over every account (name 'total'). */
  totals: AccountSummary;
  /** True when the ledger check found nothing unexplained (see ledger). */
  ledgerConsistent: boolean;
  ledger: LedgerCheck;
  /** Things an operator should look at, one line each. */
  warnings: string[];
  /** A unit with a modem: messages sent to it, read by it, texts it sent, and what the network
   *  and the SIM still held at the end. */
  sms?: { received: number; read: number; sent: number; waiting: number; stored: number };
}

/** One account's local day. */
export interface AccountDay {
  day: string;
  account: string;
  energyWh: number;
  /** Energy by period (sim/unit-view.ts PERIOD_NAMES order). */
  periodWh: number[];
  chargedMilli: number;
  topupsMilli: number;
  topupCount: number;
  refusedTopups: number;
  /** Balance at the end of the day. */
  balanceMilli: number;
  minutesOff: number;
  alarms: number;
  cuts: number;
}

/** One meter's local day. Bus figures are what the virtual meter saw on the wire. */
export interface MeterDay {
  day: string;
  meter: string;
  account: string;
  /** Readings that reached the billing core. */
  readings: number;
  /** The meter's own import and export register advance, Wh. */
  importWh: number;
  exportWh: number;
  requests: number;
  retries: number;
  goodReplies: number;
  badReplies: number;
  unanswered: number;
  /** Minutes the unit had the meter as lost (from its event log). */
  lostMinutes: number;
}

/** A ledger row: a money entry, or one day's charges of one account summed. */
export interface LedgerRow {
  /** Entry number, or "first-last" for a day's charges. */
  seq: string;
  time: number;
  account: string;
  kind: string;
  entries: number;
  amountMilli: number;
  balanceMilli: number;
  /** Related account of a transfer, or entry of a correction. */
  ref: string;
}

/** Something that happened to an account or meter, for the timeline. */
export interface TimelineEvent {
  time: number;
  account: string;
  /** 'alarm' | 'clear' | 'cut' | 'reconnect' | 'overload' | 'meter' | 'note' */
  kind: string;
  /** Alarm level, relay reason, event name. */
  code: string;
  value: number;
}

/** A top-up tried. */
export interface TopupRow {
  time: number;
  account: string;
  amountMilli: number;
  /** 'scheduled' (in the scenario) or 'tenant' (a tenant's habit). */
  source: string;
  accepted: boolean;
  /** Why the unit refused it ('hoarding', 'unknown-account', ...), '' when accepted. */
  reason: string;
  balanceMilli: number;
}

/** Every account's balance (milli), relay mode ('auto', 'on', 'off') and whether it is
 *  supplied, in the record's account order. */
export interface AccountsNow {
  balance: number[];
  mode: string[];
  supplied: boolean[];
}

/** A text message sent to the unit. */
export interface SmsIn {
  /** When it reached the network (UTC s). */
  time: number;
  from: string;
  text: string;
  /** How it was made: 'text', 'buy', 'command', 'replay' (sim/scenario.ts MessageSpec), or
   *  'live' (typed in --live). A buy names its account and amount (milli). */
  made: string;
  account?: string;
  amount?: number;
  /** When the unit read it from the SIM (UTC s), -1 if it never did, and when it deleted it,
   *  done with it (an inquiry at once, a change once its command has run, -1 until then); the
   *  accounts just before it was read and as they were when it was deleted (null until then). */
  readAt: number;
  doneAt: number;
  before: AccountsNow | null;
  after: AccountsNow | null;
}

/** The unit's text messages and its modem: what came in, what went out (time UTC s), what
 *  happened to the module (faults, restarts, switched on or off by the unit), and what the
 *  network (waiting) and the SIM (stored) still held at the end. */
export interface SmsLog {
  in: SmsIn[];
  out: { time: number; to: string; text: string }[];
  modem: { time: number; what: string }[];
  waiting: number;
  stored: number;
}

/** Everything a run leaves for its reports. */
export interface RunRecord {
  name: string;
  description: string;
  start: number;
  end: number;
  utcOffsetS: number;
  accounts: string[];
  meters: { name: string; account: string; bus: boolean }[];
  accountDays: AccountDay[];
  meterDays: MeterDay[];
  ledger: LedgerRow[];
  timeline: TimelineEvent[];
  topups: TopupRow[];
  /** Balances (milli) of every account at times t (UTC s), from the start. */
  balances: { t: number[]; milli: number[][] };
  /** Average power drawn by all loads (W, negative = net export) per interval from t. */
  load: { t: number[]; intervalS: number; watts: number[] };
  /** Text messages, for a unit with a modem; else null. */
  sms: SmsLog | null;
  summary: RunSummary;
}

/** One row of a unit's text messages in time order: a message in (with how it was made and when
 *  the unit read it, -1 never), a text out, or something that happened to the modem. */
export interface SmsRow {
  time: number;
  direction: 'in' | 'out' | 'modem';
  number: string;
  text: string;
  made: string;
  readAt: number;
}

/** A unit's messages in, texts out and modem events, in time order (in, modem, out at a tie). */
export function smsRows(s: SmsLog): SmsRow[] {
  const rows: SmsRow[] = [];
  for (const m of s.in) rows.push({ time: m.time, direction: 'in', number: m.from, text: m.text, made: m.made, readAt: m.readAt });
  for (const m of s.modem) rows.push({ time: m.time, direction: 'modem', number: '', text: m.what, made: '', readAt: -1 });
  for (const m of s.out) rows.push({ time: m.time, direction: 'out', number: m.to, text: m.text, made: '', readAt: -1 });
  return rows.sort((a, b) => a.time - b.time);
}

/** A local day as YYYY-MM-DD (day number since 1970-01-01). */
export function dayName(day: number): string {
  return new Date(day * 86400000).toISOString().slice(0, 10);
}

/** A UTC time as local "YYYY-MM-DD HH:MM". */
export function localStamp(t: number, offsetS: number): string {
  return new Date((t + offsetS) * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/** A new summary row of zeros. */
export function emptyAccount(name: string): AccountSummary {
  return { name, energyWh: 0, chargedMilli: 0, topupsMilli: 0, topupCount: 0, refusedTopups: 0, openingMilli: 0, balanceMilli: 0, alarms: 0, cutoffs: 0, trips: 0, minutesOff: 0, events: 0 };
}

/** The totals row over accounts. */
export function totalsOf(accounts: AccountSummary[]): AccountSummary {
  const t = emptyAccount('total');
  for (const a of accounts) {
    t.energyWh += a.energyWh;
    t.chargedMilli += a.chargedMilli;
    t.topupsMilli += a.topupsMilli;
    t.topupCount += a.topupCount;
    t.refusedTopups += a.refusedTopups;
    t.openingMilli += a.openingMilli;
    t.balanceMilli += a.balanceMilli;
    t.alarms += a.alarms;
    t.cutoffs += a.cutoffs;
    t.trips += a.trips;
    t.minutesOff += a.minutesOff;
    t.events += a.events;
  }
  return t;
}
