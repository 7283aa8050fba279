// DL/T 645-2007 codec: pure functions from values to frames and back. Facts and vectors:
// shared/protocols/dlt645-2007.md. Transport (timeouts, retries) lives in bus.ts.
import { Result, ok, fail } from '../../hal/result';
import { civilFromSeconds, secondsFromCivil } from '../../hal/calendar';
import { scaleRound } from './round';

/** A checked frame: address (6 bytes, wire order), control byte, DATA with 33H removed. */
export interface Dlt645Frame {
  addr: Uint8Array;
  ctrl: number;
  data: Uint8Array;
}

// Data identifiers (DI3 DI2 DI1 DI0 as one number).
export const DI_COMBINED = 0x00000000;
export const DI_IMPORT = 0x00010000;
export const DI_EXPORT = 0x00020000;
export const DI_IMPORT_BLOCK = 0x0001ff00;
export const DI_VOLTAGE_A = 0x02010100;
export const DI_CURRENT_A = 0x02020100;
export const DI_POWER = 0x02030000;
export const DI_FREQUENCY = 0x02800002;
export const DI_ADDRESS = 0x04000401;
export const DI_STATUS3 = 0x04000503;
export const DI_MONEY = 0x00900200;

// 1CH N1 codes.
export const RELAY_TRIP = 0x1a;
export const RELAY_CLOSE_ALLOWED = 0x1b;
export const RELAY_CLOSE = 0x1c;
/** Status word 3: relay contact actually open; trip commanded. */
export const S3_OPEN = 0x10;
export const S3_TRIP = 0x40;

export const BROADCAST = new Uint8Array([0x99, 0x99, 0x99, 0x99, 0x99, 0x99]);
export const WILDCARD = new Uint8Array([0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);

/** Names of the ERR bits of an abnormal reply, bit 0 first. A function: on the board its text stays in flash until asked for. */
export function errNames(): string[] {
  return 'other no-data unauthorised baud year-zones day-periods tariffs'.split(' ');
}

/** Longest DATA the parser accepts. */
export const MAX_DATA = 200;

/** Request frame with 4 x FE preamble; data is plain (33H is added here). */
export function frame(addr: Uint8Array, ctrl: number, data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(16 + n);
  out[0] = out[1] = out[2] = out[3] = 0xfe;
  out[4] = out[11] = 0x68;
  out.set(addr, 5);
  out[12] = ctrl;
  out[13] = n;
  for (let i = 0; i < n; i++) out[14 + i] = (data[i] + 0x33) & 255;
  let cs = 0;
  for (let i = 4; i < 14 + n; i++) cs += out[i];
  out[14 + n] = cs & 255;
  out[15 + n] = 0x16;
  return out;
}

function diBytes(di: number, extra: number[]): number[] {
  return [di & 255, (di >> 8) & 255, (di >> 16) & 255, (di >>> 24) & 255].concat(extra);
}

function bcdByte(v: number): number {
  return Math.floor(v / 10) * 16 + (v % 10);
}

/** Read (11H) one data identifier. */
export function readRequest(addr: Uint8Array, di: number): Uint8Array {
  return frame(addr, 0x11, diBytes(di, []));
}

/** Follow-up read (12H) after a B1H reply; seq counts the follow-up frames from 1. */
export function readNextRequest(addr: Uint8Array, di: number, seq: number): Uint8Array {
  return frame(addr, 0x12, diBytes(di, [seq & 255]));
}

/** Read address (13H) with the wildcard: only with one meter on the bus. */
export function readAddressRequest(): Uint8Array {
  return frame(WILDCARD, 0x13, []);
}

// ss mm hh DD MM YY in BCD, seconds first as the standard puts them on the wire.
function timeBytes(epochS: number): number[] {
  const c = civilFromSeconds(epochS);
  return [c.second, c.minute, c.hour, c.day, c.month, c.year % 100].map(bcdByte);
}

/** Broadcast time sync (08H) to the meters' local time given as epoch seconds; no reply comes. */
export function timeSyncRequest(localEpochS: number): Uint8Array {
  return frame(BROADCAST, 0x08, timeBytes(localEpochS));
}

/** Fields of a 1CH relay command. */
export interface RelayCommand {
  /** Password level: 02H or 04H plaintext. */
  pa: number;
  /** 6-digit password as a number (0..999999). */
  password: number;
  /** Operator code, 4 bytes sent low byte first. */
  operator: number;
  /** N1: RELAY_TRIP, RELAY_CLOSE_ALLOWED, RELAY_CLOSE, 2AH/2BH alarm, 3AH/3BH keep power. */
  n1: number;
  /** N2: reserved by the standard and sent as 00 by this unit; head-ends send 01 too, and a
   *  command passed on to a meter keeps what it was issued with (default 0). */
  n2?: number;
  /** The command is void after this local time (epoch seconds). */
  validUntilS: number;
}

/** Relay / alarm / keep-power control (1CH). */
export function relayRequest(addr: Uint8Array, c: RelayCommand): Uint8Array {
  const p = c.password;
  const o = c.operator;
  const d = [c.pa, bcdByte(p % 100), bcdByte(Math.floor(p / 100) % 100), bcdByte(Math.floor(p / 10000) % 100)];
  d.push(o & 255, (o >> 8) & 255, (o >> 16) & 255, (o >>> 24) & 255, c.n1, c.n2 || 0);
  return frame(addr, 0x1c, d.concat(timeBytes(c.validUntilS)));
}

/** The fields of a 1CH command's 16 data bytes (33H already taken off): the password and the
 *  valid-until time must be BCD and a real date ('password', 'time'), N2 kept as sent. */
export function relayCommand(d: ArrayLike<number>): Result<RelayCommand> {
  if (d.length !== 16) return fail('length');
  const v: number[] = [];
  for (let i = 1; i < 16; i++) {
    if (i === 4) i = 10;
    if ((d[i] & 15) > 9 || d[i] >> 4 > 9) return fail(i < 4 ? 'password' : 'time');
    v[i] = (d[i] >> 4) * 10 + (d[i] & 15);
  }
  const y = 2000 + v[15];
  const t = secondsFromCivil(y, v[14], v[13], v[12], v[11], v[10]);
  const c = civilFromSeconds(t);
  if (v[10] > 59 || v[11] > 59 || v[12] > 23 || c.day !== v[13] || c.month !== v[14] || c.year !== y) return fail('time');
  const op = d[4] + d[5] * 0x100 + d[6] * 0x10000 + d[7] * 0x1000000;
  return ok({ pa: d[0], password: v[1] + v[2] * 100 + v[3] * 10000, operator: op, n1: d[8], n2: d[9], validUntilS: t });
}

/** Streaming frame extractor: feed arbitrary slices, receive checked frames or typed errors
 *  ('checksum', 'terminator', 'too-long'). Anything before a plausible 68 .. 68 header is skipped. */
export class Dlt645Framer {
  private b = new Uint8Array(12 + MAX_DATA);
  private n = 0;
  private on: (r: Result<Dlt645Frame>) => void;

  constructor(onFrame: (r: Result<Dlt645Frame>) => void) {
    this.on = onFrame;
  }

  /** Forgets a partial frame. */
  reset(): void {
    this.n = 0;
  }

  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      if (this.n === 0 && bytes[i] !== 0x68) continue;
      this.b[this.n++] = bytes[i];
      this.scan();
    }
  }

  private drop(k: number): void {
    const b = this.b;
    for (let i = k; i < this.n; i++) b[i - k] = b[i];
    this.n -= k;
  }

  // Decides what it can. After a bad frame only the first 68 is dropped, so a real frame
  // that began inside the bad one's bytes is still found.
  private scan(): void {
    while (this.n > 0) {
      const b = this.b;
      const n = this.n;
      if (b[0] !== 0x68 || (n >= 8 && b[7] !== 0x68)) {
        this.drop(1);
        continue;
      }
      if (n < 10) return;
      const len = b[9];
      let err = '';
      if (len > MAX_DATA) err = 'too-long';
      else {
        if (n < 12 + len) return;
        let cs = 0;
        for (let i = 0; i < 10 + len; i++) cs += b[i];
        if ((cs & 255) !== b[10 + len]) err = 'checksum';
        else if (b[11 + len] !== 0x16) err = 'terminator';
      }
      if (err) {
        this.drop(1);
        this.on(fail(err));
        continue;
      }
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) data[i] = (b[10 + i] - 0x33) & 255;
      const f: Dlt645Frame = { addr: new Uint8Array(b.subarray(1, 7)), ctrl: b[8], data: data };
      this.drop(12 + len);
      this.on(ok(f));
    }
  }
}

/** Name of an abnormal reply's first ERR bit. */
export function errorName(err: number): string {
  const names = errNames();
  for (let i = 0; i < names.length; i++) if (err & (1 << i)) return names[i];
  return 'abnormal';
}

/** Checks that f answers function fn: an abnormal reply becomes its ERR name. */
export function checkReply(f: Dlt645Frame, fn: number): Result<Dlt645Frame> {
  if ((f.ctrl & 0x9f) !== (0x80 | fn)) return fail('unexpected', 'control ' + f.ctrl);
  if (f.ctrl & 0x40) return fail(errorName(f.data.length ? f.data[0] : 0));
  return ok(f);
}

/** True when a normal reply says follow-up frames remain (B1H/B2H): fetch them with 12H. */
export function hasMore(f: Dlt645Frame): boolean {
  return (f.ctrl & 0x60) === 0x20;
}

/** DATA of a read (91H/B1H) or follow-up (92H/B2H) reply after its DI check, without DI and SEQ;
 *  a follow-up must carry the SEQ asked for, when one is given. */
export function readData(f: Dlt645Frame, di: number, seq?: number): Result<Uint8Array> {
  const fn = f.ctrl & 0x1f;
  const r = checkReply(f, fn === 0x12 ? 0x12 : 0x11);
  if (!r.ok) return fail(r.error, r.detail);
  const d = f.data;
  const want = diBytes(di, []);
  if (d.length < (fn === 0x12 ? 5 : 4)) return fail('short');
  for (let i = 0; i < 4; i++) if (d[i] !== want[i]) return fail('di');
  if (fn === 0x12 && seq !== undefined && d[d.length - 1] !== (seq & 255)) return fail('seq');
  return ok(d.subarray(4, fn === 0x12 ? d.length - 1 : d.length));
}

/** Packed BCD, low byte first, to an integer; top bit = sign when signed. NaN on a non-decimal nibble. */
export function bcd(d: Uint8Array, off: number, len: number, signed: boolean): number {
  let v = 0;
  let neg = false;
  for (let i = off + len - 1; i >= off; i--) {
    let x = d[i];
    if (signed && i === off + len - 1 && x & 0x80) {
      neg = true;
      x &= 0x7f;
    }
    if (x > 0x99 || (x & 15) > 9) return NaN;
    v = v * 100 + (x >> 4) * 10 + (x & 15);
  }
  return neg ? -v : v;
}

// Per DI: bytes per value, signed, multiplier, divisor (to the unit documented at decode()).
function format(di: number): number[] | null {
  switch (di) {
    case DI_COMBINED:
    case DI_MONEY:
      return [4, 1, 10, 1];
    case DI_IMPORT:
    case DI_EXPORT:
    case DI_IMPORT_BLOCK:
      return [4, 0, 10, 1];
    case DI_VOLTAGE_A:
    case DI_FREQUENCY:
      return [2, 0, 1, 1];
    case DI_CURRENT_A:
      return [3, 1, 1, 1];
    case DI_POWER:
      return [3, 1, 1, 10];
    case DI_ADDRESS:
      return [6, 0, 1, 1];
  }
  return null;
}

/** Values of a read reply's DATA (after the DI) in integer units: energy Wh (0.01 kWh x 10),
 *  money milli-units, power W (0.0001 kW / 10, nearest, halves away from zero), voltage 0.1 V,
 *  current mA, frequency 0.01 Hz, address as its 12-digit number, status word 3 as a bitfield.
 *  A block DI gives one value per item. */
export function decode(di: number, d: Uint8Array): Result<number[]> {
  if (di === DI_STATUS3) return d.length < 2 ? fail('short') : ok([d[0] | (d[1] << 8)]);
  const f = format(di);
  if (!f) return fail('di');
  const size = f[0];
  const count = di === DI_IMPORT_BLOCK ? Math.floor(d.length / size) : 1;
  if (count < 1 || d.length < count * size) return fail('short');
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    const v = bcd(d, k * size, size, f[1] === 1);
    if (v !== v) return fail('bcd');
    out.push(scaleRound(v, f[2], f[3]));
  }
  return ok(out);
}

/** readData + decode for a one-frame reply. */
export function decodeRead(f: Dlt645Frame, di: number): Result<number[]> {
  const r = readData(f, di);
  return r.ok ? decode(di, r.value) : fail(r.error, r.detail);
}
