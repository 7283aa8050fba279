// The technician shell: lines in, answers out, with sign-in, roles, lock-out after wrong
// PINs and a session timeout. Commands live in commands.ts; this file owns the session.
import { Clock } from '../../hal/clock';
import { splitWords } from './words';

/** Roles, in increasing power. */
export const NONE = 0;
export const READ = 1;
export const OPERATOR = 2;
export const TECHNICIAN = 3;
/** Role names by number. A function: on the board its text stays in flash until asked for. */
export function roleNames(): string[] {
  return 'none read operator technician'.split(' ');
}

/** One answer: text lines for people and the same facts as data for scripts. */
export interface Answer {
  ok: boolean;
  lines: string[];
  data?: { [k: string]: unknown };
  /** Set when the command changed the unit's state: it goes to the event log with the role. */
  changed?: boolean;
}

/** What a command gets: its words (after the command name), the session, and a way to answer later. */
export interface CommandContext {
  args: string[];
  role: number;
  shell: Shell;
  /** For commands that finish later (meter read): call once with the answer. */
  later: (a: Answer) => void;
}

/** A command: the least role allowed, a one-line usage, a help text, and the handler.
 *  A handler returns its answer, or null when it will call ctx.later(). */
export interface Command {
  name: string;
  role: number;
  usage: string;
  help: string;
  run: (ctx: CommandContext) => Answer | null;
}

/** Session settings. */
export interface ShellOptions {
  clock: Clock;
  print: (line: string) => void;
  /** The command of a name, or null (commands.ts builds each when asked). */
  commands: (name: string) => Command | null;
  /** PIN per role index 1..3. */
  pins: () => string[];
  /** Idle time after which the session signs out, ms. */
  idleMs?: number;
  /** Echo typed characters (a terminal expects it). */
  echo?: boolean;
  /** Called for every state-changing command that succeeded, with the role that issued it. */
  audit?: (line: string, role: number) => void;
}

const MAX_LINE = 240;

/** Builds a failed answer from one line. */
export function fail(msg: string): Answer {
  return { ok: false, lines: ['error: ' + msg], data: { error: msg } };
}

/** Builds a successful answer. */
export function done(lines: string[], data?: { [k: string]: unknown }): Answer {
  return { ok: true, lines: lines, data: data };
}

/** A successful answer to a command that changed state. */
export function changed(lines: string[], data?: { [k: string]: unknown }): Answer {
  return { ok: true, lines: lines, data: data, changed: true };
}

/** One console session on one port. */
export class Shell {
  role = NONE;
  json = false;
  private buf = '';
  private lastActive = 0;
  private wrong = 0;
  private lockouts = 0;
  private lockedUntil = 0;
  private busy = false;
  /** When a multi-line input (config import) is being collected: the collector. */
  collect: ((line: string) => void) | null = null;

  constructor(readonly opts: ShellOptions) {}

  /** Feeds characters as they arrive from the port. */
  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charAt(i);
      if (c === '\r' || c === '\n') {
        if (c === '\n' && this.buf === '' && this.lastWasCr) {
          this.lastWasCr = false;
          continue;
        }
        this.lastWasCr = c === '\r';
        if (this.opts.echo) this.opts.print('');
        const line = this.buf;
        this.buf = '';
        this.line(line);
      } else if (c === '\b' || c === '\x7f') {
        this.buf = this.buf.substr(0, this.buf.length - 1);
      } else if (c >= ' ' && this.buf.length < MAX_LINE) {
        this.buf += c;
        this.lastWasCr = false;
      }
    }
  }

  private lastWasCr = false;

  /** Runs one complete line. */
  line(raw: string): void {
    const now = this.opts.clock.now();
    const idle = this.opts.idleMs || 300000;
    if (this.role !== NONE && now - this.lastActive > idle) {
      this.role = NONE;
      this.say(fail('session timed out, sign in again'));
    }
    this.lastActive = now;
    if (this.collect) {
      this.collect(raw);
      return;
    }
    const line = raw.trim();
    if (line === '') return;
    if (this.busy) return this.say(fail('busy with the previous command'));
    const w = splitWords(line);
    if (!w.ok) return this.say(fail(w.error));
    const name = w.value[0].toLowerCase();
    const cmd = this.find(name);
    if (!cmd) return this.say(fail('unknown command "' + name + '", type help'));
    if (cmd.role > this.role) {
      return this.say(fail(name + ' needs the ' + roleNames()[cmd.role] + ' role' + (this.role === NONE ? ', sign in with: login <pin>' : '')));
    }
    const self = this;
    const ctx: CommandContext = {
      args: w.value.slice(1),
      role: this.role,
      shell: this,
      later: function (a: Answer) {
        self.busy = false;
        self.finish(cmd, line, a);
      },
    };
    const a = cmd.run(ctx);
    if (a) this.finish(cmd, line, a);
    else this.busy = true;
  }

  private finish(cmd: Command, line: string, a: Answer): void {
    if (a.ok && (a.changed || cmd.role >= OPERATOR) && this.opts.audit) this.opts.audit(line, this.role);
    this.say(a, cmd.name);
  }

  /** Finds a command by name. */
  find(name: string): Command | null {
    return this.opts.commands(name);
  }

  /** Prints an answer as text lines or one JSON line. */
  say(a: Answer, cmd?: string): void {
    if (this.json) {
      const o: { [k: string]: unknown } = { ok: a.ok };
      if (cmd) o.cmd = cmd;
      const d = a.data || {};
      for (const k in d) o[k] = d[k];
      if (!a.data) o.lines = a.lines;
      this.opts.print(JSON.stringify(o));
    } else for (let i = 0; i < a.lines.length; i++) this.opts.print(a.lines[i]);
  }

  /** Checks a PIN; after 5 wrong ones the console locks for 30 s, doubling each time up to 1 h. */
  signIn(pin: string): Answer {
    const now = this.opts.clock.now();
    if (now < this.lockedUntil) return fail('locked after wrong PINs, try again in ' + Math.ceil((this.lockedUntil - now) / 1000) + ' s');
    const pins = this.opts.pins();
    for (let r = TECHNICIAN; r >= READ; r--) {
      if (pins[r] && pins[r] === pin) {
        this.role = r;
        this.wrong = 0;
        this.lockouts = 0;
        const name = roleNames()[r];
        return done(['signed in as ' + name], { role: name });
      }
    }
    this.wrong++;
    if (this.wrong >= 5) {
      let wait = 30000;
      for (let i = 0; i < this.lockouts && wait < 3600000; i++) wait *= 2;
      if (wait > 3600000) wait = 3600000;
      this.lockouts++;
      this.wrong = 0;
      this.lockedUntil = now + wait;
      if (this.opts.audit) this.opts.audit('login locked ' + wait / 1000 + 's', NONE);
      return fail('wrong PIN; console locked for ' + wait / 1000 + ' s');
    }
    return fail('wrong PIN (' + (5 - this.wrong) + ' tries left before a lock-out)');
  }
}
