// hal/ds3231.ts against hand-built register vectors and the virtual chip of sim/virtual-rtc.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ds3231 } from '../../hal/ds3231';
import { I2cBus } from '../../hal/i2c';
import { Result, ok } from '../../hal/result';
import { VirtualI2cBus } from '../../sim/virtual-i2c';
import { VirtualDs3231 } from '../../sim/virtual-rtc';
import { StorageRig } from '../../sim/storage-rig';

const Y2000 = 946684800;
const Y2100 = 4102444800;

function rig(startEpoch?: number, ppm?: number) {
  const clock = { t: 0 };
  const bus = new VirtualI2cBus();
  const chip = new VirtualDs3231({ now: () => clock.t, startEpoch: startEpoch, ppm: ppm });
  bus.attach(0x68, chip);
  return { clock, bus, chip, rtc: new Ds3231(bus) };
}

/** A bus with a DS3231 whose registers 0x00..0x0F are fixed (status defaults to 0). */
function fixedRegs(time: number[], status?: number): Ds3231 {
  const regs = new Uint8Array(16);
  regs.set(time, 0);
  regs[15] = status || 0;
  let ptr = 0;
  const bus: I2cBus = {
    writeTo: (_a: number, b: Uint8Array): Result<true> => {
      ptr = b[0];
      return ok(true);
    },
    readFrom: (_a: number, n: number): Result<Uint8Array> => ok(regs.slice(ptr, ptr + n)),
  };
  return new Ds3231(bus);
}

const bcd = (n: number): number => ((n / 10) << 4) | n % 10;

/** Registers 0x00..0x06 for a UTC time, computed from Date (24-hour mode, 1 = Sunday). */
function regsOf(epoch: number): number[] {
  const d = new Date(epoch * 1000);
  return [bcd(d.getUTCSeconds()), bcd(d.getUTCMinutes()), bcd(d.getUTCHours()), d.getUTCDay() + 1, bcd(d.getUTCDate()), bcd(d.getUTCMonth() + 1), bcd(d.getUTCFullYear() % 100)];
}

// Hand-made from the datasheet's register map (00h seconds .. 06h year, BCD, 1 = Sunday).
const VECTORS: [string, number, number[]][] = [
  ['2024-02-29 23:59:58 (Thursday, leap day)', 1709251198, [0x58, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24]],
  ['2000-01-01 00:00:00 (Saturday)', 946684800, [0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00]],
  ['2099-12-31 23:59:59 (Thursday)', 4102444799, [0x59, 0x59, 0x23, 0x05, 0x31, 0x12, 0x99]],
  ['2038-01-19 03:14:08 (Tuesday, past 2^31)', 2147483648, [0x08, 0x14, 0x03, 0x03, 0x19, 0x01, 0x38]],
];

describe('Ds3231: published register contents', () => {
  for (const [name, epoch, regs] of VECTORS) {
    it(name + ': set() writes these registers, read() decodes them', () => {
      const { bus, chip, rtc } = rig(Y2000);
      bus.trace = [];
      expect(rtc.set(epoch)).toEqual(ok(true));
      const writes = bus.trace.filter((t) => t.op === 'write');
      expect(Array.from(writes[0].bytes)).toEqual([0x00, ...regs]);
      expect(Array.from(writes[writes.length - 1].bytes)).toEqual([0x0f, 0x08]); // OSF cleared, EN32kHz kept
      expect(Array.from(chip.registers().subarray(0, 7))).toEqual(regs);
      expect(rtc.read()).toEqual(ok({ epochSeconds: epoch, valid: true }));
      expect(fixedRegs(regs).read()).toEqual(ok({ epochSeconds: epoch, valid: true }));
    });
  }

  it('read() is one pointer write and one 16-byte burst (time consistent, status included)', () => {
    const { bus, rtc } = rig(1709251198);
    bus.trace = [];
    rtc.read();
    expect(bus.trace.map((t) => t.op + ' ' + t.bytes.length)).toEqual(['write 1', 'read 16']);
    expect(bus.trace[0].bytes[0]).toBe(0);
  });
});

describe('Ds3231: decoding', () => {
  it('12-hour mode: 12 AM is 00, 12 PM is 12, 11 PM is 23', () => {
    const day = [0x30, 0x15]; // 15 minutes 30 seconds
    const date = [0x02, 0x15, 0x06, 0x24]; // Monday 2024-06-15 (weekday is not used)
    const base = Date.UTC(2024, 5, 15) / 1000 + 15 * 60 + 30;
    const cases: [number, number][] = [
      [0x52, 0], // 12 AM
      [0x41, 1], // 1 AM
      [0x49, 9],
      [0x51, 11], // 11 AM
      [0x72, 12], // 12 PM
      [0x61, 13], // 1 PM
      [0x69, 21],
      [0x71, 23], // 11 PM
    ];
    for (const [h, hour] of cases) {
      expect(fixedRegs([...day, h, ...date]).read()).toEqual(ok({ epochSeconds: base + hour * 3600, valid: true }));
    }
    // 24-hour mode for comparison.
    expect(fixedRegs([...day, 0x23, ...date]).read()).toEqual(ok({ epochSeconds: base + 23 * 3600, valid: true }));
  });

  it('12-hour mode on the virtual chip: written in 12 h, read back and kept in 12 h', () => {
    const { clock, bus, chip, rtc } = rig(Y2000);
    // 2024-06-15 11:59:59 PM, written the way a 12-hour-mode library would.
    expect(bus.writeTo(0x68, new Uint8Array([0x00, 0x59, 0x59, 0x40 | 0x20 | 0x11, 0x07, 0x15, 0x06, 0x24])).ok).toBe(true);
    const t = Date.UTC(2024, 5, 15, 23, 59, 59) / 1000;
    expect(rtc.read()).toEqual(ok({ epochSeconds: t, valid: true }));
    clock.t += 1000;
    expect(Array.from(chip.registers().subarray(0, 7))).toEqual([0x00, 0x00, 0x52, 0x01, 0x16, 0x06, 0x24]); // 12 AM, Sunday 16th
    expect(rtc.read()).toEqual(ok({ epochSeconds: t + 1, valid: true }));
    // set() puts the chip back into 24-hour mode.
    rtc.set(t + 3600);
    expect(chip.registers()[2]).toBe(0x00);
  });

  it('the century bit adds 100 years: the chip rolls 2099-12-31 into 2100', () => {
    const { clock, chip, rtc } = rig(Y2100 - 1);
    clock.t += 1000;
    expect(Array.from(chip.registers().subarray(4, 7))).toEqual([0x01, 0x81, 0x00]);
    expect(rtc.read()).toEqual(ok({ epochSeconds: Y2100, valid: true }));
  });

  it('impossible register contents fail as corrupt', () => {
    const good = [0x00, 0x00, 0x12, 0x01, 0x15, 0x06, 0x24];
    const bad: [number, number][] = [
      [0, 0x5a], // not BCD
      [0, 0x60], // 60 seconds
      [1, 0x60],
      [2, 0x24], // 24 h
      [2, 0x40], // 12-hour mode, hour 0
      [2, 0x53], // 12-hour mode, hour 13
      [4, 0x00],
      [4, 0x31], // 31 June
      [5, 0x00],
      [5, 0x13],
      [6, 0xa0],
    ];
    for (const [i, v] of bad) {
      const regs = good.slice();
      regs[i] = v;
      expect(fixedRegs(regs).read(), i + '=' + v.toString(16)).toMatchObject({ ok: false, error: 'corrupt' });
    }
    expect(fixedRegs([0, 0, 0, 1, 0x29, 0x02, 0x23]).read()).toMatchObject({ ok: false, error: 'corrupt' }); // 2023 is not leap
    expect(fixedRegs([0, 0, 0, 1, 0x29, 0x02, 0x24]).read().ok).toBe(true);
  });

  it('BCD round trip over random times 2000..2099: set, registers as Date says, read back', () => {
    const { chip, rtc } = rig(Y2000);
    fc.assert(
      fc.property(fc.integer({ min: Y2000, max: Y2100 - 1 }), (epoch) => {
        expect(rtc.set(epoch).ok).toBe(true);
        expect(Array.from(chip.registers().subarray(0, 7))).toEqual(regsOf(epoch));
        expect(rtc.read()).toEqual(ok({ epochSeconds: epoch, valid: true }));
        expect(fixedRegs(regsOf(epoch)).read()).toEqual(ok({ epochSeconds: epoch, valid: true }));
      }),
      { numRuns: 2000 },
    );
  });

  it('12-hour round trip over random times: a 12 h register image decodes to the same instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Y2000, max: Y2100 - 1 }), (epoch) => {
        const r = regsOf(epoch);
        const h = new Date(epoch * 1000).getUTCHours();
        r[2] = 0x40 | (h >= 12 ? 0x20 : 0) | bcd(h % 12 === 0 ? 12 : h % 12);
        expect(fixedRegs(r).read()).toEqual(ok({ epochSeconds: epoch, valid: true }));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('Ds3231: validity, drift, battery', () => {
  it('OSF set (a fresh chip) reads as not valid; set() clears OSF and keeps EN32kHz', () => {
    const { chip, rtc } = rig();
    expect(chip.registers()[0x0f]).toBe(0x88);
    expect(rtc.read()).toEqual(ok({ epochSeconds: Y2000, valid: false }));
    expect(rtc.set(1709251198).ok).toBe(true);
    expect(chip.registers()[0x0f]).toBe(0x08);
    expect(rtc.read()).toEqual(ok({ epochSeconds: 1709251198, valid: true }));
    expect(fixedRegs(regsOf(1709251198), 0x80).read()).toEqual(ok({ epochSeconds: 1709251198, valid: false }));
  });

  it('set() clears only OSF: the alarm flags survive the read-modify-write', () => {
    let status = 0x8b; // OSF, EN32kHz, A2F, A1F
    let ptr = 0;
    const log: string[] = [];
    const bus: I2cBus = {
      writeTo: (_a: number, b: Uint8Array): Result<true> => {
        log.push(Array.from(b, (x) => x.toString(16)).join(' '));
        ptr = b[0];
        if (b[0] === 0x0f && b.length === 2) status = b[1];
        return ok(true);
      },
      readFrom: (_a: number, n: number): Result<Uint8Array> => ok(new Uint8Array(n).fill(ptr === 0x0f ? status : 0)),
    };
    expect(new Ds3231(bus).set(1709251198).ok).toBe(true);
    expect(status).toBe(0x0b);
    expect(log).toEqual(['0 58 59 23 5 29 2 24', 'f', 'f b']);
  });

  it('set() restarts the countdown at a whole second', () => {
    const { clock, rtc } = rig(Y2000);
    clock.t = 600; // 0.6 s into a second
    rtc.set(1709251198);
    clock.t = 1599;
    expect(rtc.read()).toEqual(ok({ epochSeconds: 1709251198, valid: true }));
    clock.t = 1600;
    expect(rtc.read()).toEqual(ok({ epochSeconds: 1709251199, valid: true }));
  });

  it('drift: after 1e6 virtual seconds at +20 ppm the chip is 20 s ahead (and -20 ppm 20 s behind)', () => {
    const fast = rig(1700000000, 20);
    fast.clock.t = 1e9;
    expect(fast.rtc.read()).toEqual(ok({ epochSeconds: 1700000000 + 1e6 + 20, valid: true }));
    const slow = rig(1700000000, -20);
    slow.clock.t = 1e9;
    expect(slow.rtc.read()).toEqual(ok({ epochSeconds: 1700000000 + 1e6 - 20, valid: true }));
    // Drift can change on the way (temperature): only the time after the change runs at the new rate.
    const both = rig(1700000000, 20);
    both.clock.t = 5e8;
    both.chip.setDrift(0);
    both.clock.t = 1e9;
    expect(both.chip.epochSeconds()).toBe(1700000000 + 1e6 + 10);
  });

  it('battery loss: OSF set, time back at 2000-01-01 00:00:00 and running; set() makes it valid again', () => {
    const { clock, chip, rtc } = rig(1709251198);
    clock.t = 5000;
    chip.loseBattery();
    expect(rtc.read()).toEqual(ok({ epochSeconds: Y2000, valid: false }));
    expect(Array.from(chip.registers().subarray(0, 7))).toEqual([0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00]);
    clock.t = 15500;
    expect(rtc.read()).toEqual(ok({ epochSeconds: Y2000 + 10, valid: false }));
    expect(rtc.set(1709251300).ok).toBe(true);
    expect(rtc.read()).toEqual(ok({ epochSeconds: 1709251300, valid: true }));
  });

  it('the weekday register counts on from whatever was written, turning at midnight', () => {
    const { clock, bus, chip, rtc } = rig(Y2000);
    rtc.set(Date.UTC(2024, 0, 1, 23, 59, 59) / 1000); // a Monday: 2
    expect(chip.registers()[3]).toBe(2);
    bus.writeTo(0x68, new Uint8Array([0x03, 0x07])); // an application that calls Monday 7
    clock.t += 1000;
    expect(chip.registers()[3]).toBe(1);
    expect(chip.registers()[0]).toBe(0x00);
  });
});

describe('Ds3231: errors', () => {
  it('times outside 2000..2099 and non-integers are refused with range, bus untouched', () => {
    const { bus, rtc } = rig(Y2000);
    bus.trace = [];
    for (const t of [Y2000 - 1, Y2100, 0, -1, 1709251198.5, NaN, Infinity]) {
      expect(rtc.set(t), String(t)).toMatchObject({ ok: false, error: 'range' });
    }
    expect(bus.trace).toHaveLength(0);
    expect(rtc.set(Y2000).ok).toBe(true);
    expect(rtc.set(Y2100 - 1).ok).toBe(true);
  });

  it('a missing or unpowered chip is a nack value, not an exception', () => {
    const { bus, rtc } = rig(Y2000);
    bus.powered = false;
    expect(() => rtc.read()).not.toThrow();
    expect(rtc.read()).toMatchObject({ ok: false, error: 'nack' });
    expect(rtc.set(1709251198)).toMatchObject({ ok: false, error: 'nack' });
    bus.powered = true;
    expect(rtc.read().ok).toBe(true);
    expect(new Ds3231(new VirtualI2cBus()).read()).toMatchObject({ ok: false, error: 'nack' });
    expect(new Ds3231(bus, 0x57).read()).toMatchObject({ ok: false, error: 'nack' });
  });
});

describe("the simulator's RTC: the driver read once per virtual instant (sim/storage-rig.ts InstantRtc)", () => {
  const T0 = 1767225600; // 2026-01-01T00:00:00Z

  function instant() {
    let t = 0;
    const r = new StorageRig({ now: () => t, startEpoch: T0 });
    const direct = r.rtc.driver;
    return { r, rtc: r.rtc, direct, at: (ms: number) => (t = ms) };
  }

  it('answers reads at one instant from the first, and reads again when the clock moves', () => {
    const { rtc, direct, at } = instant();
    const first = rtc.read();
    expect(first).toEqual({ ok: true, value: { epochSeconds: T0, valid: true } });
    for (let i = 0; i < 5; i++) expect(rtc.read()).toBe(first);
    expect(rtc.reads).toBe(1);
    at(1);
    expect(rtc.read()).toEqual(direct.read());
    expect(rtc.reads).toBe(2);
    at(61500);
    expect(rtc.read()).toEqual({ ok: true, value: { epochSeconds: T0 + 61, valid: true } });
  });

  it('reads again at the same instant after set(), a lost battery, a drift, a register written, the bus losing power', () => {
    const { r, rtc, direct } = instant();
    rtc.read();
    expect(rtc.set(T0 + 3600).ok).toBe(true);
    expect(rtc.read()).toEqual({ ok: true, value: { epochSeconds: T0 + 3600, valid: true } });
    r.clock.loseBattery();
    expect(rtc.read()).toEqual({ ok: true, value: { epochSeconds: Y2000, valid: false } });
    expect(direct.set(T0).ok).toBe(true); // straight to the chip, not through rtc
    expect(rtc.read()).toEqual({ ok: true, value: { epochSeconds: T0, valid: true } });
    r.clock.setDrift(50);
    const reads = rtc.reads;
    rtc.read();
    expect(rtc.reads).toBe(reads + 1);
    r.bus.powered = false;
    expect(rtc.read()).toMatchObject({ ok: false, error: 'nack' });
    expect(rtc.read()).toMatchObject({ ok: false, error: 'nack' });
    r.bus.powered = true;
    expect(rtc.read()).toEqual({ ok: true, value: { epochSeconds: T0, valid: true } });
    r.bus.detach(0x68);
    expect(rtc.read()).toMatchObject({ ok: false, error: 'nack' });
  });
});
