// Meter reading wiring, the resident part: the bus meters' tables (state.ts) and the poll timer,
// which loads the bus session (session.ts, module `met`: one MeterBus on one UART, DL/T 645 and
// Modbus meters each at their own line settings, one Poller, relay control) for each cycle; the
// pulse meters through the pulse counters; and the core's relay decisions for accounts without
// a GPIO relay carried to their meters' own relays. Readings go to the unit like any event.
import { Answer, done, fail } from '../console/answer';
import { formatMoney } from '../console/words';
import { nameAt, PROTO_DLT645 as P_DLT645, PROTO_MODBUS as P_MODBUS, PROTO_PULSE as P_PULSE } from '../tables';
import type { Unit } from '../unit';
import { UPLINK } from '../uplink/feature';
import type { PulseMeters } from './pulse';
import type { MeterSession } from './session';
import { MeterState, meterTables } from './state';

/** The unit's meters: bus meters polled, pulse inputs counted, meter relays switched. */
export interface Metering {
  /** (Re)builds everything from the configuration's meters; polls at once once started. */
  build(): void;
  /** Starts reading the bus meters (at boot, once the first decisions are made and saved: the
   *  relay operations they asked for until then are carried out from here). */
  start(): void;
  /** Sends the counted pulse registers to the core as readings. */
  emitPulses(): void;
  /** Switches the relays of account a's bus meters. */
  relays(a: number, closed: boolean): void;
  /** `meter read`: reads meter m now, bills the reading and answers to `to` (the console's shell). */
  read(m: number, to: { end(a: Answer, cmd: string): void }): void;
  /** Closes the bus session if one is loaded (the heap is needed elsewhere); the next poll
   *  interval or relay operation opens another. */
  pause(): void;
  /** True while the bus session is loaded. */
  busy(): boolean;
  /** The bus meters' tables while the configuration has bus meters (statistics, tests). */
  state: MeterState | null;
}

/** 'meter <name>' of meter m, for the log. */
export function meterLabel(u: Unit, m: number): string {
  return 'meter ' + nameAt(u.cfg.meters.names, m);
}

/** Bills a reading of meter m's registers now. */
export function billReading(u: Unit, m: number, imp: number, exp: number, powerW: number | undefined): void {
  u.handle({ t: 'reading', time: u.time(), meter: m, importWh: imp, exportWh: exp, powerW: powerW });
}

/** The answer to `meter read` of meter m. */
export function readAnswer(u: Unit, m: number, imp: number, exp: number): Answer {
  const name = nameAt(u.cfg.meters.names, m);
  return done(['meter ' + name + ' import ' + formatMoney(imp) + ' kWh, export ' + formatMoney(exp) + ' kWh'], { meter: name, importWh: imp, exportWh: exp });
}

/** Meters with a `proto`: read over the RS485 bus (the code that does it loaded per cycle:
 *  session.ts), or counted on pulse inputs. */
export function busMetering(u: Unit): Metering {
  const hal = u.hal;
  let session: MeterSession | null = null;
  /** The pulse meters' counters (module `pul`), while the configuration has pulse meters. */
  let pulses: PulseMeters | null = null;
  let meterTimer = -1;
  let started = false;
  /** Relay operations asked for before start(): account + 1 to close, -(account + 1) to open. */
  let early: number[] = [];
  /** The turn's timer that opens the session for relay operations asked with none open, or -1. */
  let later = -1;
  const me: Metering = { build: build, start: start, emitPulses: emitPulses, relays: meterRelays, read: readMeter, pause: pause, busy: busy, state: null };

  function emitPulses(): void {
    if (pulses) pulses.emit();
  }

  /** The bus session, loaded if it is not. */
  function open(): MeterSession {
    if (!session) {
      const s = me.state as MeterState;
      session = hal.load('met')(u, s, function () {
        if (me.state === s) session = null;
      });
    }
    return session as MeterSession;
  }

  function busy(): boolean {
    return session !== null;
  }

  function pause(): void {
    if (session) session.close();
    session = null;
  }

  function meterRelays(a: number, closed: boolean): void {
    if (!me.state) return;
    if (started && (session || !hal.freeVars)) {
      open().relays(a, closed);
      return;
    }
    early.push(closed ? a + 1 : -a - 1);
    // On a board (its heap measured) with no bus session open, as after a console command
    // closed it: the session opens a turn later, once the command's module has left the heap,
    // so that the two are never in it together; during an uplink session (a command it ran), once
    // that has ended.
    const up = UPLINK && hal.freeVars ? u.up : undefined;
    if (up && up.on) up.owed = true;
    else if (started && later < 0)
      later = hal.clock.after(0, function () {
        later = -1;
        relayEarly(open());
      });
  }

  /** The relay operations asked for before the session was opened. */
  function relayEarly(x: MeterSession): void {
    for (let i = 0; i < early.length; i++) x.relays(Math.abs(early[i]) - 1, early[i] > 0);
    early = [];
  }

  function start(): void {
    started = true;
    if (!me.state) return;
    const x = open();
    x.poll();
    relayEarly(x);
  }

  /** Stops the old bus session, pulse inputs and timer. */
  function stop(): void {
    // Relay operations waiting for a turn go to a session now, under the tables they were asked
    // in (as before they waited: the session records what each meter's relay should be).
    if (later >= 0) {
      hal.clock.cancel(later);
      later = -1;
      relayEarly(open());
    }
    pause();
    if (pulses) pulses.close();
    if (meterTimer >= 0) hal.clock.cancel(meterTimer);
    me.state = null;
    pulses = null;
    meterTimer = -1;
  }

  /** (Re)builds the meters' tables and the pulse counters from the meters; polls at once. */
  function build(): void {
    stop();
    const c = u.cfg;
    const t = c.meters;
    const pollMs = c.pollS * 1000;
    let onBus = 0;
    let onPulse = 0;
    for (let m = 0; m < t.n; m++) {
      const pr = t.proto[m];
      if (pr === P_PULSE) onPulse++;
      if ((pr === P_DLT645 || pr === P_MODBUS) && hal.openMeterBus) onBus++;
    }
    if (onBus) me.state = meterTables(t.n);
    if (onPulse && hal.openPulse) pulses = hal.load('pul')(u);
    if (!me.state && !pulses) return;
    // After a change, the first poll once the change has returned (its module has left the heap).
    const s = me.state;
    if (s && started)
      hal.clock.after(0, function () {
        if (me.state === s) open().poll();
      });
    // Every interval: a poll cycle (the relays that raised an alarm tried again), and the pulse
    // meters' registers.
    meterTimer = hal.clock.every(pollMs, function () {
      // (on a board, not beside an SMS or uplink session, which would crowd its heap: polled as
      // it ends)
      const sms = u.sms;
      const x = sms && sms.on ? sms : UPLINK && u.up && u.up.on ? u.up : null;
      if (me.state && hal.freeVars && x) x.owed = true;
      else if (me.state) open().poll();
      emitPulses();
    });
  }

  /** `meter read`: reads meter m's energy registers now and bills the reading. */
  function readMeter(m: number, to: { end(a: Answer, cmd: string): void }): void {
    const cb = function (a: Answer): void {
      to.end(a, 'meter');
    };
    const t = u.cfg.meters;
    const imp = pulses ? pulses.read(m) : -1;
    if (imp >= 0) {
      billReading(u, m, imp, 0, undefined);
      return cb(readAnswer(u, m, imp, 0));
    }
    const pr = t.proto[m];
    if (!me.state || (pr !== P_DLT645 && pr !== P_MODBUS)) return cb(fail(hal.openMeterBus || hal.openPulse ? meterLabel(u, m) + ' has no bus or pulse input (set its proto and addr)' : 'no meter bus on this unit'));
    open().read(m, cb);
  }
  return me;
}
