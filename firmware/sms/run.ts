// The `sms` module's entry (firmware/modules.ts): one SMS session of the unit on the modem's
// line, opened by the resident scheduler (Unit.smsTick) between poll cycles. It takes the phone
// list and key from the configuration and the counter, guard and sequence number from the
// unit's SMS state, runs the session (sms/session.ts), keeps what changed in the EEPROM, and
// hands the line back. While it runs, the session's objects keep this module in the heap; once
// it has ended nothing of it stays.
import type { ModemLine, ModemReport } from '../../hal/modem';
import type { Unit } from '../unit';
import { SmsOut } from './asked';
import { SmsPhone, receipt } from './commands';
import { SmsSetup } from './service';
import { OUTBOX, smsSession } from './session';
import { smsState } from './state';

/** The phones of the configuration's `sms` string (config.ts Config.sms): after its first line,
 *  "a <number>" or "u <number> <account> ..." each. */
export function phoneList(sms: string): SmsPhone[] {
  const out: SmsPhone[] = [];
  const l = sms ? sms.split('\n') : [];
  for (let i = 1; i < l.length; i++) {
    const w = l[i].split(' ');
    out.push({ number: w[1], admin: w[0] === 'a', accounts: w.slice(2) });
  }
  return out;
}

/** The key of the configuration's `sms` string, or null when it has none. */
export function smsKey(sms: string): Uint8Array | null {
  const h = sms.split('\n')[0].split(' ')[1];
  if (!h || h.length !== 32) return null;
  const k = new Uint8Array(16);
  for (let i = 0; i < 16; i++) k[i] = parseInt(h.substr(2 * i, 2), 16);
  return k;
}

/** The report as `sms status` says it. */
export function reportText(r: ModemReport): string {
  const st = ['off or silent', 'not set up', 'not registered', 'ready'][r.state];
  return st + (r.state < 3 ? ' (' + r.why + ')' : '') + ', signal ' + (r.signal === 99 ? 'unknown' : r.signal + '/31') + ', read ' + r.read + ', sent ' + r.sent;
}

/** Runs one session on unit u over line; done() once it has ended. */
export function runSms(u: Unit, line: ModemLine, done: () => void): void {
  const s = smsState(u);
  const c = u.cfg;
  // The state itself takes the list and the key for the session (the counter, the guard and the
  // commands asked for are on it already); they are let go when the session ends.
  const setup = s as unknown as SmsSetup;
  setup.phones = phoneList(c.sms);
  setup.key = smsKey(c.sms);
  // the answers of the commands asked for last time made receipts (the oldest dropped past OUTBOX)
  const f: SmsOut[] = [];
  for (let i = 0; i < s.outbox.length; i++) {
    const m = s.outbox[i];
    const p = m.verb ? receipt(!m.bad, m.verb, [m.text]) : [m.text];
    for (let k = 0; k < p.length; k++) f.push(m.verb ? { to: m.to, text: p[k] } : m);
  }
  while (f.length > OUTBOX) f.shift();
  s.outbox = f;
  const x = smsSession(u, setup, {
    write: line.write,
    power: line.power,
    cycle: s.silent >= 2,
    lte: line.lte,
    sent: s.sent,
    lastAlarm: s.lastAlarm,
    first: f,
    drop: s.drop,
    done: function (r: ModemReport, sent: number) {
      line.listen(null);
      delete (setup as { phones?: unknown }).phones;
      delete (setup as { key?: unknown }).key;
      s.sent = sent;
      // two silent sessions in a row: the next switches the module off and on first
      s.silent = r.state ? 0 : s.silent + 1;
      s.said = reportText(r);
      // (the record is kept by the `sma` module, after the commands asked for have run)
      done();
    },
  });
  line.listen(function (d: string) {
    x.feed(d);
  });
}
