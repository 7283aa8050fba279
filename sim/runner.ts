// Scenario runner: virtual loads and meters feed the unit (the same composition root as on
// the board) on a virtual clock, as fast as the CPU allows, or paced for a live console.
// The same scenario gives the same summary, byte for byte.
import { Core, Decision } from '../firmware/core';
import { nodeModules } from './modules';
import { startUnit, Unit } from '../firmware/unit';
import { busMetering } from '../firmware/metering/wiring';
import { ok, Result } from '../hal/result';
import { Rtc, RtcTime } from '../hal/rtc';
import { StorageRig } from './storage-rig';
import { Load } from './load-profile';
import { mulberry32, Random } from './prng';
import { Scenario } from './scenario';
import { VirtualClock } from './virtual-clock';
import { BusRig } from './bus-rig';

/** Per-account results of a run. Money in milli-currency, energy in Wh. */
export interface AccountSummary {
  name: string;
  energyWh: number;
  chargedMilli: number;
  topupsMilli: number;
  topupCount: number;
  balanceMilli: number;
  alarms: number;
  cutoffs: number;
  /** Overload trips and lock-outs. */
  trips: number;
  minutesOff: number;
  events: number;
}

/** Result of a run. */
export interface RunSummary {
  name: string;
  hours: number;
  readings: number;
  decisions: number;
  ledgerEntries: number;
  accounts: AccountSummary[];
  /** True when every balance equals the sum of its ledger entries and every meter's energy is billed. */
  ledgerConsistent: boolean;
}

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
}

/** A scenario in progress: step() advances one step of virtual time. */
export class Simulation {
  readonly clock = new VirtualClock();
  readonly unit: Unit;
  /** Supply state per account name, as the unit last switched it. */
  readonly supplied: { [account: string]: boolean } = {};
  now: number;
  stepIndex = 0;
  readonly steps: number;
  private acc: { [account: string]: AccountSummary } = {};
  private order: string[] = [];
  private loads: Load[];
  private joules: number[];
  private power: number[];
  private ledgerSum: { [account: string]: number } = {};
  private offSince: { [account: string]: number } = {};
  private pending: { at: number; account: string; amount: number }[];
  /** Unit meter index of each scenario meter (meters can be added or removed from the console). */
  private meterIdx: number[] = [];
  private mappedCore: Core | null = null;
  private rnd: Random;
  private readings = 0;
  private decisions = 0;
  private ledgerEntries = 0;
  /** Bus scenarios: the virtual meters, buses, pulse inputs and GPIO relays; null otherwise. */
  readonly rig: BusRig | null = null;
  /** Bus scenarios: every event-log entry of the unit (time UTC s, account, kind, text). */
  readonly log: { time: number; account: number; kind: string; text: string }[] = [];
  /** Sum of 'register-rebased' values per scenario meter name (the energy the core could not bill). */
  private rebased: { [meter: string]: number } = {};

  /** The unit's EEPROM and RTC chips (absent when the scenario has `eeprom: false`). */
  readonly storage: StorageRig | null;

  constructor(readonly sc: Scenario, print: (line: string) => void, private onDecision?: (time: number, d: Decision) => void, opts: SimulationOptions = {}) {
    const cfg = sc.config;
    this.now = sc.start;
    this.rnd = mulberry32(sc.seed);
    this.loads = sc.loads.map((spec, i) => new Load(spec, mulberry32(sc.seed * 7919 + i + 1)));
    this.joules = sc.startRegisterWh.map((wh) => wh * 3600);
    this.power = new Array(sc.meterNames.length).fill(0);
    for (const a of cfg.accounts) this.account(a.name);
    this.pending = sc.topups.map((t) => ({ at: t.at, account: cfg.accounts[t.account].name, amount: t.amount }));
    this.steps = Math.round((sc.durationHours * 3600) / sc.stepSeconds);
    this.storage = sc.eeprom === false ? null : new StorageRig({ now: () => this.clock.now(), startEpoch: sc.start, part: sc.eeprom, file: opts.eepromFile });
    if (this.storage && sc.rtc.driftPpm) this.storage.clock.setDrift(sc.rtc.driftPpm);
    const rtc = this.storage ? this.storage.rtc : new ClockRtc(this.clock, sc.start);
    const eeprom = this.storage ? this.storage.eeprom : undefined;
    if (sc.bus) {
      const unitTime = (): number => (rtc.read() as { ok: true; value: RtcTime }).value.epochSeconds;
      const relayOf = (meter: string): number => {
        const cfg = this.unit ? this.unit.core.cfg : sc.config;
        const m = cfg.meters.find((x) => x.name === meter);
        return m ? cfg.accounts[m.account].relay : -1;
      };
      const rig = new BusRig(this.clock, sc, this.loads, unitTime, relayOf);
      this.rig = rig;
      this.unit = startUnit(
        {
          load: nodeModules,
          clock: this.clock,
          print,
          rtc,
          eeprom,
          relays: rig.relays,
          openMeterBus: (o) => rig.openMeterBus(o),
          openPulse: (ch, o) => rig.openPulse(ch, o),
          onLog: (time, account, kind, text) => this.log.push({ time, account, kind, text }),
          // Decisions of the unit's own readings come only this way; the boot's are taken below.
          onDecision: (time, d) => {
            if (this.unit) this.apply([d], time);
          },
        },
        sc.rawConfig,
        { metering: busMetering },
      );
    } else this.unit = startUnit({ load: nodeModules, clock: this.clock, print, rtc, eeprom }, sc.rawConfig);
    // the unit switched every relay at boot: take that state
    this.unit.core.cfg.accounts.forEach((a, i) => {
      this.supplied[a.name] = this.unit.core.relay[i] === 1;
      if (this.supplied[a.name]) this.offSince[a.name] = -1;
    });
    this.poll();
  }

  get core(): Core {
    return this.unit.core;
  }

  /** True when the scenario's duration has been simulated. */
  finished(): boolean {
    return this.stepIndex >= this.steps;
  }

  /** Advances one step: loads draw power through their relays, then top-ups, then a poll or a tick. */
  step(): void {
    const sc = this.sc;
    const offset = sc.config.calendar.utcOffsetS;
    const secOfDay = (((this.now + offset) % 86400) + 86400) % 86400;
    this.map();
    for (let m = 0; m < this.loads.length; m++) {
      if (this.rig && this.rig.byScenario[m]) continue; // its virtual meter integrates the load
      const p = this.loads[m].powerW(secOfDay, sc.stepSeconds);
      const u = this.meterIdx[m];
      this.power[m] = u >= 0 && this.supplied[this.core.cfg.accounts[this.core.cfg.meters[u].account].name] ? p : 0;
      this.joules[m] += this.power[m] * sc.stepSeconds;
    }
    this.stepIndex++;
    this.now += sc.stepSeconds;
    if (this.storage && this.now - sc.stepSeconds < sc.rtc.batteryLostAt && this.now >= sc.rtc.batteryLostAt) this.storage.clock.loseBattery();
    this.clock.advanceTo(this.stepIndex * sc.stepSeconds * 1000);
    while (this.pending.length && this.pending[0].at <= this.now) {
      const t = this.pending.shift()!;
      const a = this.accountIndex(t.account);
      if (a >= 0) this.carry(this.unit.handle({ t: 'topup', time: this.now, account: a, amountMilli: t.amount }));
    }
    if ((this.stepIndex * sc.stepSeconds) % sc.pollSeconds === 0) this.poll();
    else this.carry(this.unit.handle({ t: 'tick', time: this.now }));
  }

  // With a bus every decision arrives through the unit's onDecision; without, from handle().
  private carry(ds: Decision[]): void {
    if (!this.rig) this.apply(ds);
  }

  /** Every scenario meter that the unit still knows sends its register. */
  private poll(): void {
    this.map();
    for (let m = 0; m < this.loads.length; m++) {
      if (this.meterIdx[m] < 0 || (this.rig && this.rig.byScenario[m])) continue;
      this.readings++;
      this.carry(this.unit.handle({ t: 'reading', time: this.now, meter: this.meterIdx[m], importWh: registerWh(this.joules[m]), exportWh: 0, powerW: this.power[m] }));
    }
  }

  private map(): void {
    const core = this.unit.core;
    if (core === this.mappedCore) return;
    this.mappedCore = core;
    this.meterIdx = this.sc.meterNames.map((name) => core.cfg.meters.findIndex((x) => x.name === name));
  }

  private accountIndex(name: string): number {
    return this.unit.core.cfg.accounts.findIndex((a) => a.name === name);
  }

  private account(name: string): AccountSummary {
    if (!this.acc[name]) {
      this.acc[name] = { name, energyWh: 0, chargedMilli: 0, topupsMilli: 0, topupCount: 0, balanceMilli: 0, alarms: 0, cutoffs: 0, trips: 0, minutesOff: 0, events: 0 };
      this.order.push(name);
      this.ledgerSum[name] = 0;
      this.offSince[name] = this.now;
      this.supplied[name] = false;
    }
    return this.acc[name];
  }

  /** Runs to the end and returns the summary. */
  run(): RunSummary {
    while (!this.finished()) this.step();
    if (this.storage) {
      this.unit.flush(); // the readings of the last poll cycle, as a planned stop would
      this.storage.save();
    }
    return this.summary();
  }

  /** The per-account summary so far (accounts of the scenario, then any opened since). */
  summary(): RunSummary {
    const core = this.unit.core;
    let consistent = true;
    const accounts: AccountSummary[] = [];
    for (const name of this.order) {
      const s = { ...this.acc[name] };
      if (this.offSince[name] >= 0) s.minutesOff += (this.now - this.offSince[name]) / 60;
      const a = this.accountIndex(name);
      if (a >= 0) {
        s.energyWh = core.energyWh[a];
        s.chargedMilli = core.chargedMilli[a];
        s.balanceMilli = core.balance[a];
        if (this.ledgerSum[name] !== core.balance[a]) consistent = false;
        // Every Wh the scenario's meters registered since the start was billed to their account.
        let billed = 0;
        this.sc.meterNames.forEach((meter, i) => {
          const u = this.meterIdx[i];
          const rm = this.rig ? this.rig.byScenario[i] : null;
          // A wired meter's billed energy: its register advance since its start, less what a register reset made unknown.
          if (u >= 0 && core.cfg.meters[u].account === a) billed += core.lastImp[u] - (rm ? rm.startWh + (this.rebased[meter] || 0) : registerWh(this.sc.startRegisterWh[i] * 3600));
        });
        if (billed !== core.energyWh[a]) consistent = false;
      }
      accounts.push(s);
    }
    return { name: this.sc.name, hours: (this.stepIndex * this.sc.stepSeconds) / 3600, readings: this.readings, decisions: this.decisions, ledgerEntries: this.ledgerEntries, accounts, ledgerConsistent: consistent };
  }

  private apply(ds: Decision[], now = this.now): void {
    const cfg = this.unit.core.cfg;
    for (const d of ds) {
      this.decisions++;
      if (this.onDecision) this.onDecision(now, d);
      if (d.kind === 'event' && d.code === 'register-rebased' && d.meter >= 0) {
        const meter = cfg.meters[d.meter].name;
        this.rebased[meter] = (this.rebased[meter] || 0) + d.value;
      }
      if (d.account < 0) continue;
      const name = cfg.accounts[d.account].name;
      const acc = this.account(name);
      if (d.kind === 'ledger') {
        this.ledgerEntries++;
        this.ledgerSum[name] += d.value;
        if (d.code === 'topup') {
          acc.topupsMilli += d.value;
          acc.topupCount++;
        }
      } else if (d.kind === 'relay') {
        const closed = d.value === 1;
        if (closed && !this.supplied[name] && this.offSince[name] >= 0) {
          acc.minutesOff += (now - this.offSince[name]) / 60;
          this.offSince[name] = -1;
        }
        if (!closed && this.supplied[name]) {
          this.offSince[name] = now;
          if (d.code === 'credit' || d.code === 'friendly-end') acc.cutoffs++;
        }
        this.supplied[name] = closed;
      } else if (d.kind === 'alarm') {
        acc.alarms++;
        const si = this.sc.config.accounts.findIndex((a) => a.name === name);
        const rule = si >= 0 ? this.sc.tenants[si] : null;
        if (rule && rule.onAlarmLevel === d.value && this.rnd() < (rule.probability === undefined ? 1 : rule.probability)) {
          this.pending.push({ at: now + Math.round(rule.delayHours * 3600), account: name, amount: rule.amount });
          this.pending.sort((x, y) => x.at - y.at);
        }
      } else if (d.kind === 'event') {
        acc.events++;
        if (d.code === 'overload-trip' || d.code === 'overload-lockout') acc.trips++;
      }
    }
  }
}

/** Runs a scenario to its end. onDecision sees every decision (for traces and tests). */
export function runScenario(sc: Scenario, onDecision?: (time: number, d: Decision) => void, opts: SimulationOptions = {}): RunSummary {
  return new Simulation(sc, () => undefined, onDecision, opts).run();
}
