// A scenario's virtual meters (DL/T 645 and Modbus, from sim/bus-rig.ts) answering on a real
// serial device (one end of a socat pty pair) in real time: the firmware running on the
// Espruino interpreter polls them through its own RS485 UART as it would a cabinet's meters.
// A pty has neither baud rate nor silences worth trusting, so requests are framed by their
// content (DL/T 645 by its length byte, Modbus by its function code) with a silence as a
// backstop, and each is offered to every meter: the one it addresses answers. Every reading
// that went back is recorded (the time in the unit's seconds, the registers), so a run can be
// billed again in Node and compared.
import { SerialPort as NodeSerialPort } from 'serialport';
import { realClock } from './pty-bridge';
import { BusRig, RigMeter } from './bus-rig';
import { Load } from './load-profile';
import { mulberry32 } from './prng';
import { Scenario } from './scenario';

/** One reply that carried an energy register: meter index, unit time (s), the value read. */
export interface RecordedReading {
  meter: number;
  time: number;
  di: string;
  reply: Uint8Array;
}

/** The meters on the device, running. */
export interface PtyMeters {
  rig: BusRig;
  requests: number;
  replies: number;
  /** Requests of each meter index (scenario order) answered, and bytes seen that no meter took. */
  answered: number[];
  ignored: number;
  /** Set to stop answering (the meters fall silent; a soak ends its readings so). */
  mute: boolean;
  /** Every request and the reply it got, in order (tests decode them). */
  log: { meter: number; t: number; req: Uint8Array; reply: Uint8Array }[];
  close(): Promise<void>;
}

/** Bytes a frame at the start of b needs in all (0: not known yet), for either protocol. */
function frameLength(b: number[]): number {
  let i = 0;
  while (i < b.length && b[i] === 0xfe) i++;
  if (i < b.length && b[i] === 0x68) return b.length >= i + 10 ? i + 12 + b[i + 9] : 0;
  if (i > 0) return 0;
  if (b.length < 2) return 0;
  const fc = b[1];
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 0x0f || fc === 0x10) return b.length >= 7 ? 9 + b[6] : 0;
  return 1; // nothing we know: drop a byte
}

/** Opens `path` and serves the scenario's bus meters on it until closed. `log` keeps every
 *  exchange (for comparisons; off for long soaks). */
export function servePtyMeters(sc: Scenario, path: string, o: { log?: boolean; replyDelayMs?: number } = {}): Promise<PtyMeters> {
  const clock = realClock();
  const loads = sc.loads.map((spec, i) => new Load(spec, mulberry32(sc.seed * 7919 + i + 1)));
  const rig = new BusRig(clock, sc, loads, () => sc.start + Math.floor(clock.now() / 1000), () => -1);
  const port = new NodeSerialPort({ path, baudRate: 9600, autoOpen: false });
  let buf: number[] = [];
  let silence: NodeJS.Timeout | null = null;
  let closed = false;
  const index = new Map<RigMeter, number>();
  rig.byScenario.forEach((m, i) => m && index.set(m, i));
  const me: PtyMeters = {
    rig,
    requests: 0,
    replies: 0,
    answered: sc.meterNames.map(() => 0),
    ignored: 0,
    mute: false,
    log: [],
    close(): Promise<void> {
      closed = true;
      if (silence) clearTimeout(silence);
      clock.stop();
      return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    },
  };
  const serve = (frame: Uint8Array): void => {
    if (me.mute) return;
    me.requests++;
    for (const m of rig.meters) {
      const v = m.dlt || m.modbus;
      if (!v) continue;
      const r = v.respond(frame);
      if (!r) continue;
      const k = index.get(m) as number;
      me.answered[k]++;
      me.replies++;
      if (o.log) me.log.push({ meter: k, t: clock.now(), req: frame, reply: r });
      const send = () => !closed && port.write(Buffer.from(r));
      if (o.replyDelayMs) setTimeout(send, o.replyDelayMs);
      else send();
      return;
    }
    me.ignored++;
  };
  const onData = (chunk: Buffer): void => {
    for (const b of chunk) buf.push(b);
    if (silence) clearTimeout(silence);
    silence = null;
    for (;;) {
      const need = frameLength(buf);
      if (need === 0 || buf.length < need) break;
      serve(new Uint8Array(buf.splice(0, need)));
    }
    if (buf.length > 0) {
      silence = setTimeout(() => {
        silence = null;
        buf = [];
      }, 100);
    }
  };
  return new Promise((resolve, reject) => {
    port.open((err) => {
      if (err) return reject(err);
      port.on('data', onData);
      resolve(me);
    });
  });
}
