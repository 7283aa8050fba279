// Decisions and event-log lines in the console's words, for the console modules that print
// them (commands.ts: receipts, relays, tokens; log-commands.ts: the event log).
import { Unit } from '../unit';
import { refusal } from './dispatch';
import { formatMoney } from './words';
import { nameAt } from '../tables';

/** Meter "m3" of a decision by its name: a live decision's index is the configuration's now; a
 *  logged one's was the configuration's then, so it is named only while that meter still
 *  belongs to the entry's account (`acct`), else left as it is. */
function meterWord(u: Unit, s: string, acct: string | null): string {
  const ms = u.cfg.meters;
  const m = +s.substr(1);
  return ((acct === '' || nameAt(u.cfg.accounts.names, ms.account[m]) === acct) && nameAt(ms.names, m)) || s;
}

/** An event-log or decision line in the console's words: account and meter names, money with
 *  three decimals. The core's trace form ("ledger #7 a0 topup 12500 bal 12500", what the log
 *  stores and golden traces compare) names accounts and meters by index, money in milli-units.
 *  acct: '' for a live decision (indices are today's); for a log entry the account's name as
 *  logged, or null when the entry has none (a money entry recovered at boot): an index from
 *  another configuration is never guessed at, it stays as it is. The figures go into o (JSON).
 *  Text of another form comes back unchanged. */
export function plain(u: Unit, text: string, acct: string | null, o: { [k: string]: unknown }): string {
  const w = text.split(' ');
  const k = w[0];
  const led = k === 'ledger';
  let i = led ? 2 : 1;
  const need = led ? 7 : k === 'relay' || k === 'event' ? 4 : k === 'alarm' || k === 'clear' ? 5 : k === 'refused' ? 3 : 99;
  if (w.length < need || (led && w[1].charAt(0) !== '#')) return text;
  const who = w[i++] || '';
  const n = who.substr(1);
  if (who !== 'unit' && ((who.charAt(0) !== 'a' && who.charAt(0) !== 'm') || String(parseInt(n, 10)) !== n)) return text;
  // "a3" is an account, "m3" a meter (without an account), an event may name both.
  const name = who === 'unit' ? 'unit' : who.charAt(0) === 'm' ? meterWord(u, who, acct === '' ? '' : null) : acct || (acct === '' && nameAt(u.cfg.accounts.names, +n)) || who;
  let meter = '';
  if (k === 'event' && w.length > 4 && w[i].charAt(0) === 'm') meter = ' meter ' + meterWord(u, w[i++], acct);
  const v = +w[i + 1];
  if (led) {
    o.seq = +w[1].substr(1);
    o.amount = v;
    o.balance = +w[i + 3];
    for (let j = i + 4; j < w.length; j++) {
      if (w[j] === 'ref') meter += ' corrects #' + w[++j];
      else meter += ' meter ' + meterWord(u, w[j], acct);
    }
    return 'ledger ' + w[1] + ' ' + name + ' ' + w[i] + ' ' + formatMoney(v) + ' balance ' + formatMoney(+w[i + 3]) + meter;
  }
  if (k === 'relay') return 'relay ' + name + (w[i] === 'close' ? ' on (' : ' off (') + w[i + 1] + ')';
  if (k === 'alarm' || k === 'clear') return 'alarm ' + name + ' ' + w[i] + (k === 'alarm' ? ' low credit' : ' cleared') + ', balance ' + formatMoney(+w[i + 2]);
  if (k === 'refused') return name + ' ' + refusal(w[i]);
  // An event's value: energy (Wh) for register events, money for a deferred cut, watts for an
  // overload; none for mode and clock events.
  const c = w[i];
  const e = c === 'cut-deferred' ? ', balance ' + formatMoney(v) : c.indexOf('overload-') === 0 ? (v ? ' ' + v + ' W' : '') : c.indexOf('mode-') === 0 || c.indexOf('time-') === 0 ? '' : ' ' + formatMoney(v) + ' kWh';
  return 'event ' + name + meter + ' ' + c + e;
}
