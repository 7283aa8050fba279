// Composition root: the only place that knows all the parts. It parses the configuration,
// builds the billing core, carries the core's decisions to the relays and the log, and
// serves the technician console. Meters with a `proto` are read here: bus meters through one
// MeterBus and poller per line setting, pulse meters through the pulse counters; readings go
// to the core, the core's relay decisions for accounts without a GPIO relay go to the meters'
// own relays. With an EEPROM, every change is committed before the unit acts on it, and boot
// restores the committed configuration and state (storage/unit-storage.ts).
import { Clock } from '../hal/clock';
import { Eeprom } from '../hal/eeprom';
import { PulseInput, PulseInputOptions } from '../hal/pulse';
import { RelayOutput } from '../hal/relay';
import { Rtc } from '../hal/rtc';
import { LineSettings, SerialOptions, SerialPort } from '../hal/serial';
import { Core, CoreConfig, CoreEvent, Decision, formatDecision, reconfigure } from './core';
import { parseConfig } from './config';
import { Answer, Shell, roleNames, done } from './console/shell';
import { ConsoleHost, LogFilter, makeCommands, RawConfig, stamp } from './console/commands';
import { changed, fail } from './console/shell';
import { formatMoney, freezeLine } from './console/words';
import { UnitStorage } from './storage/unit-storage';
import { dayOf } from './billing/tariff';
import { enterToken, freshTokenState, parseToken, TokenState } from './tokens/openpaygo';
// Last: a build without the metering part tree-shakes these, and keeps the others' module order.
import { MeterBus, PROTO_DLT645, PROTO_MODBUS } from './metering/bus';
import * as dlt from './metering/dlt645';
import { ModbusProfile, builtinProfile, offsetIn, planReads } from './metering/meter-profiles';
import { readRequest as mbRead, value as mbValue } from './metering/modbus';
import { BusMeter, Poller, Reading } from './metering/poller';
import { PulseCounters } from './metering/pulse';
import { RelayControl } from './metering/relay-control';

/** Everything the unit needs from the hardware; optional parts may be absent on a bench. */
export interface UnitHal {
  clock: Clock;
  /** One line of text to the technician console / log. */
  print: (line: string) => void;
  rtc?: Rtc;
  /** Non-volatile memory for configuration, state, event log and freeze records. */
  eeprom?: Eeprom;
  /** GPIO relays by channel (an account's `relay`); other accounts are switched by their meters' relays. */
  relays?: RelayOutput[];
  /** Restarts the board (absent in tests: the unit just says so). */
  reboot?: () => void;
  /** Extra status lines from the platform (free memory, ...). */
  platformStatus?: () => string[];
  /** Variables free on the interpreter's heap (after a collection), where it is bounded. */
  freeVars?: () => number;
  /** Opens the RS485 meter bus with these line settings (once per line setting the meters use). */
  openMeterBus?: (opts: SerialOptions) => SerialPort;
  /** Opens pulse input `channel` (a pulse meter's `addr`), or null when the board has none. */
  openPulse?: (channel: number, opts: PulseInputOptions) => PulseInput | null;
  /** Sees every event-log entry as it is made (storage journal, simulator reports). */
  onLog?: (time: number, account: number, kind: string, text: string) => void;
  /** Sees every decision the unit carries out, also those of its own meter readings. */
  onDecision?: (time: number, d: Decision) => void;
}

/** Optional parts plugged in by the platform. */
export interface UnitParts {
  token?: (account: number, digits: string, unit: Unit) => Answer;
  /** Reads the meters that have a `proto` (busMetering), with hal.openMeterBus / hal.openPulse. */
  metering?: (h: MeteringHost) => Metering;
}

/** A running unit. */
export interface Unit {
  core: Core;
  shell: Shell;
  /** Feeds one event to the core and carries out its decisions. */
  handle(ev: CoreEvent): Decision[];
  /** UTC seconds now (RTC, or set from the console, or seconds since boot). */
  time(): number;
  /** One-line summary, begins with "STATUS ". */
  statusLine(): string;
  /** Characters typed on the technician console. */
  input(text: string): void;
  /** Appends to the event log. */
  log(account: number, kind: string, text: string): void;
  /** Commits the readings still waiting for their poll cycle (before a planned stop). */
  flush(): void;
}

const EMPTY_RAW: RawConfig = { plans: { flat: { price: 0 } }, accounts: [], meters: [] };
const EMPTY: CoreConfig = { calendar: { utcOffsetS: 0, weekendMask: 65, holidays: [], billingDay: 1 }, plans: [], accounts: [], meters: [] };

/** An account's OpenPAYGO identity from its `token` config: 32 hex digits of key, the starting code,
 *  and milli-currency per token value unit (default 1000: one currency unit). */
function tokenSecret(o: unknown): { key: Uint8Array; startingCode: number; unit: number } | null {
  if (!o || typeof o !== 'object') return null;
  const t = o as { key?: unknown; start?: unknown; unit?: unknown };
  if (typeof t.key !== 'string' || t.key.length !== 32 || typeof t.start !== 'number') return null;
  const key = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const b = parseInt(t.key.substr(i * 2, 2), 16);
    if (!(b >= 0)) return null;
    key[i] = b;
  }
  return { key: key, startingCode: t.start, unit: typeof t.unit === 'number' ? t.unit : 1000 };
}

/** Factory PINs by role. A function: on the board its text stays in flash until asked for. */
function defaultPins(): string[] {
  return ' 1111 2222 3333'.split(' ');
}

interface LogEntry {
  time: number;
  account: number;
  kind: string;
  text: string;
}

const RAM_LOG = 48;
/** Readings that only charged wait this long to be committed with the rest of their poll cycle. */
const FLUSH_MS = 10000;

/** The meters on one line setting: their bus, poller and relays, by core meter index. */
interface BusGroup {
  line: LineSettings;
  meters: BusMeter[];
  core: number[];
  bus: MeterBus;
  poller: Poller;
  relays: RelayControl;
  /** Relay alarm raised and not yet cleared, per meter of the group. */
  alarmed: Uint8Array;
  dead: boolean;
}

// DL/T 645-2007 meters ship at 2400 8E1, Modbus meters are set to 9600 8N1 (`bus` in the config overrides).
const DLT_LINE: LineSettings = { baud: 2400, dataBits: 8, parity: 'even', stopBits: 1 };
const MODBUS_LINE: LineSettings = { baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 };

/** A bus meter from a configured meter's addr and profile (a built-in name), or what is wrong. */
function busMeter(dl: boolean, addr: string, profile: unknown): BusMeter | string {
  if (dl) {
    const a = dlt.parseAddress(addr);
    return a.ok ? { proto: PROTO_DLT645, addr: a.value, id: 0, profile: null } : 'address ' + a.detail;
  }
  const id = parseInt(addr, 10);
  if (!(id >= 1 && id <= 247)) return 'Modbus id must be 1..247';
  const p = builtinProfile(typeof profile === 'string' ? profile : 'sdm120');
  return p ? { proto: PROTO_MODBUS, addr: null, id: id, profile: p } : 'unknown profile (sdm120, sdm230, dds238)';
}

function lineOf(o: any, d: LineSettings): LineSettings {
  if (!o || typeof o !== 'object') return d;
  return {
    baud: o.baud > 0 ? o.baud : d.baud,
    dataBits: d.dataBits,
    parity: o.parity === 'none' || o.parity === 'even' || o.parity === 'odd' ? o.parity : d.parity,
    stopBits: o.stopBits === 2 ? 2 : d.stopBits,
  };
}

/** What the meter wiring needs from the unit. */
export interface MeteringHost {
  hal: UnitHal;
  core: () => Core;
  raw: () => RawConfig;
  handle: (ev: CoreEvent) => Decision[];
  time: () => number;
  log: (account: number, kind: string, text: string) => void;
}

/** The unit's meters: bus meters polled, pulse inputs counted, meter relays switched. */
export interface Metering {
  /** (Re)builds everything from the configuration's meters. */
  build(): void;
  /** Sends the counted pulse registers to the core as readings. */
  emitPulses(): void;
  /** Switches the relays of account a's bus meters. */
  relays(a: number, closed: boolean): void;
  /** `meter read`: reads meter m now, bills the reading and answers. */
  read(m: number, cb: (a: Answer) => void): void;
}

// Heap a configuration change takes at its peak: the new configuration and core beside the
// old, and the storage commit of every account. Measured on the Espruino interpreter (2v29, a
// change of one account's limit): 4 accounts and 4 meters 824 variables, 12 and 4 1,248,
// 20 and 4 1,672, 4 and 16 1,118; about 500 + 53 per account + 25 per meter, and about 400
// more per RS485 line in use (its bus, poller and relay control). With a tenth to spare:
const APPLY_VARS = 550;
const ACCOUNT_VARS = 60;
const METER_VARS = 30;
const BUS_LINE_VARS = 440;

/** Variables a change to configuration `next` needs free. */
export function applyVars(next: RawConfig, metering: boolean): number {
  let dl = 0;
  let mb = 0;
  if (metering) {
    for (let i = 0; i < next.meters.length; i++) {
      if (next.meters[i].proto === 'dlt645') dl = 1;
      if (next.meters[i].proto === 'modbus') mb = 1;
    }
  }
  return APPLY_VARS + ACCOUNT_VARS * next.accounts.length + METER_VARS * next.meters.length + BUS_LINE_VARS * (dl + mb);
}

/** Meters with a `proto` read over the RS485 bus (one MeterBus and Poller per line setting) and
 *  pulse inputs; a part the platform plugs in (UnitParts.metering), so a build without it
 *  carries none of the metering code. */
export function busMetering(h: MeteringHost): Metering {
  const hal = h.hal;
  const log = h.log;
  const time = h.time;
  let core = h.core();
  let raw = h.raw();
  const host = { handle: h.handle };
  let groups: BusGroup[] = [];
  let pulses: PulseCounters | null = null;
  /** Core meter index, register at boot or rebuild (Wh) and input, per pulse counter. */
  let pulseCore: number[] = [];
  let pulseBase: number[] = [];
  let inputs: (PulseInput | null)[] = [];
  let meterTimer = -1;

  function meterName(m: number): string {
    return 'meter ' + core.cfg.meters[m].name;
  }

  function reading(m: number, imp: number, exp: number, powerW: number | undefined): void {
    host.handle({ t: 'reading', time: time(), meter: m, importWh: imp, exportWh: exp, powerW: powerW });
  }

  function emitPulses(): void {
    if (!pulses) return;
    core = h.core();
    for (let i = 0; i < pulseCore.length; i++) reading(pulseCore[i], pulseBase[i] + pulses.wh[i], 0, undefined);
  }

  function meterRelays(a: number, closed: boolean): void {
    core = h.core();
    for (let g = 0; g < groups.length; g++) {
      const gr = groups[g];
      for (let k = 0; k < gr.core.length; k++) {
        const me = gr.meters[k];
        if (core.cfg.meters[gr.core[k]].account === a && (me.proto === PROTO_DLT645 || (me.profile as ModbusProfile).relayReg >= 0)) gr.relays.set(k, closed);
      }
    }
  }

  function stopMetering(): void {
    for (let g = 0; g < groups.length; g++) {
      groups[g].dead = true;
      groups[g].poller.stop();
      groups[g].relays.stop();
      groups[g].bus.close();
    }
    for (let i = 0; i < inputs.length; i++) if (inputs[i]) (inputs[i] as PulseInput).close();
    if (meterTimer >= 0) hal.clock.cancel(meterTimer);
    groups = [];
    inputs = [];
    pulses = null;
    meterTimer = -1;
  }

  function makeGroup(line: LineSettings, meters: BusMeter[], cm: number[], pollMs: number): BusGroup {
    const g = { line: line, meters: meters, core: cm, alarmed: new Uint8Array(meters.length), dead: false } as BusGroup;
    const targets = [];
    for (let k = 0; k < meters.length; k++) targets.push({ meter: k, gpio: null });
    g.bus = new MeterBus({ clock: hal.clock, open: hal.openMeterBus as (o: SerialOptions) => SerialPort, line: line, meters: meters.length });
    g.poller = new Poller({
      bus: g.bus,
      clock: hal.clock,
      meters: meters,
      intervalMs: pollMs,
      onReading: function (r: Reading) {
        if (!g.dead) reading(cm[r.meterIndex], r.importWh, r.exportWh, r.powerW);
      },
      onEvent: function (kind: string, k: number) {
        if (g.dead) return;
        const m = cm[k];
        log(kind === 'overrun' ? -1 : core.cfg.meters[m].account, 'meter', kind === 'overrun' ? 'poll cycle overran its interval' : meterName(m) + ' ' + kind);
      },
    });
    g.relays = new RelayControl({
      bus: g.bus,
      clock: hal.clock,
      meters: meters,
      targets: targets,
      timeS: function () {
        return time() + core.cfg.calendar.utcOffsetS;
      },
      onEvent: function (kind: string, k: number, detail: string) {
        if (g.dead) return;
        const m = cm[k];
        const a = core.cfg.meters[m].account;
        if (kind === 'relay') {
          g.alarmed[k] = 0;
          log(a, 'relay', meterName(m) + ' relay ' + detail + ' (read back)');
        } else if (!g.alarmed[k]) {
          g.alarmed[k] = 1;
          log(a, 'relay-alarm', meterName(m) + ' relay did not obey: ' + detail);
        }
      },
    });
    return g;
  }

  function pulseFn(i: number): (t: number) => void {
    return function (t: number) {
      if (pulses) pulses.pulse(i, t);
    };
  }

  /** (Re)builds the bus groups and pulse counters from the meters' proto / addr / profile / impPerKwh. */
  function buildMetering(): void {
    stopMetering();
    core = h.core();
    raw = h.raw();
    const rb = (raw.bus || {}) as { pollSeconds?: number; dlt645?: unknown; modbus?: unknown };
    const pollMs = (rb.pollSeconds && rb.pollSeconds > 0 ? rb.pollSeconds : 60) * 1000;
    const lines: LineSettings[] = [];
    const lm: BusMeter[][] = [];
    const lc: number[][] = [];
    const imp: number[] = [];
    const maxW: number[] = [];
    const chans: number[] = [];
    pulseCore = [];
    pulseBase = [];
    for (let m = 0; m < raw.meters.length && m < core.cfg.meters.length; m++) {
      const r = raw.meters[m];
      const addr = r.addr === undefined ? '' : String(r.addr);
      if (r.proto === 'pulse') {
        if (!hal.openPulse) continue;
        pulseCore.push(m);
        pulseBase.push(core.has[m] ? core.lastImp[m] : 0);
        imp.push(typeof r.impPerKwh === 'number' ? r.impPerKwh : 1000);
        maxW.push(core.cfg.meters[m].maxPowerW);
        chans.push(addr ? parseInt(addr, 10) : chans.length);
        continue;
      }
      if ((r.proto !== 'dlt645' && r.proto !== 'modbus') || !hal.openMeterBus) continue;
      const dl = r.proto === 'dlt645';
      const p = busMeter(dl, addr, r.profile);
      if (typeof p === 'string') {
        log(core.cfg.meters[m].account, 'meter', meterName(m) + ' not polled: ' + p);
        continue;
      }
      const line = dl ? lineOf(rb.dlt645, DLT_LINE) : lineOf(rb.modbus, MODBUS_LINE);
      let g = 0;
      while (g < lines.length && !(lines[g].baud === line.baud && lines[g].parity === line.parity && lines[g].stopBits === line.stopBits)) g++;
      if (g === lines.length) {
        lines.push(line);
        lm.push([]);
        lc.push([]);
      }
      lm[g].push(p);
      lc[g].push(m);
    }
    for (let g = 0; g < lines.length; g++) groups.push(makeGroup(lines[g], lm[g], lc[g], pollMs));
    if (pulseCore.length) {
      pulses = new PulseCounters({ impPerKwh: imp, maxPowerW: maxW });
      for (let i = 0; i < chans.length; i++) inputs.push((hal.openPulse as any)(chans[i], { debounceMs: 20, onPulse: pulseFn(i) }));
    }
    if (!groups.length && !pulses) return;
    for (let g = 0; g < groups.length; g++) groups[g].poller.start();
    // Pulse meters report on the poll interval; relays that raised an alarm are tried again.
    meterTimer = hal.clock.every(pollMs, function () {
      emitPulses();
      for (let g = 0; g < groups.length; g++) {
        const rc = groups[g].relays;
        for (let k = 0; k < rc.want.length; k++) if (groups[g].alarmed[k] && rc.want[k] >= 0 && rc.state[k] !== rc.want[k]) rc.set(k, rc.want[k] === 1);
      }
    });
  }

  /** `meter read`: reads meter m's energy registers now and bills the reading. */
  function readMeter(m: number, cb: (a: Answer) => void): void {
    core = h.core();
    const answer = function (imp: number, exp: number): void {
      reading(m, imp, exp, undefined);
      cb(done([meterName(m) + ' import ' + formatMoney(imp) + ' kWh, export ' + formatMoney(exp) + ' kWh'], { meter: core.cfg.meters[m].name, importWh: imp, exportWh: exp }));
    };
    const pi = pulseCore.indexOf(m);
    if (pi >= 0 && pulses) return answer(pulseBase[pi] + pulses.wh[pi], 0);
    let gr: BusGroup | null = null;
    let k = -1;
    for (let g = 0; g < groups.length && k < 0; g++) {
      k = groups[g].core.indexOf(m);
      gr = groups[g];
    }
    if (k < 0 || !gr) return cb(fail(hal.openMeterBus || hal.openPulse ? meterName(m) + ' has no bus or pulse input (set its proto and addr)' : 'no meter bus on this unit'));
    const g = gr;
    const me = g.meters[k];
    const dl = me.proto === PROTO_DLT645;
    const p = me.profile as ModbusProfile;
    const steps: number[][] = dl ? [[dlt.DI_IMPORT], [dlt.DI_EXPORT]] : planReads([p.importWh, p.exportWh]);
    const v = [0, 0];
    let i = 0;
    const next = function (): void {
      if (i >= steps.length) return answer(v[0], v[1]);
      const s = steps[i];
      const sent = dl ? g.bus.readDlt(k, me.addr as Uint8Array, s[0], 4, reply) : g.bus.request(k, PROTO_MODBUS, mbRead(me.id, s[0], s[1], s[2]), 5 + 2 * s[2], reply, 0);
      if (!sent) cb(fail(meterName(m) + ' is resting after failed polls; try again in a minute'));
    };
    const reply = function (err: string | null, r: any): void {
      const s = steps[i];
      if (err && !(dl && i === 1 && err === 'no-data')) return cb(fail(meterName(m) + ' did not answer: ' + err));
      if (dl && !err) {
        const d = dlt.decode(s[0], r);
        if (!d.ok) return cb(fail(meterName(m) + ' sent ' + d.error));
        v[i] = d.value[0];
      }
      if (!dl) {
        const fs = [p.importWh, p.exportWh];
        for (let j = 0; j < 2; j++) {
          const at = offsetIn(fs[j], s);
          if (at >= 0) v[j] = mbValue(r, at, (fs[j] as any).type, (fs[j] as any).mul, (fs[j] as any).div);
        }
      }
      i++;
      next();
    };
    next();
  }
  return { build: buildMetering, emitPulses: emitPulses, relays: meterRelays, read: readMeter };
}

/** Boots the unit from a configuration object (parsed and validated here). */
export function startUnit(hal: UnitHal, config: unknown, parts?: UnitParts): Unit {
  const storage = hal.eeprom ? new UnitStorage(hal.eeprom) : null;
  const boot = storage ? storage.boot() : null;
  const report: string[] = boot ? boot.report.slice() : [];
  let raw: RawConfig = config as RawConfig;
  if (boot && boot.configText !== null) {
    try {
      raw = JSON.parse(boot.configText);
    } catch (e) {
      report.push('saved configuration is not JSON: factory configuration used');
    }
  }
  let parsed = parseConfig(raw);
  if (!parsed.ok) {
    hal.print('ERROR config: ' + parsed.error + ' - starting with no accounts');
    raw = EMPTY_RAW;
    parsed = parseConfig(raw);
  }
  let core = new Core(parsed.ok ? parsed.value : EMPTY);
  let timeValid = false;
  let timeBase = 0; // UTC seconds at clock 0 when there is no RTC
  const logRing: LogEntry[] = [];
  let metering: Metering | null = null;
  /** Token state per account name, committed with the credit it grants. */
  const tokenStates: { [account: string]: TokenState } = {};
  /** Accounts whose last commit failed, saved with the next one. */
  let unsaved: number[] = [];
  let unitUnsaved = false;
  let flushTimer = -1;
  let storageError = '';
  // Money entries a cut kept from the event log: found before anything is logged at this boot.
  let lost: string[] = [];
  if (storage && boot) {
    const restored = storage.restore(core, tokenStates);
    lost = storage.unlogged();
    for (let i = 0; i < restored.length; i++) report.push(restored[i]);
    if (boot.configText === null || boot.formatted || storage.store.configGen === 0) {
      if (!storage.config(JSON.stringify(raw), core, [])) report.push('could not save the configuration: ' + storage.error);
    }
    const mig = storage.migrate(core, tokenStates);
    if (mig) report.push(mig);
  }

  /** Commits the accounts the decisions touched (and `also`), with the unit record when the
   *  correctable ledger changed. A reading that only charged is committed with the others of
   *  its poll cycle, FLUSH_MS later: billing runs on cumulative registers, so a cut before
   *  that bills the same energy again from the committed register, nothing twice or lost.
   *  Anything else (money, modes, alarms, relays) is committed before the unit acts on it.
   *  A failed commit is retried with the next one. */
  function persist(ds: Decision[], also: number, reading?: boolean): void {
    if (!storage) return;
    const list: number[] = [];
    let unitRec = unitUnsaved;
    let urgent = !reading;
    const add = function (a: number): void {
      if (a >= 0 && a < core.cfg.accounts.length && list.indexOf(a) < 0) list.push(a);
    };
    add(also);
    let said = '';
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      add(d.account);
      if (d.kind !== 'ledger' || d.code !== 'charge') urgent = true;
      if (d.kind === 'ledger' && d.code !== 'charge') {
        unitRec = true;
        said += (said ? '\n' : '') + formatDecision(d);
      }
    }
    if (!urgent) {
      for (let i = 0; i < list.length; i++) if (unsaved.indexOf(list[i]) < 0) unsaved.push(list[i]);
      if (flushTimer < 0 && unsaved.length) flushTimer = hal.clock.after(FLUSH_MS, flush);
      return;
    }
    // The waiting readings first, then this event's accounts together in one batch.
    const older: number[] = [];
    for (let i = 0; i < unsaved.length; i++) if (list.indexOf(unsaved[i]) < 0) older.push(unsaved[i]);
    let okSave = true;
    for (let i = 0; i < older.length && okSave; i += 8) okSave = storage.save(core, older.slice(i, i + 8), false, tokenStates);
    if (okSave && (list.length || unitRec)) okSave = storage.save(core, list, unitRec, tokenStates, said);
    if (okSave) unsaved = [];
    else for (let i = 0; i < list.length; i++) if (unsaved.indexOf(list[i]) < 0) unsaved.push(list[i]);
    unitUnsaved = !okSave && unitRec;
    storageProblem();
  }

  /** Commits the readings waiting for the end of their poll cycle. */
  function flush(): void {
    if (flushTimer >= 0) hal.clock.cancel(flushTimer);
    flushTimer = -1;
    if (unsaved.length || unitUnsaved) persist([], -1);
  }

  function storageProblem(): void {
    const e = storage ? storage.error : '';
    if (e !== storageError) {
      storageError = e;
      if (e) hal.print('STORAGE ' + e + ' - kept in RAM, retried with the next change');
    }
  }

  /** Freeze records at the first event of a new local day (before it is billed). */
  function freezeDue(t: number): void {
    if (!storage || !timeValid) return;
    const lines = storage.freeze(core, dayOf(t + core.cfg.calendar.utcOffsetS));
    for (let i = 0; i < lines.length; i++) log(-1, 'freeze', lines[i]);
  }

  function time(): number {
    if (hal.rtc) {
      const r = hal.rtc.read();
      if (r.ok) {
        timeValid = r.value.valid;
        return r.value.epochSeconds;
      }
    }
    timeValid = timeBase > 0;
    return timeBase + Math.floor(hal.clock.now() / 1000);
  }

  function log(account: number, kind: string, text: string): void {
    const t = time();
    if (storage && !storage.store.readOnly) {
      storage.event(t, account >= 0 && account < core.cfg.accounts.length ? core.cfg.accounts[account].name : '', kind, text);
      storageProblem();
    } else {
      if (logRing.length >= RAM_LOG) logRing.shift();
      logRing.push({ time: t, account: account, kind: kind, text: text });
    }
    if (hal.onLog) hal.onLog(t, account, kind, text);
  }

  function carry(ds: Decision[]): Decision[] {
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      if (hal.onDecision) hal.onDecision(time(), d);
      if (d.kind === 'relay') {
        const ch = core.cfg.accounts[d.account].relay;
        if (ch >= 0) {
          if (hal.relays && hal.relays[ch]) hal.relays[ch].set(d.value === 1);
        } else if (metering) metering.relays(d.account, d.value === 1);
      }
      if (d.kind !== 'ledger' || d.code !== 'charge') log(d.account, d.kind === 'ledger' ? d.code : d.kind, formatDecision(d));
    }
    return ds;
  }

  function persisted(ds: Decision[]): Decision[] {
    persist(ds, -1);
    return ds;
  }

  function pins(): string[] {
    const c = raw.console as { pins?: { [role: string]: string } } | undefined;
    const out = defaultPins();
    const names = roleNames();
    if (c && c.pins) for (let r = 1; r < 4; r++) if (typeof c.pins[names[r]] === 'string') out[r] = c.pins[names[r]];
    return out;
  }

  const host: ConsoleHost = {
    core: function () {
      return core;
    },
    raw: function () {
      return raw;
    },
    freeVars: hal.freeVars,
    apply: function (next: RawConfig) {
      // A change needs room for the new configuration beside the old one: refused, not half
      // done, when the heap lacks it (running out in the middle would leave the unit torn).
      if (hal.freeVars) {
        const need = applyVars(next, !!metering);
        const free = hal.freeVars();
        if (free < need) return 'not applied: too little memory for this configuration (needs about ' + need + ' variables, ' + free + ' free)';
      }
      const p = parseConfig(next);
      if (!p.ok) return p.error;
      if (metering) metering.emitPulses(); // counted pulses are billed under the meter map they were counted in
      flush(); // account numbers change below
      const old = core;
      const nextCore = reconfigure(core, p.value);
      if (storage) {
        const gone: string[] = [];
        for (let a = 0; a < old.cfg.accounts.length; a++) {
          let kept = false;
          for (let b = 0; b < p.value.accounts.length; b++) if (p.value.accounts[b].name === old.cfg.accounts[a].name) kept = true;
          if (!kept) gone.push(old.cfg.accounts[a].name);
        }
        if (!storage.config(JSON.stringify(next), nextCore, gone)) {
          storageProblem();
          return 'not applied: ' + storage.error;
        }
      }
      core = nextCore;
      unit.core = core;
      raw = next;
      if (metering) metering.build();
      carry(persisted(core.start(time())));
      if (metering) metering.emitPulses();
      return null;
    },
    handle: function (ev: CoreEvent) {
      time();
      if (timeValid !== core.timeValid) carry(core.handle({ t: 'clock', time: ev.time, valid: timeValid }));
      freezeDue(ev.time);
      let also = -1;
      if (ev.t === 'reading' && ev.meter >= 0 && ev.meter < core.cfg.meters.length) {
        const m = ev.meter;
        // A reading that moved no register changes only the time of the last reading: not worth a write.
        if (!core.has[m] || core.lastImp[m] !== ev.importWh || core.lastExp[m] !== ev.exportWh || core.susp[m]) also = core.cfg.meters[m].account;
      }
      const ds = core.handle(ev);
      persist(ds, also, ev.t === 'reading');
      return carry(ds);
    },
    time: time,
    timeValid: function () {
      time();
      return timeValid;
    },
    setTime: function (s: number) {
      if (hal.rtc) {
        const r = hal.rtc.set(s);
        if (!r.ok) return 'the clock chip did not take the time: ' + r.error;
      } else timeBase = s - Math.floor(hal.clock.now() / 1000);
      log(-1, 'time', 'time set');
      return null;
    },
    status: function () {
      const p = pins();
      const lines = hal.platformStatus ? hal.platformStatus() : [];
      if (p[3] === defaultPins()[3]) lines.push('WARNING  factory technician PIN in use: set console.pins');
      if (storage) {
        const st = storage.store;
        lines.push('STORAGE  ' + (st.readOnly ? 'NOT WRITTEN (see the boot report): state is lost at power-off' : storageError ? 'ERROR ' + storageError : 'ok') + ' journal seq ' + st.journal.seq + ' events ' + st.events.seq + ' config gen ' + st.configGen);
      } else lines.push('STORAGE  none: state is lost at power-off');
      return lines;
    },
    events: function (f: LogFilter, max: number) {
      const off = core.cfg.calendar.utcOffsetS;
      if (storage && !storage.store.readOnly) {
        return storage.events({ account: f.account >= 0 ? core.cfg.accounts[f.account].name : '', kind: f.kind, from: f.from, to: f.to }, max, function (t: number, a: string, k: string, x: string) {
          return stamp(t, off) + ' ' + x;
        });
      }
      const out: string[] = [];
      for (let i = logRing.length - 1; i >= 0 && out.length < max; i--) {
        const e = logRing[i];
        if (f.account >= 0 && e.account !== f.account) continue;
        if (f.kind && e.kind !== f.kind) continue;
        if (e.time < f.from || e.time >= f.to) continue;
        out.push(stamp(e.time, core.cfg.calendar.utcOffsetS) + ' ' + e.text);
      }
      return out;
    },
    freeze: function (kind: string, a: number, from: number, to: number): string[] {
      if (!storage) return ['no EEPROM on this unit: no freeze records'];
      const off = core.cfg.calendar.utcOffsetS;
      const fs = storage.freezes(kind === 'month', a >= 0 ? core.cfg.accounts[a].name : '', dayOf(from + off), dayOf(to + off), 200);
      const out: string[] = [];
      for (let i = 0; i < fs.length; i++) out.push(freezeLine(fs[i]));
      return out;
    },
    token: function (a: number, digits: string): Answer {
      if (parts && parts.token) return parts.token(a, digits, unit);
      const name = core.cfg.accounts[a].name;
      const secret = tokenSecret(raw.accounts[a].token);
      if (!secret) return fail('account ' + name + ' has no token identity (set its token key and start code)');
      const p = parseToken(digits);
      if (!p.ok) return fail('token ' + p.detail);
      const before = tokenStates[name] || freshTokenState();
      const now = time();
      const r = enterToken(secret, before, p.value, now);
      const res = r.result;
      if (!res.ok) {
        tokenStates[name] = r.state;
        persist([], a); // a power cycle must not clear the lock-out
        log(a, 'token', 'token ' + res.error);
        if (res.error === 'locked') return fail('token entry locked for ' + res.waitSeconds + ' s after wrong tokens');
        if (res.error === 'used') return fail('token already used');
        const left = 2 - r.state.invalidCount;
        return fail('token invalid' + (left > 0 ? ' (' + left + ' more before a lock-out)' : left === 0 ? ' (the next wrong token locks entry)' : ', entry locked for ' + (r.state.lockedUntil - now) + ' s'));
      }
      const lines: string[] = [];
      let ds: Decision[] = [];
      // The token's new counters go into the same commit as the credit it grants.
      tokenStates[name] = r.state;
      if (res.kind === 'add' || res.kind === 'set') {
        const target = res.value * secret.unit;
        const diff = res.kind === 'add' ? target : target - core.balance[a];
        if (diff > 0) ds = host.handle({ t: 'topup', time: now, account: a, amountMilli: diff });
        else if (diff < 0) ds = host.handle({ t: 'refund', time: now, account: a, amountMilli: -diff });
        for (let i = 0; i < ds.length; i++) {
          if (ds[i].kind === 'refused') {
            tokenStates[name] = before;
            persist([], a);
            return fail('token refused: ' + ds[i].code + ' (the token stays unused)');
          }
        }
      } else if (res.kind === 'disable') ds = host.handle({ t: 'mode', time: now, account: a, mode: 1 });
      if (!ds.length) persist([], a);
      log(a, 'token', 'token ' + res.kind + ' ' + res.value + ' count ' + res.count);
      lines.push('TOKEN ' + name + ' ' + res.kind + (res.kind === 'add' || res.kind === 'set' ? ' ' + formatMoney(res.value * secret.unit) : '') + ' count ' + res.count);
      for (let i = 0; i < ds.length; i++) {
        const d = ds[i];
        if (d.kind === 'ledger') lines.push('RECEIPT #' + d.seq + ' ' + stamp(now, core.cfg.calendar.utcOffsetS) + ' ' + name + ' ' + d.code + ' ' + formatMoney(d.value) + ' balance ' + formatMoney(d.balance) + ' by token');
        else lines.push(formatDecision(d));
      }
      return changed(lines, { account: name, kind: res.kind, value: res.value, count: res.count, balance: core.balance[a] });
    },
    reboot: function () {
      flush();
      log(-1, 'boot', 'reboot requested');
      if (hal.reboot) hal.reboot();
    },
    factoryReset: function () {
      log(-1, 'config', 'factory reset');
      raw = EMPTY_RAW;
      core = new Core((parseConfig(raw) as { ok: true; value: CoreConfig }).value);
      unit.core = core;
      for (const k in tokenStates) delete tokenStates[k];
      unsaved = [];
      unitUnsaved = false;
      if (storage && !storage.reset(JSON.stringify(raw), core)) storageProblem();
      if (metering) metering.build();
    },
  };

  const shell = new Shell({
    clock: hal.clock,
    print: hal.print,
    commands: makeCommands(host),
    pins: pins,
    echo: false,
    audit: function (line: string, role: number) {
      log(-1, 'command', roleNames()[role] + ': ' + (line.indexOf('login') === 0 ? 'login' : line));
    },
  });

  const unit: Unit = {
    core: core,
    shell: shell,
    handle: host.handle,
    time: time,
    statusLine: function () {
      let on = 0;
      let sum = 0;
      for (let a = 0; a < core.cfg.accounts.length; a++) {
        if (core.relay[a] === 1) on++;
        sum += core.balance[a];
      }
      time();
      return 'STATUS accounts=' + core.cfg.accounts.length + ' meters=' + core.cfg.meters.length + ' supplied=' + on + ' balance=' + sum + ' time=' + (timeValid ? 'ok' : 'not-set') + ' up=' + Math.floor(hal.clock.now() / 1000) + 's';
    },
    input: function (text: string) {
      shell.feed(text);
    },
    log: log,
    flush: flush,
  };
  log(-1, 'boot', 'boot');
  for (let i = 0; i < report.length; i++) {
    hal.print('STORAGE ' + report[i]);
    log(-1, 'boot', report[i]);
  }
  // Logged under the entry's own kind ("ledger #7 a0 topup ..."), so filters find it.
  for (let i = 0; i < lost.length; i++) log(-1, lost[i].split(' ')[3] || 'ledger', lost[i]);
  if (parts && parts.metering) {
    metering = parts.metering({ hal: hal, core: host.core, raw: host.raw, handle: host.handle, time: time, log: log });
    const mt = metering;
    host.readMeter = function (m: number, cb: (a: Answer) => void) {
      mt.read(m, cb);
    };
    mt.build();
  }
  time();
  if (timeValid !== core.timeValid) carry(core.handle({ t: 'clock', time: time(), valid: timeValid }));
  carry(persisted(core.start(time())));
  freezeDue(time());
  if (metering) metering.emitPulses(); // the pulse registers' baseline
  hal.print(unit.statusLine());
  return unit;
}
