// A console line run on behalf of someone not at the console (an SMS's command, the head-end's):
// in a console session of its own, with the role the request gave it, so that the checks, the
// ledger entries, the log and the answer are the console's own.
import type { Shell } from './shell';
import type { Unit } from '../unit';

/** Runs `line` on unit u with role `role` (`from`: who asked, as Shell.from has it); done gets
 *  what it said and whether it failed, once it has answered (a command answering later, a
 *  meter's relay read back: what it said within 30 s). */
export function runLine(u: Unit, line: string, role: number, from: string, done: (said: string[], bad: boolean) => void): void {
  const clock = u.hal.clock;
  const said: string[] = [];
  // (made by the resident class, found through the unit's own session: a module must not carry
  // a class of the resident code, firmware/modules.ts)
  const Sh = u.shell.constructor as typeof Shell;
  const sh = new Sh({ clock: clock, print: function (l: string) {
    said.push(l);
  }, run: u.shell.opts.run });
  sh.role = role;
  sh.from = from;
  const end = function (): void {
    done(said, said.length > 0 && said[0].indexOf('error: ') === 0);
  };
  sh.feed(line + '\r');
  if (!sh.busy) return end();
  let waited = 0;
  const t = clock.every(100, function () {
    waited += 100;
    if (sh.busy && waited < 30000) return;
    clock.cancel(t);
    end();
  });
}
