// A message run on the unit: the sender looked up, the request checked (sms/commands.ts), an
// inquiry answered from the unit's state, a change run as its console command in a console
// session of its own with the request's role (the console's checks, ledger entries, log and
// answer), and one receipt made of the answer. The phone list, the key, the last counter and the
// guard come from the caller (sms/run.ts: the configuration and the unit's SMS state).
import { modeNames } from '../core';
import { formatMoney } from '../console/words';
import type { Shell } from '../console/shell';
import { nameAt, nameIndex } from '../tables';
import type { Unit } from '../unit';
import { CodeGuard, guardCode } from './auth';
import { CODE_VERBS, SmsPhone, findPhone, receipt, smsRequest } from './commands';

/** What the unit knows for SMS: its list, its key (null: none), the last code counter taken
 *  (raised here when a command with a code has run), and the guard against guessed codes. */
export interface SmsSetup extends CodeGuard {
  phones: SmsPhone[];
  key: Uint8Array | null;
  last: number;
}

/** Runs message text from number `from` on unit u; reply(receipt) once it is answered (a
 *  command may answer later; a long receipt is a few messages, reply called for each), or never
 *  for a number not on the list. */
export function smsMessage(u: Unit, s: SmsSetup, from: string, text: string, reply: (r: string) => void): void {
  const verb = text.trim().split(' ')[0] || '?';
  const send = function (good: boolean, said: string[]): void {
    const parts = receipt(good, verb, said);
    for (let i = 0; i < parts.length; i++) reply(parts[i]);
  };
  const p = findPhone(s.phones, from);
  if (!p) return;
  const c = u.cfg;
  const names: string[] = [];
  for (let i = 0; i < c.accounts.n; i++) names.push(nameAt(c.accounts.names, i));
  const now = u.time();
  // while wrong codes keep commands with a code shut, they are not even checked
  if (p.admin && now < s.until && CODE_VERBS.indexOf(verb.toUpperCase()) >= 0) return send(false, ['locked for ' + Math.ceil(s.until - now) + ' s after wrong codes']);
  const r = smsRequest(p, text, names, c.planNames, s.key, s.last);
  if (!r.ok && r.error === 'code') guardCode(s, false, now);
  if (!r.ok) return send(false, [r.error]);
  const q = r.value;
  if (q.code !== undefined) guardCode(s, true, now);
  if (q.reply) return send(true, [q.reply]);
  if (q.bal) {
    const a = nameIndex(c.accounts.names, q.bal);
    const core = u.core;
    return send(true, [q.bal + ' balance ' + formatMoney(core.balance[a]) + ', supply ' + (core.relay[a] === 1 ? 'on' : 'off') + ' (' + modeNames()[core.mode[a]] + ')']);
  }
  const said: string[] = [];
  // (made by the resident class, found through the unit's own session: a module must not carry
  // a class of the resident code, firmware/modules.ts)
  const Sh = u.shell.constructor as typeof Shell;
  const sh = new Sh({ clock: u.hal.clock, print: function (l: string) {
    said.push(l);
  }, run: u.shell.opts.run });
  sh.role = q.role as number;
  sh.from = from;
  const end = function (): void {
    const bad = said.length > 0 && said[0].indexOf('error: ') === 0;
    if (!bad && q.code !== undefined && q.code > s.last) s.last = q.code;
    send(!bad, said);
  };
  sh.feed(q.line + '\r');
  if (!sh.busy) return end();
  // a command that answers later (a meter's relay read back): its answer, or what it said by then
  let waited = 0;
  const t = u.hal.clock.every(100, function () {
    waited += 100;
    if (sh.busy && waited < 30000) return;
    u.hal.clock.cancel(t);
    end();
  });
}
