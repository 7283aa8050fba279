// Drives the meters' own supply relays and believes only what it reads back: a DL/T 645
// meter's relay (1CH, confirmed by status word 3) or a Modbus meter's relay register (written
// with function 10, read back). A relay that has not obeyed after N tries raises an alarm. One
// relay operation at a time. Per meter: the wanted and confirmed state and the tries, in
// typed arrays indexed by meter.
import { Clock } from '../../hal/clock';
import * as dlt from './dlt645';
import { FN_HOLDING, readRequest as mbRead, writeRequest as mbWrite } from './modbus';
import { MeterBus, PROTO_DLT645, PROTO_MODBUS } from './bus';
import { ModbusProfile } from './meter-profiles';
import { addrOf, profileOf } from './poller';
import { I8, MeterTable, PROTO_DLT645 as P_DLT645, PROTO_MODBUS as P_MODBUS, U8, pack, table } from '../tables';

/** How relay control is built. */
export interface RelayControlOptions {
  bus: MeterBus;
  clock: Clock;
  /** The meters (those on the bus have relays), and the configuration's own register maps. */
  meters: MeterTable;
  profiles: ModbusProfile[];
  /** Commands before an alarm (default 3). */
  tries?: number;
  /** Wait between a command and its read-back (default 1000 ms). */
  settleMs?: number;
  /** DL/T 645 close: RELAY_CLOSE (1CH, direct, default) or RELAY_CLOSE_ALLOWED (1BH, the customer closes). */
  closeCode?: number;
  /** DL/T 645 1CH credentials: PA (default 02H), 6-digit password, operator code. */
  pa?: number;
  password?: number;
  operator?: number;
  /** Local time (epoch seconds) for the command's validity; without it the command never expires. */
  timeS?: () => number;
  /** Validity of a command (default 3600 s). */
  validS?: number;
  /** 'relay' (confirmed; detail 'open' | 'closed') or 'relay-alarm' (detail: the last error). */
  onEvent: (kind: string, target: number, detail: string) => void;
}

// 2099-12-31 23:59:59: the furthest time a 2-digit year can say.
const FOREVER_S = 4102444799;

/** Relay control. */
export class RelayControl {
  /** Wanted state per meter: -1 none, 0 open, 1 closed. Confirmed state: -1 unknown. */
  readonly want: number[];
  readonly state: number[];
  private tries: number[];
  private o: RelayControlOptions;
  private cur = -1;
  private settle = -1;
  private lastErr = '';
  private cmdFn: (err: string | null) => void;
  private checkFn: () => void;
  private readFn: (err: string | null, reply: any) => void;

  constructor(o: RelayControlOptions) {
    const self = this;
    const n = o.meters.n;
    this.o = o;
    this.want = table(I8, 0);
    this.state = table(I8, 0);
    this.tries = table(U8, 0);
    pack(this, n);
    for (let i = 0; i < n; i++) this.want[i] = this.state[i] = -1;
    this.cmdFn = function (err) {
      self.lastErr = err || 'no-confirm';
      // Read back even when the acknowledgement was lost: the relay may have moved.
      self.settle = self.o.clock.after(self.o.settleMs || 1000, self.checkFn);
    };
    this.checkFn = function () {
      self.settle = -1;
      self.check();
    };
    this.readFn = function (err, reply) {
      self.readBack(err, reply);
    };
  }

  /** Gives up every wanted state and cancels the pending read-back (the bus is being closed). */
  stop(): void {
    if (this.settle >= 0) this.o.clock.cancel(this.settle);
    this.settle = -1;
    this.cur = -1;
    for (let i = 0; i < this.want.length; i++) this.want[i] = -1;
  }

  /** Asks for meter i's relay to be closed (supply on) or open; retried until read back. */
  set(i: number, closed: boolean): void {
    this.want[i] = closed ? 1 : 0;
    this.tries[i] = 0;
    if (this.state[i] !== this.want[i]) this.kick();
  }

  private kick(): void {
    if (this.cur >= 0) return;
    for (let i = 0; i < this.want.length; i++) {
      if (this.want[i] >= 0 && this.want[i] !== this.state[i] && this.tries[i] < (this.o.tries || 3)) {
        this.cur = i;
        return this.command();
      }
    }
  }

  private command(): void {
    const o = this.o;
    const i = this.cur;
    const t = o.meters;
    const close = this.want[i] === 1;
    this.tries[i]++;
    const p = t.proto[i] === P_MODBUS ? profileOf(t.profile[i], o.profiles) : null;
    let req: Uint8Array | null = null;
    let proto = PROTO_DLT645;
    let exp = 12;
    if (t.proto[i] === P_DLT645) {
      req = dlt.relayRequest(addrOf(t, i), {
        pa: o.pa || 2,
        password: o.password || 0,
        operator: o.operator || 0,
        n1: close ? o.closeCode || dlt.RELAY_CLOSE : dlt.RELAY_TRIP,
        validUntilS: o.timeS ? o.timeS() + (o.validS || 3600) : FOREVER_S,
      });
    } else if (p && p.relayReg >= 0) {
      req = mbWrite(t.id[i], p.relayReg, [close ? p.relayOn : p.relayOff]);
      proto = PROTO_MODBUS;
      exp = 8;
    }
    if (!req) {
      this.tries[i] = 255;
      return this.done('relay-alarm', 'no-relay');
    }
    if (!o.bus.request(i, proto, req, exp, this.cmdFn, 0)) this.cmdFn('backoff');
  }

  private check(): void {
    const o = this.o;
    const t = o.meters;
    const i = this.cur;
    const sent = t.proto[i] === P_DLT645 ? o.bus.readDlt(i, addrOf(t, i), dlt.DI_STATUS3, 2, this.readFn) : o.bus.request(i, PROTO_MODBUS, mbRead(t.id[i], FN_HOLDING, profileOf(t.profile[i], o.profiles).relayReg, 1), 7, this.readFn, 0);
    if (!sent) this.readBack('backoff', null);
  }

  private readBack(err: string | null, reply: any): void {
    const t = this.o.meters;
    const i = this.cur;
    if (err) {
      this.lastErr = err;
      return this.judge(-1, -1);
    }
    if (t.proto[i] === P_MODBUS) {
      const v = (reply[0] << 8) | reply[1];
      const p = profileOf(t.profile[i], this.o.profiles);
      return this.judge(v === p.relayOn ? 1 : v === p.relayOff ? 0 : -1, v);
    }
    const r = dlt.decode(dlt.DI_STATUS3, reply);
    if (!r.ok) {
      this.lastErr = r.error;
      return this.judge(-1, -1);
    }
    const w = r.value[0];
    // After 1BH the customer closes the contact: lifting the trip command is all we can check.
    const closed = this.o.closeCode === dlt.RELAY_CLOSE_ALLOWED ? !(w & dlt.S3_TRIP) : !(w & dlt.S3_OPEN);
    this.judge(closed ? 1 : 0, w);
  }

  private judge(s: number, raw: number): void {
    const i = this.cur;
    if (s >= 0 && s === this.want[i]) {
      this.state[i] = s;
      return this.done('relay', s ? 'closed' : 'open');
    }
    if (s >= 0 && this.lastErr === 'no-confirm') this.lastErr = 'reads ' + (raw >= 0 ? raw : s);
    if (this.tries[i] < (this.o.tries || 3)) return this.command();
    this.state[i] = -1;
    this.done('relay-alarm', this.lastErr);
  }

  private done(kind: string, detail: string): void {
    const i = this.cur;
    this.cur = -1;
    this.o.onEvent(kind, i, detail);
    this.kick();
  }
}
