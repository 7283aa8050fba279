// What an SMS asks the unit to do (seed 002, section 2.2). A message from a number not on the
// unit's list gets nothing at all. An administrator may top up (an OpenPAYGO token, which proves
// itself), ask for any account's balance, switch supply and change prices and alarm levels
// (those carry a counter and code, sms/auth.ts); a user may ask for the balance of their own
// accounts. The grammar is short and case-insensitive; what changes something is run as the
// console command it stands for, so that the checks, the ledger and the answer are the
// console's own (the receipt is made from that answer).
import { Result, fail, ok } from '../../hal/result';
import { OPERATOR, TECHNICIAN } from '../console/shell';
import { splitWords } from '../console/words';
import { checkCode } from './auth';
import { gsmLength, plainNumber } from '../../hal/modem';

/** A number on the unit's list: an administrator, or a user of the accounts named. */
export interface SmsPhone {
  number: string;
  admin: boolean;
  accounts: string[];
}

/** What a message asks for: a console line to run with a role (code: the counter its code used,
 *  to keep once it ran), or a reply to send as it is (an inquiry's account: `bal`). */
export interface SmsRequest {
  line?: string;
  role?: number;
  code?: number;
  reply?: string;
  bal?: string;
}

/** The commands that carry a counter and code (sms/auth.ts). */
export const CODE_VERBS = ['ON', 'OFF', 'AUTO', 'PRICE', 'ALARM'];

/** The words of the SMS commands, for `HELP`. */
export function smsHelp(admin: boolean): string {
  return admin ? 'BAL <acct> | BUY <acct> <token> | ON|OFF|AUTO <acct> <n> <code> | PRICE <plan> <price> <n> <code> | ALARM <acct> <a,b,c> <n> <code>' : 'BAL [acct]';
}

/** The phone on list `phones` that number `from` is, or null. Numbers are compared as the
 *  network gives them, spaces and dashes left out. */
export function findPhone(phones: SmsPhone[], from: string): SmsPhone | null {
  const f = plainNumber(from);
  for (let i = 0; i < phones.length; i++) if (plainNumber(phones[i].number) === f) return phones[i];
  return null;
}

/** The request in text from phone p; `names`: the unit's account names, `plans` its plan
 *  names; key and last: the SMS key (null: none set, so nothing needing a code is taken) and
 *  the last counter taken. An error is the reply's text (the receipt says it failed). */
export function smsRequest(p: SmsPhone, text: string, names: string[], plans: string[], key: Uint8Array | null, last: number): Result<SmsRequest> {
  // the console's own word splitting (a message's line breaks count as spaces)
  const sw = splitWords(text.split('\r').join(' ').split('\n').join(' '));
  if (!sw.ok) return fail(sw.error);
  const w = sw.value;
  if (!w.length) return fail('empty message, send HELP');
  // a quoted word holding spaces would carry more words into the console line than were checked
  for (let i = 0; i < w.length; i++) if (w[i].indexOf(' ') >= 0) return fail('no quotes, please');
  const verb = w[0].toUpperCase();
  if (verb === 'HELP' || verb === '?') return ok({ reply: smsHelp(p.admin) });
  if (verb === 'BAL' || verb === 'INQ' || verb === 'BALANCE') {
    const a = w.length > 1 ? named(names, w[1]) : p.accounts.length === 1 ? p.accounts[0] : '';
    if (!a) return fail(w.length > 1 ? 'no account ' + w[1] : 'which account? BAL <acct>');
    if (!p.admin && p.accounts.indexOf(a) < 0) return fail('authority');
    return ok({ bal: a });
  }
  if (verb !== 'BUY' && CODE_VERBS.indexOf(verb) < 0) return fail('unknown command ' + w[0] + ', send HELP');
  if (!p.admin) return fail('authority');
  if (verb === 'BUY') {
    const a = w.length > 2 ? named(names, w[1]) : '';
    if (!a) return fail(w.length > 2 ? 'no account ' + w[1] : 'usage: BUY <acct> <token>');
    // the token's own digits prove it (tokens/openpaygo.ts); groups of digits may be spaced
    return ok({ line: 'token ' + a + ' ' + w.slice(2).join(''), role: OPERATOR });
  }
  if (!key) return fail('no SMS key on this unit');
  const c = checkCode(key, last, w);
  if (!c.ok) return fail(c.error);
  const args = w.slice(1, w.length - 2);
  if (verb === 'PRICE') {
    const plan = args.length > 1 ? named(plans, args[0]) : '';
    if (!plan) return fail(args.length > 1 ? 'no plan ' + args[0] : 'usage: PRICE <plan> <price> <n> <code>');
    const kv = args.slice(1);
    // a bare number is the flat price; else the console's own key=value words
    const set = kv.length === 1 && kv[0].indexOf('=') < 0 ? 'price=' + kv[0] : kv.join(' ').toLowerCase();
    return ok({ line: 'tariff set ' + plan + ' ' + set, role: TECHNICIAN, code: c.value });
  }
  const a = args.length ? named(names, args[0]) : '';
  if (!a) return fail(args.length ? 'no account ' + args[0] : 'usage: ' + verb + ' <acct> ... <n> <code>');
  if (verb === 'ALARM') {
    if (args.length !== 2) return fail('usage: ALARM <acct> <a,b,c> <n> <code>');
    return ok({ line: 'acct set ' + a + ' alarms=' + args[1], role: OPERATOR, code: c.value });
  }
  if (args.length !== 1) return fail('usage: ' + verb + ' <acct> <n> <code>');
  return ok({ line: 'relay ' + a + ' ' + verb.toLowerCase(), role: OPERATOR, code: c.value });
}

/** The name in names that s is, letter case aside, or ''. */
function named(names: string[], s: string): string {
  const u = s.toUpperCase();
  for (let i = 0; i < names.length; i++) if (names[i].toUpperCase() === u) return names[i];
  return '';
}

/** Parts a receipt may take; an answer longer still ends with "...". */
export const MAX_PARTS = 3;

/** The receipt for a message: OK or ERR, the command's word, what it said. One SMS when it fits
 *  160 GSM characters, else up to MAX_PARTS, each of at most 153 and marked " (k/n)" (a text-mode
 *  message cannot be joined by the phone: each part is a message of its own), cut between words
 *  where one ends in the part's second half. What the GSM alphabet lacks is sent as '?'. */
export function receipt(good: boolean, verb: string, said: string[]): string[] {
  const t = (good ? 'OK ' : 'ERR ') + verb.toUpperCase() + ': ' + said.join('; ');
  let g = '';
  for (let i = 0; i < t.length; i++) {
    // the console's "error: " left out, compared where it stands: Espruino (2v29) finds a longer
    // needle running past the string's end (tables.ts nameIndex), so split and indexOf by it
    // lost a reason ending in "e" ("code"), or all of a short one
    if (t.substr(i, 7) === 'error: ') i += 6;
    else g += gsmLength(t.charAt(i)) < 0 ? '?' : t.charAt(i);
  }
  if (gsmLength(g) <= 160) return [g];
  const parts: string[] = [];
  while (g && parts.length < MAX_PARTS) {
    let n = 0;
    let w = 0;
    // the longest start of at most 153 GSM characters (those of the extension table count two)
    while (n < g.length && w + gsmLength(g.charAt(n)) <= 153) w += gsmLength(g.charAt(n++));
    if (n < g.length) {
      // (the last space at or before n: Espruino has no lastIndexOf)
      let sp = n;
      while (sp > 0 && g.charAt(sp) !== ' ') sp--;
      if (sp > n / 2) n = sp + 1;
    }
    parts.push(g.substr(0, n).trim());
    g = g.substr(n);
  }
  if (g) parts[parts.length - 1] = parts[parts.length - 1].substr(0, 148) + '...';
  for (let k = 0; k < parts.length; k++) parts[k] += ' (' + (k + 1) + '/' + parts.length + ')';
  return parts;
}
