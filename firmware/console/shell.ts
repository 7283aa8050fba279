// The technician shell's resident part: characters in, whole lines out to the command module,
// with the session's state (role, lock-out, idle time, a multi-line input being collected).
// What a line means lives in commands.ts, loaded for each line (see firmware/modules.ts).
import { Clock } from '../../hal/clock';
import { Answer } from './answer';

/** Roles, in increasing power. */
export const NONE = 0;
export const READ = 1;
export const OPERATOR = 2;
export const TECHNICIAN = 3;
/** Role names by number. A function: on the board its text stays in flash until asked for. */
export function roleNames(): string[] {
  return 'none read operator technician'.split(' ');
}

/** Session settings. */
export interface ShellOptions {
  clock: Clock;
  print: (line: string) => void;
  /** Runs one complete line (the command module). */
  run: (sh: Shell, line: string) => void;
  /** Idle time after which the session signs out, ms. */
  idleMs?: number;
  /** Echo typed characters (a terminal expects it). */
  echo?: boolean;
}

/** Longest line; a longer one is refused whole when it ends, never cut and run. */
export const MAX_LINE = 240;

/** One console session on one port. */
export class Shell {
  role = NONE;
  json = false;
  /** Sign-in bookkeeping (commands.ts): wrong PINs in a row, lock-outs so far, locked until (clock ms). */
  wrong = 0;
  lockouts = 0;
  lockedUntil = 0;
  /** A command is running that answers later (meter read, config import). */
  busy = false;
  /** The number a message came from (a session that runs an SMS); none at the console (no
   *  property at all: the console's shell lives in the heap for good). */
  from?: string;
  /** The first word of the line being answered: every JSON answer names its command. */
  word = '';
  /** When a multi-line input (config import) is being collected: the collector. */
  collect: ((line: string) => void) | null = null;
  private buf = '';
  private lastActive: number;
  private lastWasCr = false;
  /** 0, or 1 after ESC, 2 inside an escape sequence (arrow keys, colours): swallowed. */
  private esc = 0;
  private tooLong = false;

  constructor(readonly opts: ShellOptions) {
    // (active from its start: a session made signed in, as an SMS's is, runs its first line)
    this.lastActive = opts.clock.now();
  }

  /** Feeds characters as they arrive from the port. */
  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text.charAt(i);
      // ESC [ ... final, ESC O x: the sequence ends at its final character. A control character
      // (Ctrl-C, Enter, another ESC) is never part of one: it ends it and counts as typed.
      if (this.esc && c >= ' ') {
        if (this.esc === 1) this.esc = c === '[' || c === 'O' ? 2 : 0;
        else if (c >= '@' && c <= '~') this.esc = 0;
        continue;
      }
      this.esc = 0;
      if (c === '\x1b') this.esc = 1;
      else if (c === '\x03') {
        // Ctrl-C: the line typed so far is dropped, never run.
        this.buf = '';
        this.tooLong = false;
        this.opts.print('^C');
      } else if (c === '\r' || c === '\n') {
        if (c === '\n' && this.buf === '' && this.lastWasCr) {
          this.lastWasCr = false;
          continue;
        }
        this.lastWasCr = c === '\r';
        if (this.opts.echo) this.opts.print('');
        const line = this.buf;
        const long = this.tooLong;
        this.buf = '';
        this.tooLong = false;
        if (long) {
          this.word = line.trim().split(' ')[0].toLowerCase();
          this.say({ ok: false, lines: ['error: line longer than ' + MAX_LINE + ' characters: ignored, nothing was run'] });
        } else this.line(line);
      } else if (c === '\b' || c === '\x7f') {
        this.buf = this.buf.substr(0, this.buf.length - 1);
      } else if (c >= ' ') {
        if (this.buf.length < MAX_LINE) this.buf += c;
        else this.tooLong = true;
        this.lastWasCr = false;
      }
    }
  }

  /** Runs one complete line. */
  line(raw: string): void {
    const now = this.opts.clock.now();
    const idle = this.opts.idleMs || 300000;
    const line = raw.trim();
    const word = line.split(' ')[0].toLowerCase();
    if (this.role !== NONE && now - this.lastActive > idle) {
      this.role = NONE;
      // An input being collected belongs to the session that began it.
      this.collect = null;
      this.busy = false;
      this.word = word;
      this.say({ ok: false, lines: ['error: session timed out, sign in again'] });
    }
    this.lastActive = now;
    // The lines of an input being collected answer as the command that collects them.
    if (this.collect) return this.collect(raw);
    this.word = word;
    if (line === '') return;
    if (this.busy) return this.say({ ok: false, lines: ['error: busy with the previous command'] });
    this.opts.run(this, line);
  }

  /** The answer of a command that answered later (`meter read`): the shell takes lines again.
   *  Resident, so that what waits for the answer does not hold the command's module. */
  end(a: Answer, cmd: string): void {
    this.busy = false;
    this.say(a, cmd);
  }

  /** Prints an answer as text lines or one JSON line. */
  say(a: Answer, cmd?: string): void {
    if (this.json) {
      const o: { [k: string]: unknown } = { ok: a.ok };
      const c = cmd || this.word;
      if (c) o.cmd = c;
      const d = a.data || {};
      for (const k in d) o[k] = d[k];
      if (!a.data) o.lines = a.lines;
      this.opts.print(JSON.stringify(o));
    } else for (let i = 0; i < a.lines.length; i++) this.opts.print(a.lines[i]);
  }
}
