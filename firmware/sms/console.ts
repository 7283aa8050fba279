// The console's `sms` command, run by the configuration module (`cfg`, console/config-commands.ts,
// which has the configuration's parser and its commit): the phone list, the key and the session
// interval shown and changed (checked by the configuration's own parser, put in place and saved
// as the configuration), the last session's report, and a test message or a session now. The key
// is never shown: only whether one is set.
import { smsSection } from '../config';
import { exportSms } from '../config-export';
import { configSource } from '../config-store';
import { Answer, changed, done, fail } from '../console/answer';
import { CommandContext, noRoom } from '../console/dispatch';
import { putVars } from '../console/put';
import { TECHNICIAN } from '../console/shell';
import { saveConfig } from '../storage/config-commit';
import { nameList } from '../tables';
import type { Unit } from '../unit';
import { gsmLength, phoneNumber, plainNumber } from '../../hal/modem';
import { smsState } from './state';

type Phone = { number: string; admin?: boolean; accounts?: string[] };

/** `sms ...` typed in a console session (ctx) on unit u. */
export function smsCommand(u: Unit, ctx: CommandContext): Answer {
  const a = ctx.args;
  const sub = a[0] || 'status';
  const c = u.cfg;
  const s = smsState(u);
  if (sub === 'status' || sub === 'list') {
    const ps = (c.sms || '60 -').split('\n');
    const top = ps[0].split(' ');
    const lines = ['sms ' + (u.hal.openModem ? 'modem: ' + (s.on ? 'session running' : s.said) : 'no modem on this unit') + '; key ' + (top[1] !== '-' ? 'set' : 'not set') + ', every ' + top[0] + ' s, counter ' + s.last + (s.until > u.time() ? ', codes locked for ' + (s.until - u.time()) + ' s' : '')];
    for (let i = 1; i < ps.length; i++) {
      const w = ps[i].split(' ');
      lines.push(w[1] + ' ' + (w[0] === 'a' ? 'admin' : 'user of ' + w.slice(2).join(',')));
    }
    lines.push(ps.length - 1 + ' phone(s)');
    return done(lines);
  }
  if (sub === 'test' || sub === 'now') {
    if (!u.hal.openModem) return fail('no modem on this unit');
    if (sub === 'test') {
      const to = plainNumber(a[1] || '');
      const text = a.slice(2).join(' ') || 'test from the unit';
      if (!phoneNumber(to)) return fail('usage: sms test <number> [text]');
      if (gsmLength(text) < 0 || gsmLength(text) > 160) return fail('the text must be GSM characters, 160 at most');
      if (s.outbox.length >= 3) return fail('three test messages wait already');
      s.outbox.push({ to: to, text: text });
    }
    s.soon = true;
    return done([sub === 'test' ? 'test message queued for the next session' : 'a session opens in a few seconds']);
  }
  const raw = exportSms(c.sms);
  const phones = raw.phones as Phone[];
  const num = plainNumber(a[1] || '');
  let ok = '';
  if (sub === 'add' || sub === 'rm') {
    if (!a[1] || (sub === 'add' && !a[2])) return fail('usage: sms add <number> admin|<account>[,<account>...] | sms rm <number>');
    let at = -1;
    for (let i = 0; i < phones.length; i++) if (phones[i].number === num) at = i;
    if (sub === 'rm') {
      if (at < 0) return fail('no phone ' + num + ' on the list');
      phones.splice(at, 1);
      ok = 'phone ' + num + ' removed';
    } else {
      const p: Phone = a[2] === 'admin' ? { number: num, admin: true } : { number: num, accounts: a[2].split(',') };
      if (at >= 0) phones[at] = p;
      else phones.push(p);
      ok = 'phone ' + num + (at >= 0 ? ' changed' : ' added');
    }
  } else if (sub === 'key' || sub === 'every') {
    if (ctx.role < TECHNICIAN) return fail('sms ' + sub + ' needs the technician role');
    if (!a[1]) return fail('usage: sms key <32 hex digits>|none | sms every <seconds>');
    if (sub === 'every') raw.everySeconds = +a[1] === +a[1] ? +a[1] : a[1];
    else if (a[1] === 'none') delete raw.key;
    else raw.key = a[1];
    ok = sub === 'key' ? (a[1] === 'none' ? 'SMS key removed: commands with a code are refused' : 'SMS key set') : 'sessions every ' + a[1] + ' s';
  } else return fail('usage: sms [status] | sms add|rm|test|now ... | sms key|every ... (technician)');
  const room = noRoom(u, putVars(c.accounts.n), 'change');
  if (room) return fail(room);
  const one = smsSection(raw, nameList(c.accounts.names));
  if (typeof one !== 'string') return fail(one.error);
  const was = c.sms;
  c.sms = one;
  const st = u.storage;
  if (st && !saveConfig(st, configSource(c), u.core, [])) {
    c.sms = was;
    u.problem();
    return fail('not applied: ' + st.error);
  }
  return changed([ok]);
}
