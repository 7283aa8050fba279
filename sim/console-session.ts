// One client of the live console (this terminal, a TCP connection, the pty): its own shell,
// so its own sign-in and its own answers, on the unit's command modules. Idle sign-out and the
// PIN lock-out run on real time, whatever the speed of the virtual clock the unit runs on; the
// lock-out is shared by all clients (a new connection does not start a fresh count).
import { NONE, Shell } from '../firmware/console/shell';
import { Unit } from '../firmware/unit';
import { Clock } from '../hal/clock';

/** The shell's idle limit when none is given (firmware/console/shell.ts). */
export const DEFAULT_IDLE_MS = 300000;

/** The console's PIN bookkeeping, shared by its sessions; lockedUntil in real-clock ms. */
export interface SignInState {
  wrong: number;
  lockouts: number;
  lockedUntil: number;
}

/** What a session needs. */
export interface SessionOptions {
  unit: Unit;
  /** One line to this client only. */
  write: (line: string) => void;
  /** Real time (idle sign-out, lock-out). */
  clock: Clock;
  /** Shared by every session of the console. */
  signIn: SignInState;
  /** Signs out after this long without a command, ms (default DEFAULT_IDLE_MS). */
  idleMs?: number;
}

/** "3 s", "5 min". */
function duration(ms: number): string {
  return ms % 60000 === 0 ? ms / 60000 + ' min' : Math.round(ms / 1000) + ' s';
}

/** One client's session. */
export class ConsoleSession {
  readonly shell: Shell;
  private readonly idleMs: number;
  private lastLine: number;
  private timer = -1;
  private closed = false;

  constructor(private readonly o: SessionOptions) {
    this.idleMs = o.idleMs || DEFAULT_IDLE_MS;
    // The unit's own shell runs a line through the command modules; so does this one.
    this.shell = new Shell({ clock: o.clock, print: o.write, run: o.unit.shell.opts.run, idleMs: this.idleMs, echo: false });
    this.lastLine = o.clock.now();
  }

  /** Characters typed by this client. */
  feed(text: string): void {
    if (this.closed) return;
    const sh = this.shell;
    const s = this.o.signIn;
    // The command module times the lock-out on the unit's (virtual) clock: it is handed the
    // real time left, and a lock-out it sets is carried back as real time.
    const real = this.o.clock.now();
    const virtual = this.o.unit.hal.clock.now();
    sh.wrong = s.wrong;
    sh.lockouts = s.lockouts;
    const given = s.lockedUntil > real ? virtual + (s.lockedUntil - real) : 0;
    sh.lockedUntil = given;
    sh.feed(text);
    s.wrong = sh.wrong;
    s.lockouts = sh.lockouts;
    if (sh.lockedUntil !== given) s.lockedUntil = real + (sh.lockedUntil - virtual);
    if (/[\r\n]/.test(text)) this.lastLine = real;
    this.arm();
  }

  /** The client has gone: nothing more is written to it. */
  close(): void {
    this.closed = true;
    this.shell.collect = null;
    if (this.timer >= 0) this.o.clock.cancel(this.timer);
    this.timer = -1;
  }

  /** Waits for the idle limit while signed in. */
  private arm(): void {
    const c = this.o.clock;
    if (this.timer >= 0) c.cancel(this.timer);
    this.timer = -1;
    if (this.closed || this.shell.role === NONE) return;
    const self = this;
    this.timer = c.after(this.lastLine + this.idleMs - c.now(), function () {
      self.timer = -1;
      self.idle();
    });
  }

  private idle(): void {
    const sh = this.shell;
    if (this.closed || sh.role === NONE) return;
    if (this.o.clock.now() - this.lastLine < this.idleMs) return this.arm();
    const importing = !!sh.collect;
    sh.role = NONE;
    sh.collect = null;
    sh.busy = false;
    sh.say({
      ok: false,
      lines: ['session ended: signed out after ' + duration(this.idleMs) + ' without a command' + (importing ? ', the configuration being pasted was dropped' : '') + '; sign in again with: login <pin>'],
      data: { event: 'signed-out', reason: 'idle' },
    });
  }
}
