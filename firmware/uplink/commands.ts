// The head-end's commands (module `upc`), run once the uplink session that took them has ended
// and left the heap (uplink/tick.ts): a command's console module and its commit never share the
// heap with the session's code (on the Pico the two ran it out). Each runs as its console command
// in a session of its own with the technician's role; its number goes into the journal in the
// same batch as what it did (a top-up's credit), or alone after it when it committed nothing, so
// that a power cut can neither run it twice nor lose it (the head-end sends a command again until
// it has its answer). The answers wait in RAM for the next session, which comes a few seconds
// later.
import type { Unit } from '../unit';
import type { UplinkState } from './service';
import { runLine } from '../console/run-line';
import { TECHNICIAN } from '../console/shell';
import { saveUp } from './record';

/** The module's entry: runs unit u's waiting commands one after the other; done() after the last. */
export function uplinkCommands(u: Unit, done: () => void): void {
  const s = u.up as UplinkState;
  if (s.running || !s.cmds.length) return done();
  const q = s.cmds.shift() as number;
  const line = s.cmds.shift() as string;
  s.running = true;
  s.taken = q;
  saveUp(u, s, true);
  const end = function (said: string[], bad: boolean): void {
    const st = u.storage;
    if (st && st.upNext && !saveUp(u, s)) u.problem();
    answer(s, q, !bad, said.join('; '));
    delete s.running;
    uplinkCommands(u, done);
  };
  if (line) runLine(u, line, TECHNICIAN, 'uplink', end);
  else {
    s.refused++;
    end(['error: not a command the head-end may send'], true);
  }
}

/** Queues an answer for the next session; at most 8 wait (RAM): an older one dropped is asked for
 *  again, since the head-end sends its command again until answered, and the copy's `replay`
 *  settles it. */
export function answer(s: UplinkState, c: number, ok: boolean, m: string): void {
  if (s.answers.length >= 8) s.answers.shift();
  s.answers.push(JSON.stringify({ k: 'a', c: c, ok: ok ? 1 : 0, m: m }));
  if (s.pump) s.pump();
}
