// The console's commands. They change the unit only through ConsoleHost, and every change
// of configuration goes through the same parser as a configuration file.
import { Core, CoreEvent, Decision, formatDecision, modeNames } from '../core';
import { secondsFromCivil } from '../../hal/calendar';
import { hasFlag } from '../lib/bits';
import { Answer, changed, Command, CommandContext, done, fail, NONE, OPERATOR, READ, roleNames, TECHNICIAN } from './shell';
import { formatMoney, parseDateTime, parseMoney, parseOptions, parseWhole } from './words';
import { timeText } from '../storage/history';

/** The configuration as JSON-shaped data (see docs/configuration.md). */
export interface RawConfig {
  plans: { [name: string]: { [k: string]: unknown } };
  accounts: { [k: string]: unknown; name: string }[];
  meters: { [k: string]: unknown; name: string; account: string }[];
  [k: string]: unknown;
}

/** Event-log filter for `log`. */
export interface LogFilter {
  account: number;
  kind: string;
  from: number;
  to: number;
}

/** What the console needs from the unit. */
export interface ConsoleHost {
  core(): Core;
  raw(): RawConfig;
  /** Validates and applies a new configuration (keeps state by name); an error text or null. */
  apply(raw: RawConfig): string | null;
  handle(ev: CoreEvent): Decision[];
  time(): number;
  timeValid(): boolean;
  setTime(epochSeconds: number): string | null;
  /** Extra status lines (bus, memory, storage). */
  status(): string[];
  events?(f: LogFilter, max: number): string[];
  freeze?(kind: string, account: number, from: number, to: number): string[];
  token?(account: number, digits: string): Answer;
  readMeter?(meter: number, cb: (a: Answer) => void): void;
  /** Variables free on the interpreter's heap, where it is bounded. */
  freeVars?(): number;
  reboot(): void;
  factoryReset(): void;
}

/** Variables that must stay free while a configuration is pasted (a change needs about 800). */
const PASTE_MIN_FREE = 1000;

function copy(raw: RawConfig): RawConfig {
  return JSON.parse(JSON.stringify(raw));
}

function offset(h: ConsoleHost): number {
  return h.core().cfg.calendar.utcOffsetS;
}

/** Local date-time text of UTC seconds. */
export function stamp(utc: number, off: number): string {
  return timeText(utc + off);
}

function accountIndex(h: ConsoleHost, name: string | undefined): number {
  const list = h.core().cfg.accounts;
  for (let i = 0; i < list.length; i++) if (list[i].name === name) return i;
  return -1;
}

function meterIndex(h: ConsoleHost, name: string | undefined): number {
  const list = h.core().cfg.meters;
  for (let i = 0; i < list.length; i++) if (list[i].name === name) return i;
  return -1;
}

function noAccount(name: string | undefined): Answer {
  return fail(name ? 'no account "' + name + '" (see: acct)' : 'give an account name');
}

/** Runs a core event and turns refusals into one error line. */
function run(h: ConsoleHost, ev: CoreEvent): { ds: Decision[]; refused: string } {
  const ds = h.handle(ev);
  for (let i = 0; i < ds.length; i++) if (ds[i].kind === 'refused') return { ds: ds, refused: ds[i].code };
  return { ds: ds, refused: '' };
}

// The sentence for a refusal code (texts in a function stay in flash on the board).
function refusal(code: string): string {
  switch (code) {
    case 'hoarding':
      return 'refused: the balance would exceed the hoarding limit';
    case 'exceeds-balance':
      return 'refused: a refund cannot exceed the balance';
    case 'already-corrected':
      return 'refused: that entry was already corrected';
    case 'unknown-entry':
      return 'refused: no such top-up or refund among the last 16';
  }
  return 'refused: ' + code.split('-').join(' ');
}

function receipt(h: ConsoleHost, ds: Decision[], role: number): Answer {
  const lines: string[] = [];
  let data: { [k: string]: unknown } = {};
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i];
    if (d.kind === 'ledger') {
      const name = h.core().cfg.accounts[d.account].name;
      lines.push('RECEIPT #' + d.seq + ' ' + stamp(h.time(), offset(h)) + ' ' + name + ' ' + d.code + ' ' + formatMoney(d.value) + ' balance ' + formatMoney(d.balance) + ' by ' + roleNames()[role]);
      data = { seq: d.seq, account: name, entry: d.code, amount: d.value, balance: d.balance };
    } else lines.push(formatDecision(d));
  }
  return done(lines, data);
}

function money(h: ConsoleHost, ctx: CommandContext, kind: 'topup' | 'refund'): Answer {
  const a = accountIndex(h, ctx.args[0]);
  if (a < 0) return noAccount(ctx.args[0]);
  if (ctx.args.length !== 2) return fail('usage: ' + kind + ' <account> <amount>');
  const m = parseMoney(ctx.args[1], 'amount', false);
  if (!m.ok) return fail(m.error);
  const r = run(h, { t: kind, time: h.time(), account: a, amountMilli: m.value });
  if (r.refused) return fail(refusal(r.refused));
  return receipt(h, r.ds, ctx.role);
}

/** Account option words (money in currency units) onto a raw account. */
function accountOptions(raw: { [k: string]: unknown }, args: string[], from: number): string | null {
  const o = parseOptions(args, from, ['plan', 'alarms', 'limit', 'reconnect', 'max', 'friendly', 'mode', 'maxpower']);
  if (!o.ok) return o.error;
  const v = o.value;
  if (v.plan !== undefined) raw.plan = v.plan;
  const moneyKeys = [['limit', 'creditLimit'], ['reconnect', 'reconnect'], ['max', 'maxBalance']];
  for (let i = 0; i < moneyKeys.length; i++) {
    const s = v[moneyKeys[i][0]];
    if (s !== undefined) {
      const m = parseMoney(s, moneyKeys[i][0], true);
      if (!m.ok) return m.error;
      raw[moneyKeys[i][1]] = m.value;
    }
  }
  if (v.alarms !== undefined) {
    const levels: number[] = [];
    const parts = v.alarms === 'none' ? [] : v.alarms.split(',');
    for (let i = 0; i < parts.length; i++) {
      const m = parseMoney(parts[i], 'alarm level', true);
      if (!m.ok) return m.error;
      levels.push(m.value);
    }
    raw.alarmLevels = levels;
  }
  if (v.friendly !== undefined) {
    const wins: string[][] = [];
    const parts = v.friendly === 'none' ? [] : v.friendly.split(',');
    for (let i = 0; i < parts.length; i++) {
      const se = parts[i].split('-');
      if (se.length !== 2) return 'friendly windows look like 22:00-07:00[,12:00-14:00]';
      wins.push(se);
    }
    raw.friendly = wins;
  }
  if (v.mode !== undefined) raw.mode = v.mode;
  if (v.maxpower !== undefined) {
    const p = parseWhole(v.maxpower, 'maxpower', 0, 1000000);
    if (!p.ok) return p.error;
    const ov = (raw.overload || {}) as { [k: string]: unknown };
    ov.maxPowerW = p.value;
    raw.overload = ov;
  }
  return null;
}

function applied(h: ConsoleHost, raw: RawConfig, ok: string): Answer {
  const e = h.apply(raw);
  return e ? fail(e) : changed([ok]);
}

/** An account's row for the JSON answers of `acct`. */
function accountJson(core: Core, a: number): { [k: string]: unknown } {
  return { name: core.cfg.accounts[a].name, balance: core.balance[a], relay: core.relay[a], mode: modeNames()[core.mode[a]], energyWh: core.energyWh[a] };
}

function accountLine(core: Core, a: number): string {
  const acc = core.cfg.accounts[a];
  let meters = '';
  for (let m = 0; m < core.cfg.meters.length; m++) if (core.cfg.meters[m].account === a) meters += (meters ? ',' : '') + core.cfg.meters[m].name;
  let alarms = 0;
  for (let i = 0; i < acc.alarmLevelsMilli.length; i++) if (hasFlag(core.alarmMask[a], i)) alarms = i + 1;
  return pad(acc.name, 8) + ' ' + lpad(formatMoney(core.balance[a]), 11) + ' ' + pad(core.relay[a] === 1 ? 'on' : 'OFF', 4) + pad(modeNames()[core.mode[a]], 5) + pad(alarms ? 'L' + alarms : '-', 3) + lpad(formatMoney(core.energyWh[a]), 11) + ' ' + meters;
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

/** Prices "0.85" (currency per kWh) into milli per kWh. */
function price(s: string, what: string): number | string {
  const m = parseMoney(s, what, true);
  return m.ok ? m.value : m.error;
}

function schedule(s: string): string[][] | string {
  const out: string[][] = [];
  const parts = s.split(',');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i].split('/');
    if (p.length !== 2) return 'a schedule looks like 00:00/valley,08:00/peak,22:00/valley';
    out.push(p);
  }
  return out;
}

/** The command table. */
/** The commands by name, in the order help lists them. */
export function commandNames(): string[] {
  return 'help login logout json status time acct meter topup refund correct relay tariff log freeze config token reboot factory-reset'.split(' ');
}

/** The command table: a command of that name, or null. Each is built when it is asked for,
 *  so that on the board its texts and code stay in flash instead of the heap. */
export function makeCommands(h: ConsoleHost): (name: string) => Command | null {
  const find = function (name: string): Command | null {
    switch (name) {
      case 'help':
        return {
          name: 'help', role: NONE, usage: 'help [command]', help: 'Lists the commands your role may use, or explains one.',
          run: function (ctx) {
            const sh = ctx.shell;
            if (ctx.args.length) {
              const c = sh.find(ctx.args[0]);
              if (!c) return fail('no command "' + ctx.args[0] + '"');
              return done(['usage: ' + c.usage, c.help, 'role: ' + roleNames()[c.role]], { usage: c.usage, help: c.help, role: roleNames()[c.role] });
            }
            const lines: string[] = [];
            const names: string[] = [];
            const all = commandNames();
            for (let i = 0; i < all.length; i++) {
              const c = find(all[i]) as Command;
              if (c.role <= Math.max(ctx.role, READ)) {
                lines.push(pad(c.usage, 44) + (c.role > ctx.role ? ' (sign in)' : ''));
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
            return ctx.shell.signIn(ctx.args[0]);
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
          name: 'json', role: NONE, usage: 'json on|off', help: 'Answers as one JSON line each (for scripts), or as text.',
          run: function (ctx) {
            if (ctx.args[0] !== 'on' && ctx.args[0] !== 'off') return fail('usage: json on|off');
            ctx.shell.json = ctx.args[0] === 'on';
            return done(['json ' + ctx.args[0]], { json: ctx.shell.json });
          },
        };
      case 'status':
        return {
          name: 'status', role: READ, usage: 'status', help: 'Unit, time, accounts, alarms, bus and memory.',
          run: function () {
            const core = h.core();
            let on = 0;
            let alarmed = 0;
            let total = 0;
            for (let a = 0; a < core.cfg.accounts.length; a++) {
              if (core.relay[a] === 1) on++;
              if (core.alarmMask[a]) alarmed++;
              total += core.balance[a];
            }
            const lines = [
              'time     ' + stamp(h.time(), offset(h)) + ' local' + (h.timeValid() ? '' : ' (NOT SET: billing at the safe price)'),
              'accounts ' + core.cfg.accounts.length + ', supplied ' + on + ', in alarm ' + alarmed + ', balances ' + formatMoney(total),
              'meters   ' + core.cfg.meters.length + ', ledger at #' + core.ledger.seq,
            ].concat(h.status());
            return done(lines, { time: h.time(), timeValid: h.timeValid(), accounts: core.cfg.accounts.length, supplied: on, alarmed: alarmed, meters: core.cfg.meters.length, seq: core.ledger.seq });
          },
        };
      case 'time':
        return {
          name: 'time', role: READ, usage: 'time [set YYYY-MM-DD HH:MM[:SS]]', help: 'Shows the local time, or sets it (technician).',
          run: function (ctx) {
            if (!ctx.args.length) return done([stamp(h.time(), offset(h)) + ' local, UTC' + (offset(h) >= 0 ? '+' : '') + offset(h) / 3600 + (h.timeValid() ? '' : ' NOT SET')], { utc: h.time(), valid: h.timeValid() });
            if (ctx.args[0] !== 'set' || ctx.args.length < 2) return fail('usage: time set YYYY-MM-DD HH:MM[:SS]');
            if (ctx.role < TECHNICIAN) return fail('setting the time needs the technician role');
            const t = parseDateTime(ctx.args.slice(1).join(' '));
            if (!t.ok) return fail(t.error);
            const utc = secondsFromCivil(t.value[0], t.value[1], t.value[2], t.value[3], t.value[4], t.value[5]) - offset(h);
            const e = h.setTime(utc);
            return e ? fail(e) : changed(['time set to ' + stamp(utc, offset(h)) + ' local'], { utc: utc });
          },
        };
      case 'acct':
        return {
          name: 'acct', role: READ, usage: 'acct [name | open|set|close <name> ...]',
          help: 'acct: list; acct R1: details; acct open R1 plan=P [alarms=30,20,10 limit=2 reconnect=5 max=500 friendly=22:00-07:00 mode=auto maxpower=4400]; acct set R1 <same options>; acct close R1 (final record, balance refunded).',
          run: function (ctx) {
            const core = h.core();
            const sub = ctx.args[0];
            if (sub === undefined) {
              const lines = ['account      balance relay mode alarm  energy kWh meters'];
              for (let a = 0; a < core.cfg.accounts.length; a++) lines.push(accountLine(core, a));
              const rows = [];
              for (let a = 0; a < core.cfg.accounts.length; a++) rows.push(accountJson(core, a));
              return done(lines, { accounts: rows });
            }
            if (sub === 'open' || sub === 'set' || sub === 'close') {
              if (ctx.role < OPERATOR) return fail('acct ' + sub + ' needs the operator role');
              const name = ctx.args[1];
              if (!name) return fail('usage: acct ' + sub + ' <name> ...');
              const raw = copy(h.raw());
              let idx = -1;
              for (let i = 0; i < raw.accounts.length; i++) if (raw.accounts[i].name === name) idx = i;
              if (sub === 'open') {
                if (idx >= 0) return fail('account "' + name + '" exists already');
                const acc: { [k: string]: unknown; name: string } = { name: name };
                const e = accountOptions(acc, ctx.args, 2);
                if (e) return fail(e);
                if (acc.plan === undefined) return fail('give the price plan: acct open ' + name + ' plan=<plan>');
                raw.accounts.push(acc);
                return applied(h, raw, 'account ' + name + ' opened');
              }
              if (idx < 0) return noAccount(name);
              if (sub === 'set') {
                if (ctx.args.length < 3) return fail('usage: acct set <name> key=value ...');
                const e = accountOptions(raw.accounts[idx], ctx.args, 2);
                return e ? fail(e) : applied(h, raw, 'account ' + name + ' changed');
              }
              // close: refund what is left, print the closing record, drop the account and its meters
              const a = accountIndex(h, name);
              const lines = ['CLOSED ' + name + ' ' + stamp(h.time(), offset(h)) + ' energy ' + formatMoney(core.energyWh[a]) + ' kWh charged ' + formatMoney(core.chargedMilli[a])];
              if (core.balance[a] > 0) {
                const r = run(h, { t: 'refund', time: h.time(), account: a, amountMilli: core.balance[a] });
                lines.push(receipt(h, r.ds, ctx.role).lines[0]);
              } else if (core.balance[a] < 0) lines.push('OWED ' + formatMoney(-core.balance[a]) + ' (debt stays in the log)');
              raw.accounts.splice(idx, 1);
              raw.meters = raw.meters.filter(function (m) { return m.account !== name; });
              const e = h.apply(raw);
              if (e) return fail(e);
              lines.push('account ' + name + ' closed');
              return changed(lines, { closed: name });
            }
            const a = accountIndex(h, sub);
            if (a < 0) return noAccount(sub);
            const acc = core.cfg.accounts[a];
            const row = accountJson(core, a);
            row.chargedMilli = core.chargedMilli[a];
            return done([
              'account      balance relay mode alarm  energy kWh meters',
              accountLine(core, a),
              'plan ' + h.raw().accounts[a].plan + ', alarms ' + acc.alarmLevelsMilli.map(formatMoney).join(',') + ', limit ' + formatMoney(acc.creditLimitMilli) + ', reconnect ' + formatMoney(acc.reconnectMilli) + ', max ' + (acc.maxBalanceMilli ? formatMoney(acc.maxBalanceMilli) : 'none'),
              'charged ' + formatMoney(core.chargedMilli[a]) + ', month ' + formatMoney(core.monthlyWh[a]) + ' kWh' + (core.ovLocked[a] ? ', OVERLOAD LOCKED OUT' : core.ovTripped[a] ? ', overload tripped' : ''),
            ], row);
          },
        };
      case 'meter':
        return {
          name: 'meter', role: READ, usage: 'meter [name | add|set|rm|read <name> ...]',
          help: 'meter: list; meter add M1 acct=R1 [proto=dlt645|modbus|pulse addr=.. profile=sdm120|dds238 imp=1000 maxw=13800 plan=P]; meter set M1 <same>; meter rm M1; meter read M1 (now).',
          run: function (ctx) {
            const core = h.core();
            const sub = ctx.args[0];
            if (sub === undefined) {
              const lines = ['meter    account  proto   address        import kWh'];
              for (let m = 0; m < core.cfg.meters.length; m++) {
                const r = h.raw().meters[m];
                lines.push(pad(r.name, 8) + ' ' + pad(r.account, 8) + ' ' + pad(String(r.proto || '-'), 7) + ' ' + pad(String(r.addr || '-'), 12) + lpad(core.has[m] ? formatMoney(core.lastImp[m]) : '-', 12));
              }
              return done(lines, { meters: h.raw().meters });
            }
            const name = ctx.args[1];
            if (sub === 'read') {
              const m = meterIndex(h, name);
              if (m < 0) return fail('no meter "' + name + '"');
              if (!h.readMeter) return fail('no meter bus on this unit');
              h.readMeter(m, ctx.later);
              return null;
            }
            if (sub === 'add' || sub === 'set' || sub === 'rm') {
              if (ctx.role < TECHNICIAN) return fail('meter ' + sub + ' needs the technician role');
              if (!name) return fail('usage: meter ' + sub + ' <name> ...');
              const raw = copy(h.raw());
              let idx = -1;
              for (let i = 0; i < raw.meters.length; i++) if (raw.meters[i].name === name) idx = i;
              if (sub === 'add' && idx >= 0) return fail('meter "' + name + '" exists already');
              if (sub !== 'add' && idx < 0) return fail('no meter "' + name + '"');
              if (sub === 'rm') {
                raw.meters.splice(idx, 1);
                return applied(h, raw, 'meter ' + name + ' removed');
              }
              const o = parseOptions(ctx.args, 2, ['acct', 'proto', 'addr', 'profile', 'imp', 'maxw', 'plan']);
              if (!o.ok) return fail(o.error);
              const m = sub === 'add' ? { name: name, account: '' } : raw.meters[idx];
              const v = o.value;
              if (v.acct !== undefined) m.account = v.acct;
              if (!m.account) return fail('give the account: meter add ' + name + ' acct=<account>');
              if (v.proto !== undefined) {
                if (v.proto !== 'dlt645' && v.proto !== 'modbus' && v.proto !== 'pulse') return fail('proto must be dlt645, modbus or pulse');
                m.proto = v.proto;
              }
              if (v.addr !== undefined) m.addr = v.addr;
              if (v.profile !== undefined) m.profile = v.profile;
              if (v.plan !== undefined) m.plan = v.plan;
              if (v.imp !== undefined) {
                const n = parseWhole(v.imp, 'imp', 1, 100000);
                if (!n.ok) return fail(n.error);
                m.impPerKwh = n.value;
              }
              if (v.maxw !== undefined) {
                const n = parseWhole(v.maxw, 'maxw', 1, 10000000);
                if (!n.ok) return fail(n.error);
                m.maxPowerW = n.value;
              }
              if (sub === 'add') raw.meters.push(m);
              return applied(h, raw, 'meter ' + name + (sub === 'add' ? ' added to ' : ' set, account ') + m.account);
            }
            const m = meterIndex(h, sub);
            if (m < 0) return fail('no meter "' + sub + '"');
            return done([JSON.stringify(h.raw().meters[m]), 'billed register ' + (core.has[m] ? formatMoney(core.lastImp[m]) + ' kWh import, ' + formatMoney(core.lastExp[m]) + ' kWh export' : 'none yet') + (core.susp[m] ? ', SUSPECT reading held' : '')], { meter: h.raw().meters[m], importWh: core.lastImp[m], exportWh: core.lastExp[m] });
          },
        };
      case 'topup':
        return {
          name: 'topup', role: OPERATOR, usage: 'topup <account> <amount>', help: 'Adds credit and prints a receipt.',
          run: function (ctx) { return money(h, ctx, 'topup'); },
        };
      case 'refund':
        return {
          name: 'refund', role: OPERATOR, usage: 'refund <account> <amount>', help: 'Returns electricity money (not more than the balance), with a receipt.',
          run: function (ctx) { return money(h, ctx, 'refund'); },
        };
      case 'correct':
        return {
          name: 'correct', role: OPERATOR, usage: 'correct <receipt-number>', help: 'Reverses a wrong top-up or refund (one of the last 16), once.',
          run: function (ctx) {
            const n = parseWhole(ctx.args[0] || '', 'receipt number', 1, 1e12);
            if (!n.ok || ctx.args.length !== 1) return fail(n.ok ? 'usage: correct <receipt-number>' : n.error);
            const r = run(h, { t: 'correct', time: h.time(), seq: n.value });
            if (r.refused) return fail(refusal(r.refused));
            return receipt(h, r.ds, ctx.role);
          },
        };
      case 'relay':
        return {
          name: 'relay', role: OPERATOR, usage: 'relay <account> on|off|auto|reset', help: 'on = guaranteed power, off = forced off, auto = prepay rules, reset = clear an overload lock-out.',
          run: function (ctx) {
            const a = accountIndex(h, ctx.args[0]);
            if (a < 0) return noAccount(ctx.args[0]);
            const what = ctx.args[1];
            const mode = what === 'on' ? 1 : what === 'off' ? 2 : what === 'auto' ? 0 : -1;
            if (mode < 0 && what !== 'reset') return fail('usage: relay <account> on|off|auto|reset');
            const ds = h.handle(mode < 0 ? { t: 'overload-reset', time: h.time(), account: a } : { t: 'mode', time: h.time(), account: a, mode: mode });
            const lines: string[] = [];
            for (let i = 0; i < ds.length; i++) lines.push(formatDecision(ds[i]));
            lines.push(ctx.args[0] + ' relay ' + (h.core().relay[a] === 1 ? 'on' : 'off') + ', mode ' + modeNames()[h.core().mode[a]]);
            return done(lines, { account: ctx.args[0], relay: h.core().relay[a], mode: modeNames()[h.core().mode[a]] });
          },
        };
      case 'tariff':
        return {
          name: 'tariff', role: READ, usage: 'tariff [plan | set <plan> ...]',
          help: 'tariff: list plans; tariff P: show; tariff set P price=0.60 | sharp=1.2 peak=0.85 flat=0.55 valley=0.30 workday=00:00/valley,08:00/peak weekend=... ; tiers=200:0,400:0.05,*:0.30 (kWh:adder).',
          run: function (ctx) {
            const raw = copy(h.raw());
            const sub = ctx.args[0];
            if (sub === undefined) {
              const names: string[] = [];
              for (const k in raw.plans) names.push(k);
              return done(['plans: ' + names.join(', ')], { plans: names });
            }
            if (sub !== 'set') {
              const p = raw.plans[sub];
              if (!p) return fail('no plan "' + sub + '"');
              return done([sub + ' ' + JSON.stringify(p)], { plan: sub, def: p });
            }
            if (ctx.role < TECHNICIAN) return fail('tariff set needs the technician role');
            const name = ctx.args[1];
            if (!name) return fail('usage: tariff set <plan> key=value ...');
            const o = parseOptions(ctx.args, 2, ['price', 'sharp', 'peak', 'flat', 'valley', 'workday', 'weekend', 'tiers']);
            if (!o.ok) return fail(o.error);
            const v = o.value;
            const plan: { [k: string]: unknown } = raw.plans[name] ? raw.plans[name] : {};
            if (v.price !== undefined) {
              const p = price(v.price, 'price');
              if (typeof p === 'string') return fail(p);
              plan.price = p;
              delete plan.prices;
              delete plan.workday;
              delete plan.weekend;
            }
            const periods = ['sharp', 'peak', 'flat', 'valley'];
            for (let i = 0; i < periods.length; i++) {
              if (v[periods[i]] !== undefined) {
                const p = price(v[periods[i]], periods[i]);
                if (typeof p === 'string') return fail(p);
                const prices = (plan.prices || {}) as { [k: string]: number };
                prices[periods[i]] = p;
                plan.prices = prices;
                delete plan.price;
              }
            }
            if (v.workday !== undefined || v.weekend !== undefined) {
              const keys = ['workday', 'weekend'];
              for (let i = 0; i < 2; i++) {
                if (v[keys[i]] === undefined) continue;
                const s = schedule(v[keys[i]]);
                if (typeof s === 'string') return fail(s);
                plan[keys[i]] = s;
              }
            }
            if (v.tiers !== undefined) {
              const tiers: { [k: string]: number }[] = [];
              const parts = v.tiers === 'none' ? [] : v.tiers.split(',');
              for (let i = 0; i < parts.length; i++) {
                const kv = parts[i].split(':');
                const add = kv.length === 2 ? price(kv[1], 'tier adder') : 'tiers look like 200:0,400:0.05,*:0.30';
                if (typeof add === 'string') return fail(add);
                const t: { [k: string]: number } = { add: add };
                if (kv[0] !== '*') {
                  const kwh = parseWhole(kv[0], 'tier limit (kWh)', 1, 1000000);
                  if (!kwh.ok) return fail(kwh.error);
                  t.uptoWh = kwh.value * 1000;
                }
                tiers.push(t);
              }
              if (tiers.length) plan.tiers = tiers;
              else delete plan.tiers;
            }
            raw.plans[name] = plan;
            return applied(h, raw, 'plan ' + name + ' set');
          },
        };
      case 'log':
        return {
          name: 'log', role: READ, usage: 'log [acct=R1] [kind=topup] [from=DATE] [to=DATE] [n=20]', help: 'Event log, newest first, with filters.',
          run: function (ctx) {
            if (!h.events) return fail('no event log on this unit');
            const o = parseOptions(ctx.args, 0, ['acct', 'kind', 'from', 'to', 'n']);
            if (!o.ok) return fail(o.error);
            const v = o.value;
            const a = v.acct === undefined ? -1 : accountIndex(h, v.acct);
            if (v.acct !== undefined && a < 0) return noAccount(v.acct);
            const from = parseDay(v.from, 0, offset(h));
            const to = parseDay(v.to, 1e12, offset(h));
            if (typeof from === 'string') return fail(from);
            if (typeof to === 'string') return fail(to);
            const n = parseWhole(v.n || '20', 'n', 1, 1000);
            if (!n.ok) return fail(n.error);
            const lines = h.events({ account: a, kind: v.kind || '', from: from, to: v.to && v.to.length === 10 ? to + 86400 : to }, n.value);
            return done(lines.length ? lines : ['(no entries)'], { entries: lines });
          },
        };
      case 'freeze':
        return {
          name: 'freeze', role: READ, usage: 'freeze day|month [acct=R1] [from=DATE] [to=DATE]', help: 'Daily or monthly freeze records (energy by period, money).',
          run: function (ctx) {
            if (!h.freeze) return fail('no freeze records on this unit');
            const kind = ctx.args[0];
            if (kind !== 'day' && kind !== 'month') return fail('usage: freeze day|month [acct=..] [from=..] [to=..]');
            const o = parseOptions(ctx.args, 1, ['acct', 'from', 'to']);
            if (!o.ok) return fail(o.error);
            const a = o.value.acct === undefined ? -1 : accountIndex(h, o.value.acct);
            if (o.value.acct !== undefined && a < 0) return noAccount(o.value.acct);
            const from = parseDay(o.value.from, 0, offset(h));
            const to = parseDay(o.value.to, 1e12, offset(h));
            if (typeof from === 'string') return fail(from);
            if (typeof to === 'string') return fail(to);
            const lines = h.freeze(kind, a, from, to);
            return done(lines.length ? lines : ['(no records)'], { records: lines });
          },
        };
      case 'config':
        return {
          name: 'config', role: TECHNICIAN, usage: 'config export | config import', help: 'export prints the configuration as JSON text; import reads it back (paste, then END CONFIG).',
          run: function (ctx) {
            if (ctx.args[0] === 'export') {
              const text = JSON.stringify(h.raw());
              const lines = ['BEGIN CONFIG'];
              for (let i = 0; i < text.length; i += 76) lines.push(text.substr(i, 76));
              lines.push('END CONFIG');
              return done(lines, { config: h.raw() });
            }
            if (ctx.args[0] !== 'import') return fail('usage: config export | config import');
            let text = '';
            const sh = ctx.shell;
            sh.collect = function (line: string) {
              const l = line.trim();
              if (l === 'BEGIN CONFIG') return;
              if (l !== 'END CONFIG') {
                text += l;
                // The text waits in the heap until END CONFIG: stop before it crowds out the change itself.
                if (text.length > 16000 || (h.freeVars && h.freeVars() < PASTE_MIN_FREE)) {
                  sh.collect = null;
                  ctx.later(fail('configuration text too long' + (text.length > 16000 ? '' : ' for the memory left') + ' (' + text.length + ' characters)'));
                }
                return;
              }
              sh.collect = null;
              let raw: RawConfig;
              try {
                raw = JSON.parse(text);
              } catch (e) {
                return ctx.later(fail('not valid JSON: ' + e));
              }
              ctx.later(applied(h, raw, 'configuration imported'));
            };
            sh.say(done(['paste the configuration, then a line END CONFIG']));
            return null;
          },
        };
      case 'token':
        return {
          name: 'token', role: READ, usage: 'token <account> <digits>', help: 'Enters a top-up token (9, 12, 15 or 20 digits; spaces allowed).',
          run: function (ctx) {
            if (!h.token) return fail('tokens are not enabled on this unit');
            const a = accountIndex(h, ctx.args[0]);
            if (a < 0) return noAccount(ctx.args[0]);
            if (ctx.args.length < 2) return fail('usage: token <account> <digits>');
            return h.token(a, ctx.args.slice(1).join(''));
          },
        };
      case 'reboot':
        return {
          name: 'reboot', role: TECHNICIAN, usage: 'reboot', help: 'Restarts the unit (state is kept).',
          run: function () {
            h.reboot();
            return done(['rebooting']);
          },
        };
      case 'factory-reset':
        return {
          name: 'factory-reset', role: TECHNICIAN, usage: 'factory-reset yes', help: 'Erases the configuration, accounts, balances and freeze records (the event log is kept). Type yes to confirm.',
          run: function (ctx) {
            if (ctx.args[0] !== 'yes') return fail('this erases everything; confirm with: factory-reset yes');
            h.factoryReset();
            return done(['factory reset done']);
          },
        };
    }
    return null;
  };
  return find;
}
