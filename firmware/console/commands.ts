// The console's commands, an on-demand module (firmware/modules.ts): loaded for each line the
// shell hands over, released after it. Configuration changes are config-commands.ts, a module
// of their own; money goes through the core like any event.
import { Core, Decision, formatDecision, modeNames } from '../core';
import { secondsFromCivil } from '../../hal/calendar';
import { hasFlag } from '../lib/bits';
import { dayOf } from '../billing/tariff';
import { Answer, changed, done, fail } from './answer';
import { Command, CommandContext, accountIndex, elsewhere, meterIndex, noAccount, offset, receipt, refusal, run, runLine, stamp } from './dispatch';
import { NONE, OPERATOR, READ, Shell, TECHNICIAN, roleNames } from './shell';
import { formatMoney, freezeLine, parseDateTime, parseMoney, parseOptions, parseWhole } from './words';
import { Unit, defaultPins } from '../unit';
import { exportLines, exportMeter, exportPlan } from '../config-export';
import { readLog, readFreezes } from '../storage/history';
import { about } from './about';

/** The command module's entry: runs one line typed in session sh. */
export type CommandEntry = (u: Unit, sh: Shell, line: string) => void;

/** Event-log filter for `log`. */
export interface LogFilter {
  account: number;
  kind: string;
  from: number;
  to: number;
}

/** Runs one command line in session sh. */
export function runCommand(u: Unit, sh: Shell, line: string): void {
  runLine(u, sh, line, makeCommands(u));
}

/** PIN per role index 1..3: the configuration's, else the factory ones. */
function pins(u: Unit): string[] {
  return u.cfg.pins;
}

/** Checks a PIN; after 5 wrong ones the console locks for 30 s, doubling each time up to 1 h. */
function signIn(u: Unit, sh: Shell, pin: string): Answer {
  const now = u.hal.clock.now();
  if (now < sh.lockedUntil) return fail('locked after wrong PINs, try again in ' + Math.ceil((sh.lockedUntil - now) / 1000) + ' s');
  const p = pins(u);
  for (let r = TECHNICIAN; r >= READ; r--) {
    if (p[r] && p[r] === pin) {
      sh.role = r;
      sh.wrong = 0;
      sh.lockouts = 0;
      const name = roleNames()[r];
      return done(['signed in as ' + name], { role: name });
    }
  }
  sh.wrong++;
  if (sh.wrong >= 5) {
    let wait = 30000;
    for (let i = 0; i < sh.lockouts && wait < 3600000; i++) wait *= 2;
    if (wait > 3600000) wait = 3600000;
    sh.lockouts++;
    sh.wrong = 0;
    sh.lockedUntil = now + wait;
    u.log(-1, 'command', 'none: login locked ' + wait / 1000 + 's');
    return fail('wrong PIN; console locked for ' + wait / 1000 + ' s');
  }
  const left = 5 - sh.wrong;
  return fail('wrong PIN (' + left + (left === 1 ? ' try' : ' tries') + ' left before a lock-out)');
}

function timeValid(u: Unit): boolean {
  u.time();
  return u.timeValid;
}

function setTime(u: Unit, s: number): string | null {
  if (u.hal.rtc) {
    const r = u.hal.rtc.set(s);
    if (!r.ok) return 'the clock chip did not take the time: ' + r.error;
  } else u.timeBase = s - Math.floor(u.hal.clock.now() / 1000);
  u.log(-1, 'time', 'time set');
  return null;
}

/** The status lines of the platform and the storage. */
function statusLines(u: Unit): string[] {
  const hal = u.hal;
  const p = pins(u);
  const lines = hal.platformStatus ? hal.platformStatus() : [];
  if (p[3] === defaultPins()[3]) lines.push('WARNING  factory technician PIN in use: set console.pins');
  const storage = u.storage;
  if (storage) {
    const st = storage.store;
    lines.push('STORAGE  ' + (st.readOnly ? 'NOT WRITTEN (see the boot report): state is lost at power-off' : u.storageError ? 'ERROR ' + u.storageError : 'ok') + ' journal seq ' + st.journal.seq + ' events ' + st.events.seq + ' config gen ' + st.configGen);
  } else lines.push('STORAGE  none: state is lost at power-off');
  const b = busFigures(u);
  if (b) lines.push('BUS      requests ' + b[0] + ', answered ' + b[1] + ', retries ' + b[2], 'BUS      timeouts ' + b[3] + ', bad replies ' + b[4] + ', meters lost ' + b[5]);
  else lines.push('BUS      no meter on the RS485 bus');
  return lines;
}

/** The meter bus's figures since boot: requests, answered, retries, timeouts, bad replies
 *  (checksum, CRC, framing), meters lost; null when no meter is on a bus. */
function busFigures(u: Unit): number[] | null {
  const m = u.metering;
  const bus = m && m.bus;
  if (!bus) return null;
  const t = [bus.requests, bus.successes, bus.retries, bus.timeouts, bus.crcErrors, m!.poller ? m!.poller.lost : []];
  const s = [0, 0, 0, 0, 0, 0];
  for (let k = 0; k < 6; k++) for (let i = 0; i < t[k].length; i++) s[k] += k < 5 ? t[k][i] : t[k][i] ? 1 : 0;
  return s;
}

/** Meter "m3" of a decision by its name: a live decision's index is the configuration's now; a
 *  logged one's was the configuration's then, so it is named only while that meter still
 *  belongs to the entry's account (`acct`), else left as it is. */
function meterWord(u: Unit, s: string, acct: string | null): string {
  const ms = u.cfg.meters;
  const m = +s.substr(1);
  return ((acct === '' || u.cfg.accounts.name[ms.account[m]] === acct) && ms.name[m]) || s;
}

/** An event-log or decision line in the console's words: account and meter names, money with
 *  three decimals. The core's trace form ("ledger #7 a0 topup 12500 bal 12500", what the log
 *  stores and golden traces compare) names accounts and meters by index, money in milli-units.
 *  acct: '' for a live decision (indices are today's); for a log entry the account's name as
 *  logged, or null when the entry has none (a money entry recovered at boot): an index from
 *  another configuration is never guessed at, it stays as it is. The figures go into o (JSON).
 *  Text of another form comes back unchanged. */
function plain(u: Unit, text: string, acct: string | null, o: { [k: string]: unknown }): string {
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
  const name = who === 'unit' ? 'unit' : who.charAt(0) === 'm' ? meterWord(u, who, acct === '' ? '' : null) : acct || (acct === '' && u.cfg.accounts.name[+n]) || who;
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

/** A decision the console reports, in its words. */
function said(u: Unit, d: Decision): string {
  return plain(u, formatDecision(d), '', {});
}

/** A receipt, with the decisions that came with it (alarms cleared, supply restored). */
function receiptWith(u: Unit, ds: Decision[], role: number): Answer {
  const a = receipt(u, ds, role);
  for (let i = 0; i < ds.length; i++) if (ds[i].kind !== 'ledger') a.lines.push(said(u, ds[i]));
  return a;
}

/** The kinds of the event log (`log kind=`): money, supply, the unit. */
function logKinds(): string[] {
  return ['topup refund correction transfer token', 'alarm clear relay relay-alarm event refused meter', 'command time config freeze boot'];
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
    readLog(st.events, st.money === st.events ? null : st.money, { account: f.account >= 0 ? core.cfg.accounts.name[f.account] : '', kind: f.kind, from: f.from, to: f.to }, max, line, core.cfg.accounts.name);
    return n;
  }
  const ring = u.logRing;
  for (let i = ring.length - 1; i >= 0 && n < max; i--) {
    const e = ring[i];
    if (f.account >= 0 && e.account !== f.account) continue;
    if (f.kind && e.kind !== f.kind) continue;
    if (e.time < f.from || e.time >= f.to) continue;
    // the RAM log keeps account indices: named by today's configuration, as its filter does
    line(e.time, e.account >= 0 ? core.cfg.accounts.name[e.account] || '' : '', e.kind, e.text);
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
  const fs = readFreezes(kind === 'month' ? storage.store.monthly : storage.store.daily, a >= 0 ? core.cfg.accounts.name[a] : '', dayOf(from + off), dayOf(to + off), 200);
  const out: string[] = [];
  for (let i = 0; i < fs.length; i++) out.push(freezeLine(fs[i]));
  return out;
}

function reboot(u: Unit): void {
  u.flush();
  u.log(-1, 'boot', 'reboot requested');
  if (u.hal.reboot) u.hal.reboot();
}

function money(u: Unit, ctx: CommandContext, kind: 'topup' | 'refund'): Answer {
  const a = accountIndex(u, ctx.args[0]);
  if (a < 0) return noAccount(ctx.args[0]);
  if (ctx.args.length !== 2) return fail('usage: ' + kind + ' <account> <amount>');
  const m = parseMoney(ctx.args[1], 'amount', false);
  if (!m.ok) return fail(m.error);
  const r = run(u, { t: kind, time: u.time(), account: a, amountMilli: m.value });
  const max = u.cfg.accounts.maxBalance[a];
  if (r.refused === 'hoarding') return fail(refusal(r.refused) + ' of ' + formatMoney(max) + ' (at most ' + formatMoney(Math.max(0, max - u.core.balance[a])) + ' more)');
  if (r.refused) return fail(refusal(r.refused));
  return receiptWith(u, r.ds, ctx.role);
}

/** An account's row for the JSON answers of `acct`. */
function accountJson(core: Core, a: number): { [k: string]: unknown } {
  return { name: core.cfg.accounts.name[a], balance: core.balance[a], relay: core.relay[a], mode: modeNames()[core.mode[a]], energyWh: core.energyWh[a] };
}

function accountLine(core: Core, a: number): string {
  const t = core.cfg.accounts;
  const ms = core.cfg.meters;
  let meters = '';
  for (let m = 0; m < ms.n; m++) if (ms.account[m] === a) meters += (meters ? ',' : '') + ms.name[m];
  let alarms = 0;
  for (let i = 0; i < t.alarmAt[a + 1] - t.alarmAt[a]; i++) if (hasFlag(core.alarmMask[a], i)) alarms = i + 1;
  return pad(t.name[a], 8) + ' ' + lpad(formatMoney(core.balance[a]), 11) + ' ' + pad(core.relay[a] === 1 ? 'on' : 'OFF', 4) + pad(modeNames()[core.mode[a]], 5) + pad(alarms ? 'L' + alarms : '-', 3) + lpad(formatMoney(core.energyWh[a]), 11) + ' ' + meters;
}

/** Prints a list row by row as it is made (a floor's rows at once would crowd a Pico's heap):
 *  the header and a text line each, or a JSON line each with the row as `key`; the answer that
 *  follows gives the count (as `key` + 's'). */
function listed(sh: Shell, cmd: string, key: string, header: string, n: number, row: (i: number, json: boolean) => unknown): Answer {
  if (!sh.json) sh.opts.print(header);
  for (let i = 0; i < n; i++) {
    if (!sh.json) {
      sh.opts.print(row(i, false) as string);
      continue;
    }
    const o: { [k: string]: unknown } = { ok: true, cmd: cmd };
    o[key] = row(i, true);
    sh.opts.print(JSON.stringify(o));
  }
  const d: { [k: string]: unknown } = {};
  d[key + 's'] = n;
  return done([], d);
}

function pad(s: string, n: number): string {
  while (s.length < n) s += ' ';
  return s;
}

function lpad(s: string, n: number): string {
  while (s.length < n) s = ' ' + s;
  return s;
}

function parseDay(s: string | undefined, def: number, off: number): number | string {
  if (s === undefined) return def;
  const t = parseDateTime(s.length === 10 ? s + ' 00:00' : s);
  if (!t.ok) return t.error;
  return secondsFromCivil(t.value[0], t.value[1], t.value[2], t.value[3], t.value[4], t.value[5]) - off;
}

/** Usage, help and roles of command c as role r may use it: a command whose changes need a
 *  higher role (acct open, meter add, tariff set, time set) shows a lower role only its reading. */
function aboutFor(c: Command, r: number): string[] {
  const x = about(c.name);
  const more = x && x[4] ? +x[4] : 0;
  if (more > r) return [x![2], x![3], roleNames()[c.role]];
  return [c.usage, c.help, roleNames()[c.role] + (more ? ' for ' + x![2] + ', ' + roleNames()[more] + ' for the rest' : '')];
}

/** The commands by name, in the order help lists them. */
export function commandNames(): string[] {
  return 'help login logout json status time acct meter topup refund correct relay tariff log freeze config token reboot factory-reset'.split(' ');
}

/** The command table: a command of that name, or null. Each is built when it is asked for,
 *  so that on the board its texts and code stay in flash instead of the heap. */
export function makeCommands(u: Unit): (name: string) => Command | null {
  const find = function (name: string): Command | null {
    switch (name) {
      case 'help':
        return {
          name: 'help', role: NONE, usage: 'help [command]', help: 'Lists the commands your role may use, or explains one.',
          run: function (ctx) {
            // Not signed in, the list is the read role's, marked "(sign in)".
            const r = Math.max(ctx.role, READ);
            if (ctx.args.length) {
              const c = find(ctx.args[0]);
              if (!c) return fail('no command "' + ctx.args[0] + '"');
              const x = aboutFor(c, r);
              return done(['usage: ' + x[0], x[1], 'role: ' + x[2]], { usage: x[0], help: x[1], role: x[2] });
            }
            const lines: string[] = [];
            const names: string[] = [];
            const all = commandNames();
            for (let i = 0; i < all.length; i++) {
              const c = find(all[i]) as Command;
              if (c.role <= r) {
                lines.push(pad(aboutFor(c, r)[0], 44) + (c.role > ctx.role ? ' (sign in)' : ''));
                names.push(c.name);
              }
            }
            lines.push('help <command> explains one; money as 12.50; times as 2026-03-01 08:30');
            return done(lines, { commands: names });
          },
        };
      case 'login':
        return {
          name: 'login', role: NONE, usage: 'login <pin>', help: 'Signs in; the PIN gives the role (read, operator, technician).',
          run: function (ctx) {
            if (ctx.args.length !== 1) return fail('usage: login <pin>');
            return signIn(u, ctx.shell, ctx.args[0]);
          },
        };
      case 'logout':
        return {
          name: 'logout', role: NONE, usage: 'logout', help: 'Signs out.',
          run: function (ctx) {
            ctx.shell.role = NONE;
            return done(['signed out']);
          },
        };
      case 'json':
        return {
          name: 'json', role: NONE, usage: 'json on|off', help: 'Answers as JSON lines for scripts, each with its command (cmd): one per answer; log, config export and the acct and meter lists one per entry, then the answer. Or as text.',
          run: function (ctx) {
            if (ctx.args[0] !== 'on' && ctx.args[0] !== 'off') return fail('usage: json on|off');
            ctx.shell.json = ctx.args[0] === 'on';
            return done(['json ' + ctx.args[0]], { json: ctx.shell.json });
          },
        };
      case 'status':
        return {
          name: 'status', role: READ, usage: 'status', help: 'Time, accounts, alarms, storage, the meter bus (requests, answers, errors, meters lost) and, on the board, memory.',
          run: function () {
            const core = u.core;
            let on = 0;
            let alarmed = 0;
            let total = 0;
            for (let a = 0; a < core.cfg.accounts.n; a++) {
              if (core.relay[a] === 1) on++;
              if (core.alarmMask[a]) alarmed++;
              total += core.balance[a];
            }
            const lines = [
              'time     ' + stamp(u.time(), offset(u)) + ' local' + (timeValid(u) ? '' : ' (NOT SET: billing at the safe price)'),
              'accounts ' + core.cfg.accounts.n + ', supplied ' + on + ', in alarm ' + alarmed + ', balances ' + formatMoney(total),
              'meters   ' + core.cfg.meters.n + ', ledger at #' + core.ledger.seq,
            ].concat(statusLines(u));
            const data: { [k: string]: unknown } = { time: u.time(), timeValid: timeValid(u), accounts: core.cfg.accounts.n, supplied: on, alarmed: alarmed, meters: core.cfg.meters.n, seq: core.ledger.seq, bus: busFigures(u) };
            if (u.hal.freeVars) data.free = u.hal.freeVars();
            return done(lines, data);
          },
        };
      case 'time':
        return {
          name: 'time', role: READ, usage: about('time')![0], help: about('time')![1],
          run: function (ctx) {
            if (!ctx.args.length) return done([stamp(u.time(), offset(u)) + ' local, UTC' + (offset(u) >= 0 ? '+' : '') + offset(u) / 3600 + (timeValid(u) ? '' : ' NOT SET')], { utc: u.time(), valid: timeValid(u) });
            if (ctx.args[0] !== 'set' || ctx.args.length < 2) return fail('usage: time set YYYY-MM-DD HH:MM[:SS]');
            if (ctx.role < TECHNICIAN) return fail('setting the time needs the technician role');
            const t = parseDateTime(ctx.args.slice(1).join(' '));
            if (!t.ok) return fail(t.error);
            const utc = secondsFromCivil(t.value[0], t.value[1], t.value[2], t.value[3], t.value[4], t.value[5]) - offset(u);
            const e = setTime(u, utc);
            return e ? fail(e) : changed(['time set to ' + stamp(utc, offset(u)) + ' local'], { utc: utc });
          },
        };
      case 'acct':
        return {
          name: 'acct', role: READ, usage: about('acct')![0], help: about('acct')![1],
          run: function (ctx) {
            const core = u.core;
            const sub = ctx.args[0];
            if (sub === undefined) {
              return listed(ctx.shell, 'acct', 'account', 'account      balance relay mode alarm  energy kWh meters', core.cfg.accounts.n, function (a: number, json: boolean) {
                return json ? accountJson(core, a) : accountLine(core, a);
              });
            }
            if (sub === 'open' || sub === 'set' || sub === 'close') return elsewhere(ctx);
            const a = accountIndex(u, sub);
            if (a < 0) return noAccount(sub);
            const t = u.cfg.accounts;
            const lv: string[] = [];
            for (let k = t.alarmAt[a]; k < t.alarmAt[a + 1]; k++) lv.push(formatMoney(t.alarm[k]));
            const row = accountJson(core, a);
            row.chargedMilli = core.chargedMilli[a];
            return done([
              'account      balance relay mode alarm  energy kWh meters',
              accountLine(core, a),
              'plan ' + u.cfg.planNames[t.plan[a]] + ', alarms ' + lv.join(',') + ', limit ' + formatMoney(t.creditLimit[a]) + ', reconnect ' + formatMoney(t.reconnect[a]) + ', max ' + (t.maxBalance[a] ? formatMoney(t.maxBalance[a]) : 'none'),
              'charged ' + formatMoney(core.chargedMilli[a]) + ', month ' + formatMoney(core.monthlyWh[a]) + ' kWh' + (core.ovLocked[a] ? ', OVERLOAD LOCKED OUT' : core.ovTripped[a] ? ', overload tripped' : ''),
            ], row);
          },
        };
      case 'meter':
        return {
          name: 'meter', role: READ, usage: about('meter')![0], help: about('meter')![1],
          run: function (ctx) {
            const core = u.core;
            const sub = ctx.args[0];
            if (sub === undefined) {
              return listed(ctx.shell, 'meter', 'meter', 'meter    account  proto   address        import kWh', u.cfg.meters.n, function (m: number, json: boolean) {
                const r = exportMeter(u.cfg, m);
                return json ? r : pad(r.name as string, 8) + ' ' + pad(r.account as string, 8) + ' ' + pad(String(r.proto || '-'), 7) + ' ' + pad(String(r.addr || '-'), 12) + lpad(core.has[m] ? formatMoney(core.lastImp[m]) : '-', 12);
              });
            }
            const name = ctx.args[1];
            if (sub === 'read') {
              const m = meterIndex(u, name);
              if (m < 0) return fail('no meter "' + name + '"');
              if (!u.metering) return fail('no meter bus on this unit');
              u.metering.read(m, ctx.later);
              return null;
            }
            if (sub === 'add' || sub === 'set' || sub === 'rm') return elsewhere(ctx);
            const m = meterIndex(u, sub);
            if (m < 0) return fail('no meter "' + sub + '"');
            const me = exportMeter(u.cfg, m);
            return done([JSON.stringify(me), 'billed register ' + (core.has[m] ? formatMoney(core.lastImp[m]) + ' kWh import, ' + formatMoney(core.lastExp[m]) + ' kWh export' : 'none yet') + (core.susp[m] ? ', SUSPECT reading held' : '')], { meter: me, importWh: core.lastImp[m], exportWh: core.lastExp[m] });
          },
        };
      case 'topup':
        return {
          name: 'topup', role: OPERATOR, usage: 'topup <account> <amount>', help: 'Adds credit and prints a receipt.',
          run: function (ctx) { return money(u, ctx, 'topup'); },
        };
      case 'refund':
        return {
          name: 'refund', role: OPERATOR, usage: 'refund <account> <amount>', help: 'Returns electricity money (not more than the balance), with a receipt.',
          run: function (ctx) { return money(u, ctx, 'refund'); },
        };
      case 'correct':
        return {
          name: 'correct', role: OPERATOR, usage: 'correct <receipt-number>', help: 'Reverses a wrong top-up or refund (one of the last 16), once.',
          run: function (ctx) {
            const n = parseWhole(ctx.args[0] || '', 'receipt number', 1, 1e12);
            if (!n.ok || ctx.args.length !== 1) return fail(n.ok ? 'usage: correct <receipt-number>' : n.error);
            const r = run(u, { t: 'correct', time: u.time(), seq: n.value });
            if (r.refused) return fail(refusal(r.refused));
            return receiptWith(u, r.ds, ctx.role);
          },
        };
      case 'relay':
        return {
          name: 'relay', role: OPERATOR, usage: 'relay <account> on|off|auto|reset', help: 'on = guaranteed power, off = forced off, auto = prepay rules, reset = clear an overload lock-out.',
          run: function (ctx) {
            const a = accountIndex(u, ctx.args[0]);
            if (a < 0) return noAccount(ctx.args[0]);
            const what = ctx.args[1];
            const mode = what === 'on' ? 1 : what === 'off' ? 2 : what === 'auto' ? 0 : -1;
            if (mode < 0 && what !== 'reset') return fail('usage: relay <account> on|off|auto|reset');
            const ds = u.handle(mode < 0 ? { t: 'overload-reset', time: u.time(), account: a } : { t: 'mode', time: u.time(), account: a, mode: mode });
            const lines: string[] = [];
            for (let i = 0; i < ds.length; i++) lines.push(said(u, ds[i]));
            lines.push(ctx.args[0] + ' relay ' + (u.core.relay[a] === 1 ? 'on' : 'off') + ', mode ' + modeNames()[u.core.mode[a]]);
            return done(lines, { account: ctx.args[0], relay: u.core.relay[a], mode: modeNames()[u.core.mode[a]] });
          },
        };
      case 'tariff':
        return {
          name: 'tariff', role: READ, usage: about('tariff')![0], help: about('tariff')![1],
          run: function (ctx) {
            const sub = ctx.args[0];
            const names = u.cfg.planNames;
            if (sub === undefined) return done(['plans: ' + names.join(', ')], { plans: names });
            if (sub !== 'set') {
              const i = names.indexOf(sub);
              if (i < 0) return fail('no plan "' + sub + '"');
              const p = exportPlan(u.cfg, i);
              return done([sub + ' ' + JSON.stringify(p)], { plan: sub, def: p });
            }
            return elsewhere(ctx);
          },
        };

      case 'log':
        return {
          name: 'log', role: READ, usage: 'log [acct=R1] [kind=topup] [from=DATE] [to=DATE] [n=20]', help: 'Event log, newest first, with filters; kinds: ' + logKinds().join(' ') + '.',
          run: function (ctx) {
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
            if (mo || a >= 0) lines.push('(' + (a >= 0 ? core.cfg.accounts.name[a] : 'all accounts') + ' since start: topped up ' + formatMoney(t.toppedUp) + ', charged ' + formatMoney(t.charged) + ', other ' + formatMoney(t.other) + ', balance ' + formatMoney(t.balance) + ')');
            return done(lines, t);
          },
        };
      case 'freeze':
        return {
          name: 'freeze', role: READ, usage: 'freeze day|month [acct=R1] [from=DATE] [to=DATE]', help: 'Daily or monthly freeze records (energy by period, money).',
          run: function (ctx) {
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
          },
        };
      case 'config':
        return {
          name: 'config', role: TECHNICIAN, usage: about('config')![0], help: about('config')![1],
          run: function (ctx) {
            // import is the cfg module's (firmware/unit.ts moduleFor)
            if (ctx.args[0] !== 'export') return fail('usage: config export | config import');
            const sh = ctx.shell;
            exportLines(u.cfg, function (line: string) {
              sh.opts.print(sh.json ? JSON.stringify({ ok: true, cmd: 'config', part: line }) : line);
            });
            return done([]);
          },
        };
      case 'token':
        return {
          name: 'token', role: READ, usage: 'token <account> <digits>', help: 'Enters a top-up token (9, 12, 15 or 20 digits; spaces allowed).',
          run: function (ctx) {
            const a = accountIndex(u, ctx.args[0]);
            if (a < 0) return noAccount(ctx.args[0]);
            if (ctx.args.length < 2) return fail('usage: token <account> <digits>');
            const r = u.hal.load('tok')(u, a, ctx.args.slice(1).join(''));
            // The token module answers its decisions in trace form.
            for (let i = 0; i < r.lines.length; i++) r.lines[i] = plain(u, r.lines[i], '', {});
            return r;
          },
        };
      case 'reboot':
        return {
          name: 'reboot', role: TECHNICIAN, usage: 'reboot', help: 'Restarts the unit (state is kept).',
          run: function () {
            reboot(u);
            return done(['rebooting']);
          },
        };
      case 'factory-reset':
        return { name: 'factory-reset', role: TECHNICIAN, usage: about('factory-reset')![0], help: about('factory-reset')![1], run: elsewhere };
    }
    return null;
  };
  return find;
}
