// Minimal fake meters behind a FakePort responder, built on our (vector-tested) encoders.
import * as dlt from '../../firmware/metering/dlt645';
import { formatAddress } from '../../firmware/metering/address';
import { crc16 } from '../../firmware/lib/crc16';
import { Responder } from './fakes';

export interface FakeDlt {
  addr: string;
  importCkwh: number;
  exportCkwh: number;
  /** 0.1 W units. */
  powerDw: number;
  dead?: boolean;
  noExport?: boolean;
  relayOpen?: boolean;
  trip?: boolean;
  refuseRelay?: boolean;
  /** Ignores relay commands (acknowledges, never moves). */
  stuck?: boolean;
}

export interface FakeModbus {
  id: number;
  regs: Uint16Array;
  dead?: boolean;
  writes: number;
}

function bcdBytes(v: number, n: number, signed: boolean): number[] {
  const neg = v < 0;
  let x = Math.abs(v);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const two = x % 100;
    x = Math.floor(x / 100);
    out.push(Math.floor(two / 10) * 16 + (two % 10));
  }
  if (signed && neg) out[n - 1] |= 0x80;
  return out;
}

function dltReply(m: FakeDlt, req: Uint8Array): Uint8Array | null {
  let i = 0;
  while (req[i] === 0xfe) i++;
  const a = formatAddress(req.subarray(i + 1, i + 7));
  if (a !== m.addr || m.dead) return null;
  const addr = req.subarray(i + 1, i + 7);
  const c = req[i + 8];
  const data = Array.from(req.subarray(i + 10, i + 10 + req[i + 9]), (x) => (x - 0x33) & 255);
  if (c === 0x1c) {
    if (m.refuseRelay) return dlt.frame(addr, 0xdc, [4]).subarray(4);
    if (!m.stuck) {
      if (data[8] === 0x1a) m.relayOpen = m.trip = true;
      if (data[8] === 0x1c) m.relayOpen = m.trip = false;
      if (data[8] === 0x1b) m.trip = false;
    }
    return dlt.frame(addr, 0x9c, []).subarray(4);
  }
  const di = data[0] + (data[1] << 8) + (data[2] << 16) + data[3] * 0x1000000;
  let v: number[];
  if (di === dlt.DI_IMPORT) v = bcdBytes(m.importCkwh, 4, false);
  else if (di === dlt.DI_EXPORT && !m.noExport) v = bcdBytes(m.exportCkwh, 4, false);
  else if (di === dlt.DI_POWER) v = bcdBytes(m.powerDw, 3, true);
  else if (di === dlt.DI_VOLTAGE_A) v = bcdBytes(2301, 2, false);
  else if (di === dlt.DI_CURRENT_A) v = bcdBytes(5250, 3, true);
  else if (di === dlt.DI_STATUS3) v = [(m.relayOpen ? 0x10 : 0) | (m.trip ? 0x40 : 0), 0];
  else return dlt.frame(addr, 0xd1, [2]).subarray(4);
  return dlt.frame(addr, 0x91, data.slice(0, 4).concat(v)).subarray(2); // 2 x FE preamble
}

/** A Modbus frame: b with its CRC. */
export function crc(b: number[]): Uint8Array {
  const out = new Uint8Array(b.length + 2);
  out.set(b);
  const c = crc16(out, 0, b.length);
  out[b.length] = c & 255;
  out[b.length + 1] = c >> 8;
  return out;
}

function modbusReply(m: FakeModbus, req: Uint8Array): Uint8Array | null {
  if (req[0] !== m.id || m.dead || crc16(req, 0, req.length) !== 0) return null;
  const fn = req[1];
  const reg = (req[2] << 8) | req[3];
  const n = (req[4] << 8) | req[5];
  if (fn === 3 || fn === 4) {
    if (reg + n > m.regs.length) return crc([m.id, fn | 0x80, 2]);
    const b = [m.id, fn, 2 * n];
    for (let k = 0; k < n; k++) b.push(m.regs[reg + k] >> 8, m.regs[reg + k] & 255);
    return crc(b);
  }
  if (fn === 0x10) {
    for (let k = 0; k < n; k++) m.regs[reg + k] = (req[7 + 2 * k] << 8) | req[8 + 2 * k];
    m.writes++;
    return crc([m.id, fn, req[2], req[3], req[4], req[5]]);
  }
  return crc([m.id, fn | 0x80, 1]);
}

/** One responder for a mixed bus. */
export function responder(dlts: FakeDlt[], mbs: FakeModbus[]): Responder {
  return (req) => {
    let r: Uint8Array | null = null;
    if (req[0] === 0xfe || req[0] === 0x68) for (const m of dlts) r = r || dltReply(m, req);
    else for (const m of mbs) r = r || modbusReply(m, req);
    return r ? { delayMs: 40, bytes: r, slice: 4 } : null;
  };
}

/** Float32 big-endian into two registers. */
export function setF32(regs: Uint16Array, at: number, v: number): void {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  regs[at] = b.getUint16(0);
  regs[at + 1] = b.getUint16(2);
}

export function setU32(regs: Uint16Array, at: number, v: number): void {
  regs[at] = Math.floor(v / 65536);
  regs[at + 1] = v % 65536;
}
