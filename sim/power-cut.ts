// Power-cut test: runs a unit with an EEPROM through a scripted day (readings, token and
// console top-ups, a correction, relay modes, configuration changes, midnight freezes), then
// for every EEPROM write and every byte within it takes the EEPROM as a cut there would have
// left it (the bytes before programmed, the byte being programmed torn), boots a new unit on
// it, repeats the interrupted step the way a person would (a token again, a console top-up
// only when the log does not show it), runs to the end and checks:
//   - the state found at boot is one the unit had committed: before the step, after a
//     journal write of the step, or after it (no partial commit, nothing corrupt);
//   - the end state is exactly the uninterrupted run's: no top-up lost or applied twice,
//     no energy billed twice or skipped, same ledger sequence, same token counters;
//   - every account's balance equals the sum of its ledger entries, and its energy equals
//     its meters' register advance;
//   - the event log holds every money entry since the cut and says the unit rebooted; the
//     freeze records equal the uninterrupted run's.
import { Core, Decision, formatDecision } from '../firmware/core';
import { nodeModules } from './modules';
import { formatMoney } from '../firmware/console/words';
import { startUnit, Unit } from '../firmware/unit';
import { layoutFor } from '../firmware/storage/store';
import { Eeprom } from '../hal/eeprom';
import { Result } from '../hal/result';
import { generateToken, keyFromHex } from '../tools/openpaygo-encode';
import { StorageRig, PARTS } from './storage-rig';
import { VirtualAt24c } from './virtual-eeprom';
import { VirtualClock } from './virtual-clock';
import { accountState, meterState } from '../firmware/core';
import { VirtualDs3231 } from './virtual-rtc';
import { nameAt, nameIndex, nameList } from '../firmware/tables';

/** 2026-03-31 06:00 UTC: the day crosses into April, so a monthly freeze falls due too. */
const T0 = 1774936800;
const STEP_S = 1200;
const KEYS = ['0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'a1b2c3d4e5f60718293a4b5c6d7e8f90'];
const STARTS = [123456789, 987654321];

const CONFIG = {
  utcOffsetMinutes: 0,
  billingDay: 1,
  plans: {
    flat: { price: 600 },
    tou: {
      prices: { sharp: 1200, peak: 850, flat: 550, valley: 300 },
      workday: [['00:00', 'valley'], ['08:00', 'flat'], ['10:00', 'peak'], ['18:00', 'sharp'], ['21:00', 'flat'], ['23:00', 'valley']],
      tiers: [{ uptoWh: 4000, add: 0 }, { add: 200 }],
    },
  },
  accounts: [
    { name: 'A1', plan: 'flat', alarmLevels: [30000, 20000, 10000], token: { key: KEYS[0], start: STARTS[0], unit: 1000 } },
    { name: 'A2', plan: 'tou', creditLimit: 1000, reconnect: 2000, friendly: [['22:00', '07:00']], token: { key: KEYS[1], start: STARTS[1], unit: 1000 } },
  ],
  meters: [
    { name: 'M1', account: 'A1', maxPowerW: 9000 },
    { name: 'M2', account: 'A2', maxPowerW: 9000 },
    { name: 'M3', account: 'A2', maxPowerW: 9000 },
  ],
};

/** One scripted step at time t (UTC s). */
interface Step {
  t: number;
  /** Readings by meter name (Wh), sent as reading events. */
  readings?: { [meter: string]: number };
  /** Console lines (signed in as technician first). */
  console?: string[];
  /** A console top-up: repeated after a cut only when the log does not show its ledger entry. */
  topup?: string;
}

/** The day: a reading of every meter every 20 minutes, and the operator's actions. */
function script(tokens: string[]): Step[] {
  const steps: Step[] = [];
  const reg: { [m: string]: number } = { M1: 1000, M2: 52000, M3: 7000, M4: 0 };
  const rate: { [m: string]: number } = { M1: 90, M2: 160, M3: 70, M4: 120 };
  const n = (25 * 3600) / STEP_S;
  for (let i = 0; i <= n; i++) {
    const t = T0 + i * STEP_S;
    const hour = ((i * STEP_S) / 3600 + 6) % 24;
    const r: { [m: string]: number } = {};
    for (const m of ['M1', 'M2', 'M3', 'M4']) {
      if (m === 'M4' && (hour < 12 || i > 80)) continue;
      // energy every 20 minutes, in 10 Wh register steps, some quiet periods
      if (i > 0) reg[m] += 10 * Math.floor((rate[m] * (1 + ((i * 7 + m.charCodeAt(1)) % 5))) / 30);
      r[m] = reg[m];
    }
    steps.push({ t, readings: r });
    for (const m of Object.keys(r)) if (firstReg[m] === undefined) firstReg[m] = r[m];
    const at = (h: number, s: Omit<Step, 't'>): void => {
      if (Math.abs(hour - h) < 1e-9) steps.push({ ...s, t: t + 60 });
    };
    at(7, { console: ['token A1 ' + tokens[0]] });
    at(8, { console: ['token A2 ' + tokens[1]] });
    at(9, { console: ['relay A2 off'] });
    at(10, { console: ['relay A2 auto'] });
    at(12, { console: ['acct open A3 plan=flat alarms=5,2', 'meter add M4 acct=A3'] });
    at(13, { topup: 'A3 20' });
    at(14, { console: ['tariff set flat price=0.70'] });
    at(15, { console: ['token A1 ' + tokens[2]] });
    at(16, { console: ['token A1 ' + tokens[2]] });
    at(17, { topup: 'A2 3.5' });
    at(18, { console: ['correct {17}'] });
    at(20, { console: ['relay A1 on'] });
    at(21, { console: ['relay A1 auto'] });
    at(3, { console: ['acct close A3'] });
    at(5, { console: ['token A2 ' + tokens[3]] });
  }
  return steps;
}

function tokenList(): string[] {
  const out: string[] = [];
  const counts = [1, 1];
  const issue = (acct: number, value: number): void => {
    const r = generateToken({ key: keyFromHex(KEYS[acct]) as Uint8Array, startingCode: STARTS[acct], count: counts[acct], kind: 'add', value });
    if (!r.ok) throw new Error(r.error);
    counts[acct] = r.count;
    out.push(r.token);
  };
  issue(0, 50);
  issue(1, 8);
  issue(0, 25);
  issue(1, 30);
  return out;
}

/** What must survive: the ledger sequence and every account's and meter's billing state. */
interface Snap {
  seq: number;
  acc: { [name: string]: number[] };
  met: { [name: string]: number[] };
}

function snap(core: Core): Snap {
  const s: Snap = { seq: core.ledger.seq, acc: {}, met: {} };
  nameList(core.cfg.accounts.names).forEach((name, i) => (s.acc[name] = accountState(core, i)));
  nameList(core.cfg.meters.names).forEach((name, i) => {
    const v = meterState(core, i);
    v[3] = 0; // time of the last reading: a reading that moved nothing is not written
    s.met[name] = v;
  });
  return s;
}

function same(a: Snap, b: Snap): string {
  if (a.seq !== b.seq) return 'ledger #' + a.seq + ' vs #' + b.seq;
  for (const k of Object.keys(a.acc)) {
    const x = a.acc[k];
    const y = b.acc[k];
    if (!y ? x.some((v, i) => v !== 0 && i !== 7) : x.join() !== y.join()) return 'account ' + k + ' [' + x.join() + '] vs [' + (y || []).join() + ']';
  }
  for (const k of Object.keys(b.acc)) if (!a.acc[k] && b.acc[k].some((v, i) => v !== 0 && i !== 7)) return 'account ' + k + ' missing';
  for (const k of Object.keys(a.met)) {
    const y = b.met[k];
    if (y ? a.met[k].join() !== y.join() : a.met[k].some((v) => v !== 0)) return 'meter ' + k + ' [' + a.met[k].join() + '] vs [' + (y || []).join() + ']';
  }
  return '';
}

/** The states of account `name`'s meters in a snapshot. */
function metersOf(x: Snap, name: string, core: Core): { [m: string]: number[] } {
  const out: { [m: string]: number[] } = {};
  const a = nameIndex(core.cfg.accounts.names, name);
  nameList(core.cfg.meters.names).forEach((m, i) => {
    if (core.cfg.meters.account[i] === a) out[m] = x.met[m] || [0, 0, 0, 0, 0, 0, 0, 0];
  });
  return out;
}

/** Each meter's first register in the script: the baseline billing starts from. */
const firstReg: { [m: string]: number } = {};

/** An EEPROM that reports every write (address, bytes) after it is done. */
class Tap implements Eeprom {
  constructor(private ee: Eeprom, private onWrite: (addr: number, bytes: Uint8Array) => void) {}
  get size(): number {
    return this.ee.size;
  }
  get pageSize(): number {
    return this.ee.pageSize;
  }
  read(addr: number, len: number): Result<Uint8Array> {
    return this.ee.read(addr, len);
  }
  write(addr: number, bytes: Uint8Array): Result<true> {
    const r = this.ee.write(addr, bytes);
    if (r.ok) this.onWrite(addr, bytes.slice());
    return r;
  }
}

/** A unit and the world around it: virtual time, the chips, the console. */
class World {
  nowMs = 0;
  clock = new VirtualClock();
  rtc: VirtualDs3231;
  chip: VirtualAt24c;
  unit!: Unit;
  out: string[] = [];
  /** Ledger entries by sequence number, with the account name. */
  ledger = new Map<number, { name: string; d: Decision }>();
  bootLines: string[] = [];

  constructor(part: string, image: Uint8Array | null, private tap?: (addr: number, bytes: Uint8Array) => void) {
    const p = PARTS[part];
    this.chip = new VirtualAt24c({ size: p.size, pageSize: p.pageSize });
    if (image) this.chip.restore(image);
    this.rtc = new VirtualDs3231({ now: () => this.nowMs, startEpoch: T0 });
  }

  boot(atS: number): void {
    this.nowMs = (atS - T0) * 1000;
    this.clock = new VirtualClock();
    const rig = new StorageRig({ now: () => this.nowMs, chip: this.chip, clock: this.rtc });
    const ee = this.tap ? new Tap(rig.eeprom, this.tap) : rig.eeprom;
    this.out = [];
    this.unit = startUnit(
      {
        load: nodeModules,
        clock: this.clock,
        print: (l) => this.out.push(l),
        eeprom: ee,
        rtc: rig.rtc,
        onDecision: (d) => {
          if (d.kind === 'ledger') this.ledger.set(d.seq, { name: this.unit ? nameAt(this.unit.core.cfg.accounts.names, d.account) : CONFIG.accounts[d.account].name, d });
        },
      },
      CONFIG,
    );
    this.bootLines = this.out.slice();
  }

  private advance(t: number): void {
    const ms = (t - T0) * 1000;
    if (ms > this.nowMs) this.clock.advance(ms - this.nowMs);
    this.nowMs = ms;
  }

  say(lines: string[]): string[] {
    this.out = [];
    this.unit.input(['login 3333'].concat(lines, ['logout']).join('\n') + '\n');
    return this.out.slice();
  }

  /** Runs step s; `again` after a cut in it. */
  run(s: Step, receipts: { [hour: string]: number }, again: boolean): string[] {
    this.advance(s.t);
    const u = this.unit;
    if (s.readings) {
      for (const m of Object.keys(s.readings)) {
        const i = nameIndex(u.core.cfg.meters.names, m);
        if (i >= 0) u.handle({ t: 'reading', time: u.time(), meter: i, importWh: s.readings[m], exportWh: 0 });
      }
      u.handle({ t: 'tick', time: u.time() });
      return [];
    }
    if (s.topup) {
      if (again) {
        const seq = receipts['topup ' + s.topup];
        const shown = this.say(['log kind=topup n=50']).some((l) => l.indexOf('ledger #' + seq + ' ') >= 0 || l.indexOf('RECEIPT #' + seq + ' ') >= 0);
        if (shown) return [];
      }
      const r = this.say(['topup ' + s.topup]);
      const m = r.map((l) => /^RECEIPT #(\d+)/.exec(l)).find((x) => x);
      if (m) receipts['topup ' + s.topup] = +m[1];
      return r;
    }
    const lines = (s.console || []).map((l) => l.replace('{17}', String(receipts['topup A2 3.5'])));
    return this.say(lines);
  }
}

/** Result of a power-cut run. */
export interface PowerCutResult {
  steps: number;
  /** EEPROM write calls and bytes in the uninterrupted run. */
  writes: number;
  bytes: number;
  tried: number;
  passed: number;
  failures: string[];
}

/** Options: the EEPROM part, and which cut points to try (every one by default). */
export interface PowerCutOptions {
  part?: string;
  /** Try cut point i when i % of === slice (split the work over processes). */
  slice?: number;
  of?: number;
  /** Only this cut point: [write index, byte] (to look at one failure). */
  only?: [number, number];
  /** Stop after this many failures. */
  maxFailures?: number;
}

/** The uninterrupted run and every cut point. */
export function powerCut(o: PowerCutOptions = {}): PowerCutResult {
  const part = o.part || 'AT24C128';
  const tokens = tokenList();
  const steps = script(tokens);
  const lay = layoutFor(PARTS[part].size, PARTS[part].pageSize);
  const inJournal = (a: number): boolean => a >= lay.journal && a < lay.journal + lay.journalSize;

  // The uninterrupted run, recording every write with its step and the committed states.
  const writes: { addr: number; bytes: Uint8Array; step: number }[] = [];
  const accepted: Snap[][] = [];
  let cur = -1;
  const ref = new World(part, null, (addr, bytes) => {
    writes.push({ addr, bytes, step: cur });
    if (cur >= 0 && inJournal(addr)) accepted[cur].push(snap(ref.unit.core));
  });
  ref.boot(T0);
  const receipts: { [k: string]: number } = {};
  const image0 = ref.chip.snapshot();
  const firstWrite = writes.length;
  const before: Snap[] = [];
  for (let i = 0; i < steps.length; i++) {
    cur = i;
    before.push(snap(ref.unit.core));
    accepted.push([before[i]]);
    const r = ref.run(steps[i], receipts, false);
    if (r.some((l) => l.indexOf('error') === 0 && l.indexOf('already used') < 0)) throw new Error('the script itself fails at step ' + i + ': ' + r.join(' | '));
    accepted[i].push(snap(ref.unit.core));
  }
  const final = snap(ref.unit.core);
  const finalFreeze = ref.say(['freeze day', 'freeze month']).filter((l) => /^\d{4}-/.test(l));
  if (finalFreeze.length < 6) throw new Error('the script made too few freeze records: ' + finalFreeze.join(' | '));

  const res: PowerCutResult = { steps: steps.length, writes: writes.length - firstWrite, bytes: 0, tried: 0, passed: 0, failures: [] };
  const image = image0.slice();
  let point = 0;
  for (let w = firstWrite; w < writes.length; w++) {
    const wr = writes[w];
    res.bytes += wr.bytes.length;
    for (let k = 0; k < wr.bytes.length; k++, point++) {
      if (o.of && point % o.of !== (o.slice || 0)) continue;
      if (o.only && (o.only[0] !== w - firstWrite || o.only[1] !== k)) continue;
      res.tried++;
      const img = image.slice();
      img.set(wr.bytes.subarray(0, k), wr.addr);
      img[wr.addr + k] = ~wr.bytes[k] & 255; // the cell being programmed is torn
      const why = afterCut(part, img, steps, wr.step, receipts, accepted[wr.step], final, finalFreeze, ref, before[wr.step].seq);
      if (!why) res.passed++;
      else if (res.failures.push('write ' + (w - firstWrite) + ' (step ' + wr.step + ', ' + wr.bytes.length + ' bytes at ' + wr.addr + ') cut after byte ' + k + ': ' + why) >= (o.maxFailures || 20)) return res;
    }
    image.set(wr.bytes, wr.addr);
  }
  return res;
}

/** Boots on the cut image at step s, repeats it, runs to the end; '' or what went wrong. */
function afterCut(part: string, img: Uint8Array, steps: Step[], s: number, receipts: { [k: string]: number }, accepted: Snap[], final: Snap, finalFreeze: string[], ref: World, seqBefore: number): string {
  const w = new World(part, img);
  w.boot(steps[s].t);
  const bad = w.bootLines.filter((l) => /unreadable|could not save|failed|newer firmware/.test(l));
  if (bad.length) return 'boot: ' + bad.join(' | ');
  const got = snap(w.unit.core);
  // Each account (with its meters) as one of the states the step committed it in: a batch
  // is all or nothing; readings of several accounts may land in different batches.
  for (const name of Object.keys(got.acc)) {
    const one = (x: Snap): Snap => ({ seq: 0, acc: { [name]: x.acc[name] || [] }, met: metersOf(x, name, w.unit.core) });
    if (!accepted.some((a) => same(one(got), one(a)) === '')) return 'account ' + name + ' after boot is in no committed state: ' + same(one(got), one(accepted[0])) + ' / ' + same(one(got), one(accepted[accepted.length - 1]));
  }
  const restoredSeq = got.seq;
  if (restoredSeq < accepted[0].seq || restoredSeq > accepted[accepted.length - 1].seq) return 'ledger #' + restoredSeq + ' outside the step';
  const log = w.say(['log n=6']);
  if (!log.some((l) => / restored \d+ of \d+ accounts/.test(l))) return 'event log does not say the unit rebooted: ' + log.join(' | ');
  // The ledger as it stands: the committed entries of the uninterrupted run, then this run's.
  const ledger = new Map<number, { name: string; d: Decision }>();
  for (const [k, v] of ref.ledger) if (k <= restoredSeq) ledger.set(k, v);
  const said = w.run(steps[s], receipts, true);
  // The money entries of the interrupted step are in the event log, logged or recovered.
  const events = w.say(['log n=30']);
  for (const [k, v] of w.ledger) if (k > seqBefore) ledger.set(k, v);
  for (const [k, v] of ledger) {
    if (v.d.code === 'charge' || k <= seqBefore) continue;
    // as `log` says it (money with three decimals; an entry recovered at boot keeps its account index)
    const head = 'ledger #' + k + ' ';
    const tail = ' ' + v.d.code + ' ' + formatMoney(v.d.value) + ' balance ' + formatMoney(v.d.balance);
    if (!events.some((l) => l.indexOf(head) >= 0 && l.indexOf(tail) >= 0)) return 'event log lacks "' + head + v.name + tail + '" after the step: ' + events.join(' | ');
  }
  for (let i = s + 1; i < steps.length; i++) w.run(steps[i], receipts, false);
  for (const [k, v] of w.ledger) ledger.set(k, v);
  const end = snap(w.unit.core);
  const diff = same(end, final);
  if (diff && process.env.PC_DEBUG) {
    const a = [...ref.ledger.entries()].filter(([k]) => k > restoredSeq).map(([k, v]) => k + ':' + formatDecision(v.d));
    const b = [...w.ledger.entries()].map(([k, v]) => k + ':' + formatDecision(v.d));
    for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) {
      console.log('first ledger difference: ref ' + a.slice(i, i + 3).join(' ; ') + ' || cut ' + b.slice(i, i + 3).join(' ; '));
      break;
    }
  }
  if (diff) return 'end state differs from the uninterrupted run: ' + diff + ' [' + same({ ...end, seq: 0 }, { ...final, seq: 0 }) + '] (boot: ' + w.bootLines.join(' | ') + '; step ' + s + ' again: ' + said.join(' | ') + ')';
  // Balance = the money entries (each committed with its balance) minus the charges, whose
  // running total is committed with every balance.
  const core = w.unit.core;
  const sums: { [n: string]: number } = {};
  for (const v of ledger.values()) if (v.d.code !== 'charge') sums[v.name] = (sums[v.name] || 0) + v.d.value;
  for (let a = 0; a < core.cfg.accounts.n; a++) {
    const n = nameAt(core.cfg.accounts.names, a);
    if ((sums[n] || 0) - core.chargedMilli[a] !== core.balance[a]) return 'balance of ' + n + ' ' + core.balance[a] + ' is not its ledger: ' + sums[n] + ' - ' + core.chargedMilli[a];
    let wh = 0;
    nameList(core.cfg.meters.names).forEach((m, i) => {
      if (core.cfg.meters.account[i] === a) wh += core.lastImp[i] - (firstReg[m] || 0);
    });
    if (n !== 'A3' && wh !== core.energyWh[a]) return 'energy of ' + n + ' ' + core.energyWh[a] + ' Wh billed, its meters advanced ' + wh + ' Wh';
  }
  const fr = w.say(['freeze day', 'freeze month']).filter((l) => /^\d{4}-/.test(l)).map((l) => l.replace(/ late$/, ''));
  if (fr.join('\n') !== finalFreeze.join('\n')) return 'freeze records differ: ' + fr.join(' | ') + ' vs ' + finalFreeze.join(' | ');
  return '';
}
