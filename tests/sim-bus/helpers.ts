// Small helpers for the virtual bus tests: hex frames and a master port that records arrivals.
import { LineSettings } from '../../hal/serial';
import { VirtualClock } from '../../sim/virtual-clock';
import { BusOptions, BusPort, VirtualBus } from '../../sim/virtual-bus';

/** Bytes from a hex string like '68 61 01'. */
export function h(s: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.substr(2 * i, 2), 16);
  return out;
}

/** Hex string of bytes, upper case, space separated. */
export function hx(b: Uint8Array | number[]): string {
  return Array.prototype.map.call(b, (x: number) => (x < 16 ? '0' : '') + x.toString(16).toUpperCase()).join(' ');
}

export const L8E1_2400: LineSettings = { baud: 2400, dataBits: 8, parity: 'even', stopBits: 1 };
export const L8N1_9600: LineSettings = { baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
export const L8N1_2400: LineSettings = { baud: 2400, dataBits: 8, parity: 'none', stopBits: 1 };

/** A port on the bus that keeps every byte it receives with its arrival time. */
export interface Listener {
  port: BusPort;
  bytes: number[];
  times: number[];
  slices: Uint8Array[];
  take(): Uint8Array;
}

export function listen(clock: VirtualClock, bus: VirtualBus, line: LineSettings, name = 'master'): Listener {
  const l: Listener = {
    port: undefined as unknown as BusPort,
    bytes: [],
    times: [],
    slices: [],
    take() {
      const out = new Uint8Array(l.bytes);
      l.bytes = [];
      l.times = [];
      return out;
    },
  };
  l.port = bus.attach(
    Object.assign(
      {
        name: name,
        onData: (b: Uint8Array) => {
          l.slices.push(b);
          for (const x of b) {
            l.bytes.push(x);
            l.times.push(clock.now());
          }
        },
      },
      line,
    ),
  );
  return l;
}

export function setup(opts?: BusOptions): { clock: VirtualClock; bus: VirtualBus } {
  const clock = new VirtualClock();
  return { clock: clock, bus: new VirtualBus(clock, opts) };
}

/** DL/T 645 checksum + end byte appended (written here, apart from the meter, for building requests). */
export function dltClose(body: number[]): Uint8Array {
  let cs = 0;
  for (const b of body) cs = (cs + b) & 0xff;
  return new Uint8Array(body.concat([cs, 0x16]));
}
