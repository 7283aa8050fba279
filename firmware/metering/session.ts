// The code that talks to the bus meters, as an on-demand module (firmware/modules.ts, `met`):
// the resident wiring (wiring.ts) loads it for a poll cycle, a relay operation or a `meter read`
// and lets it go when the bus has fallen idle, so that between cycles the heap holds only the
// meters' tables (state.ts), not the bus, the poller, relay control and the codecs. Everything
// that must outlive a session is in those tables; a session closed early (the heap is needed
// for a console command) leaves the cycle unfinished and wanted relay states to the next one.
import { Answer, fail } from '../console/answer';
import { PROTO_DLT645 as P_DLT645, PROTO_MODBUS as P_MODBUS } from '../tables';
import type { Unit } from '../unit';
import { MeterBus } from './bus';
import { Poller, Reading, profileOf } from './poller';
import { RelayControl } from './relay-control';
import { MeterState } from './state';
import { meterLabel, readAnswer } from './wiring';

/** A loaded session. */
export interface MeterSession {
  /** Starts a poll cycle (or reports an overrun), and tries again the relays whose alarm is
   *  raised. */
  poll(): void;
  /** Switches the relays of account a's bus meters. */
  relays(a: number, closed: boolean): void;
  /** `meter read` of bus meter m. */
  read(m: number, cb: (a: Answer) => void): void;
  /** Closes the bus now: the cycle is left unfinished, the relay operation under way is taken
   *  up again by the next session. */
  close(): void;
}

/** Opens the bus on state s; `ended` is called once when the session has closed itself (idle). */
export function meterSession(u: Unit, s: MeterState, ended: () => void): MeterSession {
  const hal = u.hal;
  const c = u.cfg;
  const t = c.meters;
  let closed = false;
  let ending = -1;
  /** The answers of the `meter read`s under way (given a failure if the session is closed first). */
  const waiting: ((a: Answer) => void)[] = [];
  // Checked from a timer of its own: a relay operation that ends moves on to the next wanted one
  // only after its event has been told.
  const check = function (): void {
    if (ending < 0 && !closed) ending = hal.clock.after(0, endIfIdle);
  };
  const endIfIdle = function (): void {
    ending = -1;
    if (closed || !bus.idle() || poller.busy() || rc.busy() || waiting.length) return;
    close();
    ended();
  };
  const close = function (): void {
    if (closed) return;
    closed = true;
    if (ending >= 0) hal.clock.cancel(ending);
    ending = -1;
    poller.cut();
    rc.halt();
    bus.close();
    while (waiting.length) (waiting.shift() as (a: Answer) => void)(fail('meter read cut short'));
  };
  const bus = new MeterBus({ clock: hal.clock, open: hal.openMeterBus as NonNullable<typeof hal.openMeterBus>, lines: [c.dltLine, c.modbusLine], meters: t.n, state: s, onIdle: check });
  const poller = new Poller({
    bus: bus,
    clock: hal.clock,
    meters: t,
    profiles: c.profiles,
    state: s,
    onReading: function (r: Reading) {
      u.soon({ t: 'reading', time: u.time(), meter: r.meterIndex, importWh: r.importWh, exportWh: r.exportWh, powerW: r.powerW });
    },
    onEvent: function (kind: string, m: number) {
      u.log(kind === 'overrun' ? -1 : u.cfg.meters.account[m], 'meter', kind === 'overrun' ? 'poll cycle overran its interval' : meterLabel(u, m) + ' ' + kind);
    },
  });
  const rc = new RelayControl({
    bus: bus,
    clock: hal.clock,
    meters: t,
    profiles: c.profiles,
    state: s,
    timeS: function () {
      return u.time() + u.cfg.calendar.utcOffsetS;
    },
    onEvent: function (kind: string, m: number, detail: string) {
      const a = u.cfg.meters.account[m];
      if (kind === 'relay') {
        s.alarmed[m] = 0;
        u.soon([a, 'relay', meterLabel(u, m) + ' relay ' + detail + ' (read back)']);
      } else if (!s.alarmed[m]) {
        s.alarmed[m] = 1;
        u.log(a, 'relay-alarm', meterLabel(u, m) + ' relay did not obey: ' + detail);
      }
      check();
    },
  });

  /** `meter read`: reads meter m's energy registers (after the poller's job under way) and bills
   *  the reading. */
  function read(m: number, cb: (a: Answer) => void): void {
    waiting.push(cb);
    poller.read(m, function (err: string | null, imp: number, exp: number) {
      const k = waiting.indexOf(cb);
      if (k < 0) return; // answered when the session closed
      waiting.splice(k, 1);
      check();
      cb(err ? fail(meterLabel(u, m) + ' ' + (err === 'resting' ? 'is resting after failed polls; try again in a minute' : err)) : readAnswer(u, m, imp, exp));
    });
  }

  // Relay states left wanted by a session closed early.
  rc.kick();
  return {
    poll: function () {
      poller.pollNow();
      for (let m = 0; m < t.n; m++) if (s.alarmed[m] && s.want[m] >= 0 && s.state[m] !== s.want[m]) rc.set(m, s.want[m] === 1);
      check();
    },
    relays: function (a: number, closedRelay: boolean) {
      for (let m = 0; m < t.n; m++) {
        const pr = t.proto[m];
        if (t.account[m] === a && (pr === P_DLT645 || (pr === P_MODBUS && profileOf(t.profile[m], c.profiles).relayReg >= 0))) rc.set(m, closedRelay);
      }
      check();
    },
    read: read,
    close: close,
  };
}
