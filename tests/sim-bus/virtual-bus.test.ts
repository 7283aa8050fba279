import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineSettings, wireTimeMs } from '../../hal/serial';
import { h, L8E1_2400, L8N1_2400, L8N1_9600, listen, setup } from './helpers';

const frame20 = h('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16');

describe('virtual RS485 bus: wire time', () => {
  it('a 20-byte frame at 2400 8E1 takes 20 x 11 / 2400 s, byte by byte', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400, 'master');
    const meter = listen(clock, bus, L8E1_2400, 'meter');
    expect(frame20.length).toBe(20);
    let doneAt = -1;
    expect(master.port.write(frame20, () => (doneAt = clock.now()))).toBe(true);
    expect(master.port.bitsPerChar()).toBe(11);
    clock.advance(1000);
    expect(doneAt).toBeCloseTo((20 * 11 * 1000) / 2400, 9);
    expect(doneAt).toBeCloseTo(wireTimeMs(L8E1_2400, 20), 9);
    expect(Array.from(meter.take())).toEqual(Array.from(frame20));
    expect(master.bytes.length).toBe(0); // the talker does not hear itself
  });

  it('every byte arrives when its stop bit ends, so a receiver can measure silences', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8N1_9600);
    const meter = listen(clock, bus, L8N1_9600, 'meter');
    clock.advance(5);
    master.port.write(frame20);
    clock.advance(100);
    const charMs = (10 * 1000) / 9600;
    meter.times.forEach((t, k) => expect(t).toBeCloseTo(5 + (k + 1) * charMs, 9));
    expect(meter.slices.every((s) => s.length === 1)).toBe(true);
  });

  it('refuses a write while the previous one is on the wire, and sends nothing for it', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400);
    const meter = listen(clock, bus, L8E1_2400, 'meter');
    let done = 0;
    expect(master.port.write(h('01 02 03'), () => done++)).toBe(true);
    clock.advance(10);
    expect(master.port.write(h('AA BB'))).toBe(false);
    clock.advance(3.74); // 3 x 4.583 = 13.75 ms
    expect(done).toBe(0);
    expect(master.port.write(h('AA BB'))).toBe(false);
    clock.advance(0.02);
    expect(done).toBe(1);
    expect(master.port.write(h('04'), () => done++)).toBe(true);
    clock.advance(100);
    expect(done).toBe(2);
    expect(Array.from(meter.take())).toEqual([1, 2, 3, 4]);
    expect(bus.wire.length).toBe(2);
  });

  it('a write from inside done goes out back to back', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400);
    const meter = listen(clock, bus, L8E1_2400, 'meter');
    let second = false;
    master.port.write(h('01 02'), () => {
      second = master.port.write(h('03 04'));
    });
    clock.advance(100);
    expect(second).toBe(true);
    expect(bus.collisions).toBe(0);
    expect(Array.from(meter.take())).toEqual([1, 2, 3, 4]);
  });

  it('hands bytes over in slices when asked, a partial slice after an idle character', () => {
    const { clock, bus } = setup({ sliceBytes: 8 });
    const master = listen(clock, bus, L8N1_9600);
    const meter = listen(clock, bus, L8N1_9600, 'meter');
    master.port.write(frame20);
    clock.advance(100);
    expect(meter.slices.map((s) => s.length)).toEqual([8, 8, 4]);
    const charMs = (10 * 1000) / 9600;
    expect(meter.times[19]).toBeCloseTo(21 * charMs, 9); // 20 characters + 1 idle
    expect(Array.from(meter.take())).toEqual(Array.from(frame20));
  });

  it('two talkers at once: a collision is counted and the bytes are garbled', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400);
    const meterA = listen(clock, bus, L8E1_2400, 'meterA');
    const sniffer = listen(clock, bus, L8E1_2400, 'sniffer');
    const a = h('68 01 00 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16');
    const b = h('68 02 00 00 00 00 00 68 91 08 33 33 34 33 5C 36 33 33 90 16');
    meterA.port.write(a);
    clock.advance(10.3); // mid-character of the first talker
    const other = bus.attach(Object.assign({ name: 'meterB', onData: () => undefined }, L8E1_2400));
    expect(other.write(b)).toBe(true);
    clock.advance(500);
    expect(bus.collisions).toBe(1);
    const got = Array.from(sniffer.take());
    expect(got).not.toEqual(Array.from(a));
    expect(got).not.toEqual(Array.from(b));
    expect(got.slice(0, 2)).toEqual([0x68, 0x01]); // before the second talker began
    expect(sniffer.port.rxErrors).toBeGreaterThan(0);
    expect(master.bytes.length).toBe(got.length);
  });

  it('a talker keyed during a reception stops hearing it (receiver off while driving)', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400);
    const meter = listen(clock, bus, L8E1_2400, 'meter');
    meter.port.write(h('01 02 03 04 05 06 07 08 09 0A'));
    clock.advance(20);
    master.port.write(h('FF'));
    clock.advance(200);
    expect(bus.collisions).toBe(1);
    expect(master.bytes.length).toBeLessThan(10);
  });

  it('baud mismatch between master and meter is garbage', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8N1_9600);
    const meter = listen(clock, bus, L8E1_2400, 'meter');
    master.port.write(frame20);
    clock.advance(500);
    const got = Array.from(meter.take());
    expect(got).not.toEqual(Array.from(frame20));
    expect(got.length).toBeLessThan(20);
    expect(bus.collisions).toBe(0);
  });

  it('parity mismatch (8N1 master, 8E1 meter) is garbage with parity and framing errors', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8N1_2400);
    const meter = listen(clock, bus, L8E1_2400, 'meter');
    master.port.write(frame20);
    clock.advance(500);
    const got = Array.from(meter.take());
    expect(got).not.toEqual(Array.from(frame20));
    expect(meter.port.rxErrors).toBeGreaterThan(0);
  });

  it('the bit-level UART agrees with the wire where a real one would: 8N2 read as 8N1, 8E1 read as 8N1', () => {
    const cases: [LineSettings, LineSettings][] = [
      [{ baud: 9600, dataBits: 8, parity: 'none', stopBits: 2 }, L8N1_9600],
      [{ baud: 9600, dataBits: 8, parity: 'even', stopBits: 1 }, L8N1_9600],
      [{ baud: 1200, dataBits: 8, parity: 'odd', stopBits: 1 }, { baud: 1200, dataBits: 8, parity: 'none', stopBits: 2 }],
    ];
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 2 }), (data, k) => {
        const [tx, rx] = cases[k];
        const { clock, bus } = setup();
        const master = listen(clock, bus, tx);
        const meter = listen(clock, bus, rx, 'meter');
        master.port.write(data);
        clock.advance(1000);
        expect(Array.from(meter.take())).toEqual(Array.from(data));
      }),
      { numRuns: 60 },
    );
  });

  it('matching settings deliver every byte unchanged (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom(1200, 2400, 4800, 9600, 19200), (data, baud) => {
        const { clock, bus } = setup();
        const line: LineSettings = { baud: baud, dataBits: 8, parity: 'even', stopBits: 1 };
        const master = listen(clock, bus, line);
        const meter = listen(clock, bus, line, 'meter');
        let done = -1;
        master.port.write(data, () => (done = clock.now()));
        clock.advance(2000);
        expect(done).toBeCloseTo((data.length * 11 * 1000) / baud, 6);
        expect(Array.from(meter.take())).toEqual(Array.from(data));
      }),
      { numRuns: 50 },
    );
  });

  it('a closed port neither hears nor calls done', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400);
    const meter = listen(clock, bus, L8E1_2400, 'meter');
    let done = 0;
    master.port.write(h('01 02 03'), () => done++);
    meter.port.close();
    master.port.close();
    clock.advance(100);
    expect(done).toBe(0);
    expect(meter.bytes.length).toBe(0);
    expect(master.port.write(h('01'))).toBe(false);
  });
});
