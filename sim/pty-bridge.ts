// Serves a virtual Modbus meter on a real serial device (one end of a socat pty pair), in real
// time, so independent tools (mbpoll, pymodbus) can check our meter model and, through it, the
// register maps the firmware is written against. A pty has no baud rate or silences worth
// trusting, so requests are framed by their length (function code) with a silence as backstop.
import { SerialPort as NodeSerialPort } from 'serialport';
import { VirtualModbusMeter } from './virtual-modbus-meter';

export { realClock } from './real-clock';

/** Where and how to serve. */
export interface PtyBridgeOptions {
  /** The serial device, e.g. a socat link such as /tmp/sdm-a. */
  path: string;
  /** The meters on this line (a multi-drop bus: each answers its own id). */
  meters: VirtualModbusMeter[];
  /** Nominal rate given to the device (a pty ignores it). Default 9600. */
  baudRate?: number;
  /** Real milliseconds before a reply (default: the meter's turnaround). */
  turnaroundMs?: number;
  /** A partial request is dropped after this much real silence (default 50 ms). */
  silenceMs?: number;
}

/** A running bridge. */
export interface PtyBridge {
  requests: number;
  replies: number;
  /** Stops serving and closes the device. */
  close(): Promise<void>;
}

/** Bytes a request with this function code needs in all, or 0 when not yet known. */
function expectedLength(b: number[]): number {
  if (b.length < 2) return 0;
  const fc = b[1];
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 0x0f || fc === 0x10) return b.length >= 7 ? 9 + b[6] : 0;
  return 0;
}

/** Opens the device and answers Modbus RTU requests from the meter until closed. */
export function openPtyBridge(opts: PtyBridgeOptions): Promise<PtyBridge> {
  const port = new NodeSerialPort({ path: opts.path, baudRate: opts.baudRate || 9600, autoOpen: false });
  const timers: NodeJS.Timeout[] = [];
  let buf: number[] = [];
  let silence: NodeJS.Timeout | null = null;
  let closed = false;
  const bridge: PtyBridge = {
    requests: 0,
    replies: 0,
    close(): Promise<void> {
      closed = true;
      if (silence) clearTimeout(silence);
      for (const t of timers) clearTimeout(t);
      return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    },
  };

  const later = (ms: number, fn: () => void): void => {
    timers.push(setTimeout(() => !closed && fn(), ms));
  };

  const serve = (frame: Uint8Array): void => {
    bridge.requests++;
    let meter: VirtualModbusMeter | null = null;
    let reply: Uint8Array | null = null;
    for (const m of opts.meters) {
      const r = m.respond(frame);
      if (r && !reply) {
        reply = r;
        meter = m;
      }
    }
    if (!reply || !meter) return;
    const f = meter.faults;
    const bytes = reply;
    const n = f.splitReply && f.splitReply.bytes > 0 ? f.splitReply.bytes : bytes.length;
    const gap = f.splitReply ? f.splitReply.gapMs : 0;
    const delay = f.slowMs > 0 ? f.slowMs : opts.turnaroundMs !== undefined ? opts.turnaroundMs : meter.turnaroundMs;
    const part = (at: number): void => {
      port.write(Buffer.from(bytes.subarray(at, at + n)));
      if (at + n < bytes.length) later(gap, () => part(at + n));
      else bridge.replies++;
    };
    later(delay, () => part(0));
  };

  const onData = (chunk: Buffer): void => {
    for (const b of chunk) buf.push(b);
    if (silence) clearTimeout(silence);
    silence = null;
    for (;;) {
      const need = expectedLength(buf);
      if (need === 0 || buf.length < need) break;
      serve(new Uint8Array(buf.splice(0, need)));
    }
    if (buf.length > 0) {
      silence = setTimeout(() => {
        silence = null;
        const rest = new Uint8Array(buf);
        buf = [];
        if (!closed) serve(rest);
      }, opts.silenceMs || 50);
    }
  };

  return new Promise((resolve, reject) => {
    port.open((err) => {
      if (err) {
        reject(err);
        return;
      }
      port.on('data', onData);
      resolve(bridge);
    });
  });
}
