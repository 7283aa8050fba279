// What both console modules share (commands.ts, config-commands.ts): a line's dispatch with its
// role check and audit, and the small helpers their commands use.
import { CoreEvent, Decision } from '../core';
import { Answer, done, fail } from './answer';
import { NONE, OPERATOR, roleNames, Shell } from './shell';
import { formatMoney, splitWords } from './words';
import { timeText } from '../storage/history';
import type { Unit } from '../unit';
import { about } from './about';
import { nameAt, nameIndex } from '../tables';

/** What a command gets: its words (after the command name), the session, and a way to answer later. */
export interface CommandContext {
  args: string[];
  /** The whole line as typed. */
  line: string;
  role: number;
  shell: Shell;
  /** For a command that finishes later (config import, whose collector takes the lines
   *  meanwhile): call once with the answer. */
  later: (a: Answer) => void;
}

/** A command's handler: returns its answer, or null when it answers through ctx.later() (now
 *  or later) or through its shell's end() (after setting the shell busy). Its usage, help and
 *  least role are in about.ts. */
export type Run = (ctx: CommandContext) => Answer | null;

/** The run of a sub-command whose lines another console module takes (see moduleFor in
 *  unit.ts); reached only if the routing and the tables disagree. */
export function elsewhere(ctx: CommandContext): Answer {
  return fail('this command is not run here (' + ctx.args.join(' ') + '): please report it');
}

/** Runs one command line in session sh with the commands `find` knows. */
export function runLine(u: Unit, sh: Shell, line: string, find: (name: string) => Run | null): void {
  const w = splitWords(line);
  if (!w.ok) return sh.say(fail(w.error));
  const name = w.value[0].toLowerCase();
  const x = about(name);
  const cmd = x && find(name);
  if (!cmd) return sh.say(fail('unknown command "' + name + '", type help'));
  const need = +x![2];
  if (need > sh.role) {
    return sh.say(fail(name + ' needs the ' + roleNames()[need] + ' role' + (sh.role === NONE ? ', sign in with: login <pin>' : '')));
  }
  let answered = false;
  const role = sh.role;
  const finish = function (a: Answer): void {
    answered = true;
    conclude(u, sh, line, role, need, a, name);
  };
  const a = cmd({
    args: w.value.slice(1),
    line: line,
    role: role,
    shell: sh,
    later: function (x: Answer) {
      if (!answered) finish(x);
    },
  });
  if (a && !answered) finish(a);
}

/** Says answer a to line (typed with `role`, its command needing `need`) in session sh, and logs
 *  it with the role when it changed something or needed the operator role. */
export function conclude(u: Unit, sh: Shell, line: string, role: number, need: number, a: Answer, name?: string): void {
  sh.busy = false;
  if (a.ok && (a.changed || need >= OPERATOR)) u.log(-1, 'command', (sh.from ? 'sms ' + sh.from + ' as ' : '') + roleNames()[role] + ': ' + (line.indexOf('login') === 0 ? 'login' : line));
  sh.say(a, name);
}

/** Refusal text when the heap has fewer than `need` variables free for a change (`what`: a
 *  configuration rebuilt, config-commands.ts applyVars; a change made in place, put.ts putVars). */
export function noRoom(u: Unit, need: number, what: string): string | null {
  if (!u.hal.freeVars) return null;
  const free = u.hal.freeVars();
  return free < need ? 'not applied: too little memory for this ' + what + ' (needs about ' + need + ' variables, ' + free + ' free)' : null;
}

export function offset(u: Unit): number {
  return u.core.cfg.calendar.utcOffsetS;
}

/** Local date-time text of UTC seconds. */
export function stamp(utc: number, off: number): string {
  return timeText(utc + off);
}

export function accountIndex(u: Unit, name: string | undefined): number {
  return name === undefined ? -1 : nameIndex(u.cfg.accounts.names, name);
}

export function meterIndex(u: Unit, name: string | undefined): number {
  return name === undefined ? -1 : nameIndex(u.cfg.meters.names, name);
}

export function noAccount(name: string | undefined): Answer {
  return fail(name ? 'no account "' + name + '" (see: acct)' : 'give an account name');
}

/** Runs a core event and turns refusals into one error line. */
export function run(u: Unit, ev: CoreEvent): { ds: Decision[]; refused: string } {
  const ds = u.handle(ev);
  for (let i = 0; i < ds.length; i++) if (ds[i].kind === 'refused') return { ds: ds, refused: ds[i].code };
  return { ds: ds, refused: '' };
}

// The sentence for a refusal code (texts in a function stay in flash on the board).
export function refusal(code: string): string {
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

/** The receipt lines of the money entries among ds (the other decisions are the caller's to say). */
export function receipt(u: Unit, ds: Decision[], role: number): Answer {
  const lines: string[] = [];
  let data: { [k: string]: unknown } = {};
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i];
    if (d.kind === 'ledger') {
      const name = nameAt(u.cfg.accounts.names, d.account);
      lines.push('RECEIPT #' + d.seq + ' ' + stamp(u.time(), offset(u)) + ' ' + name + ' ' + d.code + ' ' + formatMoney(d.value) + ' balance ' + formatMoney(d.balance) + ' by ' + roleNames()[role]);
      data = { seq: d.seq, account: name, entry: d.code, amount: d.value, balance: d.balance };
    }
  }
  return done(lines, data);
}

