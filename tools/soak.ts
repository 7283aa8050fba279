// A soak of the dormitory floor on the 32-bit interpreter, with its meters on RS485: a board's
// image boots from the floor's EEPROM (tools/floor-eeprom.ts) with its UART opened on one end of
// a socat pty pair, the floor's DL/T 645 and Modbus meters answer on the other in real time
// (sim/pty-meters.ts), and the unit polls them cycle after cycle. The heap is sampled all along:
// free at rest between cycles (the unit idle) and the lowest in each cycle, so a leak shows as
// free at rest falling from cycle to cycle.
//
// Then the same meters are billed again in Node: the same firmware started from the same EEPROM
// on a virtual clock, its bus answered with the replies the interpreter got, in the order it got
// them (`billAgain`). Both units must end with the same balances to the milli-unit.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SerialOptions, SerialPort } from '../hal/serial';
import { busMetering } from '../firmware/metering/wiring';
import { startUnit } from '../firmware/unit';
import { nodeModules } from '../sim/modules';
import { servePtyMeters, PtyMeters } from '../sim/pty-meters';
import { parseScenario } from '../sim/scenario';
import { StorageRig } from '../sim/storage-rig';
import * as view from '../sim/unit-view';
import { VirtualClock } from '../sim/virtual-clock';
import { loadBoard } from './build';
import { emptyFree } from './espruino-check';
import { RigResult, rigFigure, runRig } from './espruino-rig';
import { FLOOR_SCENARIO, FloorShape, floorEeprom, floorRig, floorScenario } from './floor-eeprom';

export interface SoakOptions {
  board: string;
  /** The interpreter (the board's own heap, or a larger one to measure what the image needs). */
  binary: string;
  /** Poll cycles to run (the unit's poll interval is `pollS`). */
  cycles: number;
  /** Poll interval, seconds (default 15: a cycle of the floor's 34 meters takes a few seconds). */
  pollS?: number;
  /** Line speed of both protocols (default 115200: a pty has no baud rate, and the unit's line
   *  timing at 115200 makes a cycle as short as the interpreter allows). */
  baud?: number;
  /** A meter's turnaround before it answers, ms (default 100: the unit ignores what comes while it is still sending, and under emulation its sending ends late). */
  replyDelayMs?: number;
  /** Heap sample interval, ms (default 250; each sample collects garbage). */
  sampleMs?: number;
  /** The floor grown (the WiFi's goal: 64 accounts, 64 meters) or as it is (floor-eeprom.ts). */
  shape?: FloorShape;
  /** Called with progress lines. */
  progress?: (line: string) => void;
  /** Called as each poll interval ends (from the first after boot, k = 0), with its figures in
   *  the runner's terms and the runner's own variables (`runner`: add them back for a board's
   *  figure): a run of hours can be followed, and its figures kept, before it ends. */
  onCycle?: (k: number, c: SoakCycle, runner: number) => void;
}

/** One poll interval of the run: free at rest (the most free in it: the unit idle) and the
 *  lowest free in it, variables. */
export interface SoakCycle {
  rest: number;
  lowest: number;
}

export interface SoakResult {
  run: RigResult;
  /** The runner's own variables (an empty program's free less the run's before boot): add them
   *  back to a figure for what a board would show. */
  runner: number;
  /** Cycles in which every meter answered at least once. */
  cyclesDone: number;
  /** Per poll interval from the first after boot. */
  cycles: SoakCycle[];
  /** Requests answered per meter (scenario order), requests seen that no meter took. */
  answered: number[];
  ignored: number;
  /** Balances in milli-currency the interpreter's `acct` listed at the end, by account name. */
  balances: { [account: string]: number };
  /** The same meters billed again in Node (billAgain). */
  again: { [account: string]: number };
  /** Accounts whose balances differ (name: interpreter, Node). */
  differ: string[];
  /** Replies of the recording Node's unit asked for and did not find. */
  unmatched: number;
  /** Every exchange on the wire (meter, ms since the meters started, request, reply). */
  log: PtyMeters['log'];
}

/** Starts socat with a pty pair in a new folder; the two paths and a stop function. */
export async function ptyPair(seconds: number): Promise<{ a: string; b: string; stop: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs485-'));
  const a = path.join(dir, 'meters');
  const b = path.join(dir, 'unit');
  const socat: ChildProcess = spawn('timeout', [String(seconds), 'socat', 'pty,raw,echo=0,link=' + a, 'pty,raw,echo=0,link=' + b], { stdio: 'ignore' });
  const t0 = Date.now();
  while (!(fs.existsSync(a) && fs.existsSync(b))) {
    if (Date.now() - t0 > 5000) {
      socat.kill();
      throw new Error('socat made no pty pair in 5 s (apt-get install -y socat)');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    a,
    b,
    stop: () => {
      socat.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Balances of an `acct` listing ("R301   12.345 on ..."), milli-currency by account name. */
export function listedBalances(lines: string[]): { [account: string]: number } {
  const out: { [account: string]: number } = {};
  for (const l of lines) {
    const m = /^(\S+) +(-?)(\d+)\.(\d{3}) (on |OFF)/.exec(l);
    if (m) out[m[1]] = (m[2] ? -1 : 1) * (Number(m[3]) * 1000 + Number(m[4]));
  }
  return out;
}

/** Key of a request for matching a reply recorded for it: the bytes, or (a relay command, whose
 *  bytes carry the time it was sent) the meter's address and control code. */
function requestKey(req: Uint8Array, exact: boolean): string {
  let i = 0;
  while (i < req.length && req[i] === 0xfe) i++;
  if (!exact && req[i] === 0x68) return 'dlt ' + Array.from(req.subarray(i, i + 9)).join(',');
  return Array.from(req).join(',');
}

/** Whether exchange i of the log is one the unit sent again at once to the same meter: a retry,
 *  whose reply the unit did not take (it came while the unit was still sending, or garbled). */
function retried(log: PtyMeters['log'], i: number): boolean {
  const n = log[i + 1];
  return !!n && n.meter === log[i].meter && requestKey(n.req, true) === requestKey(log[i].req, true);
}

/** Bills the recorded exchanges again in Node: the firmware started from `eeprom` at `rtcStart`
 *  on a virtual clock, its meter bus answered from `log` (each request with the next reply
 *  recorded for the same request), run for `seconds`. Balances by account name. */
export function billAgain(eeprom: Buffer, rtcStart: number, log: PtyMeters['log'], seconds: number): { balances: { [account: string]: number }; unmatched: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-again-'));
  const file = path.join(dir, 'eeprom.bin');
  fs.writeFileSync(file, eeprom);
  try {
    const clock = new VirtualClock();
    const storage = new StorageRig({ now: () => clock.now(), startEpoch: rtcStart, part: loadBoard('pico').eeprom.part, file, trusted: true });
    const queues = new Map<string, Uint8Array[]>();
    const push = (k: string, r: Uint8Array) => {
      const q = queues.get(k);
      if (q) q.push(r);
      else queues.set(k, [r]);
    };
    for (let i = 0; i < log.length; i++) {
      const e = log[i];
      // the unit did not take a retried request's first reply: neither does Node
      if (retried(log, i)) continue;
      push(requestKey(e.req, true), e.reply);
      push(requestKey(e.req, false), e.reply);
    }
    let unmatched = 0;
    const take = (k: string, other: string): Uint8Array | null => {
      const q = queues.get(k);
      if (!q || !q.length) return null;
      const r = q.shift() as Uint8Array;
      // the same reply is queued under its other key too
      const o = queues.get(other);
      if (o) {
        const at = o.indexOf(r);
        if (at >= 0) o.splice(at, 1);
      }
      return r;
    };
    const openMeterBus = (o: SerialOptions): SerialPort => ({
      write(bytes: Uint8Array, done?: () => void): boolean {
        const req = new Uint8Array(bytes);
        clock.after(5, () => {
          if (done) done();
          const exact = requestKey(req, true);
          const loose = requestKey(req, false);
          const r = take(exact, loose) || take(loose, exact);
          if (!r) {
            unmatched++;
            return;
          }
          clock.after(20, () => o.onData(new Uint8Array(r)));
        });
        return true;
      },
      bitsPerChar: () => 11,
      setLine: () => undefined,
      close: () => undefined,
    });
    const sc = parseScenario(JSON.parse(fs.readFileSync(FLOOR_SCENARIO, 'utf8')));
    if (!sc.ok) throw new Error(sc.errors.join('; '));
    const unit = startUnit({ load: nodeModules, clock, print: () => undefined, rtc: storage.rtc, eeprom: storage.eeprom, openMeterBus }, sc.value.rawConfig, { metering: busMetering });
    clock.advance(seconds * 1000);
    const balances: { [account: string]: number } = {};
    const names = view.accountNames(unit);
    for (let a = 0; a < names.length; a++) balances[names[a]] = view.balanceOf(unit, a);
    return { balances, unmatched };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the soak. */
export async function soakFloor(o: SoakOptions): Promise<SoakResult> {
  const pollS = o.pollS || 15;
  const seconds = o.cycles * pollS + 10;
  const line = { baud: o.baud || 115200 };
  const bus = { pollSeconds: pollS, dlt645: line, modbus: line };
  const f = floorEeprom(1, bus, o.shape);
  const pty = await ptyPair(seconds + 300);
  const meters = await servePtyMeters(floorScenario(1, bus, o.shape), pty.a, { log: true, replyDelayMs: o.replyDelayMs === undefined ? 100 : o.replyDelayMs });
  try {
    const rig = await floorRig(o.board, o.binary, f, pty.b);
    const empty = emptyFree(o.binary);
    // the runner: free before boot, and before and after it made its timers (espruino-rig.ts)
    let harness = NaN;
    const timers: number[] = [];
    // Per poll interval from the first sample on: free at rest is the most free in it.
    const cycles: SoakCycle[] = [];
    let at = -1;
    const t0 = Date.now();
    let next = 0;
    // The meters fall silent before the balances are listed, so that both units bill the same
    // replies (the listing comes `seconds` after boot, which takes a few seconds more).
    const muteAt = seconds - 3;
    const mute = setTimeout(() => (meters.mute = true), muteAt * 1000);
    const run = await runRig({
      ...rig,
      commands: [{ line: 'login 3333', afterMs: 1000 }, { line: 'acct', afterMs: 3000 }],
      firstMs: seconds * 1000,
      settleMs: 1000,
      sampleMs: o.sampleMs || 250,
      timeoutMs: seconds * 1000 + 120000,
      onOutput: (l) => {
        const h = rigFigure(l, 'harness');
        if (h) harness = h[0];
        const t = rigFigure(l, 'timers');
        if (t) timers.push(t[0]);
        const m = rigFigure(l, 'sample');
        if (!m) return;
        const k = Math.floor(m[0] / (pollS * 1000));
        if (k !== at && at >= 0 && o.onCycle) o.onCycle(at, cycles[at], empty - harness + timers[0] - timers[1]);
        at = k;
        const c = cycles[k] || (cycles[k] = { rest: 0, lowest: 1e9 });
        if (m[1] > c.rest) c.rest = m[1];
        if (m[1] < c.lowest) c.lowest = m[1];
      },
      onLine: () => {
        const s = Math.floor((Date.now() - t0) / 60000);
        if (o.progress && s > next) {
          next = s;
          o.progress(o.board + ': ' + s + ' min, ' + meters.requests + ' requests');
        }
      },
    });
    clearTimeout(mute);
    // (the intervals once the meters fell silent are left out)
    const last = Math.floor(muteAt / pollS) - 1;
    // cycles done: the fewest times a meter was asked its first request again (retries not counted)
    let cyclesDone = 1e9;
    const first: string[] = [];
    const count: number[] = [];
    for (let i = 0; i < meters.log.length; i++) {
      const e = meters.log[i];
      if (retried(meters.log, i)) continue;
      const k = requestKey(e.req, true);
      if (first[e.meter] === undefined) first[e.meter] = k;
      if (first[e.meter] === k) count[e.meter] = (count[e.meter] || 0) + 1;
    }
    for (let m = 0; m < meters.answered.length; m++) cyclesDone = Math.min(cyclesDone, count[m] || 0);
    const balances = listedBalances(run.lines);
    // Node runs a few cycles longer: every recorded reply is taken, then its requests go unanswered.
    const again = billAgain(f.eeprom, f.rtcStart, meters.log, seconds + 3 * pollS + 60);
    const differ: string[] = [];
    for (const k of Object.keys(again.balances)) if (balances[k] !== again.balances[k]) differ.push(k + ': ' + balances[k] + ', ' + again.balances[k]);
    return { run, runner: empty - run.freeBeforeBoot, cyclesDone, cycles: cycles.slice(0, last).filter((c) => c), answered: meters.answered, ignored: meters.ignored, balances, again: again.balances, differ, unmatched: again.unmatched, log: meters.log };
  } finally {
    await meters.close();
    pty.stop();
  }
}
