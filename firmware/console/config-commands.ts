// Configuration changes from the console, an on-demand module (firmware/modules.ts): opening,
// changing and closing accounts and meters, price plans, importing and exporting the whole
// configuration, and the factory reset. Every change goes through the same parser as a
// configuration file. An account's settings (`acct set`) and a plan in force (`tariff set`) are
// changed in place: the element is checked alone and put in the old one's place in the tables
// in force. What opens, closes or adds is built again element by element (each exported,
// changed if it is the one edited, and parsed), so only one element is ever held as JSON, but
// beside the configuration in force: a full unit has no room for that. A change is refused
// whole, before anything changes, when it would not fit the heap.
import { carryOver } from '../core';
import { Config, ConfigBuilder, ConfigResult, feedConfig } from '../config';
import { exportAccount, exportMeter, exportPlan, exportTop } from '../config-export';
import { configSource } from '../config-store';
import { resetStorage, saveConfig } from '../storage/config-commit';
import { ConfigReader } from '../config-stream';
import { Answer, changed, done, fail } from './answer';
import { CommandContext, Run, accountIndex, elsewhere, noAccount, noRoom, offset, receipt, run, runLine, stamp } from './dispatch';
import { NONE, OPERATOR, Shell, TECHNICIAN } from './shell';
import { formatMoney, parseMoney, parseOptions, parseWhole } from './words';
import { EMPTY_RAW, Unit } from '../unit';
import { nameAt, nameIndex } from '../tables';
import { SMS } from '../sms/feature';
import { smsCommand } from '../sms/console';

/** The configuration module's entry: runs one configuration-changing line typed in session sh;
 *  without a session, parses `line` as a whole configuration document into u.cfg (boot: the
 *  factory configuration of the simulator, or one older firmware saved as text) and answers
 *  its error, or null. */
export type ConfigEntry = (u: Unit, sh: Shell | null, line: string) => string | null;

type Obj = { [k: string]: unknown };

/** Runs one configuration command line in session sh (see ConfigEntry). */
export function runConfigCommand(u: Unit, sh: Shell | null, line: string): string | null {
  if (sh) {
    runLine(u, sh, line, configCommands(u));
    return null;
  }
  const b = new ConfigBuilder();
  const r = new ConfigReader(b);
  const e = r.feed(line) || r.end();
  if (e) return e;
  const c = b.finish();
  if (!c.ok) return c.error;
  u.cfg = c.value;
  return null;
}

// Heap a configuration change takes beside this module at its peak: the new configuration and
// core beside the old, and the storage commit of every account. Measured on the 32-bit
// interpreter (opening accounts 5 to 16 and adding meters 5 to 12 one at a time): 25 per
// account + 20 per meter beside the module; and on espruino-pico a change of its 4 factory
// accounts and meters, started with 1,001 free, went through beside 300 variables held as
// ballast and ran out of memory beside 380, so it needs 620 to 700 (2026-12-04, after the
// 32-bit registers and the names in one string; 1,100 + the per-account part before). With a
// fifth to spare:
const APPLY_VARS = 630;
const ACCOUNT_VARS = 30;
const METER_VARS = 24;
/** Variables that must stay free while a configuration is pasted (its tables grow as it comes). */
const PASTE_MIN_FREE = 600;

/** Variables a change to a configuration of this many accounts and meters needs free. The
 *  meter bus's session is not loaded beside it: the new meters' first poll comes after the
 *  change has returned (metering/wiring.ts build). */
export function applyVars(accounts: number, meters: number): number {
  return APPLY_VARS + ACCOUNT_VARS * accounts + METER_VARS * meters;
}

/** One change to one element: replaced by obj, removed (obj null), or added when none has the name. */
interface Edit {
  kind: string;
  name: string;
  obj: Obj | null;
  used?: boolean;
}

function editOf(edits: Edit[], kind: string, name: string): Edit | null {
  for (let i = 0; i < edits.length; i++) if (edits[i].kind === kind && edits[i].name === name) return edits[i];
  return null;
}

/** The configuration in force on unit u built again with the edits, element by element. */
export function rebuild(u: Unit, edits: Edit[]): ConfigResult {
  const c = u.cfg;
  // a change typed on this unit: only the board's pulse inputs are taken
  const b = new ConfigBuilder(u.hal.pulseInputs);
  const top = exportTop(c);
  for (const k in top) {
    const e = b.top(k, top[k]);
    if (e) return { ok: false, error: e };
  }
  const kinds = ['plan', 'account', 'meter'];
  const counts = [c.plans.length, c.accounts.n, c.meters.n];
  for (let k = 0; k < 3; k++) {
    const kind = kinds[k];
    for (let i = 0; i <= counts[k]; i++) {
      const last = i === counts[k];
      // after the last element: the added ones
      for (let j = 0; last && j < edits.length; j++) {
        const ed = edits[j];
        if (ed.kind !== kind || ed.used || !ed.obj) continue;
        ed.used = true;
        const e = kind === 'plan' ? b.plan(ed.name, ed.obj) : kind === 'account' ? b.account(ed.obj) : b.meter(ed.obj);
        if (e) return { ok: false, error: e };
      }
      if (last) break;
      const name = k === 0 ? c.planNames[i] : k === 1 ? nameAt(c.accounts.names, i) : nameAt(c.meters.names, i);
      const ed = editOf(edits, kind, name);
      if (ed) ed.used = true;
      if (ed && !ed.obj) continue;
      const o = ed ? ed.obj : k === 0 ? exportPlan(c, i) : k === 1 ? exportAccount(c, i) : exportMeter(c, i);
      const e = k === 0 ? b.plan(name, o) : k === 1 ? b.account(o) : b.meter(o);
      if (e) return { ok: false, error: e };
    }
  }
  b.saw('plans');
  b.saw('accounts');
  b.saw('meters');
  return b.finish();
}

/** Applies a parsed configuration, keeping state by name; an error text or null. */
export function apply(u: Unit, next: Config): string | null {
  if (u.metering) u.metering.emitPulses(); // counted pulses are billed under the meter map they were counted in
  u.flush(); // account numbers change below
  const old = u.core;
  const nextCore = carryOver(old, u.newCore(next));
  const storage = u.storage;
  if (storage) {
    const gone: string[] = [];
    const was = old.cfg.accounts;
    for (let a = 0; a < was.n; a++) if (nameIndex(next.accounts.names, nameAt(was.names, a)) < 0) gone.push(nameAt(was.names, a));
    if (!saveConfig(storage, configSource(next), nextCore, gone)) {
      u.problem();
      return 'not applied: ' + storage.error;
    }
  }
  u.cfg = next;
  u.core = nextCore;
  if (u.metering) u.metering.build();
  const ds = nextCore.start(u.time());
  u.persist(ds, -1);
  u.carry(ds);
  // A relay mode the configuration changed is the account's saved state too: the next boot
  // restores the record over the configuration.
  const oa = old.cfg.accounts;
  for (let a = 0; a < oa.n; a++) {
    const b = nameIndex(next.accounts.names, nameAt(oa.names, a));
    if (b >= 0 && nextCore.mode[b] !== old.mode[a]) u.persist([], b);
  }
  if (u.metering) u.metering.emitPulses();
  return null;
}

/** Checks the room, rebuilds with the edits and applies; the answer. */
function change(u: Unit, edits: Edit[], accounts: number, meters: number, ok: string): Answer {
  const room = noRoom(u, applyVars(accounts, meters), 'configuration');
  if (room) return fail(room);
  const r = rebuild(u, edits);
  if (r.ok) {
    const e = apply(u, r.value);
    return e ? fail(e) : changed([ok]);
  }
  const ed = edits[0];
  const t = ed.kind === 'meter' ? u.cfg.meters : u.cfg.accounts;
  const i = nameIndex(t.names, ed.name);
  return fail(named(r.error, ed.kind + 's[' + (i < 0 ? t.n : i) + ']', ed.kind + ' ' + ed.name));
}

/** A mistake in the account or meter changed named as typed (`meter M3 addr: ...`, not
 *  `meters[7].addr: ...`); a plan's path names it already. */
function named(error: string, path: string, as: string): string {
  return error.indexOf(path) === 0 ? as + (error.charAt(path.length) === '.' ? ' ' + error.substr(path.length + 1) : error.substr(path.length)) : error;
}

// Heap the check of a change made in place (`acct set`, `tariff set`) takes beside this module:
// the account or plan parsed alone by a configuration builder of one element (an account with
// new alarm levels and friendly windows about 130 variables on espruino-pico with the
// dormitory floor, 2026-12-05), with room to spare. What puts the change in place and saves it
// needs more (console/put.ts putVars) and is checked by the `put` module, once this one has left
// the heap (about 1,000 variables more free on the Pico's floor).
export const CHECK_VARS = 350;

/** `acct set` on unit u: account idx replaced by acc in the configuration in force, in place. It
 *  is checked alone, against the plans in force, so beside the configuration in force it takes
 *  one account's tables, not a second configuration, which a full unit has no room for (a change
 *  that opens, closes or adds rebuilds: `change`). The `put` module puts it in place and saves
 *  it once this module has left the heap (console/put.ts): the answer is its. Nothing changes
 *  when it is refused or cannot be saved. */
function setAccount(u: Unit, ctx: CommandContext, idx: number, acc: Obj): Answer | null {
  const c = u.cfg;
  const room = noRoom(u, CHECK_VARS, 'change');
  if (room) return fail(room);
  const one = new ConfigBuilder(u.hal.pulseInputs).oneAccount(acc, c.planNames);
  if (typeof one === 'string') return fail(named(one, 'accounts[0]', 'account ' + nameAt(c.accounts.names, idx)));
  u.put = { i: idx, acct: one, line: ctx.line, role: ctx.role };
  return null;
}

/** `tariff set` of plan pi on unit u, in place (see setAccount): the plan parsed alone, put in
 *  the old one's place by the `put` module; billing reads it from there from the next reading on. */
function setPlan(u: Unit, ctx: CommandContext, pi: number, v: Obj): Answer | null {
  const room = noRoom(u, CHECK_VARS, 'change');
  if (room) return fail(room);
  const p = new ConfigBuilder().onePlan(u.cfg.planNames[pi], v);
  if (typeof p === 'string') return fail(p);
  u.put = { i: pi, plan: p, line: ctx.line, role: ctx.role };
  return null;
}

function factoryReset(u: Unit): void {
  u.log(-1, 'config', 'factory reset');
  const b = new ConfigBuilder();
  feedConfig(b, EMPTY_RAW);
  const p = b.finish();
  if (!p.ok) return;
  u.cfg = p.value;
  u.core = u.newCore(p.value);
  for (const k in u.tokens) delete u.tokens[k];
  u.unsaved = [];
  u.unitUnsaved = false;
  if (u.storage && !resetStorage(u.storage, configSource(u.cfg), u.core)) u.problem();
  if (u.metering) u.metering.build();
}

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
export function configCommands(u: Unit): (name: string) => Run | null {
  return function (name: string): Run | null {
    switch (name) {
      case 'acct':
        return function (ctx: CommandContext): Answer | null {
          // u.core is read where it is used: a configuration change replaces it
          const sub = ctx.args[0];
          if (sub === 'open' || sub === 'set' || sub === 'close') {
            if (ctx.role < OPERATOR) return fail('acct ' + sub + ' needs the operator role');
            const name = ctx.args[1];
            if (!name) return fail('usage: acct ' + sub + ' <name> ...');
            const idx = accountIndex(u, name);
            const n = u.cfg.accounts.n;
            const m = u.cfg.meters.n;
            if (sub === 'open') {
              if (idx >= 0) return fail('account "' + name + '" exists already');
              const acc: Obj = { name: name };
              const e = accountOptions(acc, ctx.args, 2);
              if (e) return fail(e);
              if (acc.plan === undefined) return fail('give the price plan: acct open ' + name + ' plan=<plan>');
              return change(u, [{ kind: 'account', name: name, obj: acc }], n + 1, m, 'account ' + name + ' opened');
            }
            if (idx < 0) return noAccount(name);
            if (sub === 'set') {
              if (ctx.args.length < 3) return fail('usage: acct set <name> key=value ...');
              const acc = exportAccount(u.cfg, idx);
              const e = accountOptions(acc, ctx.args, 2);
              return e ? fail(e) : setAccount(u, ctx, idx, acc);
            }
            // close: refund what is left, print the closing record, drop the account and its meters
            const room = noRoom(u, applyVars(n, m), 'configuration');
            // (what a full unit can do instead: the account stays for the next tenant)
            if (room) return fail(room + '; the account can stay: refund ' + name + ' <amount>, then acct set ' + name + ' mode=off');
            const a = idx;
            const edits: Edit[] = [{ kind: 'account', name: name, obj: null }];
            for (let k = 0; k < m; k++) if (u.cfg.meters.account[k] === a) edits.push({ kind: 'meter', name: nameAt(u.cfg.meters.names, k), obj: null });
            const next = rebuild(u, edits);
            if (!next.ok) return fail(next.error);
            const lines = ['CLOSED ' + name + ' ' + stamp(u.time(), offset(u)) + ' energy ' + formatMoney(u.core.energyWh[a]) + ' kWh charged ' + formatMoney(u.core.chargedMilli[a])];
            if (u.core.balance[a] > 0) {
              const r = run(u, { t: 'refund', time: u.time(), account: a, amountMilli: u.core.balance[a] });
              lines.push(receipt(u, r.ds, ctx.role).lines[0]);
            } else if (u.core.balance[a] < 0) lines.push('OWED ' + formatMoney(-u.core.balance[a]) + ' (debt stays in the log)');
            const e = apply(u, next.value);
            if (e) return fail(e);
            lines.push('account ' + name + ' closed');
            return changed(lines, { closed: name });
          }
          return elsewhere(ctx);
        };

      case 'meter':
        return function (ctx: CommandContext): Answer | null {
          const sub = ctx.args[0];
          const name = ctx.args[1];
          if (sub === 'add' || sub === 'set' || sub === 'rm') {
            if (ctx.role < TECHNICIAN) return fail('meter ' + sub + ' needs the technician role');
            if (!name) return fail('usage: meter ' + sub + ' <name> ...');
            const idx = nameIndex(u.cfg.meters.names, name);
            const n = u.cfg.accounts.n;
            const k = u.cfg.meters.n;
            if (sub === 'add' && idx >= 0) return fail('meter "' + name + '" exists already');
            if (sub !== 'add' && idx < 0) return fail('no meter "' + name + '"');
            if (sub === 'rm') return change(u, [{ kind: 'meter', name: name, obj: null }], n, k, 'meter ' + name + ' removed');
            const o = parseOptions(ctx.args, 2, ['acct', 'proto', 'addr', 'profile', 'imp', 'maxw', 'plan']);
            if (!o.ok) return fail(o.error);
            const m: Obj = sub === 'add' ? { name: name, account: '' } : exportMeter(u.cfg, idx);
            const v = o.value;
            if (v.acct !== undefined) m.account = v.acct;
            if (!m.account) return fail('give the account: meter add ' + name + ' acct=<account>');
            // (noAccount's text: a second call of it here would keep it a function of its own in the heap)
            if (nameIndex(u.cfg.accounts.names, m.account as string) < 0) return fail('no account "' + m.account + '" (see: acct)');
            if (v.proto !== undefined) {
              if (v.proto !== 'dlt645' && v.proto !== 'modbus' && v.proto !== 'pulse') return fail('proto must be dlt645, modbus or pulse');
              // another protocol: what belonged to the old one goes
              if (v.proto !== m.proto) {
                delete m.addr;
                delete m.profile;
                delete m.impPerKwh;
              }
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
            return change(u, [{ kind: 'meter', name: name, obj: m }], n, k + (sub === 'add' ? 1 : 0), 'meter ' + name + (sub === 'add' ? ' added to ' : ' set, account ') + m.account);
          }
          return elsewhere(ctx);
        };

      case 'tariff':
        return function (ctx: CommandContext): Answer | null {
          const sub = ctx.args[0];
          if (sub !== 'set') return elsewhere(ctx);
          if (ctx.role < TECHNICIAN) return fail('tariff set needs the technician role');
          const name = ctx.args[1];
          if (!name) return fail('usage: tariff set <plan> key=value ...');
          const o = parseOptions(ctx.args, 2, ['price', 'sharp', 'peak', 'flat', 'valley', 'workday', 'weekend', 'tiers']);
          if (!o.ok) return fail(o.error);
          const v = o.value;
          const pi = u.cfg.planNames.indexOf(name);
          const plan: Obj = pi >= 0 ? exportPlan(u.cfg, pi) : {};
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
          return pi >= 0 ? setPlan(u, ctx, pi, plan) : change(u, [{ kind: 'plan', name: name, obj: plan }], u.cfg.accounts.n, u.cfg.meters.n, 'plan ' + name + ' set');
        };
      case 'config':
        return function (ctx: CommandContext): Answer | null {
          const sh = ctx.shell;
          // `config export` is the cmd module's (firmware/unit.ts moduleFor)
          if (ctx.args[0] !== 'import') return fail('usage: config export | config import');
          // Read as it arrives: only the element being read is held as text; the new
          // tables grow beside the old ones until END CONFIG.
          const b = new ConfigBuilder(u.hal.pulseInputs);
          const reader = new ConfigReader(b);
          let chars = 0;
          let error: string | null = null;
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
              chars += line.length;
              if (!error) error = reader.feed(line);
              // Stop before the growing tables crowd out the change itself.
              if (!error && u.hal.freeVars && u.hal.freeVars() < PASTE_MIN_FREE) {
                sh.collect = null;
                ctx.later(fail('configuration too large for the memory left (' + chars + ' characters read)'));
              }
              return;
            }
            sh.collect = null;
            if (!error) error = reader.end();
            if (error) return ctx.later(fail(error));
            const r = b.finish();
            if (!r.ok) return ctx.later(fail(r.error));
            const room = noRoom(u, applyVars(0, 0), 'configuration');
            if (room) return ctx.later(fail(room));
            const e = apply(u, r.value);
            ctx.later(e ? fail(e) : changed(['configuration imported']));
          };
          sh.say(done(['paste the configuration, then a line END CONFIG']));
          return null;
        };
      case 'sms':
        return SMS
          ? function (ctx: CommandContext): Answer | null {
              return smsCommand(u, ctx);
            }
          : null;
      case 'factory-reset':
        return function (ctx: CommandContext): Answer | null {
          if (ctx.args[0] !== 'yes') return fail('this erases everything; confirm with: factory-reset yes');
          factoryReset(u);
          return done(['factory reset done']);
        };
    }
    return null;
  };
}
