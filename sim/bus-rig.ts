// The wiring of a scenario with `"bus": true`: one virtual RS485 bus per line setting, a virtual
// DL/T 645 or Modbus meter (or a pulse meter) per wired load, integrating that load, with a relay
// that really cuts it; GPIO relays that cut the loads of their accounts; faults switched on and
// off at their scheduled times. The unit reaches all of it only through its HAL.
import { Clock } from '../hal/clock';
import { PulseInput, PulseInputOptions } from '../hal/pulse';
import { RelayOutput } from '../hal/relay';
import { LineSettings, SerialOptions, SerialPort } from '../hal/serial';
import { Load } from './load-profile';
import { MeterModel } from './meter-model';
import { GARBAGE, MeterFaults, noFaults } from './meter-faults';
import { Scenario } from './scenario';
import { VirtualBus } from './virtual-bus';
import { VirtualDlt645Meter } from './virtual-dlt645-meter';
import { DDS238, SDM120, VirtualModbusMeter } from './virtual-modbus-meter';

/** Line settings of the meters: DL/T 645 at 2400 8E1, Modbus at 9600 8N1. */
export const DLT645_LINE: LineSettings = { baud: 2400, dataBits: 8, parity: 'even', stopBits: 1 };
export const MODBUS_LINE: LineSettings = { baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 };

/** One wired meter of the scenario and what happened to it. */
export interface RigMeter {
  name: string;
  proto: 'dlt645' | 'modbus' | 'pulse';
  model: MeterModel;
  dlt: VirtualDlt645Meter | null;
  modbus: VirtualModbusMeter | null;
  /** Pulse input channel (pulse meters). */
  channel: number;
  impPerKwh: number;
  /** Register the meter started from, Wh (0 for pulse meters: the unit counts from zero). */
  startWh: number;
  /** Import register (Wh) shown before each register reset. */
  preResetWh: number[];
  /** Relay moves: unit time (UTC s) and open. */
  relayMoves: { time: number; open: boolean }[];
}

/** Register of a meter in Wh: bus meters their 0.01 kWh register, pulse meters whole Wh of pulses. */
export function registerWhOf(m: RigMeter): number {
  return m.proto === 'pulse' ? Math.floor((m.model.pulses * 1000) / m.impPerKwh) : m.model.importCkwh() * 10;
}

function lineKey(l: LineSettings): string {
  return l.baud + '/' + l.dataBits + l.parity[0] + l.stopBits;
}

/** The virtual side of a bus scenario. */
export class BusRig {
  readonly buses: { [line: string]: VirtualBus } = {};
  readonly meters: RigMeter[] = [];
  /** Rig meter per scenario meter (null when not wired). */
  readonly byScenario: (RigMeter | null)[];
  /** GPIO relay outputs by channel (16, as the config allows). */
  readonly relays: RelayOutput[] = [];
  /** Contact state per GPIO channel. */
  readonly gpio: boolean[] = [];
  private pulseFns: ((ms: number) => void)[] = [];

  constructor(
    private clock: Clock,
    sc: Scenario,
    loads: Load[],
    private now: () => number,
    /** Account name of a scenario meter now (console changes move meters), or null. */
    private accountRelay: (meterName: string) => number,
  ) {
    const offset = sc.facts.utcOffsetS;
    const secOfDay = (ms: number): number => (((sc.start + offset + Math.floor(ms / 1000)) % 86400) + 86400) % 86400;
    this.byScenario = sc.meterNames.map((name, i) => {
      const w = sc.wires[i];
      if (!w) return null;
      const rm: RigMeter = { name, proto: w.proto, model: null as unknown as MeterModel, dlt: null, modbus: null, channel: -1, impPerKwh: w.impPerKwh, startWh: 0, preResetWh: [], relayMoves: [] };
      const startCkwh = Math.floor(sc.startRegisterWh[i] / 10);
      const modelOpts = { load: loads[i], stepS: sc.stepSeconds, secOfDay, importCkwh: w.proto === 'pulse' ? 0 : startCkwh };
      if (w.proto === 'dlt645') {
        rm.dlt = new VirtualDlt645Meter(clock, this.bus(DLT645_LINE), { address: w.addr, model: modelOpts, timeS: sc.start + offset, name, frameDataMax: w.frameDataMax || undefined });
        rm.model = rm.dlt.model;
      } else if (w.proto === 'modbus') {
        rm.modbus = new VirtualModbusMeter(clock, this.bus(MODBUS_LINE), w.profile === 'dds238' ? DDS238 : SDM120, { id: parseInt(w.addr, 10), line: MODBUS_LINE, model: modelOpts, name });
        rm.model = rm.modbus.model;
      } else {
        rm.channel = w.addr === '' ? this.meters.filter((x) => x.proto === 'pulse').length : parseInt(w.addr, 10);
        rm.model = new MeterModel(clock, { ...modelOpts, impPerKwh: w.impPerKwh, onPulse: (ms) => this.pulseFns[rm.channel] && this.pulseFns[rm.channel](ms) });
      }
      rm.startWh = w.proto === 'pulse' ? 0 : startCkwh * 10;
      this.watch(rm);
      this.meters.push(rm);
      return rm;
    });
    for (let ch = 0; ch < 16; ch++) {
      this.gpio.push(false);
      this.relays.push({
        set: (closed: boolean) => {
          this.gpio[ch] = closed;
          for (const m of this.meters) if (this.accountRelay(m.name) === ch && m.model.relayOpen === closed) m.model.setRelayOpen(!closed);
        },
        read: () => this.gpio[ch],
      });
    }
    for (const f of sc.faults) {
      const rm = this.byScenario[f.meter] as RigMeter;
      const v = rm.dlt || rm.modbus;
      if (!v) continue;
      clock.after((f.from - sc.start) * 1000, () => Object.assign(v.faults, faultFields(f.fault, true)));
      if (f.fault !== 'registerReset') clock.after((f.to - sc.start) * 1000, () => Object.assign(v.faults, faultFields(f.fault, false)));
    }
  }

  /** The unit's HAL factory for its meter bus: a port on the virtual bus of those settings. */
  openMeterBus(o: SerialOptions): SerialPort {
    const self = this;
    const ports: { [k: string]: SerialPort } = {};
    let line: LineSettings = o;
    const port = (): SerialPort => {
      const k = lineKey(line);
      if (!ports[k]) ports[k] = self.bus(line).attach({ baud: line.baud, dataBits: line.dataBits, parity: line.parity, stopBits: line.stopBits, onData: o.onData, name: 'unit' });
      return ports[k];
    };
    port();
    return {
      write: (bytes, done) => port().write(bytes, done),
      bitsPerChar: () => port().bitsPerChar(),
      setLine: (l) => {
        line = l;
      },
      close: () => {
        for (const k of Object.keys(ports)) ports[k].close();
      },
    };
  }

  /** The unit's HAL factory for pulse inputs: the pulse meter on that channel calls onPulse. */
  openPulse(channel: number, o: PulseInputOptions): PulseInput | null {
    if (!this.meters.some((m) => m.channel === channel)) return null;
    this.pulseFns[channel] = o.onPulse;
    return {
      close: () => {
        if (this.pulseFns[channel] === o.onPulse) delete this.pulseFns[channel];
      },
    };
  }

  /** Stops every load (power 0 from now), so that a last poll sees final registers. */
  stopLoads(): void {
    for (const m of this.meters) {
      m.model.stop();
      m.model.setPowerW(0);
    }
  }

  /** The meters of one line setting. The board has one RS485 wire and the unit sets its UART
   *  to each meter's settings in turn; here each setting is a bus of its own (a meter would
   *  hear the other kind's frames only as garbage, and decoding that bit by bit for every
   *  frame would cost the simulation more than everything else). */
  private bus(l: LineSettings): VirtualBus {
    const k = lineKey(l);
    if (!this.buses[k]) {
      // A UART's idle-line interrupt: each burst is handed over one character time after it ends.
      this.buses[k] = new VirtualBus(this.clock, { sliceBytes: 256, flushIdleChars: 1 });
      this.buses[k].record = false;
    }
    return this.buses[k];
  }

  // Records relay moves and the register before a reset, for reports and tests.
  private watch(rm: RigMeter): void {
    const model = rm.model;
    const setRelay = model.setRelayOpen.bind(model);
    model.setRelayOpen = (open: boolean) => {
      if (open !== model.relayOpen) rm.relayMoves.push({ time: this.now(), open });
      setRelay(open);
    };
    const reset = model.resetRegisters.bind(model);
    model.resetRegisters = () => {
      rm.preResetWh.push(model.importCkwh() * 10);
      reset();
    };
  }
}

/** The fields a named fault sets (on) or clears (off). */
export function faultFields(name: string, on: boolean): Partial<MeterFaults> {
  const off = noFaults();
  switch (name) {
    case 'silent':
      return { silent: on };
    case 'slow':
      return { slowMs: on ? 2500 : off.slowMs };
    case 'badChecksum':
      return { badChecksum: on };
    case 'garbageBefore':
      return { garbageBefore: on ? GARBAGE.slice() : [] };
    case 'garbageAfter':
      return { garbageAfter: on ? GARBAGE.slice() : [] };
    case 'wrongAddress':
      return { wrongAddress: on };
    case 'splitReply':
      return { splitReply: on ? { bytes: 3, gapMs: 12 } : null };
    case 'registerReset':
      return { registerReset: on };
    case 'refusePlaintextRelay':
      return { refusePlaintextRelay: on };
  }
  return {};
}
