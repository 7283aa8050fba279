// A message read on the unit: the sender looked up, the request checked (sms/commands.ts), an
// inquiry answered from the unit's state at once, a change (a top-up, a relay mode, a price)
// put on the list of commands asked for, which the unit runs once the session has ended and left
// the heap (sms/asked.ts: the console command in a console session of its own with the request's
// role; the receipt goes in the next session). The phone list, the key, the last counter and the
// guard come from the caller (sms/run.ts: the configuration and the unit's SMS state).
import { modeNames } from '../core';
import { formatMoney } from '../console/words';
import { nameAt, nameIndex } from '../tables';
import type { Unit } from '../unit';
import type { SmsAsked } from './asked';
import { CodeGuard, guardCode } from './auth';
import { CODE_VERBS, SmsPhone, findPhone, receipt, smsRequest } from './commands';

/** What the unit knows for SMS: its list, its key (null: none), the last code counter taken
 *  (raised when a command with a code has run), the guard against guessed codes, and the
 *  commands asked for and not run yet. */
export interface SmsSetup extends CodeGuard {
  phones: SmsPhone[];
  key: Uint8Array | null;
  last: number;
  asked: SmsAsked[];
}

/** Reads message text from number `from` (in the SIM's slot) on unit u: reply(receipt) at once
 *  (a long receipt is a few messages, reply called for each), or nothing for a number not on
 *  the list; or, for a change, the command goes on s.asked and true is returned: the message
 *  stays in the SIM until the command has run. */
export function smsMessage(u: Unit, s: SmsSetup, from: string, text: string, slot: number, reply: (r: string) => void): boolean {
  const verb = text.trim().split(' ')[0] || '?';
  const send = function (good: boolean, said: string[]): void {
    const parts = receipt(good, verb, said);
    for (let i = 0; i < parts.length; i++) reply(parts[i]);
  };
  const p = findPhone(s.phones, from);
  if (!p) return false;
  const c = u.cfg;
  const names: string[] = [];
  for (let i = 0; i < c.accounts.n; i++) names.push(nameAt(c.accounts.names, i));
  const now = u.time();
  // while wrong codes keep commands with a code shut, they are not even checked
  if (p.admin && now < s.until && CODE_VERBS.indexOf(verb.toUpperCase()) >= 0) {
    send(false, ['locked for ' + Math.ceil(s.until - now) + ' s after wrong codes']);
    return false;
  }
  // (a counter asked for already, its command not run yet, is taken as well)
  let last = s.last;
  for (let i = 0; i < s.asked.length; i++) last = Math.max(last, s.asked[i].code || 0);
  const r = smsRequest(p, text, names, c.planNames, s.key, last);
  if (!r.ok) {
    if (r.error === 'code') guardCode(s, false, now);
    send(false, [r.error]);
    return false;
  }
  const q = r.value;
  if (q.code !== undefined) guardCode(s, true, now);
  if (q.reply) send(true, [q.reply]);
  else if (q.bal) {
    const a = nameIndex(c.accounts.names, q.bal);
    const core = u.core;
    send(true, [q.bal + ' balance ' + formatMoney(core.balance[a]) + ', supply ' + (core.relay[a] === 1 ? 'on' : 'off') + ' (' + modeNames()[core.mode[a]] + ')']);
  } else {
    s.asked.push({ to: from, verb: verb, line: q.line as string, role: q.role as number, code: q.code, slot: slot });
    return true;
  }
  return false;
}
