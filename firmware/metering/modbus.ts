// Modbus RTU codec for meters: read holding (03) / input (04) registers, write multiple (10),
// exceptions. Pure functions; the 3.5-character silence that ends a frame is bus.ts's job.
// Facts and vectors: shared/protocols/modbus-rtu-meters.md.
import { Result, ok, fail } from '../../hal/result';
import { crc16 } from '../lib/crc16';
import { pow2 } from '../lib/bits';
import { scaleRound } from './round';

export const FN_HOLDING = 3;
export const FN_INPUT = 4;
export const FN_WRITE = 0x10;

/** Modbus exception names by code. A function: on the board its text stays in flash until asked for. */
export function exceptionNames(): string[] {
  return ' illegal-function illegal-address illegal-value device-failure acknowledge busy  memory-parity  gateway-path gateway-target'.split(' ');
}

function withCrc(b: number[]): Uint8Array {
  const out = new Uint8Array(b.length + 2);
  out.set(b, 0);
  const c = crc16(out, 0, b.length);
  out[b.length] = c & 255;
  out[b.length + 1] = c >> 8;
  return out;
}

/** Read count registers from reg with function 03 or 04. */
export function readRequest(id: number, fn: number, reg: number, count: number): Uint8Array {
  return withCrc([id, fn, reg >> 8, reg & 255, count >> 8, count & 255]);
}

/** Write 16-bit words from reg with function 10 (the only write some meters obey). */
export function writeRequest(id: number, reg: number, words: number[]): Uint8Array {
  const n = words.length;
  const b = [id, FN_WRITE, reg >> 8, reg & 255, 0, n, 2 * n];
  for (let i = 0; i < n; i++) b.push((words[i] >> 8) & 255, words[i] & 255);
  return withCrc(b);
}

/** Whole reply length expected for req, from the first n received bytes (n >= 2 tells an exception). */
export function replyLength(req: Uint8Array, rx: Uint8Array, n: number): number {
  if (n >= 2 && rx[1] & 0x80) return 5;
  if (req[1] === FN_WRITE) return 8;
  return 5 + 2 * ((req[4] << 8) | req[5]);
}

/** Checks the reply rx[0, n) to req: CRC, id, function, length, echo. Gives the register
 *  bytes of a read (empty for a write); an exception reply becomes its name. */
export function parseReply(req: Uint8Array, rx: Uint8Array, n: number): Result<Uint8Array> {
  if (n < 5 || crc16(rx, 0, n) !== 0) return fail('crc');
  if (rx[0] !== req[0]) return fail('unexpected', 'id ' + rx[0]);
  if (rx[1] === (req[1] | 0x80)) return fail(exceptionNames()[rx[2]] || 'exception', 'code ' + rx[2]);
  if (rx[1] !== req[1] || n !== replyLength(req, rx, n)) return fail('unexpected', 'function/length');
  if (req[1] === FN_WRITE) {
    for (let i = 2; i < 6; i++) if (rx[i] !== req[i]) return fail('unexpected', 'echo');
    return ok(rx.subarray(0, 0));
  }
  if (rx[2] !== n - 5) return fail('unexpected', 'byte count');
  return ok(rx.subarray(3, n - 2));
}

/** Register types. */
export const T_U16 = 0;
export const T_I16 = 1;
export const T_U32 = 2;
export const T_I32 = 3;
export const T_F32 = 4;
/** Registers a type occupies. */
export function typeWords(t: number): number {
  return t >= T_U32 ? 2 : 1;
}

/** Big-endian unsigned 32 bits (most significant register first). */
export function u32(b: Uint8Array, o: number): number {
  return b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

/** Big-endian signed 16 bits. */
export function i16(b: Uint8Array, o: number): number {
  const v = (b[o] << 8) | b[o + 1];
  return v >= 0x8000 ? v - 0x10000 : v;
}

/** Big-endian IEEE-754 float32 times mul / div, to the nearest integer (halves away from zero),
 *  from the exact float value (sign, exponent, mantissa: no DataView). NaN for Inf/NaN. */
export function f32Scaled(b: Uint8Array, o: number, mul: number, div: number): number {
  const e = ((b[o] & 0x7f) << 1) | (b[o + 1] >> 7);
  if (e === 255) return NaN;
  const m = ((b[o + 1] & 0x7f) << 16) | (b[o + 2] << 8) | b[o + 3];
  // Mantissa as an integer times 2^(e-150); scaling by a power of two is exact in a double.
  let v = e ? m + 0x800000 : m;
  const sh = (e ? e : 1) - 150;
  v = sh >= 0 ? v * pow2(sh) : v / pow2(-sh);
  return scaleRound(b[o] & 0x80 ? -v : v, mul, div);
}

/** A register value of type t at byte offset o, times mul / div, rounded as f32Scaled. */
export function value(b: Uint8Array, o: number, t: number, mul: number, div: number): number {
  if (t === T_F32) return f32Scaled(b, o, mul, div);
  let v = t === T_U16 ? (b[o] << 8) | b[o + 1] : t === T_I16 ? i16(b, o) : u32(b, o);
  if (t === T_I32 && v >= 0x80000000) v -= 0x100000000;
  return scaleRound(v, mul, div);
}
