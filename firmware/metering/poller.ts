// Polls every bus meter's energy each cycle and its other values every Nth cycle, one
// transaction at a time, meter after meter. A dead meter costs at most timeout x attempts
// per cycle, and nothing while the bus holds it in back-off; it is reported lost after K
// failed polls in a row and found when it answers again. The meters are the configuration's
// table (tables.ts); per-meter state is typed arrays, the reading being assembled is a few
// numbers: nothing per meter is an object.
import { Clock } from '../../hal/clock';
import { DI_CURRENT_A, DI_EXPORT, DI_IMPORT, DI_POWER, DI_STATUS3, DI_VOLTAGE_A, decode as dltDecode } from './dlt645';
import { FN_HOLDING, readRequest as mbRead, value as mbValue } from './modbus';
import { ModbusField, ModbusProfile, ReadBlock, builtinProfile, offsetIn, planReads } from './meter-profiles';
import { MeterBus, PROTO_MODBUS } from './bus';
import { MeterTable, PROTO_DLT645 as P_DLT645, PROTO_MODBUS as P_MODBUS } from '../tables';
import { MeterState, meterTables } from './state';

/** A meter's registers, as values. powerW is present when it was read in this cycle. */
export interface Reading {
  meterIndex: number;
  importWh: number;
  exportWh: number;
  powerW?: number;
  timeMs: number;
}

/** How a poller is built. */
export interface PollerOptions {
  bus: MeterBus;
  clock: Clock;
  /** The meters (those with proto DL/T 645 or Modbus are polled), and the configuration's own
   *  Modbus register maps (MeterTable.profile 4 + i). */
  meters: MeterTable;
  profiles: ModbusProfile[];
  /** Power, voltage, current and status / relay register every Nth cycle (default 5). */
  detailEvery?: number;
  /** Failed polls in a row before a meter is lost (default 3). */
  lostAfter?: number;
  onReading: (r: Reading) => void;
  /** 'lost' | 'found' | 'overrun' (a cycle was still running when the next was due). */
  onEvent: (kind: string, meterIndex: number, detail: string) => void;
  /** Tables that outlive this poller (details, lost meters, the cycle count); own ones without. */
  state?: MeterState;
}
// DL/T 645 reads in step order: energy first, then the detail values, with their data sizes.
const DLT_DI = [DI_IMPORT, DI_EXPORT, DI_POWER, DI_VOLTAGE_A, DI_CURRENT_A, DI_STATUS3];
const DLT_SIZE = [4, 4, 3, 2, 3, 2];

/** The Modbus register map of profile index p (MeterTable.profile). */
export function profileOf(p: number, own: ModbusProfile[]): ModbusProfile {
  return p >= 4 ? own[p - 4] : (builtinProfile(p === 3 ? 'dds238' : 'sdm120') as ModbusProfile);
}

/** The 6 wire bytes of DL/T 645 meter m's address. */
export function addrOf(t: MeterTable, m: number): Uint8Array {
  const a = new Uint8Array(6);
  for (let i = 0; i < 6; i++) a[i] = t.addr[m * 6 + i];
  return a;
}

/** The poller. */
export class Poller {
  /** Latest detail values (power W, voltage 0.1 V, current mA, DL/T 645 status word 3 or the
   *  Modbus relay register; UNKNOWN until read), failed polls in a row, lost meters: state.ts. */
  readonly s: MeterState;
  private o: PollerOptions;
  /** Modbus reads per profile index: energy blocks, then detail blocks; and how many of them
   *  are energy. Planned on first use. */
  private blocks: ReadBlock[][] = [];
  private energyBlocks: number[] = [];
  private detail = false;
  private m = -1;
  private step = 0;
  private imp = 0;
  private exp = 0;
  private havePower = false;
  private replyFn: (err: string | null, reply: any) => void;
  /** `meter read`s waiting: meter and answer, in pairs. The job under way reads one meter when
   *  `done` is set (its error so far in `err`); a cycle asked for meanwhile waits in `due`. */
  private reads: any[] = [];
  private done: ((err: string | null, imp: number, exp: number) => void) | null = null;
  private err: string | null = null;
  private due = false;

  constructor(o: PollerOptions) {
    const self = this;
    const n = o.meters.n;
    this.o = o;
    const s = o.state || meterTables(n);
    this.s = s;
    this.replyFn = function (err, reply) {
      self.onReply(err, reply);
    };
  }

  /** Starts a cycle unless one is running; one that was cut short (its state's `resume`) goes
   *  on from the meter where it stopped. */
  pollNow(): void {
    if (this.m >= 0 || this.done) {
      if (this.done) this.due = true;
      else this.o.onEvent('overrun', this.m, '');
      return;
    }
    const s = this.s;
    if (s.resume > 0) {
      this.detail = (s.cycle - 1) % (this.o.detailEvery || 5) === 0;
      this.m = s.resume;
    } else {
      this.detail = s.cycle % (this.o.detailEvery || 5) === 0;
      s.cycle++;
      this.m = 0;
    }
    s.resume = 0;
    this.step = 0;
    this.havePower = false;
    this.next();
  }

  /** `meter read`: reads meter m's energy registers (after the cycle or read under way) and
   *  sends the reading out like a poll's; `cb` gets null or what went wrong ('resting': the meter
   *  is in the bus's back-off after failed polls), and the registers. */
  read(m: number, cb: (err: string | null, imp: number, exp: number) => void): void {
    this.reads.push(m, cb);
    if (this.m < 0) this.nextJob();
  }

  /** True while a cycle or a read is running or waiting. */
  busy(): boolean {
    return this.m >= 0 || this.reads.length > 0;
  }

  /** Stops the cycle under way, to be taken up from its current meter by the next pollNow()
   *  on the same state (the meter's reads start again); reads under way or waiting are dropped
   *  unanswered. */
  cut(): void {
    if (this.m > 0 && !this.done) this.s.resume = this.m;
    this.m = -1;
    this.reads = [];
    this.done = null;
    this.due = false;
  }

  /** Starts the next read waiting, or the cycle asked for during a read. */
  private nextJob(): void {
    const r = this.reads;
    if (r.length) {
      this.m = r.shift();
      this.done = r.shift();
      this.err = null;
      this.step = 0;
      this.detail = false;
      this.havePower = false;
      return this.next();
    }
    if (this.due) {
      this.due = false;
      this.pollNow();
    }
  }

  /** The Modbus reads of meter m's profile (energy first, then details and the relay register). */
  private plan(m: number): ReadBlock[] {
    const pi = this.o.meters.profile[m];
    if (!this.blocks[pi]) {
      const p = profileOf(pi, this.o.profiles);
      const b = planReads([p.importWh, p.exportWh]);
      this.energyBlocks[pi] = b.length;
      const all = b.concat(planReads([p.powerW, p.voltageDv, p.currentMa]));
      if (p.relayReg >= 0) all.push([FN_HOLDING, p.relayReg, 1]);
      this.blocks[pi] = all;
    }
    return this.blocks[pi];
  }

  /** Reads of meter m this cycle, and how many of them are energy. */
  private steps(m: number, energy: boolean): number {
    if (this.o.meters.proto[m] === P_DLT645) return energy || !this.detail ? 2 : DLT_DI.length;
    const b = this.plan(m);
    const e = this.energyBlocks[this.o.meters.profile[m]];
    return energy || !this.detail ? e : b.length;
  }

  // Issues the current meter's next read, or moves on to the next meter.
  private next(): void {
    const o = this.o;
    const t = o.meters;
    const bus = o.bus;
    while (this.m >= 0) {
      const m = this.m;
      const k = this.step;
      if (m >= t.n) {
        // A read's answer is taken before the next job starts (it resets the registers).
        const cb = this.done;
        const err = this.err;
        const imp = this.imp;
        const exp = this.exp;
        this.m = -1;
        this.done = null;
        this.nextJob();
        if (cb) cb(err, imp, exp);
        return;
      }
      const pr = t.proto[m];
      if ((pr !== P_DLT645 && pr !== P_MODBUS) || (k === 0 && !bus.ready(m))) {
        this.err = 'resting';
        this.nextMeter(); // not on the bus, or in back-off: not polled, not counted
        continue;
      }
      if (k === 0) {
        this.imp = 0;
        this.exp = 0;
      }
      if (k >= this.steps(m, false)) {
        this.emit(m);
        this.nextMeter();
        continue;
      }
      let sent: boolean;
      if (pr === P_DLT645) {
        if (k === 1 && this.s.noExport[m]) {
          this.step++;
          continue;
        }
        sent = bus.readDlt(m, addrOf(t, m), DLT_DI[k], DLT_SIZE[k], this.replyFn);
      } else {
        const b = this.plan(m)[k];
        sent = bus.request(m, PROTO_MODBUS, mbRead(t.id[m], b[0], b[1], b[2]), 5 + 2 * b[2], this.replyFn, 0);
      }
      if (sent) return;
      this.failed(m, k, 'resting'); // went into back-off during this poll
    }
  }

  private nextMeter(): void {
    // A read ends with its meter.
    this.m = this.done ? this.o.meters.n : this.m + 1;
    this.step = 0;
    this.havePower = false;
  }

  private failed(m: number, k: number, e: string): void {
    if (k >= this.steps(m, true)) {
      this.step++; // a detail value: the energy is read, the reading still goes out
      return;
    }
    // A read's failure is its answer, not a failed poll.
    this.err = e;
    if (this.done) return this.nextMeter();
    if (this.s.pollFails[m] < 255) this.s.pollFails[m]++;
    if (this.s.pollFails[m] === (this.o.lostAfter || 3)) {
      this.s.lost[m] = 1;
      this.o.onEvent('lost', m, '');
    }
    this.nextMeter();
  }

  private onReply(err: string | null, reply: any): void {
    const m = this.m;
    const k = this.step;
    if (m < 0) return;
    let e = err;
    if (this.o.meters.proto[m] === P_DLT645) {
      if (e === 'no-data' && k === 1) {
        this.s.noExport[m] = 1; // a meter without the reverse register
        this.exp = 0;
      } else if (!e) {
        const r = dltDecode(DLT_DI[k], reply);
        if (r.ok) this.store(m, k, r.value[0]);
        else e = r.error;
      }
    } else if (!e) e = this.storeModbus(m, this.plan(m)[k], reply);
    if (e && !(e === 'no-data' && k === 1)) this.failed(m, k, err ? 'did not answer: ' + err : 'sent ' + e);
    else this.step++;
    this.next();
  }

  /** Value k (import, export, power, voltage, current, status) of meter m. */
  private store(m: number, k: number, v: number): void {
    if (k === 0) this.imp = v;
    else if (k === 1) this.exp = v;
    else if (k === 2) {
      this.s.powerW[m] = v;
      this.havePower = true;
    } else if (k === 3) this.s.voltageDv[m] = v;
    else if (k === 4) this.s.currentMa[m] = v;
    else this.s.status[m] = v;
  }

  private storeModbus(m: number, b: ReadBlock, d: Uint8Array): string | null {
    const p = profileOf(this.o.meters.profile[m], this.o.profiles);
    const fs: (ModbusField | null)[] = [p.importWh, p.exportWh, p.powerW, p.voltageDv, p.currentMa];
    for (let i = 0; i < fs.length; i++) {
      const f = fs[i];
      const at = offsetIn(f, b);
      if (!f || at < 0) continue;
      const v = mbValue(d, at, f.type, f.mul, f.div);
      if (v !== v) return 'value';
      this.store(m, i, v);
    }
    if (b[1] === p.relayReg && b[2] === 1) this.s.status[m] = (d[0] << 8) | d[1];
    return null;
  }

  private emit(m: number): void {
    const r: Reading = { meterIndex: m, importWh: this.imp, exportWh: this.exp, timeMs: this.o.clock.now() };
    if (this.havePower) r.powerW = this.s.powerW[m];
    this.s.pollFails[m] = 0;
    this.err = null;
    if (this.s.lost[m]) {
      this.s.lost[m] = 0;
      this.o.onEvent('found', m, '');
    }
    this.o.onReading(r);
  }
}
