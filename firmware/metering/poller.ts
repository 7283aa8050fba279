// Polls every bus meter's energy each cycle and its other values every Nth cycle, one
// transaction at a time, meter after meter. A dead meter costs at most timeout x attempts
// per cycle, and nothing while the bus holds it in back-off; it is reported lost after K
// failed polls in a row and found when it answers again. Per-meter state: typed arrays.
import { Clock } from '../../hal/clock';
import { Result, ok, fail } from '../../hal/result';
import * as dlt from './dlt645';
import { FN_HOLDING, readRequest as mbRead, value as mbValue } from './modbus';
import { ModbusField, ModbusProfile, ReadBlock, builtinProfile, offsetIn, parseProfile, planReads } from './meter-profiles';
import { MeterBus, PROTO_DLT645, PROTO_MODBUS } from './bus';

/** One meter on the bus, as configured. */
export interface BusMeter {
  proto: number;
  /** DL/T 645 wire address (6 bytes), else null. */
  addr: Uint8Array | null;
  /** Modbus slave id. */
  id: number;
  profile: ModbusProfile | null;
}

/** A meter from { protocol: 'dlt645', address: '000000000161' } or
 *  { protocol: 'modbus', id: 1, profile: 'sdm120' | 'sdm230' | 'dds238' | { register map } }. */
export function parseBusMeter(o: any): Result<BusMeter> {
  if (!o || typeof o !== 'object') return fail('meter', 'object');
  if (o.protocol === 'dlt645') {
    const a = dlt.parseAddress(o.address);
    return a.ok ? ok({ proto: PROTO_DLT645, addr: a.value, id: 0, profile: null }) : fail(a.error, a.detail);
  }
  if (o.protocol !== 'modbus') return fail('meter', 'protocol');
  if (!(o.id >= 1 && o.id <= 247 && Math.floor(o.id) === o.id)) return fail('meter', 'id');
  let p: ModbusProfile | null = typeof o.profile === 'string' ? builtinProfile(o.profile) : null;
  if (!p) {
    const r = parseProfile(o.profile);
    if (!r.ok) return fail(r.error, r.detail);
    p = r.value;
  }
  return ok({ proto: PROTO_MODBUS, addr: null, id: o.id, profile: p });
}

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
  meters: BusMeter[];
  /** Cycle length (default 60 s). */
  intervalMs?: number;
  /** Power, voltage, current and status / relay register every Nth cycle (default 5). */
  detailEvery?: number;
  /** Failed polls in a row before a meter is lost (default 3). */
  lostAfter?: number;
  onReading: (r: Reading) => void;
  /** 'lost' | 'found' | 'overrun' (a cycle was still running when the next was due). */
  onEvent: (kind: string, meterIndex: number, detail: string) => void;
}

// DL/T 645 reads in step order: energy first, then the detail values, with their data sizes.
const DLT_DI = [dlt.DI_IMPORT, dlt.DI_EXPORT, dlt.DI_POWER, dlt.DI_VOLTAGE_A, dlt.DI_CURRENT_A, dlt.DI_STATUS3];
const DLT_SIZE = [4, 4, 3, 2, 3, 2];
const NO_EXPORT = 1;

/** The poller. */
export class Poller {
  readonly importWh: Float64Array;
  readonly exportWh: Float64Array;
  /** Latest detail values; NaN until read. */
  readonly powerW: Float64Array;
  readonly voltageDv: Float64Array;
  readonly currentMa: Float64Array;
  /** DL/T 645 status word 3, or the Modbus relay register; -1 until read. */
  readonly status: Float64Array;
  readonly failStreak: Uint8Array;
  readonly lost: Uint8Array;
  private flags: Uint8Array;
  private o: PollerOptions;
  // Modbus reads per meter: energy blocks, then detail blocks.
  private blocks: ReadBlock[][] = [];
  private energyBlocks: number[] = [];
  private cycle = 0;
  private detail = false;
  private m = -1;
  private step = 0;
  private havePower = false;
  private handle = -1;
  private replyFn: (err: string | null, reply: any) => void;

  constructor(o: PollerOptions) {
    const self = this;
    const n = o.meters.length;
    this.o = o;
    this.importWh = new Float64Array(n);
    this.exportWh = new Float64Array(n);
    this.powerW = new Float64Array(n);
    this.voltageDv = new Float64Array(n);
    this.currentMa = new Float64Array(n);
    this.status = new Float64Array(n);
    this.failStreak = new Uint8Array(n);
    this.lost = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      this.powerW[i] = this.voltageDv[i] = this.currentMa[i] = NaN;
      this.status[i] = -1;
      const p = o.meters[i].profile;
      let b: ReadBlock[] = [];
      let e = 0;
      if (p) {
        b = planReads([p.importWh, p.exportWh]);
        e = b.length;
        b = b.concat(planReads([p.powerW, p.voltageDv, p.currentMa]));
        if (p.relayReg >= 0) b.push([FN_HOLDING, p.relayReg, 1]);
      }
      this.blocks.push(b);
      this.energyBlocks.push(e);
    }
    this.replyFn = function (err, reply) {
      self.onReply(err, reply);
    };
  }

  /** Polls now and then every interval. */
  start(): void {
    const self = this;
    this.stop();
    this.handle = this.o.clock.every(this.o.intervalMs || 60000, function () {
      self.pollNow();
    });
    this.pollNow();
  }

  stop(): void {
    if (this.handle >= 0) this.o.clock.cancel(this.handle);
    this.handle = -1;
  }

  /** Starts a cycle unless one is running. */
  pollNow(): void {
    if (this.m >= 0) return this.o.onEvent('overrun', this.m, '');
    this.detail = this.cycle % (this.o.detailEvery || 5) === 0;
    this.cycle++;
    this.m = 0;
    this.step = 0;
    this.havePower = false;
    this.next();
  }

  /** True while a cycle is running. */
  busy(): boolean {
    return this.m >= 0;
  }

  private steps(m: number): number {
    const dl = this.o.meters[m].proto === PROTO_DLT645;
    if (!this.detail) return dl ? 2 : this.energyBlocks[m];
    return dl ? DLT_DI.length : this.blocks[m].length;
  }

  private energyStep(m: number, k: number): boolean {
    return k < (this.o.meters[m].proto === PROTO_DLT645 ? 2 : this.energyBlocks[m]);
  }

  // Issues the current meter's next read, or moves on to the next meter.
  private next(): void {
    const o = this.o;
    const bus = o.bus;
    while (this.m >= 0) {
      const m = this.m;
      const k = this.step;
      if (m >= o.meters.length) {
        this.m = -1;
        return;
      }
      if (k === 0 && !bus.ready(m)) {
        this.nextMeter(); // in back-off: not polled, not counted
        continue;
      }
      if (k >= this.steps(m)) {
        this.emit(m);
        this.nextMeter();
        continue;
      }
      const me = o.meters[m];
      let sent: boolean;
      if (me.proto === PROTO_DLT645) {
        if (k === 1 && this.flags[m] & NO_EXPORT) {
          this.step++;
          continue;
        }
        sent = bus.readDlt(m, me.addr as Uint8Array, DLT_DI[k], DLT_SIZE[k], this.replyFn);
      } else {
        const b = this.blocks[m][k];
        sent = bus.request(m, PROTO_MODBUS, mbRead(me.id, b[0], b[1], b[2]), 5 + 2 * b[2], this.replyFn, 0);
      }
      if (sent) return;
      this.failed(m, k); // went into back-off during this poll
    }
  }

  private nextMeter(): void {
    this.m++;
    this.step = 0;
    this.havePower = false;
  }

  private failed(m: number, k: number): void {
    if (!this.energyStep(m, k)) {
      this.step++;
      return;
    }
    if (this.failStreak[m] < 255) this.failStreak[m]++;
    if (this.failStreak[m] === (this.o.lostAfter || 3)) {
      this.lost[m] = 1;
      this.o.onEvent('lost', m, '');
    }
    this.nextMeter();
  }

  private onReply(err: string | null, reply: any): void {
    const m = this.m;
    const k = this.step;
    if (m < 0) return;
    const me = this.o.meters[m];
    let e = err;
    if (me.proto === PROTO_DLT645) {
      if (e === 'no-data' && k === 1) {
        this.flags[m] |= NO_EXPORT; // a meter without the reverse register
        this.exportWh[m] = 0;
      } else if (!e) {
        const r = dlt.decode(DLT_DI[k], reply);
        if (r.ok) this.store(m, k, r.value[0]);
        else e = r.error;
      }
    } else if (!e) e = this.storeModbus(m, this.blocks[m][k], reply);
    if (e && !(e === 'no-data' && k === 1)) this.failed(m, k);
    else this.step++;
    this.next();
  }

  private store(m: number, k: number, v: number): void {
    if (k === 0) this.importWh[m] = v;
    else if (k === 1) this.exportWh[m] = v;
    else if (k === 2) {
      this.powerW[m] = v;
      this.havePower = true;
    } else if (k === 3) this.voltageDv[m] = v;
    else if (k === 4) this.currentMa[m] = v;
    else this.status[m] = v;
  }

  private storeModbus(m: number, b: ReadBlock, d: Uint8Array): string | null {
    const p = this.o.meters[m].profile as ModbusProfile;
    const fs: (ModbusField | null)[] = [p.importWh, p.exportWh, p.powerW, p.voltageDv, p.currentMa];
    if (!p.exportWh) this.exportWh[m] = 0;
    for (let i = 0; i < fs.length; i++) {
      const f = fs[i];
      const at = offsetIn(f, b);
      if (!f || at < 0) continue;
      const v = mbValue(d, at, f.type, f.mul, f.div);
      if (v !== v) return 'value';
      this.store(m, i, v);
    }
    if (b[1] === p.relayReg && b[2] === 1) this.status[m] = (d[0] << 8) | d[1];
    return null;
  }

  private emit(m: number): void {
    const r: Reading = { meterIndex: m, importWh: this.importWh[m], exportWh: this.exportWh[m], timeMs: this.o.clock.now() };
    if (this.havePower) r.powerW = this.powerW[m];
    this.failStreak[m] = 0;
    if (this.lost[m]) {
      this.lost[m] = 0;
      this.o.onEvent('found', m, '');
    }
    this.o.onReading(r);
  }
}
