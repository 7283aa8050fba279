// Scenario runner: virtual loads and meters feed the unit (the same composition root as on
// the board) on a virtual clock, as fast as the CPU allows, or paced for a live console.
// The same scenario gives the same summary and record, byte for byte. Everything read of
// the unit's state goes through sim/unit-view.ts; decisions and log entries arrive through
// the HAL's onDecision and onLog.
import type { OpenLink } from '../hal/link';
import { Decision } from '../firmware/core';
import { startUnit, Unit } from '../firmware/unit';
import { busMetering } from '../firmware/metering/wiring';
import { nodeModules } from './modules';
import { ok, Result } from '../hal/result';
import { Rtc, RtcTime } from '../hal/rtc';
import { StorageRig } from './storage-rig';
import { Load } from './load-profile';
import { mulberry32, Random } from './prng';
import { MessageSpec, MODEM_FAULT_NAMES, Scenario, TenantRule } from './scenario';
import { noModemFaults, VirtualModem, virtualModemLine } from './virtual-modem';
import type { ModemLine } from '../hal/modem';
import { VirtualClock } from './virtual-clock';
import { BusRig, RigMeter, registerWhOf } from './bus-rig';
import { WireCounts } from './wire-stats';
import * as view from './unit-view';
import { AccountDay, AccountSummary, AccountsNow, LedgerCheck, LedgerRow, MeterDay, RunRecord, RunSummary, SmsIn, TimelineEvent, TopupRow, dayName, emptyAccount, localStamp, totalsOf } from './record';
import { milli } from './money';
import { StartError } from './start-error';

export { AccountSummary, RunSummary } from './record';

/** Register resolution of the virtual meters: 0.01 kWh, as on DL/T 645 and DDS238 meters. */
const REGISTER_STEP_WH = 10;

/** Register value a meter shows for an energy in joules (whole 0.01 kWh steps). */
function registerWh(j: number): number {
  return Math.floor(j / 3600 / REGISTER_STEP_WH) * REGISTER_STEP_WH;
}

/** An RTC running from the virtual clock (the I2C DS3231 model replaces it when storage is wired). */
class ClockRtc implements Rtc {
  constructor(private clock: VirtualClock, private base: number) {}
  read(): Result<RtcTime> {
    return ok({ epochSeconds: this.base + Math.floor(this.clock.now() / 1000), valid: true });
  }
  set(epochSeconds: number): Result<true> {
    this.base = epochSeconds - Math.floor(this.clock.now() / 1000);
    return ok(true as const);
  }
}

/** How to run a scenario. */
export interface SimulationOptions {
  /** Keep the unit's EEPROM in this file: a later run boots from what this one left. */
  eepromFile?: string;
  /** Let the unit format an EEPROM file it cannot read (a foreign or damaged image); without
   *  it such a file is refused and left untouched. */
  formatEeprom?: boolean;
  /** The unit's link to its uplink's broker (UnitHal.openUplink): a unit whose configuration has
   *  an `uplink` section then sends to it (sim/fleet.ts). */
  openUplink?: OpenLink;
}

/** A top-up waiting for its time. */
interface Pending {
  at: number;
  slot: number;
  amount: number;
  source: string;
}

/** What the runner keeps per scenario meter (wired on a bus or fed by the runner). */
interface MeterTrack {
  name: string;
  /** Rig meter when the unit reads it itself (bus or pulse), else null. */
  rig: RigMeter | null;
  /** Import / export register the meter started the run from, Wh. */
  startImpWh: number;
  startExpWh: number;
  /** Import and export registers the unit's billing started from in this run (carried over,
   *  or its first reading's baseline), -1 until known. */
  billedFrom: number;
  billedFromExp: number;
  /** Sum of register-rebased values: register span the unit could not bill. */
  rebasedWh: number;
  jumps: number;
  backwards: number;
  /** A reading is held as suspect now. */
  suspect: boolean;
  // today
  readings: number;
  dayImpWh: number;
  dayExpWh: number;
  wire: WireCounts;
  lostSince: number;
  lostS: number;
}

/** Per-account counters of the current local day. */
interface DayAcc {
  charged: number;
  topups: number;
  topupCount: number;
  refused: number;
  offS: number;
  alarms: number;
  cuts: number;
  energy: number;
  period: number[];
  /** Today's charges, summed for the ledger: first and last entry, count, sum, balance, time. */
  chgFirst: number;
  chgLast: number;
  chgCount: number;
  chgSum: number;
  chgBalance: number;
  chgTime: number;
}

const NO_WIRE: WireCounts = { requests: 0, retries: 0, good: 0, corrupt: 0, unanswered: 0 };

/** A scenario in progress: step() advances one step of virtual time. */
export class Simulation {
  readonly clock = new VirtualClock();
  readonly unit: Unit;
  now: number;
  stepIndex = 0;
  readonly steps: number;
  /** Bus scenarios: the virtual meters, buses, pulse inputs and GPIO relays; null otherwise. */
  readonly rig: BusRig | null = null;
  /** Every event-log entry of the unit (time UTC s, account, kind, text). */
  readonly log: { time: number; account: number; kind: string; text: string }[] = [];
  /** The unit's EEPROM and RTC chips (absent when the scenario has `eeprom: false`). */
  readonly storage: StorageRig | null;
  /** Meter readings that reached the billing core. */
  readings = 0;
  /** The unit's GSM modem when the scenario has one (sim/scenario.ts ModemSpec), else null. */
  readonly modem: VirtualModem | null = null;

  private loads: Load[];
  private impJ: number[];
  private expJ: number[];
  private power: number[];
  private meters: MeterTrack[] = [];
  /** Per scenario meter: the unit's meter index and the account slot (refreshed when the layout changes). */
  private meterIdx: number[] = [];
  private meterSlot: number[] = [];
  /** Unit meter index -> scenario meter, unit account index -> slot. */
  private scenarioMeterOf: number[] = [];
  private slotOfAccount: number[] = [];
  private layout: object | null = null;

  // account slots: the scenario's accounts, then any opened from the console
  private names: string[] = [];
  private slotByName = new Map<string, number>();
  private acc: AccountSummary[] = [];
  private supplied: boolean[] = [];
  private offSince: number[] = [];
  private entrySum: number[] = [];
  private openingEnergy: number[] = [];
  private openingCharged: number[] = [];
  private lastPeriod: number[][] = [];
  private lastEnergy: number[] = [];
  private today: DayAcc[] = [];
  private rules: (TenantRule | null)[] = [];
  private never: boolean[] = [];
  private tenantPending: boolean[] = [];

  private pending: Pending[];
  private rnd: Random;
  private decisions = 0;
  private ledgerEntries = 0;
  private booted = false;
  private bootDecisions: Decision[] = [];
  private onDecision?: (time: number, d: Decision) => void;

  // text messages: those still to send, the modem faults in force, what came in, what the modem did
  private messages: MessageSpec[] = [];
  private modemFaults: { [name: string]: boolean } = {};
  private smsIn: SmsIn[] = [];
  /** The SIM slot the unit last asked to read, and the message read from each slot. */
  private readSlot = 0;
  private inSlot: { [slot: number]: SmsIn } = {};
  private modemLog: { time: number; what: string }[] = [];

  // the record
  private day: number;
  private dayStart: number;
  private accountDays: AccountDay[] = [];
  private meterDays: MeterDay[] = [];
  private ledgerRows: LedgerRow[] = [];
  private timeline: TimelineEvent[] = [];
  private topupRows: TopupRow[] = [];
  private balanceT: number[] = [];
  private balanceMilli: number[][] = [];
  private loadT: number[] = [];
  private loadW: number[] = [];
  private loadJ = 0;
  private readonly sampleS: number;
  private readonly loadS: number;

  constructor(readonly sc: Scenario, print: (line: string) => void, onDecision?: (time: number, d: Decision) => void, opts: SimulationOptions = {}) {
    this.onDecision = onDecision;
    this.now = sc.start;
    this.rnd = mulberry32(sc.seed);
    this.loads = sc.loads.map((spec, i) => new Load(spec, mulberry32(sc.seed * 7919 + i + 1)));
    this.impJ = sc.startRegisterWh.map((wh) => wh * 3600);
    this.expJ = sc.startRegisterWh.map(() => 0);
    this.power = sc.meterNames.map(() => 0);
    this.steps = Math.round((sc.durationHours * 3600) / sc.stepSeconds);
    // Hourly balances and 15-minute load for runs up to a month, daily and hourly beyond.
    this.sampleS = sc.durationHours <= 24 * 31 ? 3600 : 86400;
    this.loadS = Math.max(sc.stepSeconds, sc.durationHours <= 24 * 31 ? 900 : 3600);
    const offset = sc.facts.utcOffsetS;
    this.day = Math.floor((sc.start + offset) / 86400);
    this.dayStart = sc.start;
    const neverRnd = mulberry32(sc.seed * 31 + 17);
    sc.facts.accounts.forEach((name, i) => {
      const s = this.slot(name);
      const rule = sc.tenants[i];
      this.rules[s] = rule;
      this.never[s] = !!(rule && rule.neverShare && neverRnd() < rule.neverShare);
    });
    this.pending = sc.topups.map((t) => ({ at: t.at, slot: this.slot(sc.facts.accounts[t.account]), amount: t.amount, source: 'scheduled' }));
    // The chip is trusted: nothing in a scenario makes it lose a write, so the driver does not
    // read every page back (the power-cut harness and the tests keep that check).
    this.storage = sc.eeprom === false ? null : new StorageRig({ now: () => this.clock.now(), startEpoch: sc.start, part: sc.eeprom, file: opts.eepromFile, trusted: true });
    if (this.storage && sc.rtc.driftPpm) this.storage.clock.setDrift(sc.rtc.driftPpm);
    const rtc = this.storage ? this.storage.rtc : new ClockRtc(this.clock, sc.start);
    const eeprom = this.storage ? this.storage.eeprom : undefined;
    const onLog = (time: number, account: number, kind: string, text: string): void => this.logged(time, account, kind, text);
    const decided = (d: Decision): void => {
      if (this.booted) this.apply(d);
      else this.bootDecisions.push(d);
    };
    if (sc.modem) {
      this.modem = new VirtualModem(this.clock, { model: sc.modem.model, slots: sc.modem.slots, startS: sc.start });
      this.messages = sc.messages.slice();
    }
    const vm = this.modem;
    const openModem = vm ? (): ModemLine => this.modemLine(vm) : undefined;
    // (the simulator's link goes to the broker it was given, whatever the configuration names)
    const link = opts.openUplink;
    const openUplink = link ? (): OpenLink => link : undefined;
    if (sc.bus) {
      const unitTime = (): number => (rtc.read() as { ok: true; value: RtcTime }).value.epochSeconds;
      const relayOf = (meter: string): number => {
        if (!this.unit) {
          const m = sc.facts.meters.find((x) => x.name === meter);
          return m ? sc.facts.relays[sc.facts.accounts.indexOf(m.account)] : -1;
        }
        const m = view.meterIndex(this.unit, meter);
        return m >= 0 ? view.relayChannelOf(this.unit, view.meterAccount(this.unit, m)) : -1;
      };
      const rig = new BusRig(this.clock, sc, this.loads, unitTime, relayOf);
      this.rig = rig;
      this.unit = startUnit(
        { load: nodeModules, clock: this.clock, print, rtc, eeprom, relays: rig.relays, openMeterBus: (o) => rig.openMeterBus(o), openPulse: (ch, o) => rig.openPulse(ch, o), onLog, onDecision: decided, openModem, openUplink },
        sc.rawConfig,
        { metering: busMetering },
      );
    } else this.unit = startUnit({ load: nodeModules, clock: this.clock, print, rtc, eeprom, onLog, onDecision: decided, openModem, openUplink }, sc.rawConfig);
    // The unit formatted only the copy in memory: the file is written by save(), never now.
    if (this.storage && this.storage.loaded && !this.storage.blank && !opts.formatEeprom && view.formattedUnreadableEeprom(this.log)) {
      throw new StartError('the EEPROM file ' + opts.eepromFile + ' is not a unit\'s EEPROM image (the unit cannot read its header); it was left untouched. Pass --format-eeprom to format it and start from factory defaults');
    }
    this.meters = sc.meterNames.map((name, i) => {
      const rm = this.rig ? this.rig.byScenario[i] : null;
      return { name, rig: rm, startImpWh: rm ? rm.startWh : registerWh(this.impJ[i]), startExpWh: 0, billedFrom: -1, billedFromExp: -1, rebasedWh: 0, jumps: 0, backwards: 0, suspect: false, readings: 0, dayImpWh: 0, dayExpWh: 0, wire: this.wireOf(i), lostSince: -1, lostS: 0 };
    });
    this.map();
    this.open();
    this.booted = true;
    for (const d of this.bootDecisions) this.apply(d);
    this.bootDecisions = [];
    // the unit switched every relay at boot
    for (let s = 0; s < this.names.length; s++) {
      const a = view.accountIndex(this.unit, this.names[s]);
      const closed = a >= 0 && view.relayClosed(this.unit, a);
      this.supplied[s] = closed;
      this.offSince[s] = closed ? -1 : sc.start;
    }
    this.sample();
    this.poll();
    // The board's main loop ticks the unit every minute (firmware/main.ts): the uplink sends at
    // the ticks (the runner ticks only on steps without a poll); a modem's ticks do it as well.
    if (openUplink && !vm) this.clock.every(60000, () => this.unit.handle({ t: 'tick', time: this.unit.time() }));
    if (vm) {
      // The modem's faults and restarts, and the messages, on time (to the millisecond, between
      // the steps), the faults ahead of a session that opens at the same moment.
      const at = (t: number): number => (t - sc.start) * 1000;
      for (const w of sc.modem!.faults) for (const t of [w.from, w.to]) this.clock.after(at(t), () => this.modemFaultsNow(vm));
      for (const t of sc.modem!.reboots) {
        this.clock.after(at(t), () => {
          this.modemEvent(vm.powered ? 'restarts by itself' : 'would restart, but is switched off');
          vm.reboot();
        });
      }
      this.nextMessage();
      // The board's main loop ticks the unit every minute (firmware/main.ts), and the ticks open
      // its SMS sessions; the runner ticks only on steps without a poll, so a unit with a modem
      // gets the board's tick as well.
      this.clock.every(60000, () => this.unit.handle({ t: 'tick', time: this.unit.time() }));
    }
  }

  /** The firmware's billing core (for tests that look inside). */
  get core(): Unit['core'] {
    return view.coreOf(this.unit);
  }

  /** True when the scenario's duration has been simulated. */
  finished(): boolean {
    return this.stepIndex >= this.steps;
  }

  /** Advances one step: loads draw power through their relays, then top-ups, then a poll or a tick. */
  step(): void {
    const sc = this.sc;
    const stepS = sc.stepSeconds;
    const offset = sc.facts.utcOffsetS;
    const secOfDay = (((this.now + offset) % 86400) + 86400) % 86400;
    this.map();
    let total = 0;
    const rig = this.rig;
    for (let m = 0; m < this.loads.length; m++) {
      const rm = rig ? rig.byScenario[m] : null;
      if (rm) {
        total += rm.model.powerW(); // its virtual meter integrates the load
        continue;
      }
      const p = this.loads[m].powerW(secOfDay, stepS);
      const s = this.meterSlot[m];
      const w = s >= 0 && this.supplied[s] ? p : 0;
      this.power[m] = w;
      total += w;
      if (w >= 0) this.impJ[m] += w * stepS;
      else this.expJ[m] -= w * stepS;
    }
    this.loadJ += total * stepS;
    this.stepIndex++;
    this.now += stepS;
    if (this.storage && this.now - stepS < sc.rtc.batteryLostAt && this.now >= sc.rtc.batteryLostAt) this.storage.clock.loseBattery();
    this.clock.advanceTo(this.stepIndex * stepS * 1000);
    while (this.pending.length && this.pending[0].at <= this.now) this.topup(this.pending.shift()!);
    if ((this.stepIndex * stepS) % sc.pollSeconds === 0) this.poll();
    else this.unit.handle({ t: 'tick', time: this.now });
    if ((this.now - sc.start) % this.loadS === 0) {
      this.loadT.push(this.now - this.loadS);
      this.loadW.push(Math.round(this.loadJ / this.loadS));
      this.loadJ = 0;
    }
    if ((this.now - sc.start) % this.sampleS === 0) this.sample();
    const day = Math.floor((this.now + offset) / 86400);
    if (day !== this.day) this.closeDay(day);
  }

  /** Runs to the end and returns the summary; progress(sim) is called about once a simulated day. */
  run(progress?: (sim: Simulation) => void): RunSummary {
    const every = Math.max(1, Math.round(86400 / this.sc.stepSeconds));
    while (!this.finished()) {
      this.step();
      if (progress && this.stepIndex % every === 0) progress(this);
    }
    this.finish();
    return this.summary();
  }

  /** Ends the run: the last partial day and load interval are closed, the EEPROM saved. */
  finish(): void {
    if (this.storage) {
      this.unit.flush(); // the readings of the last poll cycle, as a planned stop would
      this.storage.save();
    }
    if (this.now > this.dayStart) this.closeDay(this.day + 1);
    const rest = (this.now - this.sc.start) % this.loadS;
    if (rest) {
      this.loadT.push(this.now - rest);
      this.loadW.push(Math.round(this.loadJ / rest));
      this.loadJ = 0;
    }
    if ((this.now - this.sc.start) % this.sampleS !== 0) this.sample();
  }

  /** Everything the run leaves for its reports (call after run()). */
  record(): RunRecord {
    return {
      name: this.sc.name,
      description: this.sc.description,
      start: this.sc.start,
      end: this.now,
      utcOffsetS: this.sc.facts.utcOffsetS,
      accounts: this.names.slice(),
      meters: this.meters.map((t, i) => ({ name: t.name, account: this.accountNameOfMeter(i), bus: !!(t.rig && t.rig.proto !== 'pulse') })),
      accountDays: this.accountDays,
      meterDays: this.meterDays,
      ledger: this.ledgerRows,
      timeline: this.timeline,
      topups: this.topupRows,
      balances: { t: this.balanceT, milli: this.balanceMilli },
      load: { t: this.loadT, intervalS: this.loadS, watts: this.loadW },
      sms: this.modem ? { in: this.smsIn, out: this.modem.sent.map((m) => ({ time: this.sc.start + Math.floor(m.atMs / 1000), to: m.to, text: m.text })), modem: this.modemLog, waiting: this.modem.waiting, stored: this.modem.stored } : null,
      summary: this.summary(),
    };
  }

  /** A text message to the unit from number `from`: the network has it now and hands it to the
   *  modem when the module can take it (made: how, sim/record.ts SmsIn). */
  receiveSms(from: string, text: string, made = 'live', account?: string, amount?: number): void {
    if (!this.modem) throw new Error('this scenario gives the unit no modem');
    this.smsIn.push({ time: this.sc.start + Math.floor(this.clock.now() / 1000), from, text, made, account, amount, readAt: -1, doneAt: -1, before: null, after: null });
    this.modem.receiveSms(from, text);
  }

  /** The per-account summary so far (accounts of the scenario, then any opened since), with
   *  the ledger check and the warnings. */
  summary(): RunSummary {
    const u = this.unit;
    this.map();
    const accounts: AccountSummary[] = [];
    const problems: string[] = [];
    const notes: string[] = [];
    const warnings: string[] = [];
    let carried = 0;
    let carriedMilli = 0;
    for (let s = 0; s < this.names.length; s++) {
      const name = this.names[s];
      const r = { ...this.acc[s] };
      if (this.offSince[s] >= 0) r.minutesOff += (this.now - this.offSince[s]) / 60;
      const a = view.accountIndex(u, name);
      if (a >= 0) {
        const energy = view.energyWhOf(u, a);
        r.energyWh = energy - this.openingEnergy[s];
        r.chargedMilli = view.chargedOf(u, a) - this.openingCharged[s];
        r.balanceMilli = view.balanceOf(u, a);
        if (r.openingMilli !== 0 || this.openingEnergy[s] !== 0) {
          carried++;
          carriedMilli += r.openingMilli;
        }
        if (r.openingMilli + this.entrySum[s] !== r.balanceMilli) {
          problems.push(name + ': balance ' + milli(r.balanceMilli) + ' is not its opening ' + milli(r.openingMilli) + ' + the entries of the run ' + milli(this.entrySum[s]));
        }
        // Every Wh the unit took from its meters' registers in this run was billed once.
        let billed = 0;
        const both = view.exportBilledOf(u, a);
        for (let m = 0; m < this.meters.length; m++) {
          const um = this.meterIdx[m];
          const t = this.meters[m];
          if (um < 0 || view.meterAccount(u, um) !== a || t.billedFrom < 0) continue;
          billed += view.lastBilledWh(u, um) - t.billedFrom - t.rebasedWh;
          if (both) billed += view.lastBilledExportWh(u, um) - t.billedFromExp;
        }
        if (billed !== r.energyWh) problems.push(name + ': ' + r.energyWh + ' Wh billed, but its meters\' billed registers advanced ' + billed + ' Wh');
        // A cut account ends a little beyond its limit by design (the charge that crossed it);
        // one still supplied beyond it, or negative with no emergency credit, owes real money.
        const limit = view.creditLimitOf(u, a);
        const on = view.relayClosed(u, a);
        if ((r.balanceMilli < -limit && on) || (r.balanceMilli < 0 && limit === 0)) {
          const mode = view.modeOf(u, a);
          const why = on ? (mode === 'on' ? 'still supplied: guaranteed power (mode on)' : 'still supplied (friendly hours or overload reclose)') : 'cut';
          warnings.push(name + ' ends at ' + milli(r.balanceMilli) + (limit ? ', beyond its emergency credit of ' + milli(limit) : ' without emergency credit') + ', ' + why);
        }
      }
      accounts.push(r);
    }
    if (carried) notes.push('carried over from the EEPROM file: ' + carried + ' account(s) started from their saved balances (' + milli(carriedMilli) + ' in all) and registers; each is checked from there');
    for (let m = 0; m < this.meters.length; m++) {
      const t = this.meters[m];
      const um = this.meterIdx[m];
      const limitW = um >= 0 ? view.meterMaxPowerW(u, um) : 0;
      if (t.rebasedWh !== 0) {
        if (t.backwards) notes.push('meter ' + t.name + ': register went backwards (reset or replaced) and was rebased: the energy between its last billed reading and the reset is unknown and not billed');
        else notes.push('meter ' + t.name + ': ' + kwh(t.rebasedWh) + ' kWh not billed: its register rose faster than its plausibility limit (' + limitW + ' W), was quarantined and then confirmed by the next reading (register-rebased)');
      }
      if (t.suspect && um >= 0) {
        const last = view.lastBilledWh(u, um);
        const held = this.registerNow(m) - last;
        notes.push('meter ' + t.name + ': ' + kwh(held) + ' kWh above its last billed register held as suspect, not billed: it rose faster than its plausibility limit (' + limitW + ' W) (' + t.jumps + ' register-jump event(s))');
      } else if (t.jumps && t.rebasedWh === 0) {
        notes.push('meter ' + t.name + ': ' + t.jumps + ' register jump(s) above its plausibility limit (' + limitW + ' W) held back and then billed (register-glitch)');
      }
    }
    const refusedScheduled = this.topupRows.filter((x) => !x.accepted && x.source === 'scheduled');
    for (const x of refusedScheduled) warnings.push('scheduled top-up of ' + milli(x.amountMilli) + ' to ' + x.account + ' at ' + localStamp(x.time, this.sc.facts.utcOffsetS) + ' refused: ' + x.reason);
    const byTenant = new Map<string, number>();
    for (const x of this.topupRows) if (!x.accepted && x.source === 'tenant') byTenant.set(x.account, (byTenant.get(x.account) || 0) + 1);
    for (const [name, n] of byTenant) warnings.push(name + ': ' + n + ' tenant top-up(s) refused');
    const ledger: LedgerCheck = { consistent: problems.length === 0, notes, problems };
    const vm = this.modem;
    const sms = vm ? { received: this.smsIn.length, read: this.smsIn.filter((m) => m.readAt >= 0).length, sent: vm.sent.length, waiting: vm.waiting, stored: vm.stored } : undefined;
    return {
      name: this.sc.name,
      hours: (this.stepIndex * this.sc.stepSeconds) / 3600,
      readings: this.readings,
      decisions: this.decisions,
      ledgerEntries: this.ledgerEntries,
      accounts,
      totals: totalsOf(accounts),
      ledgerConsistent: ledger.consistent,
      ledger,
      warnings,
      ...(sms ? { sms } : {}),
    };
  }

  // ---- scenario meters and the unit's layout ----

  /** Every scenario meter that the unit still knows and does not read itself sends its register. */
  private poll(): void {
    this.map();
    const u = this.unit;
    for (let m = 0; m < this.loads.length; m++) {
      const um = this.meterIdx[m];
      if (um < 0 || this.meters[m].rig) continue;
      this.readings++;
      this.meters[m].readings++;
      u.handle({ t: 'reading', time: this.now, meter: um, importWh: registerWh(this.impJ[m]), exportWh: registerWh(this.expJ[m]), powerW: this.power[m] });
    }
  }

  /** Re-reads the unit's account and meter numbering when its configuration changed. */
  private map(): void {
    const u = this.unit;
    const token = view.layoutToken(u);
    if (token === this.layout) return;
    this.layout = token;
    const accts = view.accountNames(u);
    this.slotOfAccount = accts.map((name) => this.slot(name));
    const meters = view.meterNames(u);
    this.meterIdx = this.sc.meterNames.map((name) => meters.indexOf(name));
    this.meterSlot = this.meterIdx.map((um) => (um >= 0 ? this.slotOfAccount[view.meterAccount(u, um)] : -1));
    this.scenarioMeterOf = meters.map((name) => this.sc.meterNames.indexOf(name));
    if (this.rig) view.watchCoreEvents(u, (ev) => {
      if (ev.t !== 'reading') return;
      this.readings++;
      const m = this.scenarioMeterOf[ev.meter];
      if (m >= 0) this.meters[m].readings++;
    });
  }

  /** The slot of an account name (a new one for a name not seen before). */
  private slot(name: string): number {
    let s = this.slotByName.get(name);
    if (s !== undefined) return s;
    s = this.names.length;
    this.names.push(name);
    this.slotByName.set(name, s);
    this.acc.push(emptyAccount(name));
    this.supplied.push(false);
    this.offSince.push(this.now);
    this.entrySum.push(0);
    this.openingEnergy.push(0);
    this.openingCharged.push(0);
    this.lastPeriod.push([0, 0, 0, 0, 0]);
    this.lastEnergy.push(0);
    this.today.push(newDay());
    this.tenantPending.push(false);
    if (this.rules.length < this.names.length) {
      this.rules.push(null);
      this.never.push(false);
    }
    if (this.balanceMilli.length) this.balanceMilli.push(this.balanceT.map(() => 0));
    else this.balanceMilli.push([]);
    if (this.unit && this.booted) {
      const a = view.accountIndex(this.unit, name);
      if (a >= 0) {
        this.lastPeriod[s] = view.periodWhOf(this.unit, a);
        this.lastEnergy[s] = view.energyWhOf(this.unit, a);
        this.openingEnergy[s] = this.lastEnergy[s];
        this.openingCharged[s] = view.chargedOf(this.unit, a);
      }
    }
    return s;
  }

  /** State at the start of the run: balances and registers the unit carried over from its
   *  EEPROM; the virtual meters then continue from the registers the unit last billed. */
  private open(): void {
    const u = this.unit;
    for (let s = 0; s < this.names.length; s++) {
      const a = view.accountIndex(u, this.names[s]);
      if (a < 0) continue;
      this.acc[s].openingMilli = view.balanceOf(u, a);
      this.openingEnergy[s] = this.lastEnergy[s] = view.energyWhOf(u, a);
      this.openingCharged[s] = view.chargedOf(u, a);
      this.lastPeriod[s] = view.periodWhOf(u, a);
    }
    for (let m = 0; m < this.meters.length; m++) {
      const um = this.meterIdx[m];
      const last = um >= 0 ? view.lastBilledWh(u, um) : -1;
      if (last < 0) continue;
      const t = this.meters[m];
      t.billedFrom = last;
      t.billedFromExp = view.lastBilledExportWh(u, um);
      const rm = t.rig;
      if (rm && rm.proto === 'pulse') continue; // the unit counts pulses from its own base
      if (rm) {
        if (last > rm.startWh) {
          rm.model.setEnergy(Math.floor(last / 10), rm.model.exportTotalCkwh());
          rm.startWh = last;
        }
      } else if (last > registerWh(this.impJ[m])) this.impJ[m] = last * 3600;
      t.startImpWh = rm ? rm.startWh : registerWh(this.impJ[m]);
    }
  }

  private wireOf(m: number): WireCounts {
    const rm = this.rig ? this.rig.byScenario[m] : null;
    const v = rm ? rm.dlt || rm.modbus : null;
    return v ? v.wire.snapshot() : NO_WIRE;
  }

  /** The meter's import register advance since the start of the run (Wh), through resets. */
  private registeredWh(m: number): number {
    const t = this.meters[m];
    const rm = t.rig;
    if (!rm) return registerWh(this.impJ[m]) - t.startImpWh;
    if (!rm.preResetWh.length) return registerWhOf(rm) - t.startImpWh;
    let sum = rm.preResetWh[0] - t.startImpWh;
    for (let i = 1; i < rm.preResetWh.length; i++) sum += rm.preResetWh[i];
    return sum + registerWhOf(rm);
  }

  private registerNow(m: number): number {
    const rm = this.meters[m].rig;
    return rm ? registerWhOf(rm) : registerWh(this.impJ[m]);
  }

  private exportNow(m: number): number {
    const rm = this.meters[m].rig;
    return rm ? (rm.proto === 'pulse' ? 0 : rm.model.exportTotalCkwh() * 10) : registerWh(this.expJ[m]);
  }

  private accountNameOfMeter(m: number): string {
    const um = this.meterIdx[m];
    if (um >= 0) return this.names[this.slotOfAccount[view.meterAccount(this.unit, um)]];
    const f = this.sc.facts.meters.find((x) => x.name === this.meters[m].name);
    return f ? f.account : '';
  }

  // ---- the modem ----

  /** The modem's faults as the scenario's windows have them now. */
  private modemFaultsNow(vm: VirtualModem): void {
    for (const name of MODEM_FAULT_NAMES) {
      const on = !!this.modemWindow(name);
      if (on === !!this.modemFaults[name]) continue;
      this.modemFaults[name] = on;
      this.modemEvent(name + (on ? ' from now' : ' ends'));
    }
    const f = this.modemFaults;
    vm.faults.noNetwork = f.noNetwork;
    vm.faults.noSim = f.noSim;
    const slow = this.modemWindow('slow');
    vm.faults.replyDelayMs = slow ? slow.ms : noModemFaults().replyDelayMs;
    if (f.hang && vm.powered) vm.faults.hang = true;
  }

  /** Sends the messages now due and waits for the next (one timer at a time: the virtual clock
   *  looks at every timer it holds each time one fires). */
  private nextMessage(): void {
    const start = this.sc.start;
    while (this.messages.length && this.messages[0].at <= start + this.clock.now() / 1000) {
      const m = this.messages.shift()!;
      this.receiveSms(m.from, m.text, m.made, m.account, m.amount);
    }
    if (this.messages.length) this.clock.after((this.messages[0].at - start) * 1000 - this.clock.now(), () => this.nextMessage());
  }

  /** The window of modem fault `name` in force now, if any. */
  private modemWindow(name: string): { ms: number } | undefined {
    const t = this.sc.start + Math.floor(this.clock.now() / 1000);
    return this.sc.modem!.faults.find((w) => w.fault === name && w.from <= t && t < w.to);
  }

  private modemEvent(what: string): void {
    const time = this.sc.start + Math.floor(this.clock.now() / 1000);
    this.modemLog.push({ time, what });
    this.timeline.push({ time, account: '', kind: 'modem', code: what, value: 0 });
  }

  /** The modem's line as the unit gets it. In a hang window the module hangs again each time it is
   *  switched on; in a cmsError window every text submitted fails. Each message the unit reads
   *  (an AT+CMGR answer) it runs before the call that hands it over returns: it is noted then,
   *  with every account as it was just before and just after. */
  private modemLine(vm: VirtualModem): ModemLine {
    const line = virtualModemLine(vm);
    return {
      write: (s) => {
        if (this.modemWindow('cmsError')) vm.faults.cmsError = 500;
        const rd = /^AT\+CMGR=(\d+)/.exec(s);
        if (rd) this.readSlot = +rd[1];
        const del = /^AT\+CMGD=(\d+)/.exec(s);
        const x = del && this.inSlot[+del[1]];
        if (x) {
          delete this.inSlot[+del![1]];
          x.doneAt = this.sc.start + Math.floor(this.clock.now() / 1000);
          x.after = this.accountsNow();
        }
        line.write(s);
      },
      listen: (fn) =>
        line.listen(
          fn &&
            ((s) => {
              // (noted before the unit sees it: it deletes an inquiry's message at once)
              if (s.indexOf('+CMGR: "REC') >= 0) this.reading(s);
              fn(s);
            }),
        ),
      power: (on) => {
        const was = vm.powered;
        line.power(on);
        if (on && this.modemWindow('hang')) vm.faults.hang = true;
        if (vm.powered !== was) this.modemEvent(on ? 'switched on by the unit' : 'switched off by the unit');
      },
      lte: line.lte,
    };
  }

  /** The unit is reading the message of AT+CMGR answer s (an inquiry is answered at once, a
   *  change run after the session: `after` is taken as it deletes the message, done with it). */
  private reading(s: string): void {
    const m = /\+CMGR: "REC (?:UN)?READ","([^"]*)",[^\r\n]*\r\n([\s\S]*?)\r\n\r\nOK\r\n/.exec(s);
    const x = m && this.smsIn.find((i) => i.readAt < 0 && i.from === m[1] && i.text === m[2]);
    if (!x) return;
    x.readAt = this.sc.start + Math.floor(this.clock.now() / 1000);
    x.before = this.accountsNow();
    this.inSlot[this.readSlot] = x;
  }

  private accountsNow(): AccountsNow {
    const u = this.unit;
    const r: AccountsNow = { balance: [], mode: [], supplied: [] };
    for (const name of this.names) {
      const a = view.accountIndex(u, name);
      r.balance.push(a >= 0 ? view.balanceOf(u, a) : 0);
      r.mode.push(a >= 0 ? view.modeOf(u, a) : '');
      r.supplied.push(a >= 0 && view.relayClosed(u, a));
    }
    return r;
  }

  // ---- money ----

  private topup(p: Pending): void {
    const u = this.unit;
    const name = this.names[p.slot];
    if (p.source === 'tenant') this.tenantPending[p.slot] = false;
    const a = view.accountIndex(u, name);
    let reason = 'unknown-account';
    if (a >= 0) {
      reason = '';
      const ds = u.handle({ t: 'topup', time: this.now, account: a, amountMilli: p.amount });
      for (const d of ds) if (d.kind === 'refused') reason = d.code;
    }
    const accepted = reason === '';
    if (!accepted) {
      this.acc[p.slot].refusedTopups++;
      this.today[p.slot].refused++;
      this.timeline.push({ time: this.now, account: name, kind: 'refused', code: reason, value: p.amount });
    }
    this.topupRows.push({ time: this.now, account: name, amountMilli: p.amount, source: p.source, accepted, reason, balanceMilli: a >= 0 ? view.balanceOf(u, a) : 0 });
  }

  /** A tenant reacts to an alarm (with the rule's probability) or a cut (always, unless they
   *  never top up) by their habit: a top-up some hours later. */
  private react(s: number, time: number, cut: boolean): void {
    const rule = this.rules[s];
    if (!rule || this.never[s] || this.tenantPending[s]) return;
    if (!cut && !(this.rnd() < (rule.probability === undefined ? 1 : rule.probability))) return;
    let delayH = rule.delayHours;
    if (rule.delayHoursMax !== undefined) delayH += (rule.delayHoursMax - rule.delayHours) * this.rnd();
    let amount = rule.amount;
    if (rule.amountMax !== undefined) amount += Math.floor(((rule.amountMax - rule.amount) / 1000) * this.rnd()) * 1000;
    const p: Pending = { at: time + Math.round(delayH * 3600), slot: s, amount, source: 'tenant' };
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1].at > p.at) i--;
    this.pending.splice(i, 0, p);
    this.tenantPending[s] = true;
  }

  // ---- what the unit decides and logs ----

  private apply(d: Decision): void {
    this.decisions++;
    const now = this.sc.start + Math.floor(this.clock.now() / 1000);
    if (this.onDecision) this.onDecision(now, d);
    this.map();
    if (d.kind === 'event' && d.meter >= 0) this.meterEvent(d);
    if (d.account < 0) return;
    const s = this.slotOfAccount[d.account];
    const acc = this.acc[s];
    const day = this.today[s];
    if (d.kind === 'ledger') {
      this.ledgerEntries++;
      this.entrySum[s] += d.value;
      if (d.code === 'charge') {
        if (!day.chgCount) day.chgFirst = d.seq;
        day.chgLast = d.seq;
        day.chgCount++;
        day.chgSum += d.value;
        day.chgBalance = d.balance;
        day.chgTime = now;
        day.charged -= d.value;
        return;
      }
      if (d.code === 'topup') {
        acc.topupsMilli += d.value;
        acc.topupCount++;
        day.topups += d.value;
        day.topupCount++;
      }
      const ref = d.ref < 0 ? '' : d.code === 'transfer' ? this.names[this.slotOfAccount[d.ref]] || '' : '#' + d.ref;
      this.ledgerRows.push({ seq: String(d.seq), time: now, account: this.names[s], kind: d.code, entries: 1, amountMilli: d.value, balanceMilli: d.balance, ref });
    } else if (d.kind === 'relay') {
      const closed = d.value === 1;
      if (closed && !this.supplied[s]) {
        if (this.offSince[s] >= 0) this.offFor(s, now);
        this.offSince[s] = -1;
        if (d.code !== 'boot') this.timeline.push({ time: now, account: this.names[s], kind: 'reconnect', code: d.code, value: d.balance });
      }
      if (!closed && this.supplied[s]) {
        this.offSince[s] = now;
        const credit = d.code === 'credit' || d.code === 'friendly-end';
        if (credit) {
          acc.cutoffs++;
          day.cuts++;
        }
        if (d.code !== 'boot') this.timeline.push({ time: now, account: this.names[s], kind: credit ? 'cut' : 'off', code: d.code, value: d.balance });
        const rule = this.rules[s];
        if (credit && rule && rule.onCut) this.react(s, now, true);
      }
      this.supplied[s] = closed;
    } else if (d.kind === 'alarm') {
      acc.alarms++;
      day.alarms++;
      this.timeline.push({ time: now, account: this.names[s], kind: 'alarm', code: 'L' + d.value, value: d.balance });
      const rule = this.rules[s];
      if (rule && rule.onAlarmLevel === d.value) this.react(s, now, false);
    } else if (d.kind === 'event') {
      acc.events++;
      if (d.code === 'overload-trip' || d.code === 'overload-lockout') {
        acc.trips++;
        this.timeline.push({ time: now, account: this.names[s], kind: 'overload', code: d.code, value: d.value });
      }
    }
  }

  /** Register events of a meter: the unit's plausibility checks at work. */
  private meterEvent(d: Decision): void {
    const m = this.scenarioMeterOf[d.meter];
    if (m === undefined || m < 0) return;
    const t = this.meters[m];
    if (d.code === 'baseline') {
      if (t.billedFrom < 0) {
        t.billedFrom = d.value;
        t.billedFromExp = view.lastBilledExportWh(this.unit, d.meter);
      }
      return;
    }
    if (d.code === 'register-jump' || d.code === 'register-backwards') {
      if (d.code === 'register-jump') t.jumps++;
      else t.backwards++;
      t.suspect = true;
    } else if (d.code === 'register-rebased') {
      t.rebasedWh += d.value;
      t.suspect = false;
    } else if (d.code === 'register-glitch') t.suspect = false;
    else return;
    const now = this.sc.start + Math.floor(this.clock.now() / 1000);
    this.timeline.push({ time: now, account: this.accountNameOfMeter(m), kind: 'meter', code: t.name + ' ' + d.code, value: d.value });
  }

  private logged(time: number, account: number, kind: string, text: string): void {
    this.log.push({ time, account, kind, text });
    if (kind !== 'meter' || !this.booted) return;
    // "meter NAME lost" / "meter NAME found": the unit's poller gave up on a meter, or found it again.
    const w = text.split(' ');
    if (w.length !== 3 || w[0] !== 'meter' || (w[2] !== 'lost' && w[2] !== 'found')) return;
    const m = this.sc.meterNames.indexOf(w[1]);
    if (m < 0) return;
    const t = this.meters[m];
    const now = this.sc.start + Math.floor(this.clock.now() / 1000);
    if (w[2] === 'lost' && t.lostSince < 0) t.lostSince = now;
    if (w[2] === 'found' && t.lostSince >= 0) {
      t.lostS += now - Math.max(t.lostSince, this.dayStart);
      t.lostSince = -1;
    }
    this.timeline.push({ time: now, account: this.accountNameOfMeter(m), kind: 'meter', code: t.name + ' ' + w[2], value: 0 });
  }

  // ---- days and samples ----

  /** Minutes without supply up to `now`, counted into the account's day. */
  private offFor(s: number, now: number): void {
    const from = Math.max(this.offSince[s], this.dayStart);
    if (now > from) this.today[s].offS += now - from;
    this.acc[s].minutesOff += (now - this.offSince[s]) / 60;
  }

  /** Closes the local day that ends now (a new one, `next`, begins). */
  private closeDay(next: number): void {
    const u = this.unit;
    const name = dayName(this.day);
    const end = this.now;
    for (let s = 0; s < this.names.length; s++) {
      const t = this.today[s];
      if (this.offSince[s] >= 0) t.offS += end - Math.max(this.offSince[s], this.dayStart);
      const a = view.accountIndex(u, this.names[s]);
      let balance = 0;
      let energy = 0;
      let period = [0, 0, 0, 0, 0];
      if (a >= 0) {
        balance = view.balanceOf(u, a);
        const e = view.energyWhOf(u, a);
        energy = e - this.lastEnergy[s];
        this.lastEnergy[s] = e;
        const p = view.periodWhOf(u, a);
        period = p.map((v, i) => v - this.lastPeriod[s][i]);
        this.lastPeriod[s] = p;
      }
      this.accountDays.push({ day: name, account: this.names[s], energyWh: energy, periodWh: period, chargedMilli: t.charged, topupsMilli: t.topups, topupCount: t.topupCount, refusedTopups: t.refused, balanceMilli: balance, minutesOff: Math.round(t.offS / 60), alarms: t.alarms, cuts: t.cuts });
      if (t.chgCount) {
        this.ledgerRows.push({ seq: t.chgFirst + '-' + t.chgLast, time: t.chgTime, account: this.names[s], kind: 'charges', entries: t.chgCount, amountMilli: t.chgSum, balanceMilli: t.chgBalance, ref: '' });
      }
      this.today[s] = newDay();
    }
    for (let m = 0; m < this.meters.length; m++) {
      const t = this.meters[m];
      const imp = this.registeredWh(m);
      const exp = this.exportNow(m);
      const w = this.wireOf(m);
      if (t.lostSince >= 0) t.lostS += end - Math.max(t.lostSince, this.dayStart);
      this.meterDays.push({
        day: name,
        meter: t.name,
        account: this.accountNameOfMeter(m),
        readings: t.readings,
        importWh: imp - t.dayImpWh,
        exportWh: exp - t.startExpWh - t.dayExpWh,
        requests: w.requests - t.wire.requests,
        retries: w.retries - t.wire.retries,
        goodReplies: w.good - t.wire.good,
        badReplies: w.corrupt - t.wire.corrupt,
        unanswered: w.unanswered - t.wire.unanswered,
        lostMinutes: Math.round(t.lostS / 60),
      });
      t.readings = 0;
      t.dayImpWh = imp;
      t.dayExpWh = exp - t.startExpWh;
      t.wire = w;
      t.lostS = 0;
    }
    this.day = next;
    this.dayStart = end;
  }

  private sample(): void {
    const u = this.unit;
    this.balanceT.push(this.now);
    for (let s = 0; s < this.names.length; s++) {
      const a = view.accountIndex(u, this.names[s]);
      this.balanceMilli[s].push(a >= 0 ? view.balanceOf(u, a) : 0);
    }
  }
}

function newDay(): DayAcc {
  return { charged: 0, topups: 0, topupCount: 0, refused: 0, offS: 0, alarms: 0, cuts: 0, energy: 0, period: [0, 0, 0, 0, 0], chgFirst: 0, chgLast: 0, chgCount: 0, chgSum: 0, chgBalance: 0, chgTime: 0 };
}

function kwh(wh: number): string {
  return milli(wh);
}

/** Runs a scenario to its end. onDecision sees every decision (for traces and tests). */
export function runScenario(sc: Scenario, onDecision?: (time: number, d: Decision) => void, opts: SimulationOptions = {}): RunSummary {
  return new Simulation(sc, () => undefined, onDecision, opts).run();
}
