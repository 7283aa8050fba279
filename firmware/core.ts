// The billing and credit-control core: events in (readings, ticks, money, operator
// commands), decisions out (ledger entries, alarms, relay commands, events). It owns no
// clock and no I/O, so the same trace gives the same decisions on Node, Espruino and Lua.
// The rules are written out in docs/billing-rules.md; the golden traces in tests/vectors/.
import { AccountTable, F64, I32, I8, MeterTable, nameAt, nameIndex, pack, table, I16, U32, U8 } from './tables';
import { Calendar, PricePlan, dayOf, isRestDay, nextBoundary, periodAt, scheduleOf, tierOf } from './billing/tariff';
import { CHARGE, CORRECTION, entryName, Ledger, REFUND, RING, TOPUP, TRANSFER, loadLedger, newLedger, remapLedger, saveLedger } from './billing/ledger';
import { civilFromSeconds } from '../hal/calendar';
import { hasFlag, withFlag, withoutFlag } from './lib/bits';

/** Relay modes (seed 001's remote-control command types). */
export const MODE_AUTO = 0;
export const MODE_ON = 1;
export const MODE_OFF = 2;
/** Relay mode names by number. A function: on the board its text stays in flash until asked for. */
export function modeNames(): string[] {
  return 'auto on off'.split(' ');
}

/** Everything the core needs, already validated (config.ts): the calendar, the price plans and
 *  the account and meter tables. */
export interface CoreConfig {
  calendar: Calendar;
  plans: PricePlan[];
  accounts: AccountTable;
  meters: MeterTable;
}

/** Inputs. Times are UTC seconds from the RTC. */
export type CoreEvent =
  | { t: 'reading'; time: number; meter: number; importWh: number; exportWh: number; powerW?: number }
  | { t: 'tick'; time: number }
  | { t: 'topup'; time: number; account: number; amountMilli: number }
  | { t: 'refund'; time: number; account: number; amountMilli: number }
  | { t: 'correct'; time: number; seq: number }
  | { t: 'transfer'; time: number; from: number; to: number }
  | { t: 'swap'; time: number; meter: number; finalImportWh: number; finalExportWh: number; newImportWh: number; newExportWh: number }
  | { t: 'mode'; time: number; account: number; mode: number }
  | { t: 'overload-reset'; time: number; account: number }
  /** The RTC's validity changed (battery lost, or time set). */
  | { t: 'clock'; time: number; valid: boolean };

/** Outputs, one shape for all kinds so they print and compare the same everywhere. */
export interface Decision {
  /** 'ledger' | 'relay' | 'alarm' | 'clear' | 'event' | 'refused' */
  kind: string;
  account: number;
  meter: number;
  /** Entry kind, relay reason, event name or refusal reason. */
  code: string;
  /** Amount, alarm level (1-based), relay state (1 closed), or event value. */
  value: number;
  balance: number;
  seq: number;
  /** Related entry or account (corrections, transfers), else -1. */
  ref: number;
}

/** Register step: 0.01 kWh meters move in 10 Wh, so allow one step beyond max power. */
const STEP_WH = 10;

/** The core. Per-account and per-meter state lives in tables (one typed array per field,
 *  each of the smallest type that holds it: tables.ts). */
export class Core {
  readonly cfg: CoreConfig;
  ledger: Ledger = newLedger();
  // accounts
  balance: number[];
  /** Milli-milli-currency not yet charged (always below 1000). */
  remainder: number[];
  monthlyWh: number[];
  /** The billing cycle the monthly tiers count in: year x 12 + month index. */
  cycle: number[];
  alarmMask: number[];
  cut: number[];
  deferred: number[];
  relay: number[];
  mode: number[];
  ovSince: number[];
  ovTripped: number[];
  ovReopen: number[];
  ovWinStart: number[];
  ovTrips: number[];
  ovLocked: number[];
  energyWh: number[];
  chargedMilli: number[];
  /** Sequence number of the account's newest ledger entry (storage restores the ledger's from these). */
  lastSeq: number[];
  /** Money topped up, ever (freeze records and sales reports take differences). */
  topupMilli: number[];
  /** Energy by period: index account * 5 + period; period 4 = billed while the time was not valid. */
  periodWh: number[];
  /** False while the RTC time is not trusted: TOU periods are unknown, the plan's safe price applies. */
  timeValid = true;
  // meters
  has: number[];
  lastImp: number[];
  lastExp: number[];
  lastT: number[];
  susp: number[];
  suspImp: number[];
  suspExp: number[];
  suspT: number[];
  power: number[];
  private out: Decision[] = [];
  private dayCache = -1;
  private cycleCache = 0;

  constructor(cfg: CoreConfig) {
    this.cfg = cfg;
    const na = cfg.accounts.n;
    const nm = cfg.meters.n;
    this.balance = table(F64, 0);
    this.remainder = table(I16, 0);
    this.monthlyWh = table(U32, 0);
    this.cycle = table(I16, 0);
    this.alarmMask = table(U8, 0);
    this.cut = table(U8, 0);
    this.deferred = table(U8, 0);
    this.relay = table(I8, 0);
    this.mode = table(U8, 0);
    this.ovSince = table(F64, 0);
    this.ovTripped = table(U8, 0);
    this.ovReopen = table(U32, 0);
    this.ovWinStart = table(U32, 0);
    this.ovTrips = table(U8, 0);
    this.ovLocked = table(U8, 0);
    this.energyWh = table(U32, 0);
    this.chargedMilli = table(F64, 0);
    this.lastSeq = table(U32, 0);
    this.topupMilli = table(F64, 0);
    this.periodWh = table(U32, 0);
    this.has = table(U8, 0);
    this.lastImp = table(U32, 0);
    this.lastExp = table(U32, 0);
    this.lastT = table(U32, 0);
    this.susp = table(U8, 0);
    this.suspImp = table(U32, 0);
    this.suspExp = table(U32, 0);
    this.suspT = table(U32, 0);
    this.power = table(I32, 0);
    // One buffer for the lot, in pieces. Registers, times and energies are whole numbers below 2^32
    // (readings that are not are refused), so 32 bits hold them; ovSince stays a double (-1 marks
    // "none", and Int32 seconds end in 2038).
    pack(this, na, { periodWh: na * 5, has: nm, lastImp: nm, lastExp: nm, lastT: nm, susp: nm, suspImp: nm, suspExp: nm, suspT: nm, power: nm });
    for (let a = 0; a < na; a++) {
      this.relay[a] = -1;
      this.ovSince[a] = -1;
      this.mode[a] = cfg.accounts.mode[a];
    }
  }

  /** Brings every relay (of accounts from .. to - 1) to the state the rules want (at boot). */
  start(time: number, from?: number, to?: number): Decision[] {
    this.out = [];
    const n = this.cfg.accounts.n;
    for (let a = from || 0; a < n && (to === undefined || a < to); a++) this.control(a, time, 'boot', false);
    return this.done();
  }

  /** Applies one event and returns what the unit must do, in order. */
  handle(ev: CoreEvent): Decision[] {
    this.out = [];
    const time = ev.time;
    const a = ev.t === 'topup' || ev.t === 'refund' || ev.t === 'mode' || ev.t === 'overload-reset' ? ev.account : -1;
    const bad = !(a >= 0 && a < this.cfg.accounts.n);
    if (ev.t === 'reading') this.reading(ev.meter, ev.importWh, ev.exportWh, ev.powerW, time);
    else if (ev.t === 'topup' || ev.t === 'refund') {
      const refund = ev.t === 'refund';
      const amount = ev.amountMilli;
      const max = bad ? 0 : this.cfg.accounts.maxBalance[a];
      if (bad) this.emit('refused', a, -1, 'unknown-account', 0);
      else if (!(amount > 0) || Math.floor(amount) !== amount) this.emit('refused', a, -1, 'bad-amount', 0);
      else if (refund && amount > this.balance[a]) this.emit('refused', a, -1, 'exceeds-balance', 0);
      else if (!refund && max > 0 && this.balance[a] + amount > max) this.emit('refused', a, -1, 'hoarding', 0);
      else if (refund) {
        this.entry(REFUND, a, -amount, -1, -1);
        this.alarms(a, false);
        this.control(a, time, 'credit', false);
      } else {
        this.entry(TOPUP, a, amount, -1, -1);
        this.topupMilli[a] += amount;
        this.alarms(a, true);
        this.control(a, time, 'topup', true);
      }
    } else if (ev.t === 'correct') this.correct(ev.seq, time);
    else if (ev.t === 'transfer') this.transfer(ev.from, ev.to, time);
    else if (ev.t === 'swap') this.swap(ev, time);
    else if (ev.t === 'mode') {
      if (bad || ev.mode < 0 || ev.mode > 2) this.emit('refused', a, -1, 'bad-mode', 0);
      else {
        this.mode[a] = ev.mode;
        const why = 'mode-' + modeNames()[ev.mode];
        this.emit('event', a, -1, why, ev.mode);
        this.control(a, time, why, false);
      }
    } else if (ev.t === 'clock') {
      if (ev.valid !== this.timeValid) {
        this.timeValid = ev.valid;
        this.emit('event', -1, -1, ev.valid ? 'time-valid' : 'time-invalid', 0);
      }
    } else if (ev.t === 'overload-reset') {
      if (bad) this.emit('refused', a, -1, 'unknown-account', 0);
      else {
        this.ovLocked[a] = 0;
        this.ovTripped[a] = 0;
        this.ovTrips[a] = 0;
        this.ovSince[a] = -1;
        this.emit('event', a, -1, 'overload-reset', 0);
        this.control(a, time, 'overload-reset', false);
      }
    }
    // Every event is also a clock tick: friendly windows end and breakers reclose on time.
    for (let k = 0; k < this.cfg.accounts.n; k++) this.tick(k, time);
    return this.done();
  }

  /** The decisions made, handed over (the core keeps no reference to them). */
  private done(): Decision[] {
    const ds = this.out;
    this.out = [];
    return ds;
  }

  private emit(kind: string, account: number, meter: number, code: string, value: number): Decision {
    const d: Decision = { kind: kind, account: account, meter: meter, code: code, value: value, balance: account >= 0 ? this.balance[account] : 0, seq: 0, ref: -1 };
    this.out.push(d);
    return d;
  }

  /** A ledger entry: the balance moves, the entry gets the next number; top-ups and refunds
   *  go into the ring of correctable entries. */
  private entry(kind: number, a: number, amount: number, meter: number, ref: number): void {
    this.balance[a] += amount;
    const d = this.emit('ledger', a, meter, entryName(kind), amount);
    const l = this.ledger;
    d.seq = ++l.seq;
    if (kind === TOPUP || kind === REFUND) {
      const i = l.next;
      l.rSeq[i] = l.seq;
      l.rAccount[i] = a;
      l.rAmount[i] = amount;
      l.rKind[i] = kind;
      l.rCorrected[i] = 0;
      l.next = i + 1 === RING ? 0 : i + 1;
      if (l.used < RING) l.used++;
    }
    this.lastSeq[a] = d.seq;
    d.ref = ref;
  }

  // ---- billing ----

  private reading(m: number, imp: number, exp: number, powerW: number | undefined, time: number): void {
    if (!(m >= 0 && m < this.cfg.meters.n) || imp >>> 0 !== imp || exp >>> 0 !== exp) {
      this.emit('refused', -1, m, 'bad-reading', 0);
      return;
    }
    const a = this.cfg.meters.account[m];
    if (powerW !== undefined) this.power[m] = powerW;
    if (!this.has[m]) {
      this.has[m] = 1;
      this.lastImp[m] = imp;
      this.lastExp[m] = exp;
      this.lastT[m] = time;
      this.emit('event', a, m, 'baseline', imp);
    } else if (this.plausible(m, this.lastImp[m], this.lastExp[m], this.lastT[m], imp, exp, time)) {
      if (this.susp[m]) this.emit('event', a, m, 'register-glitch', this.suspImp[m]);
      this.susp[m] = 0;
      this.bill(m, imp, exp, time);
    } else if (this.susp[m] && this.plausible(m, this.suspImp[m], this.suspExp[m], this.suspT[m], imp, exp, time)) {
      // Two readings agree: the meter was reset or replaced. The energy between the
      // last billed register and the suspect one is unknown and is not billed.
      this.emit('event', a, m, 'register-rebased', this.suspImp[m] - this.lastImp[m]);
      this.susp[m] = 0;
      this.lastImp[m] = this.suspImp[m];
      this.lastExp[m] = this.suspExp[m];
      this.lastT[m] = this.suspT[m];
      this.bill(m, imp, exp, time);
    } else {
      this.susp[m] = 1;
      this.suspImp[m] = imp;
      this.suspExp[m] = exp;
      this.suspT[m] = time;
      const back = imp < this.lastImp[m] || exp < this.lastExp[m];
      this.emit('event', a, m, back ? 'register-backwards' : 'register-jump', imp - this.lastImp[m]);
    }
    this.overload(a, time);
    this.control(a, time, 'credit', false);
  }

  /** A register pair is plausible after another when neither went back nor rose faster than maxPowerW. */
  private plausible(m: number, imp0: number, exp0: number, t0: number, imp: number, exp: number, t: number): boolean {
    const dt = t > t0 ? t - t0 : 0;
    const allow = Math.floor((this.cfg.meters.maxPowerW[m] * dt + 3599) / 3600) + STEP_WH;
    return imp >= imp0 && exp >= exp0 && imp - imp0 + (exp - exp0) <= allow;
  }

  /** Bills meter m up to the registers imp, exp read at `time`, and takes them as the last billed. */
  private bill(m: number, imp: number, exp: number, time: number): void {
    const a = this.cfg.meters.account[m];
    const e = imp - this.lastImp[m] + (hasFlag(this.cfg.accounts.flags[a], 1) ? exp - this.lastExp[m] : 0);
    const t0 = this.lastT[m];
    this.lastImp[m] = imp;
    this.lastExp[m] = exp;
    this.lastT[m] = time;
    if (e > 0) this.charge(a, m, e, t0, time);
  }

  /** Charges eWh consumed over (t0, t1], split over TOU periods in proportion to time and over tiers. */
  private charge(a: number, m: number, eWh: number, t0: number, t1: number): void {
    const pi = this.cfg.meters.plan[m] >= 0 ? this.cfg.meters.plan[m] : this.cfg.accounts.plan[a];
    const plan = this.cfg.plans[pi];
    let sum = 0;
    if (!this.timeValid) {
      // No trustworthy clock: no period and no new billing cycle; the safe price for all of it.
      this.periodWh[a * 5 + 4] += eWh;
      sum = this.tiered(a, plan, -1, eWh);
    } else {
      const cal = this.cfg.calendar;
      const end = t1 + cal.utcOffsetS;
      let start = t0 + cal.utcOffsetS;
      if (start >= end) start = end - 1;
      const dur = end - start;
      let t = start;
      let done = 0;
      while (t < end) {
        const day = dayOf(t);
        const sched = scheduleOf(plan, cal, day);
        const p = periodAt(sched, Math.floor((t - day * 86400) / 60));
        let b = nextBoundary(sched, t);
        if (b > end) b = end;
        this.roll(a, day);
        const cum = Math.floor((eWh * (b - start)) / dur);
        sum += this.tiered(a, plan, p, cum - done);
        done = cum;
        t = b;
      }
    }
    const total = sum + this.remainder[a];
    const c = Math.floor(total / 1000);
    this.remainder[a] = total - c * 1000;
    this.energyWh[a] += eWh;
    this.chargedMilli[a] += c;
    if (c > 0) this.entry(CHARGE, a, -c, m, -1);
    this.alarms(a, false);
  }

  /** Sum of Wh x price for wh Wh in period p, crossing tier thresholds as the month fills. */
  private tiered(a: number, plan: PricePlan, p: number, wh: number): number {
    let sum = 0;
    if (p >= 0) this.periodWh[a * 5 + p] += wh;
    const base = p >= 0 ? plan.periodPrice[p] : plan.safePrice;
    while (wh > 0) {
      const k = tierOf(plan, this.monthlyWh[a]);
      let take = wh;
      if (k < plan.tierUptoWh.length && plan.tierUptoWh[k] - this.monthlyWh[a] < take) take = plan.tierUptoWh[k] - this.monthlyWh[a];
      sum += take * (base + plan.tierAdder[k]);
      this.monthlyWh[a] += take;
      wh -= take;
    }
    return sum;
  }

  /** Restarts the tier counter when the local day is in a new billing cycle. */
  private roll(a: number, day: number): void {
    if (day !== this.dayCache) {
      const c = civilFromSeconds(day * 86400);
      this.dayCache = day;
      this.cycleCache = c.year * 12 + c.month - 1 - (c.day < this.cfg.calendar.billingDay ? 1 : 0);
    }
    if (this.cycle[a] !== this.cycleCache) {
      if (this.cycle[a] !== 0) this.emit('event', a, -1, 'new-cycle', this.monthlyWh[a]);
      this.cycle[a] = this.cycleCache;
      this.monthlyWh[a] = 0;
    }
  }

  // ---- money ----

  /** Reverses one of the last RING top-ups or refunds, once. */
  private correct(seq: number, time: number): void {
    const l = this.ledger;
    let i = 0;
    while (i < l.used && l.rSeq[i] !== seq) i++;
    if (i === l.used) return this.refuse(-1, 'unknown-entry');
    if (l.rCorrected[i]) return this.refuse(-1, 'already-corrected');
    const a = l.rAccount[i];
    const amount = -l.rAmount[i];
    l.rCorrected[i] = 1;
    this.entry(CORRECTION, a, amount, -1, seq);
    this.alarms(a, amount > 0);
    this.control(a, time, amount > 0 ? 'topup' : 'credit', amount > 0);
  }

  /** Moves the whole remaining balance (e.g. tenant moves, account closed) to another account. */
  private transfer(from: number, to: number, time: number): void {
    const n = this.cfg.accounts.n;
    if (!(from >= 0 && from < n && to >= 0 && to < n) || from === to) return this.refuse(from, 'bad-transfer');
    const x = this.balance[from];
    if (!(x > 0)) return this.refuse(from, 'nothing-to-transfer');
    this.entry(TRANSFER, from, -x, -1, to);
    this.entry(TRANSFER, to, x, -1, from);
    this.alarms(from, false);
    this.control(from, time, 'credit', false);
    this.alarms(to, true);
    this.control(to, time, 'topup', true);
  }

  /** Meter exchange: bill the old meter up to its final register, then start from the new one. */
  private swap(ev: { meter: number; finalImportWh: number; finalExportWh: number; newImportWh: number; newExportWh: number }, time: number): void {
    const m = ev.meter;
    if (!(m >= 0 && m < this.cfg.meters.n)) return this.refuse(-1, 'unknown-meter');
    const a = this.cfg.meters.account[m];
    if (ev.newImportWh >>> 0 !== ev.newImportWh || ev.newExportWh >>> 0 !== ev.newExportWh || ev.finalImportWh >>> 0 !== ev.finalImportWh || ev.finalExportWh >>> 0 !== ev.finalExportWh) return this.refuse(a, 'bad-reading');
    if (this.has[m] && (ev.finalImportWh < this.lastImp[m] || ev.finalExportWh < this.lastExp[m])) return this.refuse(a, 'final-below-billed');
    if (this.has[m]) this.bill(m, ev.finalImportWh, ev.finalExportWh, time);
    this.has[m] = 1;
    this.susp[m] = 0;
    this.lastImp[m] = ev.newImportWh;
    this.lastExp[m] = ev.newExportWh;
    this.lastT[m] = time;
    this.emit('event', a, m, 'meter-swapped', ev.newImportWh);
    this.control(a, time, 'credit', false);
  }

  // ---- credit control ----

  /** Raises each alarm level once on the way down; a credit clears the levels it rises above. */
  private alarms(a: number, credit: boolean): void {
    const t = this.cfg.accounts;
    const from = t.alarmAt[a];
    const bal = this.balance[a];
    for (let i = 0; i < t.alarmAt[a + 1] - from; i++) {
      const level = t.alarm[from + i];
      const raised = hasFlag(this.alarmMask[a], i);
      if (!raised && bal <= level) {
        this.alarmMask[a] = withFlag(this.alarmMask[a], i);
        this.emit('alarm', a, -1, 'low-credit', i + 1);
      } else if (credit && raised && bal > level) {
        this.alarmMask[a] = withoutFlag(this.alarmMask[a], i);
        this.emit('clear', a, -1, 'low-credit', i + 1);
      }
    }
  }

  /** True inside one of the account's friendly windows (local time). */
  friendly(a: number, time: number): boolean {
    const t = this.cfg.accounts;
    const local = time + this.cfg.calendar.utcOffsetS;
    const day = dayOf(local);
    if (hasFlag(t.flags[a], 0) && isRestDay(this.cfg.calendar, day)) return true;
    const minute = Math.floor((local - day * 86400) / 60);
    const w = t.friend;
    for (let i = t.friendAt[a]; i < t.friendAt[a + 1]; i += 2) {
      if (w[i] <= w[i + 1] ? minute >= w[i] && minute < w[i + 1] : minute >= w[i] || minute < w[i + 1]) return true;
    }
    return false;
  }

  /** Decides cut-off and reconnection, then commands the relay if its wanted state changed. */
  private control(a: number, time: number, reason: string, credit: boolean): void {
    const t = this.cfg.accounts;
    const bal = this.balance[a];
    if (!this.cut[a]) {
      if (bal < -t.creditLimit[a]) {
        if (this.friendly(a, time)) {
          if (!this.deferred[a]) this.emit('event', a, -1, 'cut-deferred', bal);
          this.deferred[a] = 1;
        } else {
          if (this.deferred[a]) reason = 'friendly-end';
          this.cut[a] = 1;
          this.deferred[a] = 0;
        }
      } else this.deferred[a] = 0;
    } else if (credit && bal > t.reconnect[a]) this.cut[a] = 0;
    const mode = this.mode[a];
    const want = mode === MODE_OFF || this.ovTripped[a] || this.ovLocked[a] || (mode === MODE_AUTO && this.cut[a]) ? 0 : 1;
    if (want !== this.relay[a]) {
      this.relay[a] = want;
      this.emit('relay', a, -1, reason, want);
    }
  }

  private refuse(account: number, why: string): void {
    this.emit('refused', account, -1, why, 0);
  }

  /** Overload: trip after holdS above the limit, reclose after waitS, lock out after maxTrips in windowS. */
  private overload(a: number, time: number): void {
    const t = this.cfg.accounts;
    const max = t.ovMaxW[a];
    if (!max || this.ovTripped[a] || this.ovLocked[a]) return;
    let p = 0;
    const ms = this.cfg.meters;
    for (let m = 0; m < ms.n; m++) if (ms.account[m] === a) p += this.power[m];
    if (p <= max) {
      this.ovSince[a] = -1;
      return;
    }
    if (this.ovSince[a] < 0) this.ovSince[a] = time;
    if (time - this.ovSince[a] < t.ovHoldS[a]) return;
    this.ovSince[a] = -1;
    if (this.ovTrips[a] === 0 || time - this.ovWinStart[a] > t.ovWindowS[a]) {
      this.ovWinStart[a] = time;
      this.ovTrips[a] = 0;
    }
    this.ovTrips[a]++;
    this.ovTripped[a] = 1;
    if (this.ovTrips[a] >= t.ovTrips[a]) {
      this.ovLocked[a] = 1;
      this.emit('event', a, -1, 'overload-lockout', p);
      this.control(a, time, 'overload-lockout', false);
    } else {
      this.ovReopen[a] = time + t.ovWaitS[a];
      this.emit('event', a, -1, 'overload-trip', p);
      this.control(a, time, 'overload', false);
    }
  }

  private tick(a: number, time: number): void {
    if (this.ovTripped[a] && !this.ovLocked[a] && time >= this.ovReopen[a]) {
      this.ovTripped[a] = 0;
      const ms = this.cfg.meters;
      for (let m = 0; m < ms.n; m++) if (ms.account[m] === a) this.power[m] = 0;
      this.emit('event', a, -1, 'overload-reclose', 0);
      this.control(a, time, 'reclose', false);
    }
    if (this.deferred[a] && !this.friendly(a, time)) this.control(a, time, 'friendly-end', false);
  }
}

/** One decision as a line of text, the form golden traces compare. */
export function formatDecision(d: Decision): string {
  const who = d.account >= 0 ? 'a' + String(d.account) : d.meter >= 0 ? 'm' + String(d.meter) : 'unit';
  if (d.kind === 'ledger') {
    return 'ledger #' + String(d.seq) + ' ' + who + ' ' + d.code + ' ' + String(d.value) + ' bal ' + String(d.balance) + (d.meter >= 0 ? ' m' + String(d.meter) : '') + (d.ref >= 0 ? ' ref ' + String(d.ref) : '');
  }
  if (d.kind === 'relay') return 'relay ' + who + ' ' + (d.value ? 'close' : 'open') + ' ' + d.code;
  if (d.kind === 'alarm' || d.kind === 'clear') return d.kind + ' ' + who + ' L' + String(d.value) + ' bal ' + String(d.balance);
  if (d.kind === 'event') return 'event ' + who + (d.meter >= 0 && d.account >= 0 ? ' m' + String(d.meter) : '') + ' ' + d.code + ' ' + String(d.value);
  return 'refused ' + who + ' ' + d.code;
}

/** Account state that must survive a reboot, as numbers. The EEPROM stores this order: only
 *  ever append fields (a shorter list from older firmware restores with zeros). */
export function accountState(c: Core, a: number): number[] {
  const t = accountTables(c);
  const v: number[] = [];
  for (let i = 0; i < t.length; i++) v.push(t[i][a]);
  for (let p = 0; p < 5; p++) v.push(c.periodWh[a * 5 + p]);
  v.push(c.topupMilli[a]);
  return v;
}

/** Restores what accountState() gave (same field order; missing fields are zero). */
export function setAccountState(c: Core, a: number, v: number[]): void {
  const t = accountTables(c);
  for (let i = 0; i < t.length; i++) t[i][a] = v[i] || 0;
  for (let p = 0; p < 5; p++) c.periodWh[a * 5 + p] = v[t.length + p] || 0;
  c.topupMilli[a] = v[t.length + 5] || 0;
}

/** Meter state that must survive a reboot: the last billed registers and any suspect. */
export function meterState(c: Core, m: number): number[] {
  const t = meterTables(c);
  const v: number[] = [];
  for (let i = 0; i < t.length; i++) v.push(t[i][m]);
  return v;
}

/** Restores what meterState() gave (missing fields are zero). */
export function setMeterState(c: Core, m: number, v: number[]): void {
  const t = meterTables(c);
  for (let i = 0; i < t.length; i++) t[i][m] = v[i] || 0;
}

function accountTables(c: Core): number[][] {
  return [c.balance, c.remainder, c.monthlyWh, c.cycle, c.alarmMask, c.cut, c.deferred, c.mode, c.ovTripped, c.ovReopen, c.ovWinStart, c.ovTrips, c.ovLocked, c.energyWh, c.chargedMilli];
}

function meterTables(c: Core): number[][] {
  return [c.has, c.lastImp, c.lastExp, c.lastT, c.susp, c.suspImp, c.suspExp, c.suspT];
}

/** Carries the state of every account and meter whose name survives a configuration change
 *  (accounts opened or closed, meters added, plans edited) from the old core into `core`, a
 *  new one made for the new configuration. The old core is left as it was: it stays whole if
 *  the new configuration cannot be committed. */
export function carryOver(old: Core, core: Core): Core {
  const na = core.cfg.accounts;
  const oa = old.cfg.accounts;
  const map: number[] = [];
  for (let a = 0; a < oa.n; a++) {
    const b = nameIndex(na.names, nameAt(oa.names, a));
    map[a] = b;
    if (b < 0) continue;
    setAccountState(core, b, accountState(old, a));
    core.lastSeq[b] = old.lastSeq[a];
    core.relay[b] = old.relay[a];
    core.mode[b] = na.mode[b] === oa.mode[a] ? old.mode[a] : na.mode[b];
  }
  const nm = core.cfg.meters;
  const om = old.cfg.meters;
  for (let m = 0; m < om.n; m++) {
    const n = nameIndex(nm.names, nameAt(om.names, m));
    if (n >= 0 && nm.account[n] === map[om.account[m]]) setMeterState(core, n, meterState(old, m));
  }
  loadLedger(core.ledger, saveLedger(old.ledger));
  remapLedger(core.ledger, map);
  return core;
}
