// Virtual Modbus RTU meters whose register maps are data (Eastron SDM120, Hiking DDS238-2).
// Written from the protocol facts, apart from firmware/metering, so codec bugs are not mirrored.
// Frames are delimited by silence as RTU demands: a gap over 1.5 characters breaks a frame,
// 3.5 characters of silence end it.
import { Clock } from '../hal/clock';
import { LineSettings, bitsPerChar } from '../hal/serial';
import { crc16 } from '../firmware/lib/crc16';
import { MeterModel, MeterModelOptions } from './meter-model';
import { MeterFaults, noFaults, sendAfter, wrapReply } from './meter-faults';
import { WireStats } from './wire-stats';
import { BusPort, VirtualBus } from './virtual-bus';

/** How a register holds its value: float32, uint32 (two words, high first), uint16, int16. */
export type RegKind = 'f32' | 'u32' | 'u16' | 'i16';

/** One register (or register pair) of a meter's map. */
export interface RegisterDef {
  addr: number;
  kind: RegKind;
  read: (m: VirtualModbusMeter) => number;
  /** Absent: read-only. Returns false for a value the meter refuses (exception 03). */
  write?: (m: VirtualModbusMeter, v: number) => boolean;
}

/** A meter model's register maps and habits. */
export interface ModbusProfile {
  name: string;
  defaultId: number;
  line: LineSettings;
  /** Function codes the meter knows; others get exception 01. */
  functions: number[];
  /** Function 04 map and the number of registers that exist from 0 (others: exception 02). */
  input: RegisterDef[];
  inputSpan: number;
  /** Function 03/10 map and its span. */
  holding: RegisterDef[];
  holdingSpan: number;
  /** Most registers one read may ask for. */
  maxRead: number;
  /** Function 06 is answered as if done but changes nothing (DDS238-2 relay). */
  fn06Ignored: boolean;
}

const SIZE: { [k in RegKind]: number } = { f32: 2, u32: 2, u16: 1, i16: 1 };

const round = (v: number): number => Math.round(v);
const u16 = (v: number): number => Math.max(0, Math.min(0xffff, Math.round(v)));

/** Eastron SDM120: input registers as big-endian float32, settings in holding registers. */
export const SDM120: ModbusProfile = {
  name: 'sdm120',
  defaultId: 1,
  line: { baud: 2400, dataBits: 8, parity: 'none', stopBits: 1 },
  functions: [0x03, 0x04, 0x10],
  input: [
    { addr: 0x0000, kind: 'f32', read: (m) => m.model.voltageV },
    { addr: 0x0006, kind: 'f32', read: (m) => m.model.currentA() },
    { addr: 0x000c, kind: 'f32', read: (m) => m.model.powerW() },
    { addr: 0x0012, kind: 'f32', read: (m) => Math.abs(m.model.powerW()) },
    { addr: 0x0018, kind: 'f32', read: () => 0 },
    { addr: 0x001e, kind: 'f32', read: () => 1 },
    { addr: 0x0046, kind: 'f32', read: (m) => m.model.frequencyHz },
    { addr: 0x0048, kind: 'f32', read: (m) => m.model.importCkwh() / 100 },
    { addr: 0x004a, kind: 'f32', read: (m) => m.model.exportTotalCkwh() / 100 },
    { addr: 0x0156, kind: 'f32', read: (m) => (m.model.importCkwh() + m.model.exportTotalCkwh()) / 100 },
  ],
  inputSpan: 0x0158,
  holding: [
    { addr: 0x0012, kind: 'f32', read: (m) => m.parityCode, write: (m, v) => setCode(v, 0, 3, (c) => (m.parityCode = c)) },
    { addr: 0x0014, kind: 'f32', read: (m) => m.id, write: (m, v) => setCode(v, 1, 247, (c) => (m.nextId = c)) },
    { addr: 0x001c, kind: 'f32', read: (m) => m.baudCode, write: (m, v) => setCode(v, 0, 5, (c) => (m.baudCode = c)) },
  ],
  holdingSpan: 0x0020,
  maxRead: 80,
  fn06Ignored: false,
};

/** Hiking DDS238-2 ZN/SR: holding registers of scaled integers, a load relay at 0x001A. */
export const DDS238: ModbusProfile = {
  name: 'dds238',
  defaultId: 1,
  line: { baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  functions: [0x03, 0x06, 0x10],
  input: [],
  inputSpan: 0,
  holding: [
    { addr: 0x0000, kind: 'u32', read: (m) => m.model.importCkwh() + m.model.exportTotalCkwh() },
    { addr: 0x0008, kind: 'u32', read: (m) => m.model.exportTotalCkwh() },
    { addr: 0x000a, kind: 'u32', read: (m) => m.model.importCkwh() },
    { addr: 0x000c, kind: 'u16', read: (m) => u16(m.model.voltageV * 10) },
    { addr: 0x000d, kind: 'u16', read: (m) => u16(Math.abs(m.model.currentA()) * 100) },
    { addr: 0x000e, kind: 'i16', read: (m) => round(m.model.powerW()) },
    { addr: 0x0010, kind: 'u16', read: () => 1000 },
    { addr: 0x0011, kind: 'u16', read: (m) => u16(m.model.frequencyHz * 100) },
    {
      addr: 0x0015,
      kind: 'u16',
      read: (m) => (m.id << 8) | m.baudCode,
      write: (m, v) => {
        const id = v >> 8;
        const baud = v & 0xff;
        if (id < 1 || id > 247 || baud < 1 || baud > 4) return false;
        m.nextId = id;
        m.baudCode = baud;
        return true;
      },
    },
    {
      addr: 0x001a,
      kind: 'u16',
      read: (m) => (m.model.relayOpen ? 0 : 1),
      write: (m, v) => {
        if (v !== 0 && v !== 1) return false;
        m.model.setRelayOpen(v === 0);
        return true;
      },
    },
  ],
  holdingSpan: 0x0020,
  maxRead: 125,
  fn06Ignored: true,
};

function setCode(v: number, lo: number, hi: number, set: (c: number) => void): boolean {
  if (v !== Math.floor(v) || v < lo || v > hi) return false;
  set(v);
  return true;
}

/** How one virtual Modbus meter is built. */
export interface ModbusMeterOptions {
  /** Slave id (default: the profile's). */
  id?: number;
  /** Line settings (default: the profile's). */
  line?: LineSettings;
  /** Reply delay after the request's last byte, ms (default 20; never under 3.5 characters). */
  turnaroundMs?: number;
  model?: MeterModel | MeterModelOptions;
  faults?: Partial<MeterFaults>;
  name?: string;
}

/** Exception codes. */
export const ILLEGAL_FUNCTION = 0x01;
export const ILLEGAL_ADDRESS = 0x02;
export const ILLEGAL_VALUE = 0x03;

/** One Modbus RTU meter. */
export class VirtualModbusMeter {
  readonly model: MeterModel;
  readonly port: BusPort | null;
  readonly line: LineSettings;
  id: number;
  /** An id written by the master takes effect after the reply. */
  nextId = 0;
  baudCode = 0;
  parityCode = 0;
  faults: MeterFaults;
  turnaroundMs: number;
  /** Frames for this meter with a good CRC, replies sent, frames broken by a gap, frames with a bad CRC. */
  frames = 0;
  replies = 0;
  brokenFrames = 0;
  crcErrors = 0;
  /** Requests addressed to this meter and how they fared, for reports. */
  readonly wire = new WireStats();
  private rx: number[] = [];
  private broken = false;
  private lastByteMs = -Infinity;
  private endTimer = 0;

  constructor(
    private clock: Clock,
    bus: VirtualBus | null,
    readonly profile: ModbusProfile,
    opts: ModbusMeterOptions = {},
  ) {
    this.id = opts.id !== undefined ? opts.id : profile.defaultId;
    this.line = opts.line || profile.line;
    this.baudCode = profile === DDS238 ? 1 : 0;
    const m = opts.model;
    this.model = m instanceof MeterModel ? m : new MeterModel(clock, m || {});
    this.faults = Object.assign(noFaults(), opts.faults || {});
    this.turnaroundMs = opts.turnaroundMs !== undefined ? opts.turnaroundMs : 20;
    this.port = bus ? bus.attach(Object.assign({ name: opts.name || profile.name + ':' + this.id, onData: (b: Uint8Array) => this.receive(b) }, this.line)) : null;
  }

  /** Silence that breaks a frame and that ends one, ms. */
  gapsMs(): { t15: number; t35: number } {
    if (this.line.baud > 19200) return { t15: 0.75, t35: 1.75 };
    const c = (bitsPerChar(this.line) * 1000) / this.line.baud;
    return { t15: 1.5 * c, t35: 3.5 * c };
  }

  /** Answers one whole frame: the reply bytes with the meter's faults, or null for silence. */
  respond(req: Uint8Array): Uint8Array | null {
    if (req.length < 4) return null;
    const crc = crc16(req, 0, req.length - 2);
    if (req[req.length - 2] !== (crc & 0xff) || req[req.length - 1] !== crc >> 8) {
      this.crcErrors++;
      return null;
    }
    const id = req[0];
    if (id !== this.id && id !== 0) return null;
    this.frames++;
    // Garbage in front of a Modbus reply breaks its CRC.
    this.wire.request(req, this.clock.now(), this.faults, id !== 0, true);
    if (this.faults.registerReset) {
      this.faults.registerReset = false;
      this.model.resetRegisters();
    }
    const me = this.id;
    const pdu = this.answer(req);
    if (this.nextId) {
      this.id = this.nextId;
      this.nextId = 0;
    }
    if (!pdu || id === 0) return null;
    const out = new Uint8Array(pdu.length + 3);
    out[0] = this.faults.wrongAddress ? (me % 247) + 1 : me;
    out.set(pdu, 1);
    const c = crc16(out, 0, out.length - 2);
    out[out.length - 2] = (c & 0xff) ^ (this.faults.badChecksum ? 0xff : 0);
    out[out.length - 1] = c >> 8;
    return wrapReply(out, this.faults);
  }

  private receive(bytes: Uint8Array): void {
    const now = this.clock.now();
    const charMs = (bitsPerChar(this.line) * 1000) / this.line.baud;
    const g = this.gapsMs();
    // Bytes of one slice came back to back; the first one ended (n-1) characters ago.
    const first = now - (bytes.length - 1) * charMs;
    if (this.rx.length > 0 && first - this.lastByteMs - charMs > g.t15 + 1e-6) this.broken = true;
    for (let i = 0; i < bytes.length; i++) this.rx.push(bytes[i]);
    this.lastByteMs = now;
    if (this.endTimer) this.clock.cancel(this.endTimer);
    this.endTimer = this.clock.after(g.t35, () => {
      this.endTimer = 0;
      const frame = new Uint8Array(this.rx);
      const broken = this.broken;
      this.rx = [];
      this.broken = false;
      if (broken) {
        this.brokenFrames++;
        return;
      }
      const reply = this.respond(frame);
      if (reply && this.port) sendAfter(this.clock, this.port, reply, Math.max(g.t35, this.turnaroundMs), g.t35, this.faults, () => this.replies++);
    });
  }

  /** The reply PDU (function code onwards, no id, no CRC), or null for none. */
  private answer(req: Uint8Array): Uint8Array | null {
    const p = this.profile;
    const fc = req[1];
    if (p.functions.indexOf(fc) < 0) return exception(fc, ILLEGAL_FUNCTION);
    const start = (req[2] << 8) | req[3];
    const q = (req[4] << 8) | req[5];
    if (fc === 0x03 || fc === 0x04) {
      if (req.length !== 8) return null;
      const map = fc === 0x04 ? p.input : p.holding;
      const span = fc === 0x04 ? p.inputSpan : p.holdingSpan;
      if (q < 1 || q > p.maxRead) return exception(fc, ILLEGAL_VALUE);
      if (start + q > span || splits(map, start, q)) return exception(fc, ILLEGAL_ADDRESS);
      const words = image(this, map, start, q);
      const out = new Uint8Array(2 + 2 * q);
      out[0] = fc;
      out[1] = 2 * q;
      for (let i = 0; i < q; i++) {
        out[2 + 2 * i] = words[i] >> 8;
        out[3 + 2 * i] = words[i] & 0xff;
      }
      return out;
    }
    if (fc === 0x06) {
      if (req.length !== 8) return null;
      if (start >= p.holdingSpan) return exception(fc, ILLEGAL_ADDRESS);
      if (!p.fn06Ignored) {
        const err = this.store(start, [q]);
        if (err) return exception(fc, err);
      }
      return req.slice(1, 6);
    }
    if (fc === 0x10) {
      if (req.length < 9 || req.length !== 9 + req[6] || req[6] !== 2 * q) return null;
      if (q < 1 || q > 123) return exception(fc, ILLEGAL_VALUE);
      if (start + q > p.holdingSpan || splits(p.holding, start, q)) return exception(fc, ILLEGAL_ADDRESS);
      const words: number[] = [];
      for (let i = 0; i < q; i++) words.push((req[7 + 2 * i] << 8) | req[8 + 2 * i]);
      const err = this.store(start, words);
      if (err) return exception(fc, err);
      return req.slice(1, 6);
    }
    return exception(fc, ILLEGAL_FUNCTION);
  }

  // All or nothing: every register is checked before any is written.
  private store(start: number, words: number[]): number {
    const todo: { r: RegisterDef; v: number }[] = [];
    for (const r of this.profile.holding) {
      const n = SIZE[r.kind];
      if (r.addr < start || r.addr + n > start + words.length) continue;
      if (!r.write) return ILLEGAL_ADDRESS;
      todo.push({ r: r, v: decode(r.kind, words, r.addr - start) });
    }
    const backup = { id: this.nextId, baud: this.baudCode, parity: this.parityCode, relay: this.model.relayOpen };
    for (const x of todo) {
      if (!(x.r.write as (m: VirtualModbusMeter, v: number) => boolean)(this, x.v)) {
        this.nextId = backup.id;
        this.baudCode = backup.baud;
        this.parityCode = backup.parity;
        if (this.model.relayOpen !== backup.relay) this.model.setRelayOpen(backup.relay);
        return ILLEGAL_VALUE;
      }
    }
    return 0;
  }
}

function exception(fc: number, code: number): Uint8Array {
  return new Uint8Array([fc | 0x80, code]);
}

/** True when [start, start+q) cuts a two-register value in half. */
function splits(map: RegisterDef[], start: number, q: number): boolean {
  for (const r of map) {
    if (SIZE[r.kind] !== 2) continue;
    if ((r.addr < start && r.addr + 1 >= start) || (r.addr < start + q && r.addr + 1 >= start + q)) return true;
  }
  return false;
}

/** The register words [start, start+q); registers not in the map read 0. */
function image(m: VirtualModbusMeter, map: RegisterDef[], start: number, q: number): number[] {
  const words: number[] = [];
  for (let i = 0; i < q; i++) words.push(0);
  const dv = new DataView(new ArrayBuffer(4));
  for (const r of map) {
    const n = SIZE[r.kind];
    if (r.addr + n <= start || r.addr >= start + q) continue;
    const v = r.read(m);
    let w: number[];
    if (r.kind === 'f32') {
      dv.setFloat32(0, v, false);
      w = [dv.getUint16(0, false), dv.getUint16(2, false)];
    } else if (r.kind === 'u32') {
      const x = Math.max(0, Math.min(0xffffffff, Math.round(v)));
      w = [Math.floor(x / 65536), x % 65536];
    } else if (r.kind === 'i16') {
      w = [Math.max(-32768, Math.min(32767, v)) & 0xffff];
    } else w = [v & 0xffff];
    for (let k = 0; k < n; k++) if (r.addr + k >= start && r.addr + k < start + q) words[r.addr + k - start] = w[k];
  }
  return words;
}

function decode(kind: RegKind, words: number[], at: number): number {
  if (kind === 'f32') {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint16(0, words[at], false);
    dv.setUint16(2, words[at + 1], false);
    return dv.getFloat32(0, false);
  }
  if (kind === 'u32') return words[at] * 65536 + words[at + 1];
  if (kind === 'i16') return words[at] >= 0x8000 ? words[at] - 0x10000 : words[at];
  return words[at];
}
