// Configuration changes from the console, an on-demand module (firmware/modules.ts): opening,
// changing and closing accounts and meters, price plans, importing and exporting the whole
// configuration, and the factory reset. Every change goes through the same parser as a
// configuration file, and is refused whole when it would not fit the heap.
import { carryOver } from '../core';
import { parseConfig, RawConfig } from '../config';
import { Answer, changed, done, fail } from './answer';
import { Command, accountIndex, elsewhere, noAccount, offset, receipt, run, runLine, stamp } from './dispatch';
import { NONE, OPERATOR, READ, Shell, TECHNICIAN } from './shell';
import { formatMoney, parseMoney, parseOptions, parseWhole } from './words';
import { EMPTY_RAW, Unit } from '../unit';

/** The configuration module's entry: runs one configuration-changing line typed in session sh. */
export type ConfigEntry = (u: Unit, sh: Shell, line: string) => void;

/** Variables that must stay free while a configuration is pasted (a change needs about 800). */
const PASTE_MIN_FREE = 1000;

/** Runs one configuration command line in session sh. */
export function runConfigCommand(u: Unit, sh: Shell, line: string): void {
  runLine(u, sh, line, configCommands(u));
}

// Heap a configuration change takes at its peak: the new configuration and core beside the
// old, and the storage commit of every account. Measured on the Espruino interpreter (2v29, a
// change of one account's limit): 4 accounts and 4 meters 824 variables, 12 and 4 1,248,
// 20 and 4 1,672, 4 and 16 1,118; about 500 + 53 per account + 25 per meter, and about 400
// more per RS485 line in use (its bus, poller and relay control). With a tenth to spare. On
// the 32-bit interpreter with a Pico's heap a change can need more than these figures (a
// fragmented heap): lower figures let a 5th account run it out of memory.
const APPLY_VARS = 550;
const ACCOUNT_VARS = 60;
const METER_VARS = 30;
const BUS_LINE_VARS = 440;

/** Variables a change to configuration `next` needs free. */
export function applyVars(next: RawConfig, metering: boolean): number {
  let dl = 0;
  let mb = 0;
  if (metering) {
    for (let i = 0; i < next.meters.length; i++) {
      if (next.meters[i].proto === 'dlt645') dl = 1;
      if (next.meters[i].proto === 'modbus') mb = 1;
    }
  }
  return APPLY_VARS + ACCOUNT_VARS * next.accounts.length + METER_VARS * next.meters.length + BUS_LINE_VARS * (dl + mb);
}

/** Validates and applies a new configuration, keeping state by name; an error text or null. */
export function apply(u: Unit, next: RawConfig): string | null {
  // A change needs room for the new configuration beside the old one: refused, not half
  // done, when the heap lacks it (running out in the middle would leave the unit torn).
  if (u.hal.freeVars) {
    const need = applyVars(next, !!u.metering);
    const free = u.hal.freeVars();
    if (free < need) return 'not applied: too little memory for this configuration (needs about ' + need + ' variables, ' + free + ' free)';
  }
  const p = parseConfig(next);
  if (!p.ok) return p.error;
  if (u.metering) u.metering.emitPulses(); // counted pulses are billed under the meter map they were counted in
  u.flush(); // account numbers change below
  const old = u.core;
  const nextCore = carryOver(old, u.newCore(p.value));
  const storage = u.storage;
  if (storage) {
    const gone: string[] = [];
    for (let a = 0; a < old.cfg.accounts.length; a++) {
      let kept = false;
      for (let b = 0; b < p.value.accounts.length; b++) if (p.value.accounts[b].name === old.cfg.accounts[a].name) kept = true;
      if (!kept) gone.push(old.cfg.accounts[a].name);
    }
    if (!storage.config(JSON.stringify(next), nextCore, gone)) {
      u.problem();
      return 'not applied: ' + storage.error;
    }
  }
  u.core = nextCore;
  u.raw = next;
  if (u.metering) u.metering.build();
  const ds = nextCore.start(u.time());
  u.persist(ds, -1);
  u.carry(ds);
  if (u.metering) u.metering.emitPulses();
  return null;
}

function factoryReset(u: Unit): void {
  u.log(-1, 'config', 'factory reset');
  u.raw = EMPTY_RAW;
  const p = parseConfig(u.raw);
  if (p.ok) u.core = u.newCore(p.value);
  for (const k in u.tokens) delete u.tokens[k];
  u.unsaved = [];
  u.unitUnsaved = false;
  if (u.storage && !u.storage.reset(JSON.stringify(u.raw), u.core)) u.problem();
  if (u.metering) u.metering.build();
}

function copy(raw: RawConfig): RawConfig {
  return JSON.parse(JSON.stringify(raw));
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

function applied(u: Unit, raw: RawConfig, ok: string): Answer {
  const e = apply(u, raw);
  return e ? fail(e) : changed([ok]);
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

/** The configuration commands (acct open/set/close, meter add/set/rm, tariff set, config,
 *  factory-reset), built when asked for. */
export function configCommands(u: Unit): (name: string) => Command | null {
  return function (name: string): Command | null {
    switch (name) {
      case 'acct':
        return {
          name: 'acct', role: READ, usage: 'acct [name | open|set|close <name> ...]',
          help: 'acct: list; acct R1: details; acct open R1 plan=P [alarms=30,20,10 limit=2 reconnect=5 max=500 friendly=22:00-07:00 mode=auto maxpower=4400]; acct set R1 <same options>; acct close R1 (final record, balance refunded).',
          run: function (ctx) {
            const core = u.core;
            const sub = ctx.args[0];
            if (sub === 'open' || sub === 'set' || sub === 'close') {
              if (ctx.role < OPERATOR) return fail('acct ' + sub + ' needs the operator role');
              const name = ctx.args[1];
              if (!name) return fail('usage: acct ' + sub + ' <name> ...');
              const raw = copy(u.raw);
              let idx = -1;
              for (let i = 0; i < raw.accounts.length; i++) if (raw.accounts[i].name === name) idx = i;
              if (sub === 'open') {
                if (idx >= 0) return fail('account "' + name + '" exists already');
                const acc: { [k: string]: unknown; name: string } = { name: name };
                const e = accountOptions(acc, ctx.args, 2);
                if (e) return fail(e);
                if (acc.plan === undefined) return fail('give the price plan: acct open ' + name + ' plan=<plan>');
                raw.accounts.push(acc);
                return applied(u, raw, 'account ' + name + ' opened');
              }
              if (idx < 0) return noAccount(name);
              if (sub === 'set') {
                if (ctx.args.length < 3) return fail('usage: acct set <name> key=value ...');
                const e = accountOptions(raw.accounts[idx], ctx.args, 2);
                return e ? fail(e) : applied(u, raw, 'account ' + name + ' changed');
              }
              // close: refund what is left, print the closing record, drop the account and its meters
              const a = accountIndex(u, name);
              const lines = ['CLOSED ' + name + ' ' + stamp(u.time(), offset(u)) + ' energy ' + formatMoney(core.energyWh[a]) + ' kWh charged ' + formatMoney(core.chargedMilli[a])];
              if (core.balance[a] > 0) {
                const r = run(u, { t: 'refund', time: u.time(), account: a, amountMilli: core.balance[a] });
                lines.push(receipt(u, r.ds, ctx.role).lines[0]);
              } else if (core.balance[a] < 0) lines.push('OWED ' + formatMoney(-core.balance[a]) + ' (debt stays in the log)');
              raw.accounts.splice(idx, 1);
              raw.meters = raw.meters.filter(function (m) { return m.account !== name; });
              const e = apply(u, raw);
              if (e) return fail(e);
              lines.push('account ' + name + ' closed');
              return changed(lines, { closed: name });
            }
            return elsewhere(ctx);
          },
        };

      case 'meter':
        return {
          name: 'meter', role: READ, usage: 'meter [name | add|set|rm|read <name> ...]',
          help: 'meter: list; meter add M1 acct=R1 [proto=dlt645|modbus|pulse addr=.. profile=sdm120|dds238 imp=1000 maxw=13800 plan=P]; meter set M1 <same>; meter rm M1; meter read M1 (now).',
          run: function (ctx) {
            const core = u.core;
            const sub = ctx.args[0];
            const name = ctx.args[1];
            if (sub === 'add' || sub === 'set' || sub === 'rm') {
              if (ctx.role < TECHNICIAN) return fail('meter ' + sub + ' needs the technician role');
              if (!name) return fail('usage: meter ' + sub + ' <name> ...');
              const raw = copy(u.raw);
              let idx = -1;
              for (let i = 0; i < raw.meters.length; i++) if (raw.meters[i].name === name) idx = i;
              if (sub === 'add' && idx >= 0) return fail('meter "' + name + '" exists already');
              if (sub !== 'add' && idx < 0) return fail('no meter "' + name + '"');
              if (sub === 'rm') {
                raw.meters.splice(idx, 1);
                return applied(u, raw, 'meter ' + name + ' removed');
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
              return applied(u, raw, 'meter ' + name + (sub === 'add' ? ' added to ' : ' set, account ') + m.account);
            }
            return elsewhere(ctx);
          },
        };

      case 'tariff':
        return {
          name: 'tariff', role: READ, usage: 'tariff [plan | set <plan> ...]',
          help: 'tariff: list plans; tariff P: show; tariff set P price=0.60 | sharp=1.2 peak=0.85 flat=0.55 valley=0.30 workday=00:00/valley,08:00/peak weekend=... ; tiers=200:0,400:0.05,*:0.30 (kWh:adder).',
          run: function (ctx) {
            const raw = copy(u.raw);
            const sub = ctx.args[0];
            if (sub !== 'set') return elsewhere(ctx);
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
            return applied(u, raw, 'plan ' + name + ' set');
          },
        };
      case 'config':
        return {
          name: 'config', role: TECHNICIAN, usage: 'config export | config import', help: 'export prints the configuration as JSON text; import reads it back (paste, then END CONFIG).',
          run: function (ctx) {
            if (ctx.args[0] === 'export') {
              const text = JSON.stringify(u.raw);
              const lines = ['BEGIN CONFIG'];
              for (let i = 0; i < text.length; i += 76) lines.push(text.substr(i, 76));
              lines.push('END CONFIG');
              return done(lines, { config: u.raw });
            }
            if (ctx.args[0] !== 'import') return fail('usage: config export | config import');
            let text = '';
            const sh = ctx.shell;
            sh.collect = function (line: string) {
              const l = line.trim();
              if (l === 'BEGIN CONFIG') return;
              // Signing out ends the import: its text is not taken as configuration.
              if (l === 'logout') {
                sh.collect = null;
                sh.role = NONE;
                return ctx.later(fail('configuration import cancelled; signed out'));
              }
              if (l !== 'END CONFIG') {
                text += l;
                // The text waits in the heap until END CONFIG: stop before it crowds out the change itself.
                if (text.length > 16000 || (u.hal.freeVars && u.hal.freeVars() < PASTE_MIN_FREE)) {
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
              ctx.later(applied(u, raw, 'configuration imported'));
            };
            sh.say(done(['paste the configuration, then a line END CONFIG']));
            return null;
          },
        };
      case 'factory-reset':
        return {
          name: 'factory-reset', role: TECHNICIAN, usage: 'factory-reset yes', help: 'Erases the configuration, accounts, balances and freeze records (the event log is kept). Type yes to confirm.',
          run: function (ctx) {
            if (ctx.args[0] !== 'yes') return fail('this erases everything; confirm with: factory-reset yes');
            factoryReset(u);
            return done(['factory reset done']);
          },
        };
    }
    return null;
  };
}
