// Meter reading wiring: the bus meters polled through one MeterBus (one UART: DL/T 645 and
// Modbus meters each at their own line settings) and one Poller, the pulse meters through the
// pulse counters, and the core's relay decisions for accounts without a GPIO relay carried to
// their meters' own relays. Readings go to the unit like any event.
import { PulseInput } from '../../hal/pulse';
import { Answer, done, fail } from '../console/answer';
import { formatMoney } from '../console/words';
import { nameAt, PROTO_DLT645 as P_DLT645, PROTO_MODBUS as P_MODBUS, PROTO_PULSE as P_PULSE, table, U8 } from '../tables';
import type { Unit } from '../unit';
import { MeterBus, PROTO_MODBUS } from './bus';
import * as dlt from './dlt645';
import { offsetIn, planReads } from './meter-profiles';
import { readRequest as mbRead, value as mbValue } from './modbus';
import { Poller, Reading, addrOf, profileOf } from './poller';
import { PulseCounters } from './pulse';
import { RelayControl } from './relay-control';

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
  /** The bus and its poller, while the configuration has bus meters (statistics, tests). */
  bus: MeterBus | null;
  poller: Poller | null;
}

/** Meters with a `proto`: read over the RS485 bus, or counted on pulse inputs. */
export function busMetering(u: Unit): Metering {
  const hal = u.hal;
  let relays: RelayControl | null = null;
  /** Relay alarm raised and not yet cleared, per meter. */
  let alarmed: number[] = [];
  let pulses: PulseCounters | null = null;
  /** Meter index, register at boot or rebuild (Wh) and input, per pulse counter. */
  let pulseMeter: number[] = [];
  let pulseBase: number[] = [];
  let inputs: (PulseInput | null)[] = [];
  let meterTimer = -1;
  const me: Metering = { build: build, emitPulses: emitPulses, relays: meterRelays, read: readMeter, bus: null, poller: null };

  function meterName(m: number): string {
    return 'meter ' + nameAt(u.cfg.meters.names, m);
  }

  function reading(m: number, imp: number, exp: number, powerW: number | undefined): void {
    u.handle({ t: 'reading', time: u.time(), meter: m, importWh: imp, exportWh: exp, powerW: powerW });
  }

  function emitPulses(): void {
    if (!pulses) return;
    for (let i = 0; i < pulseMeter.length; i++) reading(pulseMeter[i], pulseBase[i] + pulses.wh[i], 0, undefined);
  }

  function meterRelays(a: number, closed: boolean): void {
    const t = u.cfg.meters;
    if (!relays) return;
    for (let m = 0; m < t.n; m++) {
      const pr = t.proto[m];
      if (t.account[m] === a && (pr === P_DLT645 || (pr === P_MODBUS && profileOf(t.profile[m], u.cfg.profiles).relayReg >= 0))) relays.set(m, closed);
    }
  }

  /** Stops the old bus, poller, relay control, pulse inputs and timer. */
  function stop(): void {
    if (me.poller) me.poller.stop();
    if (relays) relays.stop();
    if (me.bus) me.bus.close();
    for (let i = 0; i < inputs.length; i++) if (inputs[i]) (inputs[i] as PulseInput).close();
    if (meterTimer >= 0) hal.clock.cancel(meterTimer);
    me.bus = null;
    me.poller = null;
    relays = null;
    pulses = null;
    inputs = [];
    meterTimer = -1;
  }

  /** (Re)builds the bus, the poller, relay control and the pulse counters from the meters. */
  function build(): void {
    stop();
    const core = u.core;
    const c = u.cfg;
    const t = c.meters;
    const pollMs = c.pollS * 1000;
    const imp: number[] = [];
    const maxW: number[] = [];
    const chans: number[] = [];
    const lineOf = table(U8, t.n);
    let onBus = 0;
    pulseMeter = [];
    pulseBase = [];
    for (let m = 0; m < t.n; m++) {
      const pr = t.proto[m];
      if (pr === P_PULSE && hal.openPulse) {
        pulseMeter.push(m);
        pulseBase.push(core.has[m] ? core.lastImp[m] : 0);
        imp.push(t.impPerKwh[m]);
        maxW.push(t.maxPowerW[m]);
        chans.push(t.id[m]);
      }
      if ((pr === P_DLT645 || pr === P_MODBUS) && hal.openMeterBus) onBus++;
      lineOf[m] = pr === P_MODBUS ? 1 : 0;
    }
    if (onBus) {
      const bus = new MeterBus({ clock: hal.clock, open: hal.openMeterBus as NonNullable<typeof hal.openMeterBus>, lines: [c.dltLine, c.modbusLine], lineOf: lineOf, meters: t.n });
      const poller = new Poller({
        bus: bus,
        clock: hal.clock,
        meters: t,
        profiles: c.profiles,
        intervalMs: pollMs,
        onReading: function (r: Reading) {
          if (me.bus === bus) reading(r.meterIndex, r.importWh, r.exportWh, r.powerW);
        },
        onEvent: function (kind: string, m: number) {
          if (me.bus !== bus) return;
          u.log(kind === 'overrun' ? -1 : u.cfg.meters.account[m], 'meter', kind === 'overrun' ? 'poll cycle overran its interval' : meterName(m) + ' ' + kind);
        },
      });
      alarmed = table(U8, t.n);
      relays = new RelayControl({
        bus: bus,
        clock: hal.clock,
        meters: t,
        profiles: c.profiles,
        timeS: function () {
          return u.time() + u.cfg.calendar.utcOffsetS;
        },
        onEvent: function (kind: string, m: number, detail: string) {
          if (me.bus !== bus) return;
          const a = u.cfg.meters.account[m];
          if (kind === 'relay') {
            alarmed[m] = 0;
            u.log(a, 'relay', meterName(m) + ' relay ' + detail + ' (read back)');
          } else if (!alarmed[m]) {
            alarmed[m] = 1;
            u.log(a, 'relay-alarm', meterName(m) + ' relay did not obey: ' + detail);
          }
        },
      });
      me.bus = bus;
      me.poller = poller;
    }
    if (pulseMeter.length) {
      const pc = new PulseCounters({ impPerKwh: imp, maxPowerW: maxW });
      pulses = pc;
      for (let i = 0; i < chans.length; i++) inputs.push((hal.openPulse as NonNullable<typeof hal.openPulse>)(chans[i], { debounceMs: 20, onPulse: pc.counter(i) }));
    }
    if (!me.bus && !pulses) return;
    if (me.poller) me.poller.start();
    // Pulse meters report on the poll interval; relays that raised an alarm are tried again.
    meterTimer = hal.clock.every(pollMs, function () {
      emitPulses();
      const rc = relays;
      if (rc) for (let m = 0; m < rc.want.length; m++) if (alarmed[m] && rc.want[m] >= 0 && rc.state[m] !== rc.want[m]) rc.set(m, rc.want[m] === 1);
    });
  }

  /** `meter read`: reads meter m's energy registers now and bills the reading. */
  function readMeter(m: number, cb: (a: Answer) => void): void {
    const t = u.cfg.meters;
    const answer = function (imp: number, exp: number): void {
      reading(m, imp, exp, undefined);
      cb(done([meterName(m) + ' import ' + formatMoney(imp) + ' kWh, export ' + formatMoney(exp) + ' kWh'], { meter: nameAt(t.names, m), importWh: imp, exportWh: exp }));
    };
    const pi = pulseMeter.indexOf(m);
    if (pi >= 0 && pulses) return answer(pulseBase[pi] + pulses.wh[pi], 0);
    const pr = t.proto[m];
    const bus = me.bus;
    if (!bus || (pr !== P_DLT645 && pr !== P_MODBUS)) return cb(fail(hal.openMeterBus || hal.openPulse ? meterName(m) + ' has no bus or pulse input (set its proto and addr)' : 'no meter bus on this unit'));
    const dl = pr === P_DLT645;
    const p = dl ? null : profileOf(t.profile[m], u.cfg.profiles);
    const steps: number[][] = p ? planReads([p.importWh, p.exportWh]) : [[dlt.DI_IMPORT], [dlt.DI_EXPORT]];
    const v = [0, 0];
    let i = 0;
    const next = function (): void {
      if (i >= steps.length) return answer(v[0], v[1]);
      const s = steps[i];
      const sent = dl ? bus.readDlt(m, addrOf(t, m), s[0], 4, reply) : bus.request(m, PROTO_MODBUS, mbRead(t.id[m], s[0], s[1], s[2]), 5 + 2 * s[2], reply, 0);
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
      if (p) {
        const fs = [p.importWh, p.exportWh];
        for (let j = 0; j < 2; j++) {
          const f = fs[j];
          const at = offsetIn(f, s);
          if (f && at >= 0) v[j] = mbValue(r, at, f.type, f.mul, f.div);
        }
      }
      i++;
      next();
    };
    next();
  }
  return me;
}
