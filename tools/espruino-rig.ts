// Runs a board image on the real interpreter (../shared/espruino/, 32-bit, the boards' heaps)
// as a unit in its cabinet: the EEPROM is a file of this computer (an AT24C at 0x50; at 0x50 to
// 0x53, the device address's low bits as address bits 16 and 17, for an AT24CM01/02), the RTC a
// DS3231 at 0x68 running on the interpreter's clock, the technician console is fed a script
// of commands, and the RS485 UART and the modem's UART can be pseudo-terminals (bridged by the
// caller to virtual meters, sim/pty-meters.ts, and a virtual modem, sim/pty-modem.ts). The
// harness is itself evaluated from flash, as the firmware is, so that it costs the heap as
// little as it can; its own cost is measured and reported apart.
//
// What it reports: every console line, and the heap's free variables (process.memory(), after
// a collection) sampled at boot, at every line the unit prints, at every EEPROM write (the
// moments a module is loaded or a commit is under way), at every write to the modem's UART (an
// SMS session's commands and texts) and every `sampleMs`.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BoardDescription } from '../hal/espruino/board';
import { StorageBoot, interpreterCommand, interpreterTime } from './espruino-check';

/** One console command: typed `afterMs` after the previous one was typed. */
export interface RigCommand {
  line: string;
  afterMs?: number;
}

/** How to run. */
export interface RigOptions {
  binary: string;
  board: BoardDescription;
  /** The image as Storage files and the loader (tools/build.ts imageOnLinux). */
  image: StorageBoot;
  /** The EEPROM's contents at power-up (default: blank, 0xFF) and size (default the board's). */
  eeprom?: Buffer;
  /** UTC seconds the RTC shows at power-up (default 2026-03-02 14:00 UTC). */
  rtcStart?: number;
  /** Device the RS485 UART is opened on (a pty), or none. */
  busPath?: string;
  /** Device the board's modem UART (board.modem.uart) is opened on (a pty with a virtual modem
   *  behind it, sim/pty-modem.ts), or none. */
  modemPath?: string;
  /** Commands typed on the console, in order; the first `firstMs` after boot (default 1000). */
  commands?: RigCommand[];
  firstMs?: number;
  /** Run this long after the last command (default 1000 ms). */
  settleMs?: number;
  /** Heap sample interval (default 1000 ms; 0 none). */
  sampleMs?: number;
  /** Stop after this long in any case (default 120 s). */
  timeoutMs?: number;
  /** Called with each console line as it comes (a caller may watch the run). */
  onLine?: (line: string) => void;
  /** Called with every line of the interpreter's output as it comes (a long run can be followed,
   *  and its heap samples kept, before it ends: `rigFigure`). */
  onOutput?: (line: string) => void;
  /** Called when the run can be stopped early: true ends it. */
  stopWhen?: (lines: string[]) => boolean;
  /** Interpreter code run once after boot, from flash (a memory breakdown: E.getSizeOf of the
   *  unit's parts, printed as lines that are not console lines, in `other`). */
  probe?: string;
}

/** One command's run. */
export interface RigCommandResult {
  line: string;
  /** Lowest free while it ran (until the next command), free right after it answered. */
  lowest: number;
  output: string[];
}

/** What the run gave. */
export interface RigResult {
  /** Free before the harness, after it (its own cost is the difference), and after boot. */
  freeAtStart: number;
  freeBeforeBoot: number;
  freeAfterBoot: number;
  /** Lowest free during boot (the boot module and the first commits). */
  lowestBoot: number;
  /** Lowest free at any moment after boot. */
  lowest: number;
  /** Lowest free at the modem UART's writes (modemPath: the SMS sessions' commands and texts),
   *  NaN when nothing was written to it. */
  lowestModem: number;
  /** Periodic samples: ms after boot, free. */
  samples: number[][];
  commands: RigCommandResult[];
  lines: string[];
  /** Output of the interpreter that is not a console line (errors, warnings). */
  other: string[];
  /** Interpreter errors (Uncaught, OUT OF MEMORY, ASSERT). */
  errors: string[];
  /** Variables locked fifteen times when the script had run (E.dumpLockedVars(), from a timer:
   *  nothing of the unit's is running then): the most locks a variable counts, after which it is
   *  never unlocked nor collected, nor is anything it holds (a chain of about seven method calls
   *  on one object does it). Each as the interpreter shows it; null when the run was cut short
   *  before its end (nothing looked at). */
  lockedForever: string[] | null;
  eeprom: Buffer;
}

// The harness, evaluated from Storage. Placeholders: @EE@ EEPROM path, @EESIZE@, @CEA@ the code
// EEPROM's address (tools/image.ts CodeEeprom; its contents the Storage file "cee"), @RTC@,
// @CONSOLE@ console port, @PATHS@ the UARTs opened on devices of the host (devicePaths), @CMDS@
// commands, @FIRST@, @SETTLE@, @SAMPLE@.
const HARNESS = `
var __ee = E.openFile(@EE@, "r+"), __ptr = 0, __cptr = 0, __cea = @CEA@, __rreg = 0, __t0 = getTime(), __rtc = @RTC@, __low = 1e9, __lowAll = 1e9;
function __mem() { var f = process.memory().free; if (f < __low) __low = f; if (f < __lowAll) __lowAll = f; return f; }
function __bcd(v) { return ((v / 10) | 0) * 16 + v % 10; }
function __unbcd(v) { return (v >> 4) * 10 + (v & 15); }
var __i2c = { setup: function () {},
  writeTo: function (a, d, e) {
    if (typeof d === "number") d = [d];
    if (a === __cea) { __cptr = d[0] << 8 | d[1]; return; }
    if ((a & 0x7c) === 0x50) { __mem(); __ptr = (a & 3) << 16 | d[0] << 8 | d[1]; if (e) { __ee.seek(__ptr); __ee.write(E.toString(e)); } else if (d.length > 2) { __ee.seek(__ptr); __ee.write(E.toString(new Uint8Array(d).subarray(2))); } return; }
    if (a === 0x68) { __rreg = d[0];
      if (d[0] === 0 && d.length >= 8) { var y = 2000 + __unbcd(d[7]), mo = __unbcd(d[6] & 31), da = __unbcd(d[5]), yy = mo <= 2 ? y - 1 : y, era = Math.floor(yy / 400), yoe = yy - era * 400, mp = mo > 2 ? mo - 3 : mo + 9, doy = Math.floor((153 * mp + 2) / 5) + da - 1, doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
        __rtc = (era * 146097 + doe - 719468) * 86400 + __unbcd(d[3] & 63) * 3600 + __unbcd(d[2]) * 60 + __unbcd(d[1]) - Math.floor(getTime() - __t0); } } },
  readFrom: function (a, n) {
    if (a === __cea) { var c = E.toUint8Array(require("Storage").read("cee", __cptr, n)); __cptr += n; return c; }
    if ((a & 0x7c) === 0x50) { __ee.seek(__ptr); var s = __ee.read(n); __ptr += n; return E.toUint8Array(s); }
    var r = new Uint8Array(n);
    if (a === 0x68) { var t = __rtc + Math.floor(getTime() - __t0), days = Math.floor(t / 86400), sod = t - days * 86400, z = days + 719468, era = Math.floor(z / 146097), doe = z - era * 146097,
      yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365), doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)), mp = Math.floor((5 * doy + 2) / 153),
      day = doy - Math.floor((153 * mp + 2) / 5) + 1, mo = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
      var regs = [__bcd(sod % 60), __bcd(Math.floor(sod / 60) % 60), __bcd(Math.floor(sod / 3600)), 1 + (days + 4) % 7, __bcd(day), __bcd(mo), __bcd(y - 2000), 0, 0, 0, 0, 0, 0, 0, 0, 0];
      for (var i = 0; i < n; i++) r[i] = regs[(__rreg + i) & 15]; }
    return r; } };
var I2C1 = __i2c, I2C2 = __i2c, I2C3 = __i2c;
var Pin = function (n) { this.n = n; };
Pin.prototype.toString = function () { return this.n; };
var digitalWrite = function () {}, digitalRead = function () { return 0; }, digitalPulse = function () {}, pinMode = function () {}, setWatch = function () { return 1; }, clearWatch = function () {};
E.enableWatchdog = function () {}; E.kickWatchdog = function () {};
var __con = { f: null, setup: function () {}, on: function (e, f) { if (e === "data") this.f = f; }, setConsole: function () {}, removeAllListeners: function () { this.f = null; },
  write: function (s) { __mem(); if (typeof s === "string") { var l = s.split("\\r\\n"); for (var i = 0; i < l.length; i++) if (l[i]) print("C> " + l[i]); } } };
var @CONSOLE@ = __con;
// The REPL stays where it is (stdout): the firmware moving it to LoopbackA would hide the output.
var LoopbackA = { setConsole: function () {} };
@PATHS@
@WIFI@
// Commands come from a file of the host, one "<ms> <line>" a line, read as they are typed: a
// pasted configuration is not held in the heap, as it is not on a board.
var __cf = E.openFile(@CMDS@, "r"), __cb = "", __ci = 0, __tb = 0;
function __cmd() {
  var i, s;
  while ((i = __cb.indexOf("\\n")) < 0) { s = __cf.read(128); if (!s) { if (!__cb) return null; s = "\\n"; } __cb += s; }
  var l = __cb.substr(0, i), sp = l.indexOf(" ");
  __cb = __cb.substr(i + 1);
  return [l.substr(sp + 1), +l.substr(0, sp)];
}
function __next() {
  if (__ci > 0) print("MEM cmd " + (__ci - 1) + " " + __low + " " + __mem());
  __low = 1e9;
  var c = __cmd();
  if (!c) return setTimeout(function () { print("MEM end " + __lowAll + " " + __mem()); __ee.close(); __cf.close(); clearInterval(); clearTimeout(); print("LOCKS"); E.dumpLockedVars(); print("LOCKS END"); }, @SETTLE@);
  __ci++;
  print("CMD " + c[0]);
  if (__con.f) __con.f(c[0] + "\\r");
  setTimeout(__next, c[1]);
}
`;

const BOOT_RUNNER = (sampleMs: number) => `
print("MEM harness " + __mem());
__low = 1e9;
eval(require("Storage").read(".boot0"));
print("MEM boot " + __low + " " + __mem());
if (typeof __probe === "function") __probe();
print("MEM timers " + process.memory().free);
__tb = getTime();
${sampleMs ? 'setInterval(function () { print("MEMT " + Math.round((getTime() - __tb) * 1000) + " " + __mem()); }, ' + sampleMs + ');' : ''}
setTimeout(__next, @FIRST@);
print("MEM timers " + process.memory().free);
__lowAll = 1e9; __low = 1e9;
`;

/** The figures of a heap line of the run's output: 'harness' [free before boot], 'timers'
 *  [free] (twice: before and after the runner made its timers, after boot), 'sample' [ms, free]. */
export function rigFigure(line: string, kind: 'harness' | 'timers' | 'sample'): number[] | null {
  const k = kind === 'sample' ? 'MEMT ' : 'MEM ' + kind + ' ';
  return line.indexOf(k) === 0 ? line.slice(k.length).split(' ').map(Number) : null;
}

/** Variables the runner's own timers took after boot (free before less after they were made). */
function runnerTimers(lines: string[]): number {
  const t: number[] = [];
  for (const l of lines) {
    const f = rigFigure(l, 'timers');
    if (f) t.push(f[0]);
  }
  return t.length === 2 ? t[0] - t[1] : 0;
}

/** Interpreter code that copies a file of the host into a Storage file in pieces. */
function copyToStorage(file: string, name: string, bytes: number): string {
  return '(function () { var S = require("Storage"), f = E.openFile(' + JSON.stringify(file) + ', "r"), at = 0, s; S.erase(' + JSON.stringify(name) + '); while ((s = f.read(512))) { S.write(' + JSON.stringify(name) + ', s, at, ' + bytes + '); at += s.length; } f.close(); })();';
}

// A UART the firmware sets up on its pins is opened on a device of the host instead; with m,
// the heap is sampled at each write (the modem's: an SMS session prints nothing on the console)
// and its lowest there printed. In the harness only when a run opens a device.
const DEVICE = `function __dev(u, d, m) { var s = u.setup, w = u.write; u.setup = function (b, o) { var k, p = { path: d }; for (k in o) if (k !== "tx" && k !== "rx") p[k] = o[k]; s.call(u, b, p); };
  if (m) u.write = function (x) { var f = __mem(); if (f < __lowM) print("MEM modem " + (__lowM = f)); w.call(u, x); }; }`;

// The firmware's Wifi module of an Espruino WiFi, which the Linux build lacks: it joins at once
// (after half a second) and says so; Espruino's own `net` sockets then reach the host's network.
const WIFI = `Modules.addCached("Wifi", 'exports.connect = function (s, o, cb) { print("WIFI join " + JSON.stringify(s) + (o.password ? " with a password" : "")); setTimeout(function () { cb(null); }, 500); }; exports.disconnect = function () { print("WIFI off"); };');`;

/** The harness's lines that open the RS485 and the modem UART on devices of the host (none for
 *  a UART without one). The console is the harness's own stub: no UART of the board may be it. */
function devicePaths(o: RigOptions): string {
  const out: string[] = [];
  const con = o.board.console.uart;
  const open = (uart: string, dev: string, sample: boolean) => {
    if (uart === con) throw new Error('the board\'s ' + uart + ' is its console: the rig cannot open it on ' + dev);
    out.push('__dev(' + uart + ', ' + JSON.stringify(dev) + (sample ? ', 1' : '') + ');');
  };
  if (o.busPath) open(o.board.rs485.uart, o.busPath, false);
  if (o.modemPath) {
    if (!o.board.modem) throw new Error(o.board.name + ' has no modem: modemPath needs one');
    if (o.busPath && o.board.modem.uart === o.board.rs485.uart) throw new Error('the modem and the meter bus on one UART');
    out.unshift('var __lowM = 1e9;');
    open(o.board.modem.uart, o.modemPath, true);
  }
  return out.length ? DEVICE + '\n' + out.join('\n') : '';
}

/** Runs the image; resolves when the script has run (or the time is up). */
export function runRig(o: RigOptions): Promise<RigResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'espruino-rig-'));
  const size = o.board.eeprom.size;
  const ee = Buffer.alloc(size, 0xff);
  if (o.eeprom) o.eeprom.copy(ee, 0, 0, Math.min(size, o.eeprom.length));
  const eeFile = path.join(dir, 'eeprom.bin');
  fs.writeFileSync(eeFile, ee);
  const cmdFile = path.join(dir, 'commands.txt');
  fs.writeFileSync(cmdFile, (o.commands || []).map((c) => (c.afterMs === undefined ? 300 : c.afterMs) + ' ' + c.line.replace(/[\r\n]/g, ' ') + '\n').join(''), 'latin1');
  const harness = HARNESS.replace(/@EE@/g, JSON.stringify(eeFile))
    .replace(/@CEA@/g, String(o.image.codeEeprom ? o.image.codeEeprom.address : -1))
    .replace(/@RTC@/g, String(o.rtcStart === undefined ? 1772460000 : o.rtcStart))
    .replace(/@CONSOLE@/g, o.board.console.uart)
    .replace(/@PATHS@/g, () => devicePaths(o))
    .replace(/@WIFI@/g, o.board.uplink && o.board.uplink.link === 'wifi' ? WIFI : '')
    .replace(/@CMDS@/g, JSON.stringify(cmdFile))
    .replace(/@SETTLE@/g, String(o.settleMs === undefined ? 1000 : o.settleMs));
  const files: { [name: string]: string } = { ...o.image.files, ...(o.image.codeEeprom ? { cee: o.image.codeEeprom.bytes } : {}), '.h': harness + (o.probe ? 'function __probe() {\n' + o.probe + '\n}\n' : ''), '.boot0': o.image.boot, '.run': BOOT_RUNNER(o.sampleMs === undefined ? 1000 : o.sampleMs).replace(/@FIRST@/g, String(o.firstMs === undefined ? 1000 : o.firstMs)) };
  let copy = '';
  for (const name of Object.keys(files)) {
    const file = path.join(dir, name.replace(/^\./, '_') + '.bin');
    const bytes = Buffer.from(files[name], 'latin1');
    fs.writeFileSync(file, bytes);
    copy += copyToStorage(file, name, bytes.length) + '\n';
  }
  // The runner itself is RAM code: it copies the files, then everything runs from flash.
  const runner = 'print("MEM start " + process.memory().free);\n' + copy + 'eval(require("Storage").read(".h"));\neval(require("Storage").read(".run"));\n';
  fs.writeFileSync(path.join(dir, 'runner.js'), runner);
  return new Promise((resolve) => {
    const c = interpreterCommand(o.binary, ['runner.js']);
    const p = spawn(c[0], c.slice(1), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const lines: string[] = [];
    const other: string[] = [];
    const all: string[] = [];
    let forever: string[] | null = null;
    let locks = false;
    const onText = (text: string) => {
      buf += text;
      const parts = buf.split(/\r?\n/);
      buf = parts.pop() as string;
      for (const raw of parts) {
        const l = raw.slice(raw.lastIndexOf('\r') + 1).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^>+/, '');
        // the dump of the locked variables at the end (the code it shows is no output of the run)
        if (locks || l === 'LOCKS') {
          locks = l !== 'LOCKS END';
          if (!forever) forever = [];
          // (the dump shows what the root does not reach, as trees: one so locked may be deep in
          // one, its line indented)
          if (/#\d+\[r\d+,l15\]/.test(l)) forever.push(l.trim().slice(0, 160));
          continue;
        }
        all.push(l);
        if (o.onOutput) o.onOutput(l);
        if (l.indexOf('C> ') === 0) {
          lines.push(l.slice(3));
          if (o.onLine) o.onLine(l.slice(3));
          if (o.stopWhen && o.stopWhen(lines)) p.kill('SIGTERM');
        } else if (!/^(MEM|CMD) /.test(l) && l.trim()) other.push(l);
      }
    };
    p.stdout.on('data', (d: Buffer) => onText(d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => onText(d.toString('latin1')));
    const timer = setTimeout(() => p.kill('SIGTERM'), interpreterTime(o.binary, o.timeoutMs || 120000));
    p.on('close', () => {
      clearTimeout(timer);
      if (buf) onText('\n');
      const num = (l: string | undefined, i: number) => (l ? Number(l.split(' ')[i]) : NaN);
      const memLine = (k: string) => all.find((l) => l.indexOf('MEM ' + k + ' ') === 0);
      const bootLine = memLine('boot');
      const cmds: RigCommandResult[] = [];
      let cur: RigCommandResult | null = null;
      const samples: number[][] = [];
      for (const l of all) {
        if (l.indexOf('CMD ') === 0) {
          cur = { line: l.slice(4), lowest: NaN, output: [] };
          cmds.push(cur);
        } else if (l.indexOf('C> ') === 0 && cur) cur.output.push(l.slice(3));
        else if (l.indexOf('MEM cmd ') === 0) {
          const i = num(l, 2);
          if (cmds[i]) cmds[i].lowest = Math.min(num(l, 3), num(l, 4));
        } else if (l.indexOf('MEMT ') === 0) samples.push(rigFigure(l, 'sample') as number[]);
      }
      const end = memLine('end');
      const modemLows = all.filter((l) => l.indexOf('MEM modem ') === 0).map((l) => num(l, 2));
      const lows = cmds.map((c) => c.lowest).concat(samples.map((s) => s[1]));
      if (end) lows.push(num(end, 2));
      const result: RigResult = {
        freeAtStart: num(memLine('start'), 2),
        // the runner's timers (heap samples, typed commands) are made after boot: theirs too
        freeBeforeBoot: num(memLine('harness'), 2) - runnerTimers(all),
        freeAfterBoot: num(bootLine, 3),
        lowestBoot: num(bootLine, 2),
        lowest: lows.filter((x) => x === x).reduce((a, b) => Math.min(a, b), Infinity),
        lowestModem: modemLows.length ? Math.min.apply(null, modemLows) : NaN,
        samples,
        commands: cmds,
        lines,
        other,
        errors: all.filter((l) => /Uncaught|OUT OF MEMORY|ASSERT|Execution Interrupted|New interpreter error|is not defined|Can't /.test(l) && !/^New interpreter error: FIFO_FULL\s*$/.test(l.trim())),
        eeprom: fs.readFileSync(eeFile),
        lockedForever: forever,
      };
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(result);
    });
  });
}
