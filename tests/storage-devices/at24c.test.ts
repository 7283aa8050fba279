// hal/at24c.ts against the virtual chip of sim/virtual-eeprom.ts on the virtual I2C bus.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { At24c, At24cOptions } from '../../hal/at24c';
import { I2cBus } from '../../hal/i2c';
import { Result, fail, ok } from '../../hal/result';
import { VirtualAt24c, VirtualAt24cOptions } from '../../sim/virtual-eeprom';
import { VirtualI2cBus } from '../../sim/virtual-i2c';
import { StorageRig } from '../../sim/storage-rig';

const PARTS: { name: string; size: number; pageSize: number }[] = [
  { name: 'AT24C32', size: 4096, pageSize: 32 },
  { name: 'AT24C256', size: 32768, pageSize: 64 },
  { name: 'AT24C512', size: 65536, pageSize: 128 },
  { name: 'AT24CM01', size: 131072, pageSize: 256 },
  { name: 'AT24CM02', size: 262144, pageSize: 256 },
];

/** The chip at 0x50 and, above 64 KB, at each device address its address bits take. */
function rig(size: number, pageSize: number, chipOpts?: Partial<VirtualAt24cOptions>, drvOpts?: Partial<At24cOptions>) {
  const bus = new VirtualI2cBus();
  const chip = new VirtualAt24c({ size: size, pageSize: pageSize, ...chipOpts });
  for (let i = 0; i < chip.addresses; i++) bus.attach(0x50 + i, chip);
  const ee = new At24c(bus, { address: 0x50, size: size, pageSize: pageSize, writeMs: 5, ...drvOpts });
  return { bus, chip, ee };
}

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + 1) & 0xff;
  return b;
}

function pattern(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 13 + 5) & 0xff;
  return b;
}

/** The memory address a write transaction set: bits 16 and 17 from the device address (0x50..0x53). */
function addressOf(t: { address: number; bytes: Uint8Array }): number {
  return (t.address - 0x50) * 65536 + ((t.bytes[0] << 8) | t.bytes[1]);
}

/** The page writes (address + data) the bus carried, as [addr, len]. */
function pageWrites(bus: VirtualI2cBus): [number, number][] {
  return (bus.trace || []).filter((t) => t.op === 'write' && t.ack && t.bytes.length > 2).map((t) => [addressOf(t), t.bytes.length - 2]);
}

describe('At24c: page splitting', () => {
  for (const part of PARTS) {
    it(part.name + ' (' + part.pageSize + '-byte pages): no page write crosses a page boundary', () => {
      const ps = part.pageSize;
      const cases: [number, number][] = [
        [0, 1],
        [0, ps],
        [ps - 1, 2],
        [ps - 5, 10],
        [3 * ps + 7, ps],
        [ps + 1, 5 * ps + 3],
        [part.size - ps - 3, ps + 3],
      ];
      for (const [addr, len] of cases) {
        const { bus, chip, ee } = rig(part.size, part.pageSize);
        bus.trace = [];
        const data = bytes(len, addr);
        expect(ee.write(addr, data)).toEqual(ok(true));
        const pw = pageWrites(bus);
        let at = addr;
        for (const [a, n] of pw) {
          expect(a).toBe(at);
          expect(Math.floor(a / ps)).toBe(Math.floor((a + n - 1) / ps));
          at += n;
        }
        expect(at).toBe(addr + len);
        expect(pw.length).toBe(Math.floor((addr + len - 1) / ps) - Math.floor(addr / ps) + 1);
        expect(chip.pageWrites).toBe(pw.length);
        const mem = chip.snapshot();
        expect(Array.from(mem.subarray(addr, addr + len))).toEqual(Array.from(data));
        // Nothing else touched.
        expect(mem.subarray(0, addr).every((b) => b === 0xff)).toBe(true);
        expect(mem.subarray(addr + len).every((b) => b === 0xff)).toBe(true);
        const r = ee.read(addr, len);
        expect(r.ok && Array.from(r.value)).toEqual(Array.from(data));
      }
    });
  }

  it('a write spanning several pages lands whole and counts one cycle per page', () => {
    const { chip, ee } = rig(32768, 64);
    const data = bytes(300, 9);
    expect(ee.write(50, data).ok).toBe(true);
    expect(chip.pageWrites).toBe(6); // 50..63, 64..127, 128..191, 192..255, 256..319, 320..349
    expect(chip.bytesWritten).toBe(300);
    const r = ee.read(50, 300);
    expect(r.ok && Array.from(r.value)).toEqual(Array.from(data));
  });

  it('reads are split into chunks of at most 64 bytes', () => {
    const { bus, chip, ee } = rig(32768, 64);
    chip.restore(pattern(32768));
    bus.trace = [];
    const r = ee.read(100, 300);
    expect(r.ok && Array.from(r.value)).toEqual(Array.from(pattern(32768).subarray(100, 400)));
    const reads = bus.trace.filter((t) => t.op === 'read');
    expect(reads.every((t) => t.bytes.length <= 64)).toBe(true);
    expect(reads.reduce((s, t) => s + t.bytes.length, 0)).toBe(300);
  });

  it('zero-length reads and writes succeed without a transaction', () => {
    const { bus, ee } = rig(4096, 32);
    bus.trace = [];
    expect(ee.read(10, 0)).toEqual(ok(new Uint8Array(0)));
    expect(ee.write(4096, new Uint8Array(0))).toEqual(ok(true));
    expect(bus.trace).toHaveLength(0);
  });

  it('out-of-range or fractional addresses fail with range, without touching the bus', () => {
    const { bus, ee } = rig(4096, 32);
    bus.trace = [];
    expect(ee.read(-1, 4)).toMatchObject({ ok: false, error: 'range' });
    expect(ee.read(4090, 7)).toMatchObject({ ok: false, error: 'range' });
    expect(ee.read(1.5, 1)).toMatchObject({ ok: false, error: 'range' });
    expect(ee.write(4095, new Uint8Array(2))).toMatchObject({ ok: false, error: 'range' });
    expect(bus.trace).toHaveLength(0);
    expect(ee.write(4095, new Uint8Array(1)).ok).toBe(true);
  });
});

describe('At24c: write cycle, verification and bus errors', () => {
  it('acknowledge polling waits out a busy chip (NACKed polls counted)', () => {
    const { chip, ee } = rig(32768, 64, { busyPolls: 5 });
    expect(ee.write(60, bytes(10, 1)).ok).toBe(true); // two pages
    expect(chip.nacks).toBe(10);
  });

  it('a chip busy longer than the poll budget gives timeout', () => {
    const { ee } = rig(32768, 64, { busyPolls: 50 }, { pollTries: 10 });
    expect(ee.write(0, bytes(4, 1))).toMatchObject({ ok: false, error: 'timeout' });
  });

  it('time-based write cycle: wait() advances the virtual clock until the chip answers', () => {
    let t = 0;
    const waits: number[] = [];
    const { chip, ee } = rig(32768, 64, { busyPolls: 0, now: () => t, writeCycleMs: 5 }, {
      wait: (ms: number) => {
        waits.push(ms);
        t += ms;
      },
    });
    expect(ee.write(0, bytes(100, 2)).ok).toBe(true);
    expect(waits.length).toBe(10); // 5 per page, two pages
    expect(chip.nacks).toBe(10);
    // Without anyone advancing the clock the chip never finishes: timeout, not a hang.
    const stuck = rig(32768, 64, { busyPolls: 0, now: () => 0, writeCycleMs: 5 });
    expect(stuck.ee.write(0, bytes(3, 2))).toMatchObject({ ok: false, error: 'timeout' });
  });

  it('read-back verification catches a page the chip ACKed but did not program', () => {
    const { chip, ee } = rig(32768, 64);
    chip.failNextWrite();
    const r = ee.write(10, bytes(20, 3));
    expect(r).toMatchObject({ ok: false, error: 'verify' });
    expect(chip.pageWrites).toBe(0);
    expect(ee.write(10, bytes(20, 3)).ok).toBe(true); // only the next page was lost
  });

  it('verify: false (the simulator trusting its chip) writes the same pages without reading them back; a trusted chip refuses to lose a write', () => {
    const a = rig(4096, 32);
    const b = rig(4096, 32, {}, { verify: false });
    a.bus.trace = [];
    b.bus.trace = [];
    const data = bytes(150, 5);
    expect(a.ee.write(20, data).ok).toBe(true);
    expect(b.ee.write(20, data).ok).toBe(true);
    expect(Array.from(b.chip.snapshot())).toEqual(Array.from(a.chip.snapshot()));
    expect(pageWrites(b.bus)).toEqual(pageWrites(a.bus));
    expect(a.bus.trace.filter((t) => t.op === 'read').length).toBe(pageWrites(a.bus).length);
    expect(b.bus.trace.filter((t) => t.op === 'read').length).toBe(0);
    const rig2 = new StorageRig({ now: () => 0, part: 'AT24C32', trusted: true });
    expect(() => rig2.chip.failNextWrite()).toThrow(/trusted/);
    expect(() => new StorageRig({ now: () => 0, part: 'AT24C32' }).chip.failNextWrite()).not.toThrow();
  });

  it('verification names the first cell that differs, and the write stops at that page', () => {
    const { chip, ee } = rig(4096, 32);
    const data = bytes(70, 4);
    expect(ee.write(0, data.subarray(0, 1)).ok).toBe(true);
    chip.failNextWrite();
    // Page 0..31 is lost; cell 0 already holds data[0], so cell 1 is the first to differ.
    const r = ee.write(0, data);
    expect(chip.snapshot()[32]).toBe(0xff);
    expect(r).toMatchObject({ ok: false, error: 'verify', detail: 'at 1' });
  });

  it('I2C errors come back as values, never thrown', () => {
    const empty = new VirtualI2cBus();
    const ee = new At24c(empty, { address: 0x50, size: 4096, pageSize: 32, writeMs: 5 });
    expect(() => ee.read(0, 4)).not.toThrow();
    expect(ee.read(0, 4)).toMatchObject({ ok: false, error: 'nack' });
    expect(ee.write(0, bytes(4, 0))).toMatchObject({ ok: false, error: 'nack' });

    const { bus, ee: ee2 } = rig(4096, 32);
    bus.powered = false;
    expect(ee2.read(0, 4)).toMatchObject({ ok: false, error: 'nack' });
    bus.powered = true;
    expect(ee2.read(0, 4).ok).toBe(true);

    // A bus whose SDA is stuck: Espruino throws "I2C Error: Timeout", EspruinoI2cBus returns it.
    const stuck: I2cBus = {
      writeTo: (): Result<true> => fail('timeout', 'I2C Error: Timeout'),
      readFrom: (): Result<Uint8Array> => fail('timeout', 'I2C Error: Timeout'),
    };
    const ee3 = new At24c(stuck, { address: 0x50, size: 4096, pageSize: 32, writeMs: 5 });
    expect(ee3.read(0, 4)).toMatchObject({ ok: false, error: 'timeout' });
    expect(ee3.write(0, bytes(4, 0))).toMatchObject({ ok: false, error: 'timeout' });

    // Read-back fails after a good page write: reported with where it happened.
    const flaky: I2cBus = {
      writeTo: (): Result<true> => ok(true),
      readFrom: (): Result<Uint8Array> => fail('nack', 'gone'),
    };
    const w = new At24c(flaky, { address: 0x50, size: 4096, pageSize: 32, writeMs: 5 }).write(40, bytes(2, 0));
    expect(w).toMatchObject({ ok: false, error: 'nack' });
    expect(!w.ok && w.detail).toMatch(/read-back at 40/);
  });

  it('a flipped bit shows up in a read', () => {
    const { chip, ee } = rig(4096, 32);
    expect(ee.write(100, new Uint8Array([0x00, 0x55])).ok).toBe(true);
    chip.flipBit(101, 7);
    chip.flipBit(100, 0);
    const r = ee.read(100, 2);
    expect(r.ok && Array.from(r.value)).toEqual([0x01, 0xd5]);
  });

  it('wear map counts programmings per cell', () => {
    const { chip, ee } = rig(4096, 32);
    ee.write(30, bytes(4, 0));
    ee.write(31, bytes(2, 1));
    expect(Array.from(chip.wear.subarray(29, 35))).toEqual([0, 1, 2, 2, 1, 0]);
    expect(chip.bytesWritten).toBe(6);
    expect(chip.pageWrites).toBe(4); // 30..31, 32..33, 31, 32
  });
});

describe('At24c: power cut during a write', () => {
  it('a cut after k programmed bytes leaves exactly the first k bytes of the write (any part, address, length, k)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PARTS),
        fc.nat(),
        fc.integer({ min: 1, max: 400 }),
        fc.nat(),
        fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
        (part, a, len, kk, garbage) => {
          const addr = a % (part.size - len);
          const k = kk % len;
          let cuts = 0;
          const { bus, chip, ee } = rig(part.size, part.pageSize, { onCut: () => cuts++ }, { pollTries: 4 });
          const before = pattern(part.size);
          chip.restore(before);
          const data = bytes(len, a);
          chip.cutAfterBytes(k, garbage);
          const r = ee.write(addr, data);
          expect(r).toMatchObject({ ok: false, error: 'timeout' });
          expect(cuts).toBe(1);
          expect(chip.powered).toBe(false);
          const want = before.slice();
          want.set(data.subarray(0, k), addr);
          if (garbage !== undefined) want[addr + k] = garbage;
          expect(Buffer.from(chip.snapshot()).equals(Buffer.from(want))).toBe(true);
          // Dead until power returns; then everything reads back as the cut left it.
          expect(ee.read(0, 1)).toMatchObject({ ok: false, error: 'nack' });
          chip.powerOn();
          const back = ee.read(addr, len);
          expect(back.ok && Buffer.from(back.value).equals(Buffer.from(want.subarray(addr, addr + len)))).toBe(true);
          expect(bus.powered).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a cut armed for more bytes than the write leaves the write whole and strikes at the next one', () => {
    let cuts = 0;
    const { chip, ee } = rig(4096, 32, { onCut: () => cuts++, cutGarbage: 0xa5 });
    chip.cutAfterBytes(10);
    expect(ee.write(0, bytes(10, 0)).ok).toBe(true);
    expect(cuts).toBe(0);
    expect(ee.write(100, bytes(3, 0))).toMatchObject({ ok: false, error: 'timeout' });
    expect(cuts).toBe(1);
    expect(chip.snapshot()[100]).toBe(0xa5); // the option's garbage value
    expect(chip.snapshot()[101]).toBe(0xff);
  });

  it('the harness can take the whole bus down from onCut', () => {
    const bus = new VirtualI2cBus();
    const chip = new VirtualAt24c({ size: 4096, pageSize: 32, onCut: () => (bus.powered = false) });
    bus.attach(0x50, chip);
    const ee = new At24c(bus, { address: 0x50, size: 4096, pageSize: 32, writeMs: 5 });
    chip.cutAfterBytes(40);
    expect(ee.write(0, bytes(64, 0))).toMatchObject({ ok: false, error: 'timeout' });
    expect(bus.powered).toBe(false);
    expect(chip.bytesWritten).toBe(40);
  });
});

describe('VirtualAt24c: the chip itself', () => {
  it('sequential reads wrap at the end of memory', () => {
    const bus = new VirtualI2cBus();
    const chip = new VirtualAt24c({ size: 4096, pageSize: 32 });
    bus.attach(0x50, chip);
    chip.restore(pattern(4096));
    expect(bus.writeTo(0x50, new Uint8Array([0x0f, 0xfe])).ok).toBe(true);
    const r = bus.readFrom(0x50, 4);
    const p = pattern(4096);
    expect(r.ok && Array.from(r.value)).toEqual([p[4094], p[4095], p[0], p[1]]);
    // Address bits above the part's size are don't-care: 0x1FFE is 0x0FFE on a 4 KB part.
    bus.writeTo(0x50, new Uint8Array([0x1f, 0xfe]));
    const r2 = bus.readFrom(0x50, 1);
    expect(r2.ok && r2.value[0]).toBe(p[4094]);
  });

  it('a page write longer than the page wraps inside the page, later bytes winning', () => {
    const bus = new VirtualI2cBus();
    const chip = new VirtualAt24c({ size: 32768, pageSize: 64, busyPolls: 0 });
    bus.attach(0x50, chip);
    const data = bytes(70, 5);
    const frame = new Uint8Array(72);
    frame.set([0x00, 0x50], 0); // 0x50 = page 1 (64..127), offset 16
    frame.set(data, 2);
    expect(bus.writeTo(0x50, frame).ok).toBe(true);
    const mem = chip.snapshot();
    const want = new Uint8Array(64);
    for (let i = 0; i < 70; i++) want[(16 + i) % 64] = data[i];
    expect(Array.from(mem.subarray(64, 128))).toEqual(Array.from(want));
    expect(mem[63]).toBe(0xff);
    expect(mem[128]).toBe(0xff);
    expect(chip.bytesWritten).toBe(64);
  });

  it('NACKs every transaction during the write cycle, reads included', () => {
    const bus = new VirtualI2cBus();
    const chip = new VirtualAt24c({ size: 4096, pageSize: 32, busyPolls: 3 });
    bus.attach(0x50, chip);
    expect(bus.writeTo(0x50, new Uint8Array([0, 0, 1])).ok).toBe(true);
    expect(bus.readFrom(0x50, 1)).toMatchObject({ ok: false, error: 'nack' });
    expect(bus.writeTo(0x50, new Uint8Array(0))).toMatchObject({ ok: false, error: 'nack' });
    expect(bus.writeTo(0x50, new Uint8Array([0, 0]))).toMatchObject({ ok: false, error: 'nack' });
    expect(bus.writeTo(0x50, new Uint8Array([0, 0])).ok).toBe(true);
    expect(bus.readFrom(0x50, 1)).toEqual(ok(new Uint8Array([1])));
    expect(bus.readFrom(0x51, 1)).toMatchObject({ ok: false, error: 'nack' }); // nobody at 0x51
  });
});

describe('VirtualAt24c: file-backed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'at24c-'));

  it('save / load round trip', () => {
    const { chip, ee } = rig(4096, 32);
    ee.write(1000, bytes(200, 7));
    const f = path.join(dir, 'a.bin');
    chip.save(f);
    const again = VirtualAt24c.load(f, { size: 4096, pageSize: 32 });
    expect(Buffer.from(again.snapshot()).equals(Buffer.from(chip.snapshot()))).toBe(true);
    expect(() => VirtualAt24c.load(f, { size: 8192, pageSize: 32 })).toThrow(/4096 bytes for a 8192-byte chip/);
  });

  it('the file option persists after every page write and after a cut, so a run resumes', () => {
    const f = path.join(dir, 'b.bin');
    const { chip, ee } = rig(4096, 32, { file: f });
    expect(fs.existsSync(f)).toBe(false);
    ee.write(0, bytes(40, 1));
    expect(Buffer.from(fs.readFileSync(f)).equals(Buffer.from(chip.snapshot()))).toBe(true);
    chip.cutAfterBytes(5);
    expect(ee.write(200, bytes(20, 2)).ok).toBe(false);
    // A new process picks the chip up from the file, cut and all.
    const resumed = rig(4096, 32, { file: f });
    expect(Buffer.from(resumed.chip.snapshot()).equals(Buffer.from(chip.snapshot()))).toBe(true);
    const r = resumed.ee.read(200, 6);
    expect(r.ok && Array.from(r.value)).toEqual([...Array.from(bytes(20, 2).subarray(0, 5)), 0xff]);
  });
});

describe('At24c: parts above 64 KB (AT24CM01, AT24CM02)', () => {
  const BIG = PARTS.filter((p) => p.size > 65536);

  /** Every transaction of the trace as [device address, memory address set or read from, bytes]. */
  function wire(bus: VirtualI2cBus): { op: string; dev: number; at: number; n: number }[] {
    const out: { op: string; dev: number; at: number; n: number }[] = [];
    let at = -1;
    for (const t of bus.trace || []) {
      if (!t.ack) continue;
      if (t.op === 'write') {
        at = addressOf(t);
        out.push({ op: t.bytes.length > 2 ? 'page' : 'address', dev: t.address, at, n: t.bytes.length - 2 });
        if (t.bytes.length > 2) at += t.bytes.length - 2;
      } else {
        out.push({ op: 'read', dev: t.address, at, n: t.bytes.length });
        at += t.bytes.length;
      }
    }
    return out;
  }

  for (const part of BIG) {
    const bounds = part.size === 131072 ? [65536] : [65536, 131072, 196608];
    for (const b of bounds) {
      it(part.name + ': a write and a read straddling ' + b / 1024 + ' KB land in the right cells, each 64 KB at its own device address', () => {
        const { bus, chip, ee } = rig(part.size, part.pageSize);
        const addr = b - 300;
        const data = bytes(700, b);
        bus.trace = [];
        expect(ee.write(addr, data)).toEqual(ok(true));
        const mem = chip.snapshot();
        expect(Buffer.from(mem.subarray(addr, addr + 700)).equals(Buffer.from(data))).toBe(true);
        expect(mem.subarray(0, addr).every((x) => x === 0xff)).toBe(true);
        expect(mem.subarray(addr + 700).every((x) => x === 0xff)).toBe(true);
        // Pages below the boundary go to its 64 KB's device address, pages above to the next.
        const pages = wire(bus).filter((w) => w.op === 'page');
        expect(pages.map((w) => w.at)).toEqual([b - 300, b - 256, b, b + 256]);
        expect(pages.map((w) => w.dev)).toEqual([0x50 + b / 65536 - 1, 0x50 + b / 65536 - 1, 0x50 + b / 65536, 0x50 + b / 65536]);
        // Every transaction of a page (write, polls, read-back) uses that page's device address.
        for (const w of wire(bus)) expect(w.dev, 'at ' + w.at).toBe(0x50 + Math.floor(w.at / 65536));
        bus.trace = [];
        const r = ee.read(addr, 700);
        expect(r.ok && Buffer.from(r.value).equals(Buffer.from(data))).toBe(true);
        // The read is split at the boundary: no read transaction crosses it (the chip's counter
        // would go on across it, but the driver does not rely on that).
        const reads = wire(bus).filter((w) => w.op === 'read');
        for (const w of reads) {
          expect(Math.floor(w.at / 65536), 'read at ' + w.at).toBe(Math.floor((w.at + w.n - 1) / 65536));
          expect(w.dev).toBe(0x50 + Math.floor(w.at / 65536));
          expect(w.n).toBeLessThanOrEqual(64);
        }
        expect(reads.reduce((s, w) => s + w.n, 0)).toBe(700);
        expect(reads.some((w) => w.at + w.n === b)).toBe(true);
      });
    }

    it(part.name + ': the last byte answers at the last device address; past the end is refused without touching the bus', () => {
      const { bus, chip, ee } = rig(part.size, part.pageSize);
      bus.trace = [];
      expect(ee.write(part.size - 1, new Uint8Array([0x5a]))).toEqual(ok(true));
      expect(chip.snapshot()[part.size - 1]).toBe(0x5a);
      expect(bus.trace[0]).toMatchObject({ op: 'write', address: 0x50 + part.size / 65536 - 1, ack: true });
      expect(Array.from(bus.trace[0].bytes)).toEqual([0xff, 0xff, 0x5a]);
      bus.trace = [];
      expect(ee.read(part.size - 1, 2)).toMatchObject({ ok: false, error: 'range' });
      expect(ee.write(part.size, new Uint8Array(1))).toMatchObject({ ok: false, error: 'range' });
      expect(ee.write(part.size - 2, new Uint8Array(3))).toMatchObject({ ok: false, error: 'range' });
      expect(ee.read(-1, 1)).toMatchObject({ ok: false, error: 'range' });
      expect(bus.trace).toHaveLength(0);
      expect(ee.size).toBe(part.size);
      const r = ee.read(part.size - 1, 1);
      expect(r.ok && r.value[0]).toBe(0x5a);
    });
  }

  it('any write on an AT24CM01 or AT24CM02 lands in exactly its cells and reads back (any address and length)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BIG), fc.nat(), fc.integer({ min: 1, max: 1200 }), (part, a, len) => {
        const addr = a % (part.size - len + 1);
        const { chip, ee } = rig(part.size, part.pageSize);
        const before = pattern(part.size);
        chip.restore(before);
        const data = bytes(len, a);
        expect(ee.write(addr, data)).toEqual(ok(true));
        const want = before.slice();
        want.set(data, addr);
        expect(Buffer.from(chip.snapshot()).equals(Buffer.from(want))).toBe(true);
        const r = ee.read(addr, len);
        expect(r.ok && Buffer.from(r.value).equals(Buffer.from(data))).toBe(true);
        expect(chip.pageWrites).toBe(Math.floor((addr + len - 1) / part.pageSize) - Math.floor(addr / part.pageSize) + 1);
      }),
      { numRuns: 60 },
    );
  });

  it('a driver for an AT24CM01 finds nothing at 0x51 when the chip there is a 64 KB part (each 64 KB is its own device address)', () => {
    // An AT24C512 answers at 0x50 only: the upper half of what the driver believes is there NACKs.
    const bus = new VirtualI2cBus();
    bus.attach(0x50, new VirtualAt24c({ size: 65536, pageSize: 128 }));
    const ee = new At24c(bus, { address: 0x50, size: 131072, pageSize: 256, writeMs: 5 });
    expect(ee.write(65535, new Uint8Array([1, 2]))).toMatchObject({ ok: false, error: 'nack' });
    expect(ee.read(70000, 4)).toMatchObject({ ok: false, error: 'nack' });
  });
});

describe('VirtualAt24c: the 1 and 2 Mbit parts, as their datasheets have them', () => {
  function chipAt(size: number): { bus: VirtualI2cBus; chip: VirtualAt24c; p: Uint8Array } {
    const bus = new VirtualI2cBus();
    const chip = new VirtualAt24c({ size, pageSize: 256, busyPolls: 0 });
    for (let i = 0; i < chip.addresses; i++) bus.attach(0x50 + i, chip);
    const p = pattern(size);
    chip.restore(p);
    return { bus, chip, p };
  }

  it('answers at one device address per 64 KB: AT24C512 1, AT24CM01 2, AT24CM02 4', () => {
    expect(new VirtualAt24c({ size: 65536, pageSize: 128 }).addresses).toBe(1);
    expect(new VirtualAt24c({ size: 131072, pageSize: 256 }).addresses).toBe(2);
    expect(new VirtualAt24c({ size: 262144, pageSize: 256 }).addresses).toBe(4);
    // The simulator's rig attaches each part at all of its addresses, and at no other.
    for (const [part, n] of [['AT24C512', 1], ['AT24CM01', 2], ['AT24CM02', 4]] as [string, number][]) {
      const r = new StorageRig({ now: () => 0, part });
      for (let a = 0x50; a < 0x58; a++) expect(r.bus.readFrom(a, 1).ok, part + ' at 0x' + a.toString(16)).toBe(a < 0x50 + n);
    }
  });

  it('a write\'s device address gives the pointer bit 16 (AT24CM01) and bits 16-17 (AT24CM02)', () => {
    for (const size of [131072, 262144]) {
      const { bus, p } = chipAt(size);
      for (let k = 0; k < size / 65536; k++) {
        expect(bus.writeTo(0x50 + k, new Uint8Array([0x12, 0x34])).ok).toBe(true);
        const r = bus.readFrom(0x50 + k, 2);
        expect(r.ok && Array.from(r.value)).toEqual([p[k * 65536 + 0x1234], p[k * 65536 + 0x1235]]);
      }
      // Data written through 0x51 lands in the upper 64 KB (the page buffer of that page).
      const { bus: b2, chip } = chipAt(size);
      expect(b2.writeTo(0x51, new Uint8Array([0x00, 0x10]), new Uint8Array([0xaa, 0xbb])).ok).toBe(true);
      expect(Array.from(chip.snapshot().subarray(0x10010, 0x10012))).toEqual([0xaa, 0xbb]);
      expect(chip.snapshot()[0x10]).toBe(p[0x10]);
    }
  });

  it('in a read the device address\'s memory bits are "don\'t care": it goes on from the pointer', () => {
    const { bus, p } = chipAt(131072);
    bus.writeTo(0x51, new Uint8Array([0x00, 0x20]));
    const r = bus.readFrom(0x50, 2);
    expect(r.ok && Array.from(r.value)).toEqual([p[0x10020], p[0x10021]]);
    // current address reads carry on from there, at either address
    const r2 = bus.readFrom(0x51, 1);
    expect(r2.ok && r2.value[0]).toBe(p[0x10022]);
  });

  it('a sequential read rolls over the whole memory: across each 64 KB boundary, and from the last byte to the first', () => {
    for (const size of [131072, 262144]) {
      const { bus, p } = chipAt(size);
      bus.writeTo(0x50, new Uint8Array([0xff, 0xfe]));
      const r = bus.readFrom(0x50, 4);
      expect(r.ok && Array.from(r.value)).toEqual([p[0xfffe], p[0xffff], p[0x10000], p[0x10001]]);
      const last = 0x50 + size / 65536 - 1;
      bus.writeTo(last, new Uint8Array([0xff, 0xfe]));
      const r2 = bus.readFrom(last, 4);
      expect(r2.ok && Array.from(r2.value)).toEqual([p[size - 2], p[size - 1], p[0], p[1]]);
    }
  });

  it('a page write wraps inside its 256-byte page, in the upper 64 KB too', () => {
    const { bus, chip, p } = chipAt(131072);
    const data = bytes(20, 3);
    expect(bus.writeTo(0x51, new Uint8Array([0x01, 0xf8]), data).ok).toBe(true); // 0x101F8, 8 bytes before the page's end
    const mem = chip.snapshot();
    expect(Array.from(mem.subarray(0x101f8, 0x10200))).toEqual(Array.from(data.subarray(0, 8)));
    expect(Array.from(mem.subarray(0x10100, 0x1010c))).toEqual(Array.from(data.subarray(8)));
    expect(mem[0x10200]).toBe(p[0x10200]);
    expect(mem[0x1f8]).toBe(p[0x1f8]);
  });
});
