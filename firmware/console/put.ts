// A configuration change made in place (`acct set`, `tariff set`) put into the tables in force
// and saved: an on-demand module of its own (firmware/modules.ts). The `cfg` module checks the
// change and leaves it on the unit (`Unit.put`, plain data); the console loads this module once
// `cfg` has returned (firmware/unit.ts), so the two are never in the heap together: on the Pico's
// full floor the `cfg` module and the save beside it left less than the 15% goal.
import type { PricePlan } from '../billing/tariff';
import { configSource } from '../config-store';
import { saveConfig } from '../storage/config-commit';
import { AccountTable, F64, I16, nameAt, table } from '../tables';
import type { Unit } from '../unit';
import { Answer, changed, fail } from './answer';
import { conclude, noRoom } from './dispatch';
import { OPERATOR, Shell } from './shell';

/** A change checked by the `cfg` module: account `i` replaced by the one account of table `acct`,
 *  or plan `i` by `plan`; the line typed and the role it was typed with (for the answer). */
export interface Put {
  i: number;
  acct?: AccountTable;
  plan?: PricePlan;
  line: string;
  role: number;
}

/** The put module's entry: carries out the change p, answers it in session sh. */
export type PutEntry = (u: Unit, sh: Shell, p: Put) => void;

// Heap a change made in place takes once it is checked: an account's alarm levels or friendly
// windows laid out anew when their number changes (about 4 variables an account), and the
// configuration streamed into the EEPROM and committed (about 350 at the peak: a page buffer, the
// commit's records, the journal's room). Measured on espruino-pico with the dormitory floor (33
// accounts, 34 meters) when the check ran beside it too, from the change's first line: 517
// variables for a changed limit, 613 for new alarm levels and friendly windows (the check about
// 130 of them), a plan 344. With about 200 to spare (a poll cycle's last timers may still be in
// the heap):
const SET_VARS = 450;
const SET_ACCOUNT_VARS = 10;
const SET_PLAN_VARS = 550;

/** Variables putting a checked change in place and saving it needs free, on a configuration of
 *  this many accounts (a plan's change: `plan` true). */
export function putVars(accounts: number, plan?: boolean): number {
  return plan ? SET_PLAN_VARS : SET_VARS + SET_ACCOUNT_VARS * accounts;
}

/** Puts change p in place on unit u, saves it (undone when the save fails) and answers in sh;
 *  refused, with nothing changed, when the heap has no room for it. */
export function putChange(u: Unit, sh: Shell, p: Put): void {
  const room = noRoom(u, putVars(u.cfg.accounts.n, !p.acct), 'change');
  if (room) return conclude(u, sh, p.line, p.role, OPERATOR, fail(room));
  // counted pulses are billed under the plan they were counted in
  if (u.metering) u.metering.emitPulses();
  conclude(u, sh, p.line, p.role, OPERATOR, p.acct ? putAcct(u, p.i, p.acct) : putPlan(u, p.i, p.plan!));
}

/** Account idx of unit u replaced by the one account of table one (checked by the cfg module). */
function putAcct(u: Unit, idx: number, one: AccountTable): Answer {
  const c = u.cfg;
  const core = u.core;
  const configured = c.accounts.mode[idx];
  const undo = putAccount(c.accounts, idx, one);
  if (!saved(u)) {
    undo();
    return fail('not applied: ' + u.storage!.error);
  }
  // The relay mode as configured, if it changed, is the account's saved state too (see apply).
  const mode = c.accounts.mode[idx];
  if (mode !== configured) core.mode[idx] = mode;
  const ds = core.start(u.time(), idx, idx + 1);
  u.persist(ds, -1);
  u.carry(ds);
  if (mode !== configured) u.persist([], idx);
  return changed(['account ' + nameAt(c.accounts.names, idx) + ' changed']);
}

/** Plan pi of unit u replaced by p: billing reads it from there from the next reading on. */
function putPlan(u: Unit, pi: number, p: PricePlan): Answer {
  const c = u.cfg;
  const was = c.plans[pi];
  c.plans[pi] = p;
  if (!saved(u)) {
    c.plans[pi] = was;
    return fail('not applied: ' + u.storage!.error);
  }
  return changed(['plan ' + c.planNames[pi] + ' set']);
}

/** Whether the configuration in force on u is saved (or there is no EEPROM); says a failure. */
function saved(u: Unit): boolean {
  if (!u.storage || saveConfig(u.storage, configSource(u.cfg), u.core, [])) return true;
  u.problem();
  return false;
}

/** Replaces account i of table t by the one account of table s (checked by a ConfigBuilder
 *  against the same plans: `ConfigBuilder.oneAccount`), in place: its element of every
 *  per-account table, its 16 token key bytes, and its alarm levels and friendly windows (in
 *  their place when as many as before, else those two lists laid out anew, every account's).
 *  Returns what undoes it. */
export function putAccount(t: AccountTable, i: number, s: AccountTable): () => void {
  const lists = [t.alarm, t.alarmAt, t.friend, t.friendAt];
  const wa: number[] = [];
  const wf: number[] = [];
  const a = spliced(t.alarm, t.alarmAt, t.n, i, s.alarm, s.alarmAt, F64, wa);
  const w = spliced(t.friend, t.friendAt, t.n, i, s.friend, s.friendAt, I16, wf);
  swapRow(t, i, s, lists);
  t.alarm = a[0];
  t.alarmAt = a[1];
  t.friend = w[0];
  t.friendAt = w[1];
  return function () {
    t.alarm = lists[0];
    t.alarmAt = lists[1];
    t.friend = lists[2];
    t.friendAt = lists[3];
    for (let x = 0; x < wa.length; x++) t.alarm[t.alarmAt[i] + x] = wa[x];
    for (let x = 0; x < wf.length; x++) t.friend[t.friendAt[i] + x] = wf[x];
    swapRow(t, i, s, lists);
  };
}

/** Swaps account i of table t with account 0 of table s in every table but the lists named (found
 *  by walking the table: a field named in a string would keep its name from being shortened
 *  everywhere): one element each, 16 of the token key. Twice is none. */
function swapRow(t: AccountTable, i: number, s: AccountTable, lists: number[][]): void {
  const f = t as unknown as { [k: string]: number[] };
  const g = s as unknown as { [k: string]: number[] };
  for (const k in f) {
    const v = f[k];
    if (typeof v !== 'object' || lists.indexOf(v) >= 0) continue;
    const per = v === t.tokenKey ? 16 : 1;
    for (let x = 0; x < per; x++) {
      const o = v[i * per + x];
      v[i * per + x] = g[k][x];
      g[k][x] = o;
    }
  }
}

/** A packed list (element e's items are v[at[e]] .. v[at[e + 1] - 1], n elements) with element
 *  i's items replaced by element 0's of another: in place when as many (the items replaced
 *  pushed onto `was`), else as new tables, the old left as they were. */
function spliced(v: number[], at: number[], n: number, i: number, sv: number[], sat: number[], kind: number, was: number[]): number[][] {
  const len = sat[1] - sat[0];
  const d = len - (at[i + 1] - at[i]);
  if (!d) {
    for (let x = 0; x < len; x++) {
      was.push(v[at[i] + x]);
      v[at[i] + x] = sv[sat[0] + x];
    }
    return [v, at];
  }
  const nv = table(kind, Math.max(at[n] + d, 1));
  const nat = table(I16, n + 1);
  for (let e = 0, k = 0; e <= n; e++) {
    nat[e] = at[e] + (e > i ? d : 0);
    if (e === n) break;
    if (e === i) for (let x = 0; x < len; x++) nv[k++] = sv[sat[0] + x];
    else for (let x = at[e]; x < at[e + 1]; x++) nv[k++] = v[x];
  }
  return [nv, nat];
}
