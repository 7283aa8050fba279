// A virtual DL/T 645-2007 single-phase meter on the virtual bus. Written from the protocol
// facts on purpose apart from firmware/metering, so a codec bug is not mirrored here.
import { Clock } from '../hal/clock';
import { LineSettings } from '../hal/serial';
import { MeterModel, MeterModelOptions } from './meter-model';
import { MeterFaults, noFaults, sendAfter, wrapReply } from './meter-faults';
import { WireStats } from './wire-stats';
import { BusPort, VirtualBus } from './virtual-bus';
import { relayCommand } from '../firmware/metering/dlt645';

/** How one virtual DL/T 645 meter is built. */
export interface Dlt645MeterOptions {
  /** 12 decimal digits, e.g. '000000000161'. */
  address: string;
  /** Default 2400 8E1. */
  line?: LineSettings;
  /** Reply delay Td after the request's last byte, 20..500 ms (default 60). */
  turnaroundMs?: number;
  /** FE bytes before each reply, 0..4 (default 0). */
  preamble?: number;
  /** The registers: a model to share, or options to build one. */
  model?: MeterModel | MeterModelOptions;
  /** Relay password, 6 digits (default '000000'). */
  password?: string;
  /** Status word 3 bits 8-9: 0 plain, 1 energy prepaid, 2 money prepaid. */
  meterType?: 0 | 1 | 2;
  /** Remaining money of a money-prepaid meter (DI 00 90 02 00), in 0.01 units. */
  moneyCenti?: number;
  /** The meter's own clock, epoch seconds at clock time 0 (default 2025-01-01 00:00:00). */
  timeS?: number;
  /** Also accept a broadcast time sent year first, as some libraries do. */
  lenientTimeOrder?: boolean;
  /** After 1BH (close allowed) the meter closes by itself (default true; false waits for the customer). */
  closeOnAllow?: boolean;
  /** Value bytes per reply frame (default 195, the most a follow-up frame carries): a longer value goes
   *  out as a B1H reply and 92H/B2H follow-ups the master asks for with 12H. */
  frameDataMax?: number;
  faults?: Partial<MeterFaults>;
  name?: string;
}

/** ERR bits of an abnormal reply. */
export const ERR_OTHER = 0x01;
export const ERR_NO_DATA = 0x02;
export const ERR_AUTH = 0x04;

const BROADCAST = 0x99;
const WILDCARD = 0xaa;

/** One meter: it answers reads, address reads, time broadcasts and relay commands. */
export class VirtualDlt645Meter {
  readonly model: MeterModel;
  readonly port: BusPort | null;
  readonly addr: Uint8Array;
  faults: MeterFaults;
  turnaroundMs: number;
  preamble: number;
  tripCommanded = false;
  preTripAlarm = false;
  keepPower = false;
  lenientTimeOrder: boolean;
  meterType: number;
  moneyCenti: number;
  /** Requests that reached this meter whole (any address), replies sent, time syncs accepted. */
  frames = 0;
  replies = 0;
  timeSyncs = 0;
  lastOperator = -1;
  /** N2 of the last relay command taken. */
  lastN2 = -1;
  private password: string;
  private closeOnAllow: boolean;
  private timeBaseMs: number;
  private rx: number[] = [];
  private lastRxMs = -Infinity;
  private frameDataMax: number;
  /** The last read's DI and value bytes, for its follow-up frames. */
  private longDi = -1;
  private longValue: number[] = [];
  /** Follow-up frames served (12H answered with 92H/B2H). */
  followUps = 0;
  /** Requests addressed to this meter and how they fared, for reports. */
  readonly wire = new WireStats();

  constructor(
    private clock: Clock,
    bus: VirtualBus | null,
    opts: Dlt645MeterOptions,
  ) {
    if (!/^\d{12}$/.test(opts.address)) throw new Error('DL/T 645 address must be 12 digits: ' + opts.address);
    this.addr = new Uint8Array(6);
    for (let i = 0; i < 6; i++) {
      const d = opts.address.substr(10 - 2 * i, 2);
      this.addr[i] = ((d.charCodeAt(0) - 48) << 4) | (d.charCodeAt(1) - 48);
    }
    const m = opts.model;
    this.model = m instanceof MeterModel ? m : new MeterModel(clock, m || {});
    this.faults = Object.assign(noFaults(), opts.faults || {});
    this.turnaroundMs = opts.turnaroundMs !== undefined ? opts.turnaroundMs : 60;
    if (this.turnaroundMs < 20 || this.turnaroundMs > 500) throw new Error('Td must be 20..500 ms (use the slow fault beyond)');
    this.preamble = opts.preamble || 0;
    if (this.preamble < 0 || this.preamble > 4) throw new Error('preamble must be 0..4 FE bytes');
    this.password = opts.password || '000000';
    this.meterType = opts.meterType || 0;
    this.moneyCenti = opts.moneyCenti || 0;
    this.timeBaseMs = opts.timeS !== undefined ? opts.timeS * 1000 : Date.UTC(2025, 0, 1);
    this.lenientTimeOrder = !!opts.lenientTimeOrder;
    this.closeOnAllow = opts.closeOnAllow !== false;
    this.frameDataMax = opts.frameDataMax || 195;
    if (this.frameDataMax < 1 || this.frameDataMax > 195) throw new Error('frameDataMax must be 1..195 value bytes');
    const line = opts.line || { baud: 2400, dataBits: 8, parity: 'even', stopBits: 1 };
    this.port = bus ? bus.attach(Object.assign({ name: opts.name || 'dlt645:' + opts.address, onData: (b: Uint8Array) => this.receive(b) }, line)) : null;
  }

  /** The meter's own clock, epoch seconds. */
  timeS(): number {
    return Math.floor((this.timeBaseMs + this.clock.now()) / 1000);
  }

  /** Sets the meter's clock (epoch seconds). */
  setTimeS(s: number): void {
    this.timeBaseMs = s * 1000 - this.clock.now();
  }

  /** Answers one whole request frame (FE preamble allowed): the reply bytes, or null for none. */
  respond(req: Uint8Array): Uint8Array | null {
    let i = 0;
    while (i < req.length && req[i] === 0xfe) i++;
    const f = req.subarray(i);
    if (!wellFormed(f)) return null;
    this.frames++;
    const reply = this.answer(f);
    if (!reply) return null;
    if (this.faults.wrongAddress) {
      const a = reply[1];
      reply[1] = (a & 0x0f) === 9 ? (a + 7) & 0xff : a + 1;
    }
    let cs = 0;
    for (let k = 0; k < reply.length - 2; k++) cs = (cs + reply[k]) & 0xff;
    reply[reply.length - 2] = this.faults.badChecksum ? (cs + 1) & 0xff : cs;
    const out = new Uint8Array(this.preamble + reply.length);
    out.fill(0xfe, 0, this.preamble);
    out.set(reply, this.preamble);
    return wrapReply(out, this.faults);
  }

  // Frames end by their length byte, never by a silence; a pause over 500 ms drops a partial frame.
  private receive(bytes: Uint8Array): void {
    const now = this.clock.now();
    const sliceMs = this.port ? bytes.length * this.port.charMs() : 0;
    if (now - this.lastRxMs > 500 + sliceMs) this.rx = [];
    this.lastRxMs = now;
    for (let i = 0; i < bytes.length; i++) this.rx.push(bytes[i]);
    for (;;) {
      while (this.rx.length > 0 && this.rx[0] !== 0x68) this.rx.shift();
      if (this.rx.length < 10) return;
      if (this.rx[7] !== 0x68 || this.rx[9] > 200) {
        this.rx.shift();
        continue;
      }
      const n = 12 + this.rx[9];
      if (this.rx.length < n) return;
      const f = new Uint8Array(this.rx.slice(0, n));
      if (!wellFormed(f)) {
        this.rx.shift();
        continue;
      }
      this.rx.splice(0, n);
      const reply = this.respond(f);
      if (reply && this.port) {
        const port = this.port;
        sendAfter(this.clock, port, reply, this.turnaroundMs, 0, this.faults, () => this.replies++);
      }
    }
  }

  private addressedToMe(a: Uint8Array): boolean {
    let wild = true;
    for (let i = 5; i >= 0; i--) {
      if (wild && a[1 + i] === WILDCARD) continue;
      wild = false;
      if (a[1 + i] !== this.addr[i]) return false;
    }
    return true;
  }

  private answer(f: Uint8Array): Uint8Array | null {
    const c = f[8];
    if (c & 0x80) return null; // another meter's reply
    const data: number[] = [];
    for (let i = 0; i < f[9]; i++) data.push((f[10 + i] - 0x33) & 0xff);
    let broadcast = true;
    for (let i = 1; i <= 6; i++) if (f[i] !== BROADCAST) broadcast = false;
    if (broadcast) {
      if (c === 0x08) this.timeSync(data);
      return null;
    }
    if (!this.addressedToMe(f)) return null;
    // Garbage before a DL/T 645 frame is skipped by the master's framer: it breaks nothing.
    this.wire.request(f, this.clock.now(), this.faults, true, false);
    if (this.faults.registerReset) {
      this.faults.registerReset = false;
      this.model.resetRegisters();
    }
    switch (c) {
      case 0x11:
        return this.read(data);
      case 0x12:
        return this.readOn(data);
      case 0x13:
        return this.frame(0x93, Array.prototype.slice.call(this.addr));
      case 0x1c:
        return this.control(data);
      default:
        return this.frame(c | 0xc0, [ERR_OTHER]);
    }
  }

  private read(data: number[]): Uint8Array {
    if (data.length < 4) return this.frame(0xd1, [ERR_OTHER]);
    const di = ((data[3] << 24) >>> 0) + (data[2] << 16) + (data[1] << 8) + data[0];
    const m = this.model;
    const v: number[] = [];
    switch (di) {
      case 0x00000000:
        bcd(v, m.importCkwh() + m.exportTotalCkwh(), 4, true);
        break;
      case 0x00010000:
        bcd(v, m.importCkwh(), 4, false);
        break;
      case 0x00020000:
        bcd(v, m.exportTotalCkwh(), 4, false);
        break;
      case 0x0001ff00:
        bcd(v, m.importCkwh(), 4, false);
        for (let k = 0; k < 4; k++) bcd(v, m.tariffCkwh[k], 4, false);
        break;
      case 0x02010100:
        bcd(v, Math.round(m.voltageV * 10), 2, false);
        break;
      case 0x02020100:
        bcd(v, Math.round(m.currentA() * 1000), 3, true);
        break;
      case 0x02030000:
        bcd(v, Math.round(m.powerW() * 10), 3, true);
        break;
      case 0x02800002:
        bcd(v, Math.round(m.frequencyHz * 100), 2, false);
        break;
      case 0x04000401:
        for (let k = 0; k < 6; k++) v.push(this.addr[k]);
        break;
      case 0x04000503: {
        const w = (m.relayOpen ? 0x10 : 0) | (this.tripCommanded ? 0x40 : 0) | (this.preTripAlarm ? 0x80 : 0) | (this.meterType << 8);
        v.push(w & 0xff, w >> 8);
        break;
      }
      case 0x00900200:
        if (this.meterType !== 2) return this.frame(0xd1, [ERR_NO_DATA]);
        bcd(v, this.moneyCenti, 4, true);
        break;
      default:
        return this.frame(0xd1, [ERR_NO_DATA]);
    }
    if (v.length <= this.frameDataMax) return this.frame(0x91, data.slice(0, 4).concat(v));
    this.longDi = di;
    this.longValue = v;
    return this.frame(0xb1, data.slice(0, 4).concat(v.slice(0, this.frameDataMax)));
  }

  // 12H: DI + SEQ (1, 2, ...) of the last long read; answered with that slice + SEQ, B2H while more follow.
  private readOn(data: number[]): Uint8Array {
    if (data.length !== 5) return this.frame(0xd2, [ERR_OTHER]);
    const di = ((data[3] << 24) >>> 0) + (data[2] << 16) + (data[1] << 8) + data[0];
    const seq = data[4];
    const from = this.frameDataMax * seq;
    if (di !== this.longDi || seq < 1 || from >= this.longValue.length) return this.frame(0xd2, [ERR_NO_DATA]);
    const to = from + this.frameDataMax;
    this.followUps++;
    return this.frame(to < this.longValue.length ? 0xb2 : 0x92, data.slice(0, 4).concat(this.longValue.slice(from, to), [seq]));
  }

  private control(d: number[]): Uint8Array {
    const r = relayCommand(d);
    if (!r.ok) return this.frame(0xdc, [r.error === 'password' ? ERR_AUTH : ERR_OTHER]);
    const c = r.value;
    if (c.pa !== 0x02 && c.pa !== 0x04) return this.frame(0xdc, [ERR_AUTH]); // 98H needs a security chip
    if (this.faults.refusePlaintextRelay) return this.frame(0xdc, [ERR_AUTH]);
    if (String(1000000 + c.password).substr(1) !== this.password) return this.frame(0xdc, [ERR_AUTH]);
    if (c.validUntilS < this.timeS()) return this.frame(0xdc, [ERR_AUTH]);
    // N2 is reserved: 00 from this unit, 01 from some head-ends; either is taken.
    this.lastN2 = c.n2 as number;
    const m = this.model;
    switch (c.n1) {
      case 0x1a:
        this.tripCommanded = true;
        if (!this.keepPower) m.setRelayOpen(true);
        break;
      case 0x1b:
        this.tripCommanded = false;
        if (this.closeOnAllow) m.setRelayOpen(false);
        break;
      case 0x1c:
        this.tripCommanded = false;
        m.setRelayOpen(false);
        break;
      case 0x2a:
        this.preTripAlarm = true;
        break;
      case 0x2b:
        this.preTripAlarm = false;
        break;
      case 0x3a:
        this.keepPower = true;
        m.setRelayOpen(false);
        break;
      case 0x3b:
        this.keepPower = false;
        if (this.tripCommanded) m.setRelayOpen(true);
        break;
      default:
        return this.frame(0xdc, [ERR_OTHER]);
    }
    this.lastOperator = c.operator;
    return this.frame(0x9c, []);
  }

  private timeSync(d: number[]): void {
    if (d.length !== 6) return;
    let t = civil(d, false);
    if (this.lenientTimeOrder) {
      // Both orders can be valid dates: believe the one nearer the meter's own clock.
      const y = civil(d, true);
      const now = this.timeS();
      if (y !== null && (t === null || Math.abs(y - now) < Math.abs(t - now))) t = y;
    }
    if (t === null) return;
    this.setTimeS(t);
    this.timeSyncs++;
  }

  // The checksum is filled in by respond(), after the byte faults.
  private frame(c: number, data: number[]): Uint8Array {
    const f = new Uint8Array(12 + data.length);
    f[0] = 0x68;
    f.set(this.addr, 1);
    f[7] = 0x68;
    f[8] = c;
    f[9] = data.length;
    for (let i = 0; i < data.length; i++) f[10 + i] = (data[i] + 0x33) & 0xff;
    f[f.length - 1] = 0x16;
    return f;
  }
}

/** Structure and checksum of a frame starting at its first 68. */
function wellFormed(f: Uint8Array): boolean {
  if (f.length < 12 || f[0] !== 0x68 || f[7] !== 0x68 || f.length !== 12 + f[9] || f[f.length - 1] !== 0x16) return false;
  let cs = 0;
  for (let i = 0; i < f.length - 2; i++) cs = (cs + f[i]) & 0xff;
  return cs === f[f.length - 2];
}

/** Appends value as `n` BCD bytes, low byte first; the sign goes in the top bit. */
function bcd(out: number[], value: number, n: number, signed: boolean): void {
  let v = Math.abs(Math.round(value));
  for (let i = 0; i < n; i++) {
    const two = v % 100;
    v = Math.floor(v / 100);
    let b = ((Math.floor(two / 10) << 4) | two % 10) & 0xff;
    if (signed && i === n - 1) b = (b & 0x7f) | (value < 0 ? 0x80 : 0);
    out.push(b);
  }
}

function hex(b: number): string {
  return (b < 16 ? '0' : '') + b.toString(16);
}

function unbcd(b: number): number {
  const hi = b >> 4;
  const lo = b & 15;
  return hi > 9 || lo > 9 ? -1 : hi * 10 + lo;
}

/** Epoch seconds of ss mm hh DD MM YY (or YY MM DD hh mm ss), null when not a valid time. */
function civil(d: number[], yearFirst: boolean): number | null {
  const v = d.map(unbcd);
  const [ss, mi, hh, dd, mo, yy] = yearFirst ? [v[5], v[4], v[3], v[2], v[1], v[0]] : v;
  if (ss < 0 || ss > 59 || mi < 0 || mi > 59 || hh < 0 || hh > 23 || dd < 1 || mo < 1 || mo > 12 || yy < 0) return null;
  const t = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
  if (new Date(t).getUTCDate() !== dd) return null;
  return t / 1000;
}
