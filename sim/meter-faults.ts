// Faults a virtual meter can show on the bus, switchable at run time, and the one place that
// puts a reply on the wire with them. Byte faults that need the protocol (checksum, address)
// are applied by each meter; timing and framing faults are applied here for both kinds.
import { Clock } from '../hal/clock';
import { SerialPort } from '../hal/serial';

/** What is wrong with a meter right now. */
export interface MeterFaults {
  /** Never replies. */
  silent: boolean;
  /** When > 0, replaces the turnaround (ms): set it beyond the master's timeout. */
  slowMs: number;
  /** The reply's checksum (DL/T 645 CS) or CRC (Modbus) is wrong. */
  badChecksum: boolean;
  /** Bytes sent right before / after the reply frame, in the same burst. */
  garbageBefore: number[];
  garbageAfter: number[];
  /** The reply carries another meter's address (the next one up). */
  wrongAddress: boolean;
  /** The reply goes out in slices of `bytes` with `gapMs` of silence between them. */
  splitReply: { bytes: number; gapMs: number } | null;
  /** One-shot: the meter was replaced, registers restart from 0 at the next request. */
  registerReset: boolean;
  /** DL/T 645: plaintext relay commands (PA 02/04) are refused with ERR 04. */
  refusePlaintextRelay: boolean;
}

/** A meter without faults. */
export function noFaults(): MeterFaults {
  return {
    silent: false,
    slowMs: 0,
    badChecksum: false,
    garbageBefore: [],
    garbageAfter: [],
    wrongAddress: false,
    splitReply: null,
    registerReset: false,
    refusePlaintextRelay: false,
  };
}

/** Garbage that is neither a DL/T 645 start (68, FE) nor a plausible Modbus id. */
export const GARBAGE = [0x00, 0xff, 0x55, 0xaa];

/** The bytes to send for a reply after the byte faults: garbage around, or nothing if silent. */
export function wrapReply(frame: Uint8Array | null, f: MeterFaults): Uint8Array | null {
  if (!frame || f.silent) return null;
  if (f.garbageBefore.length === 0 && f.garbageAfter.length === 0) return frame;
  const out = new Uint8Array(f.garbageBefore.length + frame.length + f.garbageAfter.length);
  out.set(f.garbageBefore, 0);
  out.set(frame, f.garbageBefore.length);
  out.set(f.garbageAfter, f.garbageBefore.length + frame.length);
  return out;
}

/** Puts bytes on the port once the turnaround (or the slow fault's delay) has passed since the
 *  request ended, `sinceMs` ago; sliced if asked. */
export function sendAfter(clock: Clock, port: SerialPort, bytes: Uint8Array, turnaroundMs: number, sinceMs: number, f: MeterFaults, onSent?: () => void): void {
  const delay = (f.slowMs > 0 ? f.slowMs : turnaroundMs) - sinceMs;
  const split = f.splitReply;
  const n = split && split.bytes > 0 ? split.bytes : bytes.length;
  const gap = split ? split.gapMs : 0;
  let at = 0;
  const next = (): void => {
    const part = bytes.subarray(at, Math.min(bytes.length, at + n));
    at += part.length;
    port.write(part, () => {
      if (at < bytes.length) clock.after(gap, next);
      else if (onSent) onSent();
    });
  };
  clock.after(Math.max(0, delay), next);
}
