// The console's everyday commands, an on-demand module (firmware/modules.ts): signing in, help,
// status, time, money, relays, tokens, reboot. Loaded for each line the shell hands over,
// released after it. The lists (acct, meter, tariff, config export) are list-commands.ts, the
// event log and freeze records log-commands.ts, configuration changes config-commands.ts: each
// a module of its own, so that only one of them is in the heap at a time (firmware/unit.ts
// moduleFor). Money goes through the core like any event.
import { UPLINK } from '../uplink/feature';
import { SMS } from '../sms/feature';
import { uplinkStatus } from '../uplink/backlog';
import { upState } from '../uplink/tick';
import { Decision, formatDecision, modeNames } from '../core';
import { secondsFromCivil } from '../../hal/calendar';
import { Answer, changed, done, fail } from './answer';
import { CommandContext, Run, accountIndex, noAccount, offset, receipt, refusal, run, runLine, stamp } from './dispatch';
import { NONE, READ, Shell, TECHNICIAN, roleNames } from './shell';
import { formatMoney, parseDateTime, parseMoney, parseWhole } from './words';
import { Unit, defaultPins } from '../unit';
import { about } from './about';
import { plain } from './plain';

/** A console module's entry: runs one line typed in session sh. */
export type CommandEntry = (u: Unit, sh: Shell, line: string) => void;

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
  if (UPLINK && u.cfg.uplink) lines.push(uplinkStatus(u));
  const b = busFigures(u);
  if (b) lines.push('BUS      requests ' + b[0] + ', answered ' + b[1] + ', retries ' + b[2], 'BUS      timeouts ' + b[3] + ', bad replies ' + b[4] + ', meters lost ' + b[5]);
  else lines.push('BUS      no meter on the RS485 bus');
  return lines;
}

/** The meter bus's figures since boot: requests, answered, retries, timeouts, bad replies
 *  (checksum, CRC, framing), meters lost; null when no meter is on a bus. */
function busFigures(u: Unit): number[] | null {
  const st = u.metering && u.metering.state;
  if (!st) return null;
  const t = [st.requests, st.successes, st.retries, st.timeouts, st.crcErrors, st.lost];
  const s = [0, 0, 0, 0, 0, 0];
  for (let k = 0; k < 6; k++) for (let i = 0; i < t[k].length; i++) s[k] += k < 5 ? t[k][i] : t[k][i] ? 1 : 0;
  return s;
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

/** The commands by name, in the order help lists them. */
export function commandNames(): string[] {
  return ('help login logout json status time acct meter topup refund correct relay tariff log freeze config token reboot factory-reset' + (SMS ? ' sms' : '') + (UPLINK ? ' uplink' : '')).split(' ');
}

/** Usage, help and roles of a command as role r may use it (null: no such command): a command
 *  whose changes need a higher role (acct open, meter add, tariff set, time set) shows a lower
 *  role only its reading. */
function aboutFor(name: string, r: number): string[] | null {
  const x = about(name);
  if (!x) return null;
  const role = roleNames()[+x[2]];
  const more = x[5] ? +x[5] : 0;
  if (more > r) return [x[3], x[4], role];
  return [x[0], x[1], role + (more ? ' for ' + x[3] + ', ' + roleNames()[more] + ' for the rest' : '')];
}

/** The commands of this module: a command's run, or null. Each is made when it is asked for,
 *  so that on the board its texts and code stay in flash instead of the heap. */
export function makeCommands(u: Unit): (name: string) => Run | null {
  const find = function (name: string): Run | null {
    switch (name) {
      case 'help':
        return function (ctx: CommandContext): Answer | null {
          // Not signed in, the list is the read role's, marked "(sign in)".
          const r = Math.max(ctx.role, READ);
          if (ctx.args.length) {
            const x = aboutFor(ctx.args[0], r);
            if (!x) return fail('no command "' + ctx.args[0] + '"');
            return done(['usage: ' + x[0], x[1], 'role: ' + x[2]], { usage: x[0], help: x[1], role: x[2] });
          }
          const lines: string[] = [];
          const names: string[] = [];
          const all = commandNames();
          for (let i = 0; i < all.length; i++) {
            const role = +about(all[i])![2];
            if (role <= r) {
              let l = aboutFor(all[i], r)![0];
              // (a usage longer than the list's line is given by `help <command>`)
              if (l.length > 64) l = all[i] + ' ...';
              while (l.length < 44) l += ' ';
              lines.push(l + (role > ctx.role ? ' (sign in)' : ''));
              names.push(all[i]);
            }
          }
          lines.push('help <command> explains one; money as 12.50; times as 2026-03-01 08:30');
          return done(lines, { commands: names });
        };
      case 'login':
        return function (ctx: CommandContext): Answer | null {
          if (ctx.args.length !== 1) return fail('usage: login <pin>');
          return signIn(u, ctx.shell, ctx.args[0]);
        };
      case 'logout':
        return function (ctx: CommandContext): Answer | null {
          ctx.shell.role = NONE;
          return done(['signed out']);
        };
      case 'json':
        return function (ctx: CommandContext): Answer | null {
          if (ctx.args[0] !== 'on' && ctx.args[0] !== 'off') return fail('usage: json on|off');
          ctx.shell.json = ctx.args[0] === 'on';
          return done(['json ' + ctx.args[0]], { json: ctx.shell.json });
        };
      case 'status':
        return function (ctx: CommandContext): Answer | null {
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
        };
      case 'time':
        return function (ctx: CommandContext): Answer | null {
          if (!ctx.args.length) return done([stamp(u.time(), offset(u)) + ' local, UTC' + (offset(u) >= 0 ? '+' : '') + offset(u) / 3600 + (timeValid(u) ? '' : ' NOT SET')], { utc: u.time(), valid: timeValid(u) });
          if (ctx.args[0] !== 'set' || ctx.args.length < 2) return fail('usage: time set YYYY-MM-DD HH:MM[:SS]');
          if (ctx.role < TECHNICIAN) return fail('setting the time needs the technician role');
          const t = parseDateTime(ctx.args.slice(1).join(' '));
          if (!t.ok) return fail(t.error);
          const utc = secondsFromCivil(t.value[0], t.value[1], t.value[2], t.value[3], t.value[4], t.value[5]) - offset(u);
          const e = setTime(u, utc);
          return e ? fail(e) : changed(['time set to ' + stamp(utc, offset(u)) + ' local'], { utc: utc });
        };
      case 'topup':
        return function (ctx: CommandContext): Answer | null { return money(u, ctx, 'topup'); };
      case 'refund':
        return function (ctx: CommandContext): Answer | null { return money(u, ctx, 'refund'); };
      case 'correct':
        return function (ctx: CommandContext): Answer | null {
          const n = parseWhole(ctx.args[0] || '', 'receipt number', 1, 1e12);
          if (!n.ok || ctx.args.length !== 1) return fail(n.ok ? 'usage: correct <receipt-number>' : n.error);
          const r = run(u, { t: 'correct', time: u.time(), seq: n.value });
          if (r.refused) return fail(refusal(r.refused));
          return receiptWith(u, r.ds, ctx.role);
        };
      case 'relay':
        return function (ctx: CommandContext): Answer | null {
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
        };
      case 'token':
        return function (ctx: CommandContext): Answer | null {
          const a = accountIndex(u, ctx.args[0]);
          if (a < 0) return noAccount(ctx.args[0]);
          if (ctx.args.length < 2) return fail('usage: token <account> <digits>');
          const r = u.hal.load('tok')(u, a, ctx.args.slice(1).join(''));
          // The token module answers its decisions in trace form.
          for (let i = 0; i < r.lines.length; i++) r.lines[i] = plain(u, r.lines[i], '', {});
          return r;
        };
      case UPLINK ? 'uplink' : '':
        return !UPLINK
          ? null
          : function (ctx: CommandContext): Answer | null {
              if (!u.hal.openUplink || !u.cfg.uplink) return fail('no uplink on this unit');
              if (ctx.args[0] === 'now') {
                upState(u).soon = true;
                return done(['an uplink session opens in a moment']);
              }
              return ctx.args.length ? fail('usage: uplink [now]') : done([uplinkStatus(u)]);
            };
      case 'reboot':
        return function (ctx: CommandContext): Answer | null {
          reboot(u);
          return done(['rebooting']);
        };
    }
    return null;
  };
  return find;
}
