// Live mode: the simulated unit runs paced to the wall clock (times a speed factor) with its
// technician console on the terminal, on a TCP port, and optionally on a pseudo-terminal
// (through socat) so picocom or the espruino CLI can connect as to a real board. Each of them
// is a session of its own (sign-in, answers, idle time and lock-out on real time); what the
// unit itself prints goes to all. A line typed on the terminal that starts with '!' is for the
// simulator, not the unit: `!sms <number> <text>` sends the unit a text message (no console
// command starts with '!'); the texts the unit sends are shown on the terminal as they go.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { spawn, spawnSync, ChildProcess } from 'child_process';
import { Scenario } from './scenario';
import { Simulation } from './runner';
import { StartError } from './start-error';
import { ConsoleSession, SignInState } from './console-session';
import { realClock } from './real-clock';
import { phoneNumber } from '../hal/modem';

/** The usage of the simulator's own terminal line. */
export const LIVE_SMS_USAGE = '!sms <number> <text>: a text message to the unit from that number';

/** A terminal line for the simulator: a text message to send the unit, or what is wrong. */
export type LiveLine = { ok: true; from: string; text: string } | { ok: false; error: string };

/** A line typed on the terminal: null when it is for the unit's console (it does not start with
 *  '!'), else the simulator's command `!sms <number> <text>` or what is wrong with it. */
export function parseLiveLine(line: string): LiveLine | null {
  const s = line.trim();
  if (s.charAt(0) !== '!') return null;
  const m = /^(\S*)(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(s)!;
  if (m[1] !== '!sms') return { ok: false, error: 'unknown simulator command ' + m[1] + '; ' + LIVE_SMS_USAGE };
  const from = m[2];
  const text = m[3] || '';
  if (!from || !text) return { ok: false, error: 'usage: ' + LIVE_SMS_USAGE };
  if (!phoneNumber(from)) return { ok: false, error: '!sms: a phone number is 3 to 20 digits, with a + in front when international, got "' + from + '"' };
  if (text.length > 160) return { ok: false, error: '!sms: a text message holds at most 160 characters, got ' + text.length };
  return { ok: true, from, text };
}

/** Where the console is offered. */
export interface LiveOptions {
  /** Virtual seconds per real second. */
  speed: number;
  /** Attach the console to this process's stdin/stdout. */
  terminal: boolean;
  /** TCP port for the console (0 = any free port), or undefined for none. */
  tcpPort?: number;
  /** Path of a pseudo-terminal link to create with socat (needs tcpPort). */
  ptyPath?: string;
  /** Echo typed characters back, as a board does for a terminal. */
  echo: boolean;
  /** A console session signs out after this much real time without a command, ms (default 5 min). */
  idleMs?: number;
  /** Keep the unit's EEPROM in this file (saved every few seconds and at the end). */
  eepromFile?: string;
  /** Format an EEPROM file the unit cannot read instead of refusing it. */
  formatEeprom?: boolean;
  /** Called when the console cannot be offered after all (a busy port): the session has stopped. */
  onError?: (message: string) => void;
  /** Called once the console is reachable (with the TCP port actually used). */
  onReady?: (port: number) => void;
}

/** Checks what a live session needs before anything starts: throws StartError. */
export function checkLiveOptions(opts: LiveOptions): void {
  if (opts.tcpPort !== undefined && !(Number.isInteger(opts.tcpPort) && opts.tcpPort >= 0 && opts.tcpPort <= 65535)) {
    throw new StartError('--tcp needs a port number 0..65535 (0: any free port)');
  }
  if (opts.ptyPath) {
    const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
    if (r.error) throw new StartError('--pty needs socat, which was not found on PATH (Debian: apt-get install socat)');
    const dir = path.dirname(path.resolve(opts.ptyPath));
    if (!fs.existsSync(dir)) throw new StartError('cannot make the pseudo-terminal ' + opts.ptyPath + ': the folder ' + dir + ' does not exist');
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(opts.ptyPath);
    } catch {
      st = undefined; // a new path
    }
    // socat replaces whatever is at the link's path: only an old link of its own may go.
    if (st && !st.isSymbolicLink()) throw new StartError('--pty ' + opts.ptyPath + ' exists and is not a link socat made: give a new path (socat would delete it)');
  }
}

/** Runs a scenario live until its end or until stopped; returns a stop function. Throws
 *  StartError for what can be seen before it starts (checkLiveOptions, the EEPROM file). */
export function runLive(sc: Scenario, opts: LiveOptions): () => void {
  checkLiveOptions(opts);
  const clients = new Set<net.Socket>();
  const print = (line: string) => {
    if (opts.terminal) process.stdout.write(line + '\n');
    for (const s of clients) s.write(line + '\r\n');
  };
  const sim = new Simulation(sc, print, undefined, { eepromFile: opts.eepromFile, formatEeprom: opts.formatEeprom });
  const wall = realClock();
  const signIn: SignInState = { wrong: 0, lockouts: 0, lockedUntil: 0 };
  const session = (write: (line: string) => void): ConsoleSession => new ConsoleSession({ unit: sim.unit, write, clock: wall, signIn, idleMs: opts.idleMs });
  const saver = setInterval(() => {
    if (sim.storage) sim.storage.save();
  }, 5000);
  const onSignal = (): void => {
    stop();
    process.exit(0);
  };
  process.once('SIGINT', onSignal);
  let server: net.Server | undefined;
  let socat: ChildProcess | undefined;
  const started = Date.now();
  let shown = 0;
  const timer = setInterval(() => {
    const target = Math.floor(((Date.now() - started) / 1000) * opts.speed / sc.stepSeconds);
    while (!sim.finished() && sim.stepIndex < target) sim.step();
    // the texts the unit has sent since
    const sent = sim.modem ? sim.modem.sent : [];
    for (; opts.terminal && shown < sent.length; shown++) process.stdout.write('SMS to ' + sent[shown].to + ': ' + sent[shown].text + '\n');
    if (sim.finished()) stop('the scenario has ended (' + sc.durationHours + ' h simulated): the console closes');
  }, 50);
  let terminal: ConsoleSession | undefined;
  if (opts.terminal) {
    const term = session((line) => process.stdout.write(line + '\n'));
    terminal = term;
    process.stdin.setEncoding('utf8');
    // Whole lines: the simulator's own ('!sms ...') are taken here, the rest go to the console.
    let typed = '';
    process.stdin.on('data', (d: string) => {
      typed += d;
      for (let k = typed.search(/[\r\n]/); k >= 0; k = typed.search(/[\r\n]/)) {
        const line = typed.slice(0, k + 1);
        typed = typed.slice(k + 1);
        const x = parseLiveLine(line);
        if (!x) term.feed(line);
        else if (!x.ok) process.stdout.write('error: ' + x.error + '\n');
        else if (!sim.modem) process.stdout.write('error: this scenario gives the unit no modem: add a modem section (or an sms section to its configuration)\n');
        else {
          sim.receiveSms(x.from, x.text);
          process.stdout.write('SMS from ' + x.from + ' to the unit: ' + x.text + '\n');
        }
      }
    });
  }
  if (opts.tcpPort !== undefined) {
    server = net.createServer((sock) => {
      clients.add(sock);
      const s = session((line) => {
        if (!sock.destroyed) sock.write(line + '\r\n');
      });
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        if (opts.echo) sock.write(d.replace(/\r?\n|\r/g, '\r\n'));
        s.feed(d);
      });
      sock.on('close', () => {
        clients.delete(sock);
        s.close();
      });
      sock.on('error', () => undefined);
      sock.write('prepaid unit simulator: ' + sc.name + '\r\ntype help\r\n');
    });
    server.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'TCP port ' + opts.tcpPort + ' is in use: pick another with --tcp (0: any free port)' : e.code === 'EACCES' ? 'TCP port ' + opts.tcpPort + ' needs more privileges: pick one above 1023' : 'cannot serve the console on TCP port ' + opts.tcpPort + ': ' + e.message;
      stop(why, false);
      if (opts.onError) opts.onError(why);
    });
    server.listen(opts.tcpPort, '127.0.0.1', () => {
      const port = (server!.address() as net.AddressInfo).port;
      if (!opts.ptyPath) {
        if (opts.onReady) opts.onReady(port);
        return;
      }
      // Ready once socat has made the pty and connected to the console; if it exits before,
      // its own error line says why.
      const child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0,link=' + opts.ptyPath, 'tcp:127.0.0.1:' + port], { stdio: ['ignore', 'ignore', 'pipe'] });
      socat = child;
      let said = '';
      let ready = false;
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        said += d;
        if (!ready && said.indexOf('starting data transfer loop') >= 0) {
          ready = true;
          if (opts.onReady) opts.onReady(port);
        }
      });
      const failed = (why: string): void => {
        if (stopped) return;
        stop(why, false);
        if (opts.onError) opts.onError(why);
      };
      child.on('error', (e) => failed('cannot start socat for --pty: ' + e.message));
      child.on('exit', (code, signal) => {
        if (stopped) return;
        const errors = said.split('\n').filter((l) => / E /.test(l));
        const last = errors.length ? errors[errors.length - 1].replace(/^.* E /, '') : signal ? 'stopped by ' + signal : 'exit code ' + code;
        if (!ready) failed('socat could not make the pseudo-terminal ' + opts.ptyPath + ': ' + last);
        // Later (killed from outside, say) the console goes on without the pty.
        else if (opts.terminal) process.stdout.write('the pseudo-terminal ' + opts.ptyPath + ' is gone (socat: ' + last + '); the console goes on on tcp://127.0.0.1:' + port + '\n');
      });
    });
  } else if (opts.onReady) opts.onReady(0);
  let stopped = false;
  /** Stops; tells every client why (and this terminal, unless the caller reports it). */
  function stop(why?: string, tellTerminal = true): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    clearInterval(saver);
    process.removeListener('SIGINT', onSignal);
    if (sim.storage) sim.storage.save();
    const bye = why || 'the simulator is stopping: the console closes';
    if (terminal) {
      terminal.close();
      if (tellTerminal) process.stdout.write(bye + '\n');
    }
    if (socat) socat.kill();
    for (const s of clients) s.end(bye + '\r\n');
    wall.stop();
    if (server) server.close();
    if (opts.terminal) process.stdin.pause();
  }
  return () => stop();
}
