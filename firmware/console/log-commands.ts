// The console's history, an on-demand module (firmware/modules.ts): the event log (log) and the
// freeze records (freeze), read from the EEPROM newest first and printed as they are read.
import { secondsFromCivil } from '../../hal/calendar';
import { dayOf } from '../billing/tariff';
import { Answer, done, fail } from './answer';
import { CommandContext, Run, accountIndex, noAccount, offset, runLine, stamp } from './dispatch';
import { Shell } from './shell';
import { formatMoney, freezeLine, parseDateTime, parseOptions, parseWhole } from './words';
import { Unit } from '../unit';
import { readLog, readFreezes } from '../storage/history';
import { plain } from './plain';
import { nameAt } from '../tables';

/** Event-log filter for `log`. */
export interface LogFilter {
  account: number;
  kind: string;
  from: number;
  to: number;
}

/** Runs one line of `log` or `freeze` in session sh. */
export function runLogCommand(u: Unit, sh: Shell, line: string): void {
  runLine(u, sh, line, logCommands(u));
}

/** The kinds of the event log (`log kind=`): money, supply, the unit. */
export function logKinds(): string[] {
  return ['topup refund correction transfer token', 'alarm clear relay relay-alarm event refused meter', 'command time config freeze boot uplink'];
}

/** Prints event-log entries newest first as they are read, in the console's words: a text line
 *  each, or a JSON line each with the entry's fields. Printed one by one, a long log never sits
 *  in the heap whole (as config export). Returns how many. */
function events(u: Unit, sh: Shell, f: LogFilter, max: number): number {
  const core = u.core;
  const off = core.cfg.calendar.utcOffsetS;
  const storage = u.storage;
  let n = 0;
  const line = function (t: number, a: string, k: string, x: string): string {
    const o: { [k: string]: unknown } = { time: t, account: a, kind: k };
    o.text = plain(u, x, a || null, o);
    sh.opts.print(sh.json ? JSON.stringify({ ok: true, cmd: 'log', entry: o }) : stamp(t, off) + ' ' + o.text);
    n++;
    return '';
  };
  if (storage && !storage.store.readOnly) {
    const st = storage.store;
    readLog(st.events, st.money === st.events ? null : st.money, { account: f.account >= 0 ? nameAt(core.cfg.accounts.names, f.account) : '', kind: f.kind, from: f.from, to: f.to }, max, line, core.cfg.accounts.names);
    return n;
  }
  const ring = u.logRing || [];
  for (let i = ring.length - 1; i >= 0 && n < max; i--) {
    const e = ring[i];
    if (f.account >= 0 && e.account !== f.account) continue;
    if (f.kind && e.kind !== f.kind) continue;
    if (e.time < f.from || e.time >= f.to) continue;
    // the RAM log keeps account indices: named by today's configuration, as its filter does
    line(e.time, e.account >= 0 ? nameAt(core.cfg.accounts.names, e.account) || '' : '', e.kind, e.text);
  }
  return n;
}

/** Entries a ring wrote over: all it was given beyond its slots. */
function overwritten(r: { seq: number; slots: number }): number {
  return r.seq > r.slots ? r.seq - r.slots : 0;
}

/** Freeze record lines newest first. */
function freeze(u: Unit, kind: string, a: number, from: number, to: number): string[] {
  const storage = u.storage;
  if (!storage) return ['no EEPROM on this unit: no freeze records'];
  const core = u.core;
  const off = core.cfg.calendar.utcOffsetS;
  const fs = readFreezes(kind === 'month' ? storage.store.monthly : storage.store.daily, a >= 0 ? nameAt(core.cfg.accounts.names, a) : '', dayOf(from + off), dayOf(to + off), 200);
  const out: string[] = [];
  for (let i = 0; i < fs.length; i++) out.push(freezeLine(fs[i]));
  return out;
}

function parseDay(s: string | undefined, def: number, off: number): number | string {
  if (s === undefined) return def;
  const t = parseDateTime(s.length === 10 ? s + ' 00:00' : s);
  if (!t.ok) return t.error;
  return secondsFromCivil(t.value[0], t.value[1], t.value[2], t.value[3], t.value[4], t.value[5]) - off;
}

/** The history commands: a command's run, or null. */
function logCommands(u: Unit): (name: string) => Run | null {
  const find = function (name: string): Run | null {
    switch (name) {
      case 'log':
        return function (ctx: CommandContext): Answer | null {
          const o = parseOptions(ctx.args, 0, ['acct', 'kind', 'from', 'to', 'n']);
          if (!o.ok) return fail(o.error);
          const v = o.value;
          const a = v.acct === undefined ? -1 : accountIndex(u, v.acct);
          if (v.acct !== undefined && a < 0) return noAccount(v.acct);
          const from = parseDay(v.from, 0, offset(u));
          const to = parseDay(v.to, 1e12, offset(u));
          if (typeof from === 'string') return fail(from);
          if (typeof to === 'string') return fail(to);
          const n = parseWhole(v.n || '20', 'n', 1, 1000);
          if (!n.ok) return fail(n.error);
          const kinds = logKinds();
          // An array's indexOf: Espruino's String indexOf takes a needle that runs past the
          // end of the text for a match when its start matches the end (' boot' in 'x ').
          const all = kinds.join(' ').split(' ');
          if (v.kind !== undefined && all.indexOf(v.kind) < 0) {
            const e = 'no log kind "' + v.kind + '"';
            return { ok: false, lines: ['error: ' + e + '; the kinds are:'].concat(kinds), data: { error: e, kinds: all } };
          }
          const k = events(u, ctx.shell, { account: a, kind: v.kind || '', from: from, to: v.to && v.to.length === 10 ? to + 86400 : to }, n.value);
          // The EEPROM's logs are rings: what each wrote over, and the accounts' totals, which
          // no ring can lose (the balance is every entry's sum: other = refunds, corrections
          // and transfers).
          const st = u.storage && !u.storage.store.readOnly ? u.storage.store : null;
          const over = st ? overwritten(st.events) : 0;
          const mo = st && st.money !== st.events ? overwritten(st.money) : 0;
          const core = u.core;
          const t = { entries: k, overwritten: over, moneyOverwritten: mo, toppedUp: 0, charged: 0, other: 0, balance: 0 };
          for (let i = 0; i < core.cfg.accounts.n; i++) {
            if (a >= 0 && i !== a) continue;
            t.toppedUp += core.topupMilli[i];
            t.charged += core.chargedMilli[i];
            t.balance += core.balance[i];
          }
          t.other = t.balance - t.toppedUp + t.charged;
          const lines = k ? [] : ['(no entries)'];
          if (mo + over) lines.push('(older entries overwritten: money log ' + mo + ', event log ' + over + ')');
          if (mo || a >= 0) lines.push('(' + (a >= 0 ? nameAt(core.cfg.accounts.names, a) : 'all accounts') + ' since start: topped up ' + formatMoney(t.toppedUp) + ', charged ' + formatMoney(t.charged) + ', other ' + formatMoney(t.other) + ', balance ' + formatMoney(t.balance) + ')');
          return done(lines, t);
        };
      case 'freeze':
        return function (ctx: CommandContext): Answer | null {
          const kind = ctx.args[0];
          if (kind !== 'day' && kind !== 'month') return fail('usage: freeze day|month [acct=..] [from=..] [to=..]');
          const o = parseOptions(ctx.args, 1, ['acct', 'from', 'to']);
          if (!o.ok) return fail(o.error);
          const a = o.value.acct === undefined ? -1 : accountIndex(u, o.value.acct);
          if (o.value.acct !== undefined && a < 0) return noAccount(o.value.acct);
          const from = parseDay(o.value.from, 0, offset(u));
          const to = parseDay(o.value.to, 1e12, offset(u));
          if (typeof from === 'string') return fail(from);
          if (typeof to === 'string') return fail(to);
          const lines = freeze(u, kind, a, from, to);
          return done(lines.length ? lines : ['(no records)'], { records: lines });
        };
    }
    return null;
  };
  return find;
}
