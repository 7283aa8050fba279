// The uplink's scheduler, resident on a unit with a link to a broker: at each tick of the unit (a
// minute apart on a board) it opens an uplink session (module `upl`, uplink/service.ts) when one
// is due: once each interval of the configuration's `uplink.intervalMinutes` (its readings have
// been taken: uplink/readings.ts), or sooner when asked or when the unit has logged an alarm (low
// credit) or a relay event (a supply cut or restored, a relay that did not do as told): then at
// the next tick at least ALERT_MS after the last session began; after a session that failed,
// again after 1, 2, 4 ... minutes, at most an interval apart (an alarm does not hurry a retry).
// On a board (its heap measured) a session does not run beside a poll cycle or a console command:
// a poll interval that comes during one is polled as it ends, and a console command ends it (the
// next tick takes it up again).
import type { Unit } from '../unit';
import type { UplinkState } from './service';

/** Variables free a session needs to start (its code, objects and a batch: about 1,800 measured
 *  on the dormitory floor, tests/build/floor-uplink.test.ts), and some left. */
const SESSION_VARS = 1900;
/** Least time from a session's start to one an alarm or relay event asks for, ms: a relay that
 *  flaps does not keep the modem in sessions. */
const ALERT_MS = 120000;

/** Opens an uplink session on unit u when one is due. With `ms`: the same a while later, unless
 *  a tick waits already. */
export function uplinkTick(u: Unit, ms?: number): void {
  const hal = u.hal;
  const conf = u.cfg.uplink;
  const s = u.up;
  if (ms) {
    if (!s || s.wait) return;
    s.wait = true;
    hal.clock.after(ms, function () {
      delete s.wait;
      uplinkTick(u);
    });
    return;
  }
  // (a changed or removed section ends the session; the next runs with the new one)
  if (s && s.on && s.stop && s.conf !== conf) s.stop();
  if (!hal.openUplink || !conf) return;
  const now = hal.clock.now();
  const x = upState(u);
  // a session that never ended (it cannot: it is bounded) stops holding the rest
  if (x.on && now - x.at > 600000) x.on = false;
  const slot = Math.floor(u.time() / (parseInt(conf, 10) * 60));
  if (x.on || !(x.soon || ((slot !== x.slot || (x.alert && now - x.at >= ALERT_MS)) && now >= x.retryAt))) return;
  if (hal.freeVars && ((u.metering && u.metering.busy()) || u.shell.busy)) return uplinkTick(u, 5000);
  // A session takes up to about 1,800 variables (docs/memory.md): on a board with less free it
  // is put off as one that failed (said once), rather than run the heap out.
  const free = hal.freeVars ? hal.freeVars() : SESSION_VARS;
  if (free < SESSION_VARS) {
    if (!x.short) u.log(-1, 'uplink', 'session put off: ' + free + ' variables free, it needs ' + SESSION_VARS);
    x.short = true;
    x.fails++;
    x.retryAt = now + parseInt(conf, 10) * 60000;
    return;
  }
  delete x.short;
  x.at = now;
  x.on = true;
  delete x.soon;
  // (what is logged from here on goes up in this session's batches, or asks for the next)
  delete x.alert;
  hal.load('upl')(u, function (r: number) {
    if (r > 0) {
      x.slot = slot;
      x.fails = 0;
    } else if (!r) x.fails++;
    // stopped: taken up again at the next tick; failed: 1, 2, 4 ... minutes later (a tick is a
    // minute apart), at most an interval
    x.retryAt = r ? 0 : now + Math.min(30000 << Math.min(x.fails, 10), parseInt(conf, 10) * 60000);
    if (r < 0) x.soon = true;
    // What follows waits until the session's link has closed (on a board the modem's driver is
    // let go then, and is never in the heap beside the commands' module or a poll cycle), 75 s
    // at most: the commands it took, once its code has left the heap (a moment later), then a
    // session for their answers; a poll that came meanwhile after them.
    let waits = 0;
    const next = function (): void {
      if (hal.uplinkBusy && hal.uplinkBusy() && ++waits < 150) {
        hal.clock.after(500, next);
        return;
      }
      if (x.cmds && x.cmds.length)
        hal.clock.after(10, function () {
          hal.load('upc')(u, function () {
            x.on = false;
            x.soon = true;
            after(u, x);
          });
        });
      else {
        x.on = false;
        after(u, x);
      }
    };
    next();
  });
}

/** The uplink's state, made with the scheduler's part when the unit has none yet. */
export function upState(u: Unit): UplinkState {
  return u.up || (u.up = { at: -1e12, slot: -1, fails: 0, retryAt: 0, okAt: -1, downAt: -1 } as UplinkState);
}

/** After a session (and the commands it took): the poll that came during it, the session asked for. */
function after(u: Unit, x: UplinkState): void {
  if (x.owed && u.metering) u.metering.start();
  delete x.owed;
  if (x.soon) uplinkTick(u, 2000);
}
