// The console's lists, an on-demand module (firmware/modules.ts): accounts (acct), meters
// (meter, meter read), price plans (tariff) and config export, printed row by row as they are
// made. Changes to the same are config-commands.ts (firmware/unit.ts moduleFor).
import { Core, modeNames } from '../core';
import { hasFlag } from '../lib/bits';
import { Answer, done, fail } from './answer';
import { CommandContext, Run, accountIndex, elsewhere, meterIndex, noAccount, runLine } from './dispatch';
import { Shell } from './shell';
import { formatMoney, lpad, pad } from './words';
import { Unit } from '../unit';
import { exportLines, exportMeter, exportPlan } from '../config-export';
import { nameAt } from '../tables';

/** Runs one line of a list command in session sh. */
export function runListCommand(u: Unit, sh: Shell, line: string): void {
  runLine(u, sh, line, listCommands(u));
}

/** An account's row for the JSON answers of `acct`. */
function accountJson(core: Core, a: number): { [k: string]: unknown } {
  return { name: nameAt(core.cfg.accounts.names, a), balance: core.balance[a], relay: core.relay[a], mode: modeNames()[core.mode[a]], energyWh: core.energyWh[a] };
}

function accountLine(core: Core, a: number): string {
  const t = core.cfg.accounts;
  const ms = core.cfg.meters;
  let meters = '';
  for (let m = 0; m < ms.n; m++) if (ms.account[m] === a) meters += (meters ? ',' : '') + nameAt(ms.names, m);
  let alarms = 0;
  for (let i = 0; i < t.alarmAt[a + 1] - t.alarmAt[a]; i++) if (hasFlag(core.alarmMask[a], i)) alarms = i + 1;
  return pad(nameAt(t.names, a), 8) + ' ' + lpad(formatMoney(core.balance[a]), 11) + ' ' + pad(core.relay[a] === 1 ? 'on' : 'OFF', 4) + pad(modeNames()[core.mode[a]], 5) + pad(alarms ? 'L' + alarms : '-', 3) + lpad(formatMoney(core.energyWh[a]), 11) + ' ' + meters;
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

/** The list commands: a command's run, or null. */
function listCommands(u: Unit): (name: string) => Run | null {
  const find = function (name: string): Run | null {
    switch (name) {
      case 'acct':
        return function (ctx: CommandContext): Answer | null {
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
        };
      case 'meter':
        return function (ctx: CommandContext): Answer | null {
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
            // Answered through the resident shell: waiting for the meter holds no part of this module.
            ctx.shell.busy = true;
            u.metering.read(m, ctx.shell);
            return null;
          }
          if (sub === 'add' || sub === 'set' || sub === 'rm') return elsewhere(ctx);
          const m = meterIndex(u, sub);
          if (m < 0) return fail('no meter "' + sub + '"');
          const me = exportMeter(u.cfg, m);
          return done([JSON.stringify(me), 'billed register ' + (core.has[m] ? formatMoney(core.lastImp[m]) + ' kWh import, ' + formatMoney(core.lastExp[m]) + ' kWh export' : 'none yet') + (core.susp[m] ? ', SUSPECT reading held' : '')], { meter: me, importWh: core.lastImp[m], exportWh: core.lastExp[m] });
        };
      case 'tariff':
        return function (ctx: CommandContext): Answer | null {
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
        };
      case 'config':
        return function (ctx: CommandContext): Answer | null {
          // import is the cfg module's (firmware/unit.ts moduleFor)
          if (ctx.args[0] !== 'export') return fail('usage: config export | config import');
          const sh = ctx.shell;
          exportLines(u.cfg, function (line: string) {
            sh.opts.print(sh.json ? JSON.stringify({ ok: true, cmd: 'config', part: line }) : line);
          });
          return done([]);
        };
    }
    return null;
  };
  return find;
}
