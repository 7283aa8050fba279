// Meter reading wiring: bus meters polled through one MeterBus and Poller per line setting,
// pulse meters through the pulse counters, and the core's relay decisions for accounts without
// a GPIO relay carried to their meters' own relays. Readings go to the unit like any event.
import { PulseInput } from '../../hal/pulse';
import { LineSettings, SerialOptions, SerialPort } from '../../hal/serial';
import { Answer, done, fail } from '../console/answer';
import { formatMoney } from '../console/words';
import type { RawConfig } from '../config';
import type { Unit } from '../unit';
import { MeterBus, PROTO_DLT645, PROTO_MODBUS } from './bus';
import * as dlt from './dlt645';
import { ModbusProfile, builtinProfile, offsetIn, planReads } from './meter-profiles';
import { readRequest as mbRead, value as mbValue } from './modbus';
import { BusMeter, Poller, Reading } from './poller';
import { PulseCounters } from './pulse';
import { RelayControl } from './relay-control';

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

/** Meters with a `proto` read over the RS485 bus (one MeterBus and Poller per line setting) and
 *  pulse inputs. */
export function busMetering(u: Unit): Metering {
  const hal = u.hal;
  const log = function (account: number, kind: string, text: string): void {
    u.log(account, kind, text);
  };
  const time = function (): number {
    return u.time();
  };
  let core = u.core;
  let raw = u.raw;
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
    u.handle({ t: 'reading', time: time(), meter: m, importWh: imp, exportWh: exp, powerW: powerW });
  }

  function emitPulses(): void {
    if (!pulses) return;
    core = u.core;
    for (let i = 0; i < pulseCore.length; i++) reading(pulseCore[i], pulseBase[i] + pulses.wh[i], 0, undefined);
  }

  function meterRelays(a: number, closed: boolean): void {
    core = u.core;
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
    core = u.core;
    raw = u.raw;
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
    core = u.core;
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

