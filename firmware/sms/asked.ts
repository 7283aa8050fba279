// The `sma` module (firmware/modules.ts), loaded as each SMS session has ended: the commands its
// messages asked for (a top-up, a relay mode, a price: sms/service.ts) run now, so that a
// command's module (the console's, the token's) and its meter session never share the heap with
// the modem's session (on the Pico the two together ran out of it), then the SMS record is
// kept. Each runs as its console command in a console session of its own with the role the
// request gave it (the console's checks, ledger entries, log and answer); the answer waits in
// the outbox for the next session, which makes the receipt of it, and the message's slot in the
// SIM is deleted then (until the command has run, a power cut reads the message again; once it
// has, its counter is in the EEPROM, so the message read again is a replay).
import { runLine } from '../console/run-line';
import type { Unit } from '../unit';
import { keepSms, SmsState } from './state';

/** A command a message asked for: the sender, the message's first word, the console line and
 *  role, the code's counter (to keep once it ran), the message's slot in the SIM. */
export interface SmsAsked {
  to: string;
  verb: string;
  line: string;
  role: number;
  code?: number;
  slot: number;
}

/** A receipt to send: its text, or (verb set) a command's answer the session makes one of
 *  (bad: it failed), and the tries it has had. */
export interface SmsOut {
  to: string;
  text: string;
  n?: number;
  verb?: string;
  bad?: boolean;
}

/** Where the commands come from and their answers go (the unit's SMS state). */
export interface SmsAsking {
  asked: SmsAsked[];
  outbox: SmsOut[];
  /** Slots of the SIM to delete in the next session. */
  drop: number[];
  last: number;
}

/** The module's entry: runs the commands of unit u's SMS state s, keeps its record (the counters
 *  the commands took, the last session's), then done(). */
export function smsAfter(u: Unit, s: SmsState, done: () => void): void {
  runAsked(u, s, function () {
    keepSms(u, s);
    done();
  });
}

/** Runs s.asked's commands on unit u one after the other; done() once all have answered. */
export function runAsked(u: Unit, s: SmsAsking, done: () => void): void {
  const q = s.asked.shift();
  if (!q) return done();
  runLine(u, q.line, q.role, q.to, function (said: string[], bad: boolean) {
    if (!bad && q.code !== undefined && q.code > s.last) s.last = q.code;
    s.outbox.push({ to: q.to, text: said.join('; '), verb: q.verb, bad: bad });
    s.drop.push(q.slot);
    runAsked(u, s, done);
  });
}
