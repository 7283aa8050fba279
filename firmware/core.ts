// The billing and credit-control core: events in (readings, ticks, money, operator
// commands), decisions out (ledger entries, alarms, relay commands, events). It owns no
// clock and no I/O, so the same trace gives the same decisions on Node, Espruino and Lua.
// The rules are written out in docs/billing-rules.md; the golden traces in tests/vectors/.
import { numbers, smalls } from './billing/table';
import { Calendar, PricePlan, dayOf, isRestDay, nextBoundary, periodAt, scheduleOf, tierOf } from './billing/tariff';
import { CHARGE, CORRECTION, entryName, Ledger, REFUND, TOPUP, TRANSFER } from './billing/ledger';
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

/** Overload protection of one account (Tasmota's MaxPower, MaxPowerHold, MaxPowerWindow). */
export interface OverloadConfig {
  /** Trip above this power in W; 0 disables. */
  maxPowerW: number;
  /** Power must stay above the limit this long before a trip. */
  holdS: number;
  /** The relay recloses this long after a trip. */
  waitS: number;
  /** maxTrips trips within windowS seconds lock the relay open until an operator resets it. */
  windowS: number;
  maxTrips: number;
}

/** A parsed account. Money in milli-currency. */
export interface AccountConfig {
  name: string;
  plan: number;
  /** Descending balances at which alarms 1..n are raised. */
  alarmLevelsMilli: number[];
  /** Emergency credit: the balance may go down to -creditLimitMilli. */
  creditLimitMilli: number;
  /** After a cut, supply returns when a credit brings the balance above this. */
  reconnectMilli: number;
  /** Hoarding limit: top-ups beyond this balance are refused; 0 = none. */
  maxBalanceMilli: number;
  /** Friendly windows as local minutes [start, end, ...]; end < start wraps past midnight. */
  friendly: number[];
  /** Whole weekend days and holidays are friendly too. */
  friendlyRestDays: boolean;
  mode: number;
  /** Export energy counts as consumption (seed 001 2.1, anti-tamper). */
  importOnly: boolean;
  overload: OverloadConfig;
  /** GPIO relay channel on the board, or -1 when the account's meters switch it over the bus. */
  relay: number;
}

/** A parsed meter. */
export interface MeterConfig {
  name: string;
  account: number;
  /** Own price plan, or -1 for the account's. */
  plan: number;
  /** Largest plausible power; a register that rises faster is quarantined. */
  maxPowerW: number;
}

/** Everything the core needs, already validated (see config.ts). */
export interface CoreConfig {
  calendar: Calendar;
  plans: PricePlan[];
  accounts: AccountConfig[];
  meters: MeterConfig[];
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

/** The core. Per-account and per-meter state lives in tables (struct of arrays). */
export class Core {
  readonly cfg: CoreConfig;
  ledger = new Ledger();
  // accounts
  balance: number[];
  remainder: number[];
  monthlyWh: number[];
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
    const na = cfg.accounts.length;
    const nm = cfg.meters.length;
    this.balance = numbers(na);
    this.remainder = numbers(na);
    this.monthlyWh = numbers(na);
    this.energyWh = numbers(na);
    this.chargedMilli = numbers(na);
    this.topupMilli = numbers(na);
    this.lastSeq = numbers(na);
    // times in doubles: Int32 seconds end in 2038
    this.ovSince = numbers(na);
    this.ovReopen = numbers(na);
    this.ovWinStart = numbers(na);
    this.periodWh = numbers(na * 5);
    this.cycle = smalls(na);
    this.alarmMask = smalls(na);
    this.cut = smalls(na);
    this.deferred = smalls(na);
    this.relay = smalls(na);
    this.mode = smalls(na);
    this.ovTripped = smalls(na);
    this.ovTrips = smalls(na);
    this.ovLocked = smalls(na);
    for (let a = 0; a < na; a++) {
      this.relay[a] = -1;
      this.ovSince[a] = -1;
      this.mode[a] = cfg.accounts[a].mode;
    }
    this.has = smalls(nm);
    this.susp = smalls(nm);
    this.lastT = numbers(nm);
    this.suspT = numbers(nm);
    this.lastImp = numbers(nm);
    this.lastExp = numbers(nm);
    this.suspImp = numbers(nm);
    this.suspExp = numbers(nm);
    this.power = numbers(nm);
  }

  /** Account state that must survive a reboot, as numbers. The EEPROM stores this order:
   *  only ever append fields (a shorter list from older firmware restores with zeros). */
  accountState(a: number): number[] {
    const t = this.tables(true);
    const v: number[] = [];
    for (let i = 0; i < t.length; i++) v.push(t[i][a]);
    for (let p = 0; p < 5; p++) v.push(this.periodWh[a * 5 + p]);
    v.push(this.topupMilli[a]);
    return v;
  }

  /** Restores what accountState() gave (same field order; missing fields are zero). */
  setAccountState(a: number, v: number[]): void {
    const t = this.tables(true);
    for (let i = 0; i < t.length; i++) t[i][a] = v[i] || 0;
    for (let p = 0; p < 5; p++) this.periodWh[a * 5 + p] = v[t.length + p] || 0;
    this.topupMilli[a] = v[t.length + 5] || 0;
  }

  /** Meter state that must survive a reboot: the last billed registers and any suspect. */
  meterState(m: number): number[] {
    const t = this.tables(false);
    const v: number[] = [];
    for (let i = 0; i < t.length; i++) v.push(t[i][m]);
    return v;
  }

  /** Restores what meterState() gave (missing fields are zero). */
  setMeterState(m: number, v: number[]): void {
    const t = this.tables(false);
    for (let i = 0; i < t.length; i++) t[i][m] = v[i] || 0;
  }

  private tables(accounts: boolean): number[][] {
    return accounts
      ? [this.balance, this.remainder, this.monthlyWh, this.cycle, this.alarmMask, this.cut, this.deferred, this.mode, this.ovTripped, this.ovReopen, this.ovWinStart, this.ovTrips, this.ovLocked, this.energyWh, this.chargedMilli]
      : [this.has, this.lastImp, this.lastExp, this.lastT, this.susp, this.suspImp, this.suspExp, this.suspT];
  }

  /** Brings every relay to the state the rules want (at boot). */
  start(time: number): Decision[] {
    this.out = [];
    for (let a = 0; a < this.cfg.accounts.length; a++) this.control(a, time, 'boot', false);
    return this.out;
  }

  /** Applies one event and returns what the unit must do, in order. */
  handle(ev: CoreEvent): Decision[] {
    this.out = [];
    const time = ev.time;
    if (ev.t === 'reading') this.reading(ev.meter, ev.importWh, ev.exportWh, ev.powerW, time);
    else if (ev.t === 'topup') this.topup(ev.account, ev.amountMilli, time);
    else if (ev.t === 'refund') this.refund(ev.account, ev.amountMilli, time);
    else if (ev.t === 'correct') this.correct(ev.seq, time);
    else if (ev.t === 'transfer') this.transfer(ev.from, ev.to, time);
    else if (ev.t === 'swap') this.swap(ev, time);
    else if (ev.t === 'mode') {
      if (this.badAccount(ev.account) || ev.mode < 0 || ev.mode > 2) this.refuse(ev.account, 'bad-mode');
      else {
        this.mode[ev.account] = ev.mode;
        const why = 'mode-' + modeNames()[ev.mode];
        this.emit('event', ev.account, -1, why, ev.mode);
        this.control(ev.account, time, why, false);
      }
    } else if (ev.t === 'clock') {
      if (ev.valid !== this.timeValid) {
        this.timeValid = ev.valid;
        this.emit('event', -1, -1, ev.valid ? 'time-valid' : 'time-invalid', 0);
      }
    } else if (ev.t === 'overload-reset') {
      if (this.badAccount(ev.account)) this.refuse(ev.account, 'unknown-account');
      else {
        const a = ev.account;
        this.ovLocked[a] = 0;
        this.ovTripped[a] = 0;
        this.ovTrips[a] = 0;
        this.ovSince[a] = -1;
        this.emit('event', a, -1, 'overload-reset', 0);
        this.control(a, time, 'overload-reset', false);
      }
    }
    // Every event is also a clock tick: friendly windows end and breakers reclose on time.
    for (let a = 0; a < this.cfg.accounts.length; a++) this.tick(a, time);
    return this.out;
  }

  private emit(kind: string, account: number, meter: number, code: string, value: number): Decision {
    const d: Decision = { kind: kind, account: account, meter: meter, code: code, value: value, balance: account >= 0 ? this.balance[account] : 0, seq: 0, ref: -1 };
    this.out.push(d);
    return d;
  }

  private refuse(account: number, why: string): void {
    this.emit('refused', account, -1, why, 0);
  }

  private badAccount(a: number): boolean {
    return !(a >= 0 && a < this.cfg.accounts.length);
  }

  private entry(kind: number, a: number, amount: number, meter: number, ref: number): void {
    this.balance[a] += amount;
    const d = this.emit('ledger', a, meter, entryName(kind), amount);
    d.seq = this.ledger.next(kind, a, amount);
    this.lastSeq[a] = d.seq;
    d.ref = ref;
  }

  // ---- billing ----

  private reading(m: number, imp: number, exp: number, powerW: number | undefined, time: number): void {
    if (!(m >= 0 && m < this.cfg.meters.length) || !(imp >= 0) || !(exp >= 0)) {
      this.emit('refused', -1, m, 'bad-reading', 0);
      return;
    }
    const a = this.cfg.meters[m].account;
    if (powerW !== undefined) this.power[m] = powerW;
    if (!this.has[m]) {
      this.has[m] = 1;
      this.rebase(m, imp, exp, time);
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
      this.rebase(m, this.suspImp[m], this.suspExp[m], this.suspT[m]);
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
    const allow = Math.floor((this.cfg.meters[m].maxPowerW * dt + 3599) / 3600) + STEP_WH;
    return imp >= imp0 && exp >= exp0 && imp - imp0 + (exp - exp0) <= allow;
  }

  private rebase(m: number, imp: number, exp: number, time: number): void {
    this.lastImp[m] = imp;
    this.lastExp[m] = exp;
    this.lastT[m] = time;
  }

  private bill(m: number, imp: number, exp: number, time: number): void {
    const a = this.cfg.meters[m].account;
    const e = imp - this.lastImp[m] + (this.cfg.accounts[a].importOnly ? exp - this.lastExp[m] : 0);
    const t0 = this.lastT[m];
    this.rebase(m, imp, exp, time);
    if (e > 0) this.charge(a, m, e, t0, time);
  }

  /** Charges eWh consumed over (t0, t1], split over TOU periods in proportion to time and over tiers. */
  private charge(a: number, m: number, eWh: number, t0: number, t1: number): void {
    const pi = this.cfg.meters[m].plan >= 0 ? this.cfg.meters[m].plan : this.cfg.accounts[a].plan;
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

  private topup(a: number, amount: number, time: number): void {
    if (this.badAccount(a)) return this.refuse(a, 'unknown-account');
    if (!(amount > 0) || Math.floor(amount) !== amount) return this.refuse(a, 'bad-amount');
    const max = this.cfg.accounts[a].maxBalanceMilli;
    if (max > 0 && this.balance[a] + amount > max) return this.refuse(a, 'hoarding');
    this.entry(TOPUP, a, amount, -1, -1);
    this.topupMilli[a] += amount;
    this.credited(a, time);
  }

  private refund(a: number, amount: number, time: number): void {
    if (this.badAccount(a)) return this.refuse(a, 'unknown-account');
    if (!(amount > 0) || Math.floor(amount) !== amount) return this.refuse(a, 'bad-amount');
    if (amount > this.balance[a]) return this.refuse(a, 'exceeds-balance');
    this.entry(REFUND, a, -amount, -1, -1);
    this.alarms(a, false);
    this.control(a, time, 'credit', false);
  }

  private correct(seq: number, time: number): void {
    const i = this.ledger.find(seq);
    if (i === -2) return this.refuse(-1, 'already-corrected');
    if (i < 0) return this.refuse(-1, 'unknown-entry');
    const a = this.ledger.accountAt(i);
    const amount = -this.ledger.amountAt(i);
    this.ledger.markCorrected(i);
    this.entry(CORRECTION, a, amount, -1, seq);
    if (amount > 0) this.credited(a, time);
    else {
      this.alarms(a, false);
      this.control(a, time, 'credit', false);
    }
  }

  /** Moves the whole remaining balance (e.g. tenant moves, account closed) to another account. */
  private transfer(from: number, to: number, time: number): void {
    if (this.badAccount(from) || this.badAccount(to) || from === to) return this.refuse(from, 'bad-transfer');
    const x = this.balance[from];
    if (!(x > 0)) return this.refuse(from, 'nothing-to-transfer');
    this.entry(TRANSFER, from, -x, -1, to);
    this.entry(TRANSFER, to, x, -1, from);
    this.alarms(from, false);
    this.control(from, time, 'credit', false);
    this.credited(to, time);
  }

  /** Meter exchange: bill the old meter up to its final register, then start from the new one. */
  private swap(ev: { meter: number; finalImportWh: number; finalExportWh: number; newImportWh: number; newExportWh: number }, time: number): void {
    const m = ev.meter;
    if (!(m >= 0 && m < this.cfg.meters.length)) return this.refuse(-1, 'unknown-meter');
    const a = this.cfg.meters[m].account;
    if (this.has[m] && (ev.finalImportWh < this.lastImp[m] || ev.finalExportWh < this.lastExp[m])) return this.refuse(a, 'final-below-billed');
    if (!(ev.newImportWh >= 0 && ev.newExportWh >= 0)) return this.refuse(a, 'bad-reading');
    if (this.has[m]) this.bill(m, ev.finalImportWh, ev.finalExportWh, time);
    this.has[m] = 1;
    this.susp[m] = 0;
    this.rebase(m, ev.newImportWh, ev.newExportWh, time);
    this.emit('event', a, m, 'meter-swapped', ev.newImportWh);
    this.control(a, time, 'credit', false);
  }

  private credited(a: number, time: number): void {
    this.alarms(a, true);
    this.control(a, time, 'topup', true);
  }

  // ---- credit control ----

  /** Raises each alarm level once on the way down; a credit clears the levels it rises above. */
  private alarms(a: number, credit: boolean): void {
    const levels = this.cfg.accounts[a].alarmLevelsMilli;
    const bal = this.balance[a];
    for (let i = 0; i < levels.length; i++) {
      const raised = hasFlag(this.alarmMask[a], i);
      if (!raised && bal <= levels[i]) {
        this.alarmMask[a] = withFlag(this.alarmMask[a], i);
        this.emit('alarm', a, -1, 'low-credit', i + 1);
      } else if (credit && raised && bal > levels[i]) {
        this.alarmMask[a] = withoutFlag(this.alarmMask[a], i);
        this.emit('clear', a, -1, 'low-credit', i + 1);
      }
    }
  }

  /** True inside one of the account's friendly windows (local time). */
  friendly(a: number, time: number): boolean {
    const acc = this.cfg.accounts[a];
    const local = time + this.cfg.calendar.utcOffsetS;
    const day = dayOf(local);
    if (acc.friendlyRestDays && isRestDay(this.cfg.calendar, day)) return true;
    const minute = Math.floor((local - day * 86400) / 60);
    const w = acc.friendly;
    for (let i = 0; i < w.length; i += 2) {
      if (w[i] <= w[i + 1] ? minute >= w[i] && minute < w[i + 1] : minute >= w[i] || minute < w[i + 1]) return true;
    }
    return false;
  }

  /** Decides cut-off and reconnection, then commands the relay if its wanted state changed. */
  private control(a: number, time: number, reason: string, credit: boolean): void {
    const acc = this.cfg.accounts[a];
    const bal = this.balance[a];
    if (!this.cut[a]) {
      if (bal < -acc.creditLimitMilli) {
        if (this.friendly(a, time)) {
          if (!this.deferred[a]) this.emit('event', a, -1, 'cut-deferred', bal);
          this.deferred[a] = 1;
        } else {
          if (this.deferred[a]) reason = 'friendly-end';
          this.cut[a] = 1;
          this.deferred[a] = 0;
        }
      } else this.deferred[a] = 0;
    } else if (credit && bal > acc.reconnectMilli) this.cut[a] = 0;
    const mode = this.mode[a];
    const want = mode === MODE_OFF || this.ovTripped[a] || this.ovLocked[a] || (mode === MODE_AUTO && this.cut[a]) ? 0 : 1;
    if (want !== this.relay[a]) {
      this.relay[a] = want;
      this.emit('relay', a, -1, reason, want);
    }
  }

  /** Overload: trip after holdS above the limit, reclose after waitS, lock out after maxTrips in windowS. */
  private overload(a: number, time: number): void {
    const o = this.cfg.accounts[a].overload;
    if (!o.maxPowerW || this.ovTripped[a] || this.ovLocked[a]) return;
    let p = 0;
    for (let m = 0; m < this.cfg.meters.length; m++) if (this.cfg.meters[m].account === a) p += this.power[m];
    if (p <= o.maxPowerW) {
      this.ovSince[a] = -1;
      return;
    }
    if (this.ovSince[a] < 0) this.ovSince[a] = time;
    if (time - this.ovSince[a] < o.holdS) return;
    this.ovSince[a] = -1;
    if (this.ovTrips[a] === 0 || time - this.ovWinStart[a] > o.windowS) {
      this.ovWinStart[a] = time;
      this.ovTrips[a] = 0;
    }
    this.ovTrips[a]++;
    this.ovTripped[a] = 1;
    if (this.ovTrips[a] >= o.maxTrips) {
      this.ovLocked[a] = 1;
      this.emit('event', a, -1, 'overload-lockout', p);
      this.control(a, time, 'overload-lockout', false);
    } else {
      this.ovReopen[a] = time + o.waitS;
      this.emit('event', a, -1, 'overload-trip', p);
      this.control(a, time, 'overload', false);
    }
  }

  private tick(a: number, time: number): void {
    if (this.ovTripped[a] && !this.ovLocked[a] && time >= this.ovReopen[a]) {
      this.ovTripped[a] = 0;
      for (let m = 0; m < this.cfg.meters.length; m++) if (this.cfg.meters[m].account === a) this.power[m] = 0;
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

/** Carries the state of every account and meter whose name survives a configuration change
 *  (accounts opened or closed, meters added, plans edited) from the old core into `core`, a
 *  new one made for the new configuration. The old core is left as it was: it stays whole if
 *  the new configuration cannot be committed. */
export function carryOver(old: Core, core: Core): Core {
  const cfg = core.cfg;
  const map: number[] = [];
  for (let a = 0; a < old.cfg.accounts.length; a++) {
    map[a] = -1;
    for (let b = 0; b < cfg.accounts.length; b++) {
      if (cfg.accounts[b].name === old.cfg.accounts[a].name) {
        map[a] = b;
        core.setAccountState(b, old.accountState(a));
        core.lastSeq[b] = old.lastSeq[a];
        core.relay[b] = old.relay[a];
        core.mode[b] = cfg.accounts[b].mode === old.cfg.accounts[a].mode ? old.mode[a] : cfg.accounts[b].mode;
      }
    }
  }
  for (let m = 0; m < old.cfg.meters.length; m++) {
    for (let n = 0; n < cfg.meters.length; n++) {
      if (cfg.meters[n].name === old.cfg.meters[m].name && cfg.meters[n].account === map[old.cfg.meters[m].account]) core.setMeterState(n, old.meterState(m));
    }
  }
  core.ledger.load(old.ledger.save());
  core.ledger.remap(map);
  return core;
}
