// hal/espruino/ against stubs of the board globals. The modules are imported through a
// non-literal path: they are typed for @types/espruino (tsconfig.espruino.json), not Node.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { wireTimeMs } from '../../hal/serial';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const load = (name: string): Promise<Any> => import('../../hal/espruino/' + name);

let log: string[];
let pins: { [p: string]: number };
let nowS: number;
let watchFn: ((e: { time: number }) => void) | null;
const g = globalThis as Any;
const saved: { [k: string]: unknown } = {};
const STUBS = ['digitalWrite', 'digitalRead', 'pinMode', 'setWatch', 'clearWatch', 'getTime', 'E'];

beforeEach(() => {
  log = [];
  pins = {};
  nowS = 100;
  watchFn = null;
  for (const k of STUBS) saved[k] = g[k];
  g.digitalWrite = (p: string, v: number) => {
    pins[p] = v ? 1 : 0;
    log.push('dw ' + p + '=' + (v ? 1 : 0));
  };
  g.digitalRead = (p: string) => pins[p] || 0;
  g.pinMode = (p: string, m: string) => log.push('mode ' + p + ' ' + m);
  g.setWatch = (fn: (e: { time: number }) => void, p: string, o: object) => {
    watchFn = fn;
    log.push('watch ' + p + ' ' + JSON.stringify(o));
    return 'W1';
  };
  g.clearWatch = (id: unknown) => log.push('clearWatch ' + id);
  g.getTime = () => nowS;
  g.E = { enableWatchdog: (s: number, a: boolean) => log.push('wdt ' + s + ' ' + a), kickWatchdog: () => log.push('kick') };
});

afterEach(() => {
  for (const k of STUBS) g[k] = saved[k];
  vi.useRealTimers();
});

function fakeUart() {
  const u: Any = { sent: [] as number[][], listeners: [] as ((s: string) => void)[] };
  u.setup = (baud: number, o: object) => log.push('setup ' + baud + ' ' + JSON.stringify(o));
  u.on = (_ev: string, fn: (s: string) => void) => u.listeners.push(fn);
  u.write = (b: Uint8Array) => u.sent.push(Array.from(b));
  u.removeAllListeners = () => (u.listeners = []);
  return u;
}

describe('EspruinoSerialPort (RS485)', () => {
  it('sets up the line, holds DE for the frame plus two characters, refuses to overlap', async () => {
    vi.useFakeTimers();
    const { EspruinoSerialPort } = await load('serial');
    const uart = fakeUart();
    const got: number[][] = [];
    const line = { baud: 2400, dataBits: 8 as const, parity: 'even' as const, stopBits: 1 as const };
    const port = new EspruinoSerialPort(uart, { tx: 'A2', rx: 'A3', de: 'A1' }, { ...line, onData: (b: Uint8Array) => got.push(Array.from(b)) });
    // only what differs from the UART's defaults: Espruino keeps the options on the port for good
    expect(log).toContain('setup 2400 {"tx":"A2","rx":"A3","parity":"e"}');
    expect(port.bitsPerChar()).toBe(11);
    let done = 0;
    const frame = new Uint8Array([0x68, 1, 2, 3, 0x16]);
    expect(port.write(frame, () => done++)).toBe(true);
    expect(pins.A1).toBe(1);
    expect(uart.sent).toEqual([[0x68, 1, 2, 3, 0x16]]);
    expect(port.write(frame)).toBe(false); // still on the wire
    const hold = wireTimeMs(line, frame.length + 2); // 7 chars x 11 bits at 2400 baud
    vi.advanceTimersByTime(Math.floor(hold) - 1);
    expect(pins.A1).toBe(1);
    vi.advanceTimersByTime(2);
    expect(pins.A1).toBe(0);
    expect(done).toBe(1);
    expect(port.write(frame)).toBe(true);
    uart.listeners[0]('\x68\xff\x00');
    expect(got).toEqual([[0x68, 0xff, 0x00]]);
    // A Modbus meter on the same wire: the UART is set again, the listener stays, DE is held
    // for the new line's character time.
    vi.advanceTimersByTime(Math.ceil(hold) + 1);
    port.setLine({ baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
    expect(log[log.length - 1]).toBe('setup 9600 {"tx":"A2","rx":"A3"}');
    expect(port.bitsPerChar()).toBe(10);
    expect(uart.listeners.length).toBe(1);
    expect(port.write(frame)).toBe(true);
    vi.advanceTimersByTime(Math.floor(wireTimeMs({ baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 }, frame.length + 2)) + 1);
    expect(pins.A1).toBe(0);
    port.setLine({ baud: 1200, dataBits: 7, parity: 'odd', stopBits: 2 });
    expect(log[log.length - 1]).toBe('setup 1200 {"tx":"A2","rx":"A3","bytesize":7,"parity":"o","stopbits":2}');
    port.close();
    expect(uart.listeners).toEqual([]);
  });
});

describe('watchPulses', () => {
  it('watches rising edges with debounce and reports edge times in Clock ms, dropping bounces', async () => {
    const { EspruinoClock } = await load('clock');
    const { watchPulses } = await load('pulse');
    const clock = new EspruinoClock(); // base = getTime() = 100 s
    const at: number[] = [];
    const p = watchPulses('B13', { debounceMs: 20, onPulse: (t: number) => at.push(t) }, clock);
    expect(log).toContain('mode B13 input_pulldown');
    expect(log).toContain('watch B13 {"repeat":true,"edge":"rising","debounce":20}');
    watchFn!({ time: 100.5 });
    watchFn!({ time: 100.51 }); // 10 ms later: a bounce
    watchFn!({ time: 101 });
    expect(at.map(Math.round)).toEqual([500, 1000]);
    p.close();
    p.close();
    expect(log.filter((l) => l.startsWith('clearWatch'))).toEqual(['clearWatch W1']);
  });
});

describe('EspruinoClock', () => {
  it('never runs backwards when getTime() is set back, and ignores unknown timer handles', async () => {
    const { EspruinoClock } = await load('clock');
    const c = new EspruinoClock();
    nowS = 105;
    expect(Math.round(c.now())).toBe(5000);
    nowS = 50; // setTime() moved the clock back
    expect(Math.round(c.now())).toBe(5000);
    nowS = 51;
    expect(Math.round(c.now())).toBe(6000);
    const savedClear = g.clearTimeout;
    g.clearTimeout = () => {
      throw new Error('Unknown Timeout');
    };
    try {
      expect(() => c.cancel(12345)).not.toThrow();
    } finally {
      g.clearTimeout = savedClear;
    }
  });
});

describe('EspruinoRelayOutput', () => {
  it('drives an active-low coil and reads the level back, or the feedback contact', async () => {
    const { EspruinoRelayOutput } = await load('relay');
    const r = new EspruinoRelayOutput('A5', false);
    r.set(true);
    expect(pins.A5).toBe(0);
    expect(r.read()).toBe(true);
    r.set(false);
    expect(pins.A5).toBe(1);
    expect(r.read()).toBe(false);
    const f = new EspruinoRelayOutput('A6', true, 'B0');
    f.set(true);
    expect(f.read()).toBe(false); // contact did not follow: the feedback says so
    pins.B0 = 1;
    expect(f.read()).toBe(true);
  });
});

describe('EspruinoI2cBus', () => {
  it('sends an address and its data in one writeTo (Espruino sends every data argument in one transaction)', async () => {
    const { EspruinoI2cBus } = await load('i2c');
    const sent: unknown[][] = [];
    const bus = { setup: () => undefined, writeTo: (...a: unknown[]) => sent.push(a), readFrom: (_a: number, n: number) => new Uint8Array(n) };
    const i2c = new EspruinoI2cBus(bus, 'B8', 'B9', 100000);
    const ptr = new Uint8Array([1, 2]);
    const data = new Uint8Array([3, 4, 5]);
    expect(i2c.writeTo(0x50, ptr, data).ok).toBe(true);
    expect(i2c.writeTo(0x50, ptr).ok).toBe(true);
    expect(sent).toEqual([
      [0x50, ptr, data],
      [0x50, ptr],
    ]);
  });

  it('turns thrown bus errors into values', async () => {
    const { EspruinoI2cBus } = await load('i2c');
    let mode = 'ok';
    const bus = {
      setup: (o: object) => log.push('i2c ' + JSON.stringify(o)),
      writeTo: () => {
        if (mode === 'timeout') throw new Error('I2C Error: Timeout (start)');
        if (mode === 'nack') throw new Error('I2C Error: Got NACK');
      },
      readFrom: (_a: number, n: number) => {
        if (mode === 'timeout') throw new Error('I2C Error: Timeout (start)');
        return new Uint8Array(mode === 'short' ? n - 1 : n);
      },
    };
    const i2c = new EspruinoI2cBus(bus, 'B8', 'B9', 100000);
    expect(log).toContain('i2c {"scl":"B8","sda":"B9","bitrate":100000}');
    expect(i2c.writeTo(0x50, new Uint8Array([0, 0]))).toEqual({ ok: true, value: true });
    expect(i2c.readFrom(0x68, 7).ok).toBe(true);
    mode = 'timeout';
    expect(i2c.writeTo(0x50, new Uint8Array([0]))).toMatchObject({ ok: false, error: 'timeout' });
    expect(i2c.readFrom(0x68, 7)).toMatchObject({ ok: false, error: 'timeout' });
    mode = 'nack';
    expect(i2c.writeTo(0x50, new Uint8Array([0]))).toMatchObject({ ok: false, error: 'nack' });
    mode = 'short';
    expect(i2c.readFrom(0x68, 7)).toMatchObject({ ok: false, error: 'short' });
  });
});

describe('startWatchdog', () => {
  it('enables the watchdog without auto-kick and kicks it', async () => {
    const { startWatchdog } = await load('watchdog');
    const kick = startWatchdog(10);
    kick();
    expect(log).toEqual(['wdt 10 false', 'kick']);
  });
});
