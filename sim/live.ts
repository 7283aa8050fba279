// Live mode: the simulated unit runs paced to the wall clock (times a speed factor) with its
// technician console on the terminal, on a TCP port, and optionally on a pseudo-terminal
// (through socat) so picocom or the espruino CLI can connect as to a real board.
import * as net from 'net';
import { spawn, spawnSync, ChildProcess } from 'child_process';
import { Scenario } from './scenario';
import { Simulation } from './runner';
import { StartError } from './start-error';

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
  }
}

/** Runs a scenario live until its end or until stopped; returns a stop function. Throws
 *  StartError for what can be seen before it starts (checkLiveOptions, the EEPROM file). */
export function runLive(sc: Scenario, opts: LiveOptions): () => void {
  checkLiveOptions(opts);
  const sockets: net.Socket[] = [];
  const print = (line: string) => {
    if (opts.terminal) process.stdout.write(line + '\n');
    for (const s of sockets) s.write(line + '\r\n');
  };
  const sim = new Simulation(sc, print, undefined, { eepromFile: opts.eepromFile, formatEeprom: opts.formatEeprom });
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
  const timer = setInterval(() => {
    const target = Math.floor(((Date.now() - started) / 1000) * opts.speed / sc.stepSeconds);
    while (!sim.finished() && sim.stepIndex < target) sim.step();
    if (sim.finished()) stop();
  }, 50);
  if (opts.terminal) {
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => sim.unit.input(d));
  }
  if (opts.tcpPort !== undefined) {
    server = net.createServer((sock) => {
      sockets.push(sock);
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        if (opts.echo) sock.write(d.replace(/\r?\n|\r/g, '\r\n'));
        sim.unit.input(d);
      });
      sock.on('close', () => sockets.splice(sockets.indexOf(sock), 1));
      sock.on('error', () => undefined);
      sock.write('prepaid unit simulator: ' + sc.name + '\r\ntype help\r\n');
    });
    server.on('error', (e: NodeJS.ErrnoException) => {
      stop();
      const why = e.code === 'EADDRINUSE' ? 'TCP port ' + opts.tcpPort + ' is in use: pick another with --tcp (0: any free port)' : e.code === 'EACCES' ? 'TCP port ' + opts.tcpPort + ' needs more privileges: pick one above 1023' : 'cannot serve the console on TCP port ' + opts.tcpPort + ': ' + e.message;
      if (opts.onError) opts.onError(why);
    });
    server.listen(opts.tcpPort, '127.0.0.1', () => {
      const port = (server!.address() as net.AddressInfo).port;
      if (opts.ptyPath) {
        socat = spawn('socat', ['pty,raw,echo=0,link=' + opts.ptyPath, 'tcp:127.0.0.1:' + port], { stdio: 'ignore' });
        socat.on('error', (e) => {
          stop();
          if (opts.onError) opts.onError('cannot start socat for --pty: ' + e.message);
        });
      }
      if (opts.onReady) opts.onReady(port);
    });
  } else if (opts.onReady) opts.onReady(0);
  let stopped = false;
  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    clearInterval(saver);
    process.removeListener('SIGINT', onSignal);
    if (sim.storage) sim.storage.save();
    if (socat) socat.kill();
    for (const s of sockets) s.destroy();
    if (server) server.close();
    if (opts.terminal) process.stdin.pause();
  }
  return stop;
}
