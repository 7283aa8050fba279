// The SMS service's scheduler, resident on a board with a modem. It holds nothing until the unit
// has phones: then, at each tick of the unit (a minute apart on a board), it opens an SMS session
// (module `sms`, sms/run.ts) when one is due. On a board (its heap measured) a session does not
// run beside a poll cycle or a console command, and a poll interval that comes during a session
// is polled as the session ends. The commands its messages asked for run after it, on their own
// (module `sma`, sms/asked.ts), and the next session, a few seconds later, sends their receipts.
import type { Unit } from '../unit';
import type { SmsState } from './state';

/** Opens an SMS session on unit u when one is due: every `sms.everySeconds` while the unit has
 *  phones, or at once when asked (`sms now`, `sms test`). With `ms`: the same a while later
 *  (a session asked for, or put off), unless a tick waits already. */
export function smsTick(u: Unit, ms?: number): void {
  const hal = u.hal;
  if (ms) {
    const w = u.sms;
    if (!w || w.wait) return;
    w.wait = true;
    hal.clock.after(ms, function () {
      delete w.wait;
      smsTick(u);
    });
    return;
  }
  const c = u.cfg;
  // (phones: the configuration's `sms` has lines after its first)
  const phones = c.sms.indexOf('\n') > 0;
  if (!hal.openModem || !(phones || u.sms)) return;
  // (the rest of the state is the sms module's: sms/state.ts smsState)
  const s = u.sms || (u.sms = { at: -1e12, line: {} } as SmsState);
  const now = hal.clock.now();
  // a session that never ended (it cannot: every step of it is bounded) stops holding the rest
  if (s.on && now - s.at > 600000) s.on = false;
  if (s.on || !(phones || s.soon) || (!s.soon && now - s.at < parseInt(c.sms, 10) * 1000)) return;
  if (hal.freeVars && ((u.metering && u.metering.busy()) || u.shell.busy)) return smsTick(u, 5000);
  s.at = now;
  // (a flag that goes off is deleted: a variable or two of the heap less between sessions; `on`
  // set false: every object answers `on` from its prototype, docs/memory.md)
  delete s.soon;
  const line = hal.openModem(s.line);
  s.on = true;
  hal.load('sms')(u, line, function () {
    const asked = s.asked.length > 0;
    // (after a moment: what called this, the session's code, leaves the heap first)
    hal.clock.after(10, function () {
      hal.load('sma')(u, s, function () {
        s.on = false;
        if (s.owed && u.metering) u.metering.start();
        delete s.owed;
        // their receipts, and their messages taken off the SIM
        if (asked) s.soon = true;
        if (s.soon) smsTick(u, 2000);
      });
    });
  });
}
