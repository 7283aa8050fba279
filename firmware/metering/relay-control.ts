// Drives the meters' own supply relays and believes only what it reads back: a DL/T 645
// meter's relay (1CH, confirmed by status word 3) or a Modbus meter's relay register (written
// with function 10, read back). A relay that has not obeyed after N tries raises an alarm. One
// relay operation at a time. Per meter: the wanted and confirmed state and the tries, in
// typed arrays indexed by meter.
import { Clock } from '../../hal/clock';
import { DI_STATUS3, RELAY_CLOSE, RELAY_CLOSE_ALLOWED, RELAY_TRIP, S3_OPEN, S3_TRIP, decode as dltDecode, relayRequest } from './dlt645';
import { FN_HOLDING, readRequest as mbRead, writeRequest as mbWrite } from './modbus';
import { MeterBus, PROTO_DLT645, PROTO_MODBUS } from './bus';
import { ModbusProfile } from './meter-profiles';
import { addrOf, profileOf } from './poller';
import { MeterTable, PROTO_DLT645 as P_DLT645, PROTO_MODBUS as P_MODBUS } from '../tables';
import { MeterState, meterTables } from './state';

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
  /** Tables that outlive this relay control (wanted and confirmed states, tries); own ones without. */
  state?: MeterState;
}

// 2099-12-31 23:59:59: the furthest time a 2-digit year can say.
const FOREVER_S = 4102444799;

/** Relay control. */
export class RelayControl {
  /** Wanted state per meter (want: -1 none, 0 open, 1 closed), confirmed state (-1 unknown) and
   *  commands sent: state.ts. */
  readonly s: MeterState;
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
    this.s = o.state || meterTables(n);
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

  /** Cancels the pending read-back and forgets the operation under way; wanted states stay
   *  (a later relay control on the same tables takes them up: kick()). */
  halt(): void {
    if (this.settle >= 0) this.o.clock.cancel(this.settle);
    this.settle = -1;
    this.cur = -1;
  }

  /** True while an operation is under way. */
  busy(): boolean {
    return this.cur >= 0;
  }

  /** Asks for meter i's relay to be closed (supply on) or open; retried until read back. */
  set(i: number, closed: boolean): void {
    this.s.want[i] = closed ? 1 : 0;
    this.s.tries[i] = 0;
    if (this.s.state[i] !== this.s.want[i]) this.kick();
  }

  /** Starts the next wanted operation unless one is under way. */
  kick(): void {
    if (this.cur >= 0) return;
    for (let i = 0; i < this.s.want.length; i++) {
      if (this.s.want[i] >= 0 && this.s.want[i] !== this.s.state[i] && this.s.tries[i] < (this.o.tries || 3)) {
        this.cur = i;
        return this.command();
      }
    }
  }

  private command(): void {
    const o = this.o;
    const i = this.cur;
    const t = o.meters;
    const close = this.s.want[i] === 1;
    this.s.tries[i]++;
    const p = t.proto[i] === P_MODBUS ? profileOf(t.profile[i], o.profiles) : null;
    let req: Uint8Array | null = null;
    let proto = PROTO_DLT645;
    let exp = 12;
    if (t.proto[i] === P_DLT645) {
      req = relayRequest(addrOf(t, i), {
        pa: o.pa || 2,
        password: o.password || 0,
        operator: o.operator || 0,
        n1: close ? o.closeCode || RELAY_CLOSE : RELAY_TRIP,
        validUntilS: o.timeS ? o.timeS() + (o.validS || 3600) : FOREVER_S,
      });
    } else if (p && p.relayReg >= 0) {
      req = mbWrite(t.id[i], p.relayReg, [close ? p.relayOn : p.relayOff]);
      proto = PROTO_MODBUS;
      exp = 8;
    }
    if (!req) {
      this.s.tries[i] = 255;
      return this.done('relay-alarm', 'no-relay');
    }
    if (!o.bus.request(i, proto, req, exp, this.cmdFn, 0)) this.cmdFn('backoff');
  }

  private check(): void {
    const o = this.o;
    const t = o.meters;
    const i = this.cur;
    const sent = t.proto[i] === P_DLT645 ? o.bus.readDlt(i, addrOf(t, i), DI_STATUS3, 2, this.readFn) : o.bus.request(i, PROTO_MODBUS, mbRead(t.id[i], FN_HOLDING, profileOf(t.profile[i], o.profiles).relayReg, 1), 7, this.readFn, 0);
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
    const r = dltDecode(DI_STATUS3, reply);
    if (!r.ok) {
      this.lastErr = r.error;
      return this.judge(-1, -1);
    }
    const w = r.value[0];
    // After 1BH the customer closes the contact: lifting the trip command is all we can check.
    const closed = this.o.closeCode === RELAY_CLOSE_ALLOWED ? !(w & S3_TRIP) : !(w & S3_OPEN);
    this.judge(closed ? 1 : 0, w);
  }

  private judge(s: number, raw: number): void {
    const i = this.cur;
    if (s >= 0 && s === this.s.want[i]) {
      this.s.state[i] = s;
      return this.done('relay', s ? 'closed' : 'open');
    }
    if (s >= 0 && this.lastErr === 'no-confirm') this.lastErr = 'reads ' + (raw >= 0 ? raw : s);
    if (this.s.tries[i] < (this.o.tries || 3)) return this.command();
    this.s.state[i] = -1;
    this.done('relay-alarm', this.lastErr);
  }

  private done(kind: string, detail: string): void {
    const i = this.cur;
    this.cur = -1;
    this.o.onEvent(kind, i, detail);
    this.kick();
  }
}
