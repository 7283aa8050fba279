// The EEPROM as the unit uses it (firmware/storage/store.ts: layout, header, configuration
// slots, format, boot) and the account/unit records (firmware/storage/records.ts), on a
// virtual AT24C through the real driver.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_SLOT, FORMAT, FREEZE_SLOT, MONEY_SLOT, READING_SLOT, Store, layoutFor, readingSlots } from '../../firmware/storage/store';
import { Journal } from '../../firmware/storage/journal';
import { decodeAccount, decodeUnit, encodeAccount as encodeInto, encodeUnit, unitConfigGen } from '../../firmware/storage/records';
import { Writer } from '../../firmware/storage/bytes';
import { appendEvent, appendFreeze, readEvents } from '../../firmware/storage/history';
import { parseConfig } from '../../firmware/config';
import { configSource, decodeConfig, encodeConfig } from '../../firmware/config-store';
import { crc32, u32At } from '../../firmware/lib/crc32';
import { Core, CoreConfig } from '../../firmware/core';
import { TokenState } from '../../firmware/tokens/openpaygo';
import { Eeprom } from '../../hal/eeprom';
import { fail } from '../../hal/result';
import { At24c } from '../../hal/at24c';

/** Configuration bytes from text, and back (the store keeps bytes; these tests write text). */
/** Text as a configuration source for writeConfig. */
function bytesSource(t: string): (w: Writer) => void {
  return source(bytes(t));
}

function bytes(t: string): Uint8Array {
  return new Uint8Array(Array.from(t, (c) => c.charCodeAt(0)));
}
function textOf(b: Uint8Array | null): string | null {
  return b === null ? null : String.fromCharCode(...Array.from(b));
}
import { bootStore, configCommitted, crc32Add, formatStore, layoutOf, writeConfig, writeHeader } from '../../firmware/storage/store-boot';
import { openJournal } from '../../firmware/storage/journal-scan';
import { newest, openRing } from '../../firmware/storage/slot-scan';
import { accountState, meterState, setAccountState, setMeterState } from '../../firmware/core';
import { saveLedger } from '../../firmware/billing/ledger';
import { PARTS, StorageRig } from '../../sim/storage-rig';
import { accountBytes, commitRecords, source } from './commit-records';
import { nameList } from '../../firmware/tables';

const encodeAccount = accountBytes;

function rigOf(part = 'AT24C32'): StorageRig {
  return new StorageRig({ now: () => 0, part });
}

/** A Store on the same chip, as after a reboot. */
function again(rig: StorageRig): Store {
  return new Store(rig.eeprom);
}

const allEvents = { account: '', kind: '', from: 0, to: 1e12 };
const text = (t: number, a: string, k: string, x: string) => x;

describe('layoutFor', () => {
  for (const part of Object.keys(PARTS)) {
    it(part + ': regions in order, page-aligned where it matters, inside the part, not overlapping', () => {
      const { size, pageSize } = PARTS[part];
      const l = layoutFor(size, pageSize);
      const regions: [string, number, number][] = [
        ['header A', l.header[0], 8],
        ['header B', l.header[1], 8],
        ['config A', l.config[0], l.configSize],
        ['config B', l.config[1], l.configSize],
        ['money', l.money, l.moneySlots * MONEY_SLOT],
        ['events', l.events, l.eventSlots * EVENT_SLOT],
        ['daily', l.daily, l.dailySlots * FREEZE_SLOT],
        ['monthly', l.monthly, l.monthlySlots * FREEZE_SLOT],
        ['journal', l.journal, l.journalSize],
      ];
      for (let i = 0; i < regions.length; i++) {
        const [name, at, len] = regions[i];
        expect(len, name).toBeGreaterThan(0);
        expect(at + len, name).toBeLessThanOrEqual(size);
        if (i > 0) expect(at, name).toBeGreaterThanOrEqual(regions[i - 1][1] + regions[i - 1][2]);
      }
      // each header copy has a page to itself; configuration slots start on a page
      expect(l.header[1] - l.header[0]).toBeGreaterThanOrEqual(pageSize);
      expect(l.config[0] - l.header[1]).toBeGreaterThanOrEqual(pageSize);
      expect(l.config[0] % pageSize).toBe(0);
      expect(l.config[1] % pageSize).toBe(0);
      expect(l.journalSize % 16).toBe(0);
      // the journal takes what is left (less than a 16-byte unit is wasted)
      expect(size - (l.journal + l.journalSize)).toBeLessThan(16);
      // (the smallest part, AT24C32: 18 money entries and 6 events)
      expect(l.moneySlots).toBeGreaterThanOrEqual(18);
      expect(l.eventSlots).toBeGreaterThanOrEqual(6);
      expect(l.dailySlots).toBeGreaterThanOrEqual(5);
      expect(l.monthlySlots).toBeGreaterThanOrEqual(1);
    });

    it(part + ': format 4 against formats 1 to 3, what the migration relies on', () => {
      const { size, pageSize } = PARTS[part];
      const l = layoutFor(size, pageSize);
      const o = layoutFor(size, pageSize, 3);
      if (size > 65536) {
        // Formats 1 to 3 never used more than 64 KB (their driver stopped there): nothing to
        // migrate from a larger part but what they laid out in its first 64 KB.
        expect(o).toEqual(layoutFor(65536, pageSize, 3));
        return;
      }
      // journal and freezes, header and slot A stay where they were
      expect([l.header, l.config[0], l.daily, l.dailySlots, l.monthly, l.monthlySlots, l.journal, l.journalSize]).toEqual([o.header, o.config[0], o.daily, o.dailySlots, o.monthly, o.monthlySlots, o.journal, o.journalSize]);
      expect(o.moneySlots).toBe(0);
      expect(o.money).toBe(o.events);
      expect(l.configSize).toBeLessThan(o.configSize);
      // the event log keeps the last slots of its old region, entries and all
      expect(l.events + l.eventSlots * EVENT_SLOT).toBe(o.events + o.eventSlots * EVENT_SLOT);
      expect((l.events - o.events) % EVENT_SLOT).toBe(0);
      // every money entry of the old event log is copied where the older format keeps nothing:
      // past slot A's new size (the configuration is there) and before the old event log
      expect(l.money).toBeGreaterThanOrEqual(o.config[0] + l.configSize);
      expect(l.money + o.eventSlots * MONEY_SLOT).toBeLessThanOrEqual(o.events);
    });
  }

  for (const size of [131072, 262144]) {
    it(size / 1024 + ' KB: the first 64 KB laid out as a 64 KB part, everything above it in the money log and (a quarter, format 5) the interval readings', () => {
      const l = layoutFor(size, 256);
      const s = layoutFor(65536, 256);
      const x = size - 65536;
      // the readings: a quarter of x, whole pages, just below the event log, after the money log
      const rd = readingSlots(l) * READING_SLOT;
      expect(rd).toBe(Math.floor(x / 4 / 256) * 256);
      expect(l.readings % 256).toBe(0);
      expect(l.readings + rd).toBeLessThanOrEqual(l.events);
      expect(l.events - (l.readings + rd)).toBeLessThan(256);
      expect(readingSlots(s)).toBe(0);
      // format 4: no readings, the money log up to the events
      const f = layoutFor(size, 256, 4);
      expect([readingSlots(f), f.moneySlots]).toEqual([0, Math.floor((s.events - s.money + x) / MONEY_SLOT)]);
      // header, configuration slots and the money log's start as on a 64 KB part of 256-byte pages
      expect([l.header, l.config, l.configSize, l.money]).toEqual([s.header, s.config, s.configSize, s.money]);
      // the money log grows by x, in one ring; everything after it moves up by x, sized as before
      expect(l.events).toBe(s.events + x);
      expect(l.moneySlots).toBe(Math.floor((l.readings - s.money) / MONEY_SLOT));
      expect(l.money + l.moneySlots * MONEY_SLOT).toBeLessThanOrEqual(l.readings);
      expect(l.readings - (l.money + l.moneySlots * MONEY_SLOT)).toBeLessThan(MONEY_SLOT);
      expect([l.eventSlots, l.daily, l.dailySlots, l.monthly, l.monthlySlots, l.journal, l.journalSize]).toEqual([s.eventSlots, s.daily + x, s.dailySlots, s.monthly + x, s.monthlySlots, s.journal + x, s.journalSize]);
      // the regions follow each other inside the part: the journal ends where the 64 KB one did, moved up
      expect(l.daily).toBe(l.events + l.eventSlots * EVENT_SLOT);
      expect(l.monthly).toBe(l.daily + l.dailySlots * FREEZE_SLOT);
      expect(l.journal).toBe(l.monthly + l.monthlySlots * FREEZE_SLOT);
      expect(l.journal + l.journalSize).toBeLessThanOrEqual(size);
      expect(size - (l.journal + l.journalSize)).toBeLessThan(16);
    });
  }

  it('matches the figures of docs/storage.md for the AT24CM01 and AT24CM02 (the money log and the interval readings above 64 KB)', () => {
    const a = layoutFor(131072, 256);
    expect([a.moneySlots, readingSlots(a), a.eventSlots, a.dailySlots, a.monthlySlots, a.configSize, a.journalSize]).toEqual([1529, 64, 102, 85, 21, 8192, 18032]);
    const b = layoutFor(262144, 256);
    expect([b.moneySlots, readingSlots(b), b.eventSlots, b.dailySlots, b.monthlySlots, b.configSize, b.journalSize]).toEqual([3987, 192, 102, 85, 21, 8192, 18032]);
    // format 4 (no interval readings), as a unit keeps it whose money log reached past them
    expect([layoutFor(131072, 256, 4).moneySlots, layoutFor(262144, 256, 4).moneySlots]).toEqual([1945, 5222]);
  });

  it('matches the figures of docs/storage.md for the AT24C256 and AT24C512', () => {
    const a = layoutFor(32768, 64);
    expect([a.moneySlots, a.eventSlots, a.dailySlots, a.monthlySlots, a.configSize]).toEqual([152, 51, 42, 10, 4096]);
    const b = layoutFor(65536, 128);
    expect([b.moneySlots, b.eventSlots, b.dailySlots, b.monthlySlots, b.configSize]).toEqual([306, 102, 85, 21, 8192]);
    // formats 1 to 3
    const c = layoutFor(65536, 128, 3);
    expect([c.eventSlots, c.dailySlots, c.monthlySlots, c.configSize]).toEqual([153, 85, 21, 12288]);
  });
});

describe('Store: header and format', () => {
  it('a blank EEPROM is formatted at boot, and the report says it was blank', () => {
    const rig = rigOf();
    const st = new Store(rig.eeprom);
    const b = bootStore(st, () => 0);
    expect(b.formatted).toBe(true);
    expect(b.report[0]).toMatch(/^EEPROM blank: formatted, starting from factory defaults$/);
    expect(b.report.join('\n')).not.toMatch(/unreadable|PREVIOUS|failed/i);
    expect(b.config).toBeNull();
    expect(b.format).toBe(FORMAT);
    expect(b.scan.batches).toBe(0);
    // the next boot finds a formatted EEPROM and says nothing
    const b2 = bootStore(again(rig), () => 0);
    expect(b2.formatted).toBe(false);
    expect(b2.report).toEqual([]);
    expect(b2.format).toBe(FORMAT);
  });

  it('formatting a blank part writes only the headers and the first bytes of the config slots', () => {
    const rig = rigOf('AT24C256');
    const w0 = rig.chip.bytesWritten;
    bootStore(new Store(rig.eeprom), () => 0);
    // 2 headers x 8 + 4 spans x 16 of 0xFF; blank cells are not written again
    expect(rig.chip.bytesWritten - w0).toBe(2 * 8 + 4 * 16);
  });

  function withData(part = 'AT24C32') {
    const rig = rigOf(part);
    const st = new Store(rig.eeprom);
    bootStore(st, () => 0);
    const g = writeConfig(st, bytesSource('{"cfg":1}'));
    expect(g).toEqual({ ok: true, value: 1 });
    expect(commitRecords(st.journal, [{ name: '', data: new Uint8Array([1]) }, { name: 'A1', data: new Uint8Array([1, 2, 3]) }]).ok).toBe(true);
    configCommitted(st, 1);
    expect(appendEvent(st.events, 1000, 'A1', 'topup', 'hello')).toBe(true);
    return { rig, st };
  }

  it('both header copies damaged: formats loudly, the data is gone', () => {
    const { rig, st } = withData();
    rig.chip.flipBit(layoutOf(st).header[0] + 1, 3);
    rig.chip.flipBit(layoutOf(st).header[1] + 6, 0);
    const s2 = again(rig);
    const b = bootStore(s2, () => 1);
    expect(b.formatted).toBe(true);
    expect(b.report[0]).toBe('EEPROM header unreadable: formatted, STARTING FROM FACTORY DEFAULTS, previous data lost');
    expect(b.config).toBeNull();
    expect(b.scan.records).toEqual({});
    expect(b.format).toBe(FORMAT);
    expect(readEvents(s2.events, allEvents, 10, text)).toEqual([]);
    // and it is a valid, empty store now
    const b3 = bootStore(again(rig), () => 0);
    expect(b3.formatted).toBe(false);
    expect(b3.report).toEqual([]);
  });

  for (const k of [0, 1]) {
    for (const byte of [0, 3, 4, 6]) {
      it('header copy ' + 'AB'[k] + ' damaged at byte ' + byte + ': no format, everything kept', () => {
        const { rig, st } = withData();
        const w0 = rig.chip.bytesWritten;
        rig.chip.flipBit(layoutOf(st).header[k] + byte, 1);
        const s2 = again(rig);
        const b = bootStore(s2, (scan) => (scan.records[''] ? scan.records[''][0] : 0));
        expect(b.formatted).toBe(false);
        expect(b.report).toEqual([]);
        expect(b.format).toBe(FORMAT);
        expect(textOf(b.config)).toBe('{"cfg":1}');
        expect(Array.from(b.scan.records.A1)).toEqual([1, 2, 3]);
        expect(readEvents(s2.events, allEvents, 10, text)).toEqual(['hello']);
        expect(rig.chip.bytesWritten).toBe(w0);
      });
    }
  }

  it('one header copy erased (0xFF) and the other good: no format', () => {
    const { rig, st } = withData();
    expect(rig.eeprom.write(layoutOf(st).header[0], new Uint8Array(8).fill(0xff)).ok).toBe(true);
    const b = bootStore(again(rig), () => 1);
    expect(b.formatted).toBe(false);
    expect(textOf(b.config)).toBe('{"cfg":1}');
  });

  it('an EEPROM of a newer format is left untouched (nothing written) and the store is read-only', () => {
    const { rig, st } = withData();
    expect(writeHeader(st, FORMAT + 1).ok).toBe(true);
    const w0 = rig.chip.bytesWritten;
    const pw0 = rig.chip.pageWrites;
    const image = rig.chip.snapshot();
    const s2 = again(rig);
    const b = bootStore(s2, () => 1);
    expect(b.formatted).toBe(false);
    expect(s2.readOnly).toBe(true);
    expect(b.format).toBe(FORMAT + 1);
    expect(b.report).toEqual(['EEPROM written by newer firmware (format ' + (FORMAT + 1) + '): left untouched, running from RAM only']);
    // still readable
    expect(textOf(b.config)).toBe('{"cfg":1}');
    expect(Array.from(b.scan.records.A1)).toEqual([1, 2, 3]);
    expect(writeConfig(s2, bytesSource('{"x":2}'))).toMatchObject({ ok: false, error: 'read-only' });
    expect(rig.chip.bytesWritten).toBe(w0);
    expect(rig.chip.pageWrites).toBe(pw0);
    expect(rig.chip.snapshot()).toEqual(image);
  });

  // Issue 11: a board file that changes part (or names the wrong one) must not read the EEPROM in
  // another layout: stray slots would be taken for entries, and writes would land elsewhere.
  for (const [wrote, named] of [[PARTS.AT24C512, PARTS.AT24CM01], [PARTS.AT24CM01, PARTS.AT24C512]]) {
    it('formatted for a ' + wrote.size / 1024 + ' KB part, booted with a board file naming ' + named.size / 1024 + ' KB: nothing read or written, read-only until a factory reset', () => {
      const rig = rigOf('AT24CM01');
      const as = (p: { size: number; pageSize: number }) => new At24c(rig.bus, { address: 0x50, size: p.size, pageSize: p.pageSize, writeMs: 5 });
      const st = new Store(as(wrote));
      bootStore(st, () => 0);
      expect(writeConfig(st, bytesSource('{"cfg":1}')).ok).toBe(true);
      expect(commitRecords(st.journal, [{ name: '', data: new Uint8Array([1]) }, { name: 'A1', data: new Uint8Array([1, 2, 3]) }]).ok).toBe(true);
      configCommitted(st, 1);
      expect(appendEvent(st.events, 1000, 'A1', 'topup', 'hello')).toBe(true);
      const image = rig.chip.snapshot();
      const w0 = rig.chip.bytesWritten;
      const s2 = new Store(as(named));
      const b = bootStore(s2, () => 1);
      expect(b.report).toEqual([
        'EEPROM formatted for ' + wrote.size / 1024 + ' KB, board file says ' + named.size / 1024 + ' KB: untouched, RAM only. Fix the board file, or factory-reset (erases it)',
      ]);
      expect(s2.readOnly).toBe(true);
      expect(b.formatted).toBe(false);
      expect(b.config).toBe(null);
      expect(Object.keys(b.scan.records)).toEqual([]);
      expect(readEvents(s2.events, allEvents, 10, text)).toEqual([]);
      expect(writeConfig(s2, bytesSource('{"x":2}'))).toMatchObject({ ok: false, error: 'read-only' });
      expect(rig.chip.bytesWritten).toBe(w0);
      expect(rig.chip.snapshot()).toEqual(image);
      // the board file corrected: all there
      const s3 = new Store(as(wrote));
      const b3 = bootStore(s3, () => 1);
      expect(b3.report).toEqual([]);
      expect(textOf(b3.config)).toBe('{"cfg":1}');
      expect(readEvents(s3.events, allEvents, 10, text)).toEqual(['hello']);
      // or a factory reset formats it for the named part, events not kept (another layout's)
      expect(formatStore(s2, true).ok).toBe(true);
      expect(s2.readOnly).toBe(false);
      const s4 = new Store(as(named));
      const b4 = bootStore(s4, () => 0);
      expect(b4.report).toEqual([]);
      expect(s4.readOnly).toBe(false);
      expect(readEvents(s4.events, allEvents, 10, text)).toEqual([]);
    });
  }

  // Fixed in 235f3d6 (boot() returned format 0 after formatting, and the caller "migrated").
  it('a header naming format 0 is formatted, and boot then reports the current format', () => {
    const { rig, st } = withData();
    expect(writeHeader(st, 0).ok).toBe(true);
    const b = bootStore(again(rig), () => 0);
    expect(b.formatted).toBe(true);
    expect(b.report[0]).toMatch(/EEPROM header unreadable: formatted/);
    expect(b.format).toBe(FORMAT);
  });

  it('format(true) keeps the event log, format(false) erases it; both erase configuration, journal and freezes', () => {
    const cfg = parseConfig({ plans: { flat: { price: 600 } }, accounts: [{ name: 'A1', plan: 'flat' }], meters: [] });
    if (!cfg.ok) throw new Error(cfg.error);
    const core = new Core(cfg.value);
    for (const keep of [true, false]) {
      const { rig, st } = withData();
      expect(appendFreeze(st.daily, core, 0, 100, false)).toBe(true);
      expect(appendFreeze(st.monthly, core, 0, 100, false)).toBe(true);
      expect(formatStore(st, keep).ok).toBe(true);
      expect(st.configGen).toBe(0);
      const s2 = again(rig);
      const b = bootStore(s2, () => 0);
      expect(b.formatted).toBe(false);
      expect(b.config).toBeNull();
      expect(b.scan.records).toEqual({});
      expect(s2.daily.seq).toBe(0);
      expect(s2.monthly.seq).toBe(0);
      expect(readEvents(s2.events, allEvents, 10, text)).toEqual(keep ? ['hello'] : []);
    }
  });

  it('a format that cannot write says so in the report and does not throw', () => {
    const rig = rigOf();
    const broken: Eeprom = {
      size: rig.eeprom.size,
      pageSize: rig.eeprom.pageSize,
      read: (a, n) => rig.eeprom.read(a, n),
      write: () => fail<true>('timeout', 'write cycle at 0'),
    };
    const b = bootStore(new Store(broken), () => 0);
    expect(b.formatted).toBe(true);
    expect(b.report).toContain('EEPROM format failed: timeout write cycle at 0 - running without storage');
  });

  it('an EEPROM that does not answer: read-only, said so, nothing written, no format', () => {
    const { rig } = withData();
    const image = rig.chip.snapshot();
    const w0 = rig.chip.bytesWritten;
    rig.chip.powerOff();
    const s2 = again(rig);
    const b = bootStore(s2, () => 1);
    expect(b.report[0]).toBe('EEPROM not answering on I2C: running from RAM only, nothing survives a power cut');
    expect(b.report.join('\n')).not.toMatch(/formatted/);
    expect(b.formatted).toBe(false);
    expect(s2.readOnly).toBe(true);
    expect(b.format).toBe(FORMAT);
    expect(b.config).toBeNull();
    expect(writeConfig(s2, bytesSource('{}'))).toMatchObject({ ok: false, error: 'read-only' });
    rig.chip.powerOn();
    expect(rig.chip.bytesWritten).toBe(w0);
    expect(rig.chip.snapshot()).toEqual(image);
    // and once it answers again, everything is there
    const b3 = bootStore(again(rig), () => 1);
    expect(b3.report).toEqual([]);
    expect(textOf(b3.config)).toBe('{"cfg":1}');
  });

  it('one header copy not answering (the other good) is a normal boot', () => {
    const { rig, st } = withData();
    const flaky: Eeprom = {
      size: rig.eeprom.size,
      pageSize: rig.eeprom.pageSize,
      read: (a, n) => (a === layoutOf(st).header[0] ? fail<Uint8Array>('nack', 'address ' + a) : rig.eeprom.read(a, n)),
      write: (a, b) => rig.eeprom.write(a, b),
    };
    const s2 = new Store(flaky);
    const b = bootStore(s2, () => 1);
    expect(b.formatted).toBe(false);
    expect(s2.readOnly).toBe(false);
    expect(b.report).toEqual([]);
    expect(textOf(b.config)).toBe('{"cfg":1}');
  });

  it('a torn journal batch and a torn event slot are reported at boot', () => {
    const { rig, st } = withData();
    rig.chip.cutAfterBytes(12);
    expect(commitRecords(st.journal, [{ name: 'A1', data: new Uint8Array(40).fill(9) }]).ok).toBe(false);
    rig.chip.powerOn();
    rig.chip.cutAfterBytes(10);
    expect(appendEvent(st.events, 2000, 'A1', 'topup', 'second')).toBe(false);
    rig.chip.powerOn();
    const b = bootStore(again(rig), () => 1);
    expect(b.report).toContain('1 journal batch(es) torn or corrupt: older complete copies used');
    expect(b.report).toContain('1 event or money log slot(s) torn or corrupt');
    expect(Array.from(b.scan.records.A1)).toEqual([1, 2, 3]);
  });
});

describe('Store: configuration slots', () => {
  function twoGenerations() {
    const rig = rigOf();
    const st = new Store(rig.eeprom);
    bootStore(st, () => 0);
    expect(writeConfig(st, bytesSource('one'))).toEqual({ ok: true, value: 1 });
    configCommitted(st, 1);
    // generation 2 written but its unit record never committed (a cut)
    expect(writeConfig(st, bytesSource('two'))).toEqual({ ok: true, value: 2 });
    return { rig, st };
  }

  it('the first configuration goes to slot A, the next to slot B, and they alternate', () => {
    const { rig, st } = twoGenerations();
    const l = layoutOf(st);
    expect(rig.eeprom.read(l.config[0], 1).ok && (rig.eeprom.read(l.config[0] + 7, 3) as { value: Uint8Array }).value).toEqual(new Uint8Array([0x6f, 0x6e, 0x65]));
    expect((rig.eeprom.read(l.config[1] + 7, 3) as { value: Uint8Array }).value).toEqual(new Uint8Array([0x74, 0x77, 0x6f]));
  });

  it('the slot named by the unit record wins, even when the other slot holds a higher generation', () => {
    const { rig } = twoGenerations();
    const s = again(rig);
    const b = bootStore(s, () => 1);
    expect(textOf(b.config)).toBe('one');
    expect(b.report).toEqual([]);
    expect([s.configGen, s.configSlot]).toEqual([1, 0]);
    const s2 = again(rig);
    expect(textOf(bootStore(s2, () => 2).config)).toBe('two');
    expect([s2.configGen, s2.configSlot]).toEqual([2, 1]);
  });

  it('without a unit record the newest readable slot is used', () => {
    const { rig } = twoGenerations();
    const s = again(rig);
    expect(textOf(bootStore(s, () => 0).config)).toBe('two');
    expect(s.configGen).toBe(2);
  });

  it('the named slot unreadable: the other is used and the report says so', () => {
    const { rig, st } = twoGenerations();
    rig.chip.flipBit(layoutOf(st).config[0] + 8, 5);
    const s = again(rig);
    const b = bootStore(s, () => 1);
    expect(textOf(b.config)).toBe('two');
    expect(b.report).toEqual(['configuration generation 1 unreadable: using generation 2, check the accounts']);
    expect([s.configGen, s.configSlot]).toEqual([2, 1]);
  });

  it('the named slot unreadable and the other holding an older generation: the older one is used, said so', () => {
    const { rig, st } = twoGenerations();
    configCommitted(st, 2);
    rig.chip.flipBit(layoutOf(st).config[1] + 2, 0); // generation bytes of slot B
    const b = bootStore(again(rig), () => 2);
    expect(textOf(b.config)).toBe('one');
    expect(b.report).toEqual(['configuration generation 2 unreadable: using generation 1, check the accounts']);
  });

  it('both slots unreadable: no configuration, and the report says so', () => {
    const { rig, st } = twoGenerations();
    rig.chip.flipBit(layoutOf(st).config[0] + 8, 5);
    rig.chip.flipBit(layoutOf(st).config[1] + 0, 0); // magic
    const b = bootStore(again(rig), () => 1);
    expect(b.config).toBeNull();
    expect(b.report).toEqual(['configuration unreadable in both slots: starting from factory defaults']);
  });

  it('a new configuration never overwrites the committed one, across reboots and many generations', () => {
    const rig = rigOf();
    let st = new Store(rig.eeprom);
    bootStore(st, () => 0);
    let committed = 0;
    let committedText = '';
    for (let g = 1; g <= 12; g++) {
      const t = 'config ' + g + ' ' + 'x'.repeat(g * 7);
      const w = writeConfig(st, bytesSource(t));
      expect(w).toEqual({ ok: true, value: committed + 1 });
      // the committed generation is still readable whatever happens to the new one now
      if (committed) expect(textOf(bootStore(again(rig), () => committed).config)).toBe(committedText);
      if (g % 3 === 0) {
        // a cut before the unit record: the new text is not committed; reboot
        st = again(rig);
        expect(textOf(bootStore(st, () => committed).config)).toBe(committed ? committedText : t);
        if (!committed) {
          committed = st.configGen;
          committedText = t;
        }
        continue;
      }
      configCommitted(st, w.ok ? w.value : -1);
      committed = st.configGen;
      committedText = t;
      if (g % 2 === 0) {
        st = again(rig);
        expect(textOf(bootStore(st, () => committed).config)).toBe(committedText);
        expect(st.configGen).toBe(committed);
      }
    }
  });

  it("writeConfig: text up to configSize - 11 bytes fits and round-trips; one byte more is 'too-big' and writes nothing", () => {
    const rig = rigOf();
    const st = new Store(rig.eeprom);
    bootStore(st, () => 0);
    const max = layoutOf(st).configSize - 11;
    const w0 = rig.chip.bytesWritten;
    expect(writeConfig(st, bytesSource('y'.repeat(max + 1)))).toMatchObject({ ok: false, error: 'too-big' });
    expect(rig.chip.bytesWritten).toBe(w0);
    const big = Array.from({ length: max }, (_, i) => String.fromCharCode(32 + (i % 90))).join('');
    expect(writeConfig(st, bytesSource(big))).toEqual({ ok: true, value: 1 });
    expect(textOf(bootStore(again(rig), () => 1).config)).toBe(big);
  });

  it('a configuration streamed into the EEPROM, a page at a time, is the record its bytes give, and reads back', () => {
    for (const rooms of [0, 1, 9, 40]) {
      const c = parseConfig({
        plans: { flat: { price: 600 }, tou: { prices: { peak: 900, valley: 300 }, workday: [['00:00', 'valley'], ['08:00', 'peak']] } },
        accounts: Array.from({ length: rooms }, (_, i) => ({ name: 'R' + i, plan: i % 2 ? 'flat' : 'tou', alarmLevels: [3000, 1000], token: { key: '00112233445566778899aabbccddee' + (10 + (i % 90)), start: 7 } })),
        meters: Array.from({ length: rooms }, (_, i) => ({ name: 'M' + i, account: 'R' + i, proto: 'dlt645', addr: String(1e11 + i) })),
      });
      if (!c.ok) throw new Error(c.error);
      const enc = encodeConfig(c.value);
      const a = rigOf('AT24C256');
      const b = rigOf('AT24C256');
      // the streamed record is written a page at a time, each from a page's start (the last, with
      // the CRC, may carry a few bytes into the next): it is never held whole, and each page is
      // programmed once
      const sizes: number[] = [];
      const ee = a.eeprom;
      const sa = new Store({ size: ee.size, pageSize: ee.pageSize, read: (at, n) => ee.read(at, n), write: (at, x) => (sizes.push(at % ee.pageSize, x.length), ee.write(at, x)) });
      const sb = new Store(b.eeprom);
      bootStore(sa, () => 0);
      bootStore(sb, () => 0);
      sizes.length = 0;
      expect(writeConfig(sa, configSource(c.value))).toEqual({ ok: true, value: 1 });
      expect(writeConfig(sb, source(enc))).toEqual({ ok: true, value: 1 });
      const page = a.eeprom.pageSize;
      const whole = Math.floor((enc.length + 11) / page);
      for (let k = 0; k < sizes.length; k += 2) expect(sizes[k], 'write ' + k / 2 + ' starts a page').toBe(0);
      for (let k = 1; k < sizes.length - 2; k += 2) expect(sizes[k], 'write ' + (k - 1) / 2 + ' is a page').toBe(page);
      expect(sizes[sizes.length - 1]).toBeLessThan(page + 12);
      expect(sizes.length / 2).toBeLessThanOrEqual(whole + 2);
      expect(sizes.filter((x, k) => k % 2 === 1).reduce((x, y) => x + y, 0)).toBe(enc.length + 11);
      const l = layoutOf(sa);
      const ra = a.eeprom.read(l.config[0], enc.length + 11);
      const rb = b.eeprom.read(l.config[0], enc.length + 11);
      if (!ra.ok || !rb.ok) throw new Error('EEPROM read failed');
      expect(Array.from(ra.value)).toEqual(Array.from(rb.value));
      // the record's CRC-32 is the platform's over its header and bytes
      expect(u32At(ra.value, enc.length + 7)).toBe(crc32(ra.value, 0, enc.length + 7));
      configCommitted(sa, 1);
      const back = bootStore(again(a), () => 1).config;
      expect(back && Array.from(back)).toEqual(Array.from(enc));
    }
  });

  it('a CRC-32 carried over pieces is the CRC-32 of them all', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(600), { maxLength: 5 }), (b, cuts) => {
        const at = [0].concat(cuts.map((x) => x % (b.length + 1)).sort((x, y) => x - y), [b.length]);
        let c = -1;
        for (let k = 0; k + 1 < at.length; k++) c = crc32Add(c, b, at[k], at[k + 1]);
        expect(~c >>> 0).toBe(crc32(b, 0, b.length));
      }),
    );
  });

  it('every latin-1 character round-trips through a configuration slot', () => {
    const rig = rigOf();
    const st = new Store(rig.eeprom);
    bootStore(st, () => 0);
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    expect(writeConfig(st, bytesSource(all)).ok).toBe(true);
    expect(textOf(bootStore(again(rig), () => 1).config)).toBe(all);
  });
});

// ---------------------------------------------------------------------------------------

const RAW = {
  plans: { flat: { price: 600 }, tou: { prices: { peak: 900, valley: 300 }, workday: [['00:00', 'valley'], ['08:00', 'peak']], tiers: [{ uptoWh: 3000 }, { add: 200 }] } },
  accounts: [
    { name: 'R1', plan: 'flat' },
    { name: 'R2', plan: 'tou', creditLimit: 5000 },
    { name: 'R301', plan: 'flat', mode: 'on' },
  ],
  meters: [
    { name: 'M1', account: 'R1' },
    { name: 'M2', account: 'R1', plan: 'tou' },
    { name: 'M3', account: 'R2' },
    { name: 'M4', account: 'R301' },
    { name: 'M5', account: 'R1' },
  ],
};

function cfgOf(raw: unknown): CoreConfig {
  const c = parseConfig(raw);
  if (!c.ok) throw new Error(c.error);
  return c.value;
}

// accountState(): [balance, remainder, monthlyWh, cycle, alarmMask, cut, deferred, mode,
// ovTripped, ovReopen, ovWinStart, ovTrips, ovLocked, energyWh, chargedMilli, periodWh x5,
// topupMilli]; meterState(): [has, lastImp, lastExp, lastT, susp, suspImp, suspExp, suspT].
// Each field over the range its table holds (core.ts: doubles, 32-bit, 16-bit and byte tables).
const big = fc.integer({ min: -(2 ** 50), max: 2 ** 50 });
const u = (bits: number) => fc.integer({ min: 0, max: 2 ** bits - 1 });
const ACCOUNT_FIELDS = [big, fc.integer({ min: 0, max: 999 }), u(32), u(16), u(8), u(8), u(8), u(8), u(8), big, big, u(8), u(8), big, big, big, big, big, big, big, big];
const METER_FIELDS = [u(8), big, big, big, u(8), big, big, big];
const stateArb = (n: number, fields: fc.Arbitrary<number>[]) => fc.tuple(...fields.slice(0, n));
const tokenArb: fc.Arbitrary<TokenState> = fc.record({
  lastCount: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  usedBitmap: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  invalidCount: fc.integer({ min: 0, max: 1000 }),
  lockedUntil: fc.integer({ min: 0, max: 2 ** 40 }),
});
const coreStateArb = (cfg: CoreConfig) =>
  fc.record({
    accounts: fc.array(stateArb(21, ACCOUNT_FIELDS), { minLength: cfg.accounts.n, maxLength: cfg.accounts.n }),
    meters: fc.array(stateArb(8, METER_FIELDS), { minLength: cfg.meters.n, maxLength: cfg.meters.n }),
    lastSeq: fc.array(u(32), { minLength: cfg.accounts.n, maxLength: cfg.accounts.n }),
  });
type CoreState = { accounts: number[][]; meters: number[][]; lastSeq: number[] };

function coreWith(cfg: CoreConfig, s: CoreState): Core {
  const core = new Core(cfg);
  s.accounts.forEach((v, a) => setAccountState(core, a, v));
  s.meters.forEach((v, m) => setMeterState(core, m, v));
  s.lastSeq.forEach((v, a) => (core.lastSeq[a] = v));
  return core;
}

function snapshot(core: Core) {
  return {
    accounts: nameList(core.cfg.accounts.names).map((_, a) => accountState(core, a)),
    meters: nameList(core.cfg.meters.names).map((_, m) => meterState(core, m)),
    lastSeq: Array.from(core.lastSeq),
  };
}

describe('records: account records', () => {
  const cfg = cfgOf(RAW);

  it('encodeAccount/decodeAccount round-trip any state, its meters and its token state; nothing else changes', () => {
    fc.assert(
      fc.property(coreStateArb(cfg), coreStateArb(cfg), fc.integer({ min: 0, max: 2 }), fc.option(tokenArb, { nil: null }), (s1, s2, a, token) => {
        const src = coreWith(cfg, s1);
        const dst = coreWith(cfg, s2);
        const data = encodeAccount(src, a, token, FORMAT);
        const r = decodeAccount(dst, a, data, FORMAT);
        expect(r).toEqual({ token, seq: s1.lastSeq[a] });
        const want = snapshot(dst);
        const from = snapshot(src);
        const before = snapshot(coreWith(cfg, s2));
        for (let b = 0; b < cfg.accounts.n; b++) {
          expect(want.accounts[b]).toEqual(b === a ? from.accounts[a] : before.accounts[b]);
          expect(want.lastSeq[b]).toBe(b === a ? s1.lastSeq[a] : s2.lastSeq[b]);
        }
        for (let m = 0; m < cfg.meters.n; m++) expect(want.meters[m]).toEqual(cfg.meters.account[m] === a ? from.meters[m] : before.meters[m]);
      }),
      { numRuns: 200 },
    );
  });

  it("a batch's records share one buffer, started small and grown: each is the record encoded alone", () => {
    fc.assert(
      fc.property(coreStateArb(cfg), fc.integer({ min: 0, max: 40 }), fc.option(tokenArb, { nil: null }), (s1, initial, token) => {
        const src = coreWith(cfg, s1);
        const w = new Writer(initial);
        const spans = nameList(cfg.accounts.names).map((_, a) => {
          const from = w.n;
          encodeInto(src, a, a === 1 ? token : null, FORMAT, w);
          return [from, w.n];
        });
        nameList(cfg.accounts.names).forEach((_, a) => expect(Array.from(w.b.subarray(spans[a][0], spans[a][1]))).toEqual(Array.from(encodeAccount(src, a, a === 1 ? token : null, FORMAT))));
      }),
      { numRuns: 100 },
    );
  });

  it('a record goes through the journal unchanged (as the unit stores it)', () => {
    fc.assert(
      fc.property(coreStateArb(cfg), fc.option(tokenArb, { nil: null }), (s, token) => {
        const rig = rigOf('AT24C256');
        const st = new Store(rig.eeprom);
        bootStore(st, () => 0);
        const src = coreWith(cfg, s);
        const recs = nameList(cfg.accounts.names).map((name, a) => ({ name: name, data: encodeAccount(src, a, a === 1 ? token : null, FORMAT) }));
        expect(commitRecords(st.journal, recs).ok).toBe(true);
        const b = bootStore(again(rig), () => 0);
        const dst = new Core(cfg);
        nameList(cfg.accounts.names).forEach((accName, a) => {
          const r = decodeAccount(dst, a, b.scan.records[accName], b.scan.versions[accName]);
          expect(r).toEqual({ token: a === 1 ? token : null, seq: s.lastSeq[a] });
        });
        expect(snapshot(dst)).toEqual(snapshot(src));
      }),
      { numRuns: 15 },
    );
  });

  it('a format-1 record (older firmware) restores with zero top-up total and no token state', () => {
    fc.assert(
      fc.property(coreStateArb(cfg), fc.integer({ min: 0, max: 2 }), tokenArb, (s, a, token) => {
        const src = coreWith(cfg, s);
        const data = encodeAccount(src, a, token, 1);
        // format 1 holds 20 account fields and no token list
        expect(data.length).toBeLessThan(encodeAccount(src, a, token, 2).length);
        const dst = new Core(cfg);
        dst.topupMilli[a] = 777;
        const r = decodeAccount(dst, a, data, 1);
        expect(r).toEqual({ token: null, seq: s.lastSeq[a] });
        const want = accountState(src, a).slice(0, 20).concat([0]);
        expect(accountState(dst, a)).toEqual(want);
        expect(dst.topupMilli[a]).toBe(0);
        for (let m = 0; m < cfg.meters.n; m++) if (cfg.meters.account[m] === a) expect(meterState(dst, m)).toEqual(meterState(src, m));
      }),
      { numRuns: 100 },
    );
  });

  it('meters are matched by name: reordered, added and moved meters', () => {
    const raw2 = JSON.parse(JSON.stringify(RAW));
    // reversed order, M2 moved to R2, a new meter M6 on R1
    raw2.meters = [{ name: 'M6', account: 'R1' }, ...raw2.meters.slice().reverse()];
    raw2.meters.find((m: { name: string }) => m.name === 'M2').account = 'R2';
    const cfg2 = cfgOf(raw2);
    fc.assert(
      fc.property(coreStateArb(cfg), (s) => {
        const src = coreWith(cfg, s);
        const dst = new Core(cfg2);
        const idx = (c: CoreConfig, n: string) => nameList(c.meters.names).indexOf(n);
        expect(decodeAccount(dst, 0, encodeAccount(src, 0, null, FORMAT), FORMAT)).not.toBeNull();
        expect(accountState(dst, 0)).toEqual(accountState(src, 0));
        for (const n of ['M1', 'M5']) expect(meterState(dst, idx(cfg2, n))).toEqual(meterState(src, idx(cfg, n)));
        // M2 belongs to R2 now: R1's record does not restore it; M6 is new
        expect(meterState(dst, idx(cfg2, 'M2'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
        expect(meterState(dst, idx(cfg2, 'M6'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
        // and R2's record does not carry M2 either (it was R1's when written)
        expect(decodeAccount(dst, 1, encodeAccount(src, 1, null, FORMAT), FORMAT)).not.toBeNull();
        expect(meterState(dst, idx(cfg2, 'M2'))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
        expect(meterState(dst, idx(cfg2, 'M3'))).toEqual(meterState(src, idx(cfg, 'M3')));
      }),
      { numRuns: 50 },
    );
  });

  it('an account at another index in the new configuration restores from its record', () => {
    const raw2 = JSON.parse(JSON.stringify(RAW));
    raw2.accounts.reverse();
    const cfg2 = cfgOf(raw2);
    const src = coreWith(cfg, {
      accounts: nameList(cfg.accounts.names).map((_, a) => Array.from({ length: 21 }, (_, i) => a * 100 + i)),
      meters: nameList(cfg.meters.names).map((_, m) => Array.from({ length: 8 }, (_, i) => m * 10 + i)),
      lastSeq: [5, 6, 7],
    });
    const dst = new Core(cfg2);
    expect(decodeAccount(dst, 2, encodeAccount(src, 0, null, FORMAT), FORMAT)).toEqual({ token: null, seq: 5 });
    expect(accountState(dst, 2)).toEqual(accountState(src, 0));
    for (const n of ['M1', 'M2', 'M5']) {
      expect(meterState(dst, nameList(cfg2.meters.names).indexOf(n))).toEqual(meterState(src, nameList(cfg.meters.names).indexOf(n)));
    }
  });

  it('any strict prefix of a record is refused (null) and changes nothing', () => {
    fc.assert(
      fc.property(coreStateArb(cfg), coreStateArb(cfg), fc.integer({ min: 0, max: 2 }), fc.option(tokenArb, { nil: null }), fc.constantFrom(1, 2), (s1, s2, a, token, format) => {
        const data = encodeAccount(coreWith(cfg, s1), a, token, format);
        const dst = coreWith(cfg, s2);
        const before = snapshot(dst);
        for (let n = 0; n < data.length; n++) {
          expect(decodeAccount(dst, a, data.subarray(0, n), format)).toBeNull();
        }
        expect(snapshot(dst)).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });

  it('a record with fewer than 20 account fields is refused', () => {
    const w = new Writer(16);
    w.num(3);
    w.num(19);
    for (let i = 0; i < 19; i++) w.num(i + 1);
    w.num(0); // no tokens
    w.num(0); // no meters
    const dst = new Core(cfg);
    expect(decodeAccount(dst, 0, w.out(), FORMAT)).toBeNull();
    expect(dst.balance[0]).toBe(0);
    expect(dst.lastSeq[0]).toBe(0);
  });

  it('a record with more account fields than this firmware knows restores the known ones', () => {
    const w = new Writer(16);
    w.num(9);
    w.num(24);
    for (let i = 0; i < 24; i++) w.num(i + 1);
    w.num(0);
    w.num(0);
    const dst = new Core(cfg);
    expect(decodeAccount(dst, 1, w.out(), FORMAT)).toEqual({ token: null, seq: 9 });
    expect(accountState(dst, 1)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  // Fixed in 235f3d6 (missing fields used to restore as NaN).
  it('a meter state list shorter than this firmware\'s restores the missing fields as zeros', () => {
    const w = new Writer(16);
    w.num(0);
    w.num(21);
    for (let i = 0; i < 21; i++) w.num(0);
    w.num(0); // no tokens
    w.num(1);
    w.str('M1');
    w.num(2); // older meter state: [has, lastImp]
    w.num(1);
    w.num(500);
    const dst = new Core(cfg);
    expect(decodeAccount(dst, 0, w.out(), FORMAT)).not.toBeNull();
    expect(meterState(dst, 0)).toEqual([1, 500, 0, 0, 0, 0, 0, 0]);
  });

  // Fixed in 235f3d6 by parseConfig: names are 1..16 printable ASCII characters. Before,
  // "电表1" or a 300-character name were accepted and stored as other bytes, so the meter's
  // registers (or the account's whole record) were silently not found again after a reboot.
  const nameChar = fc.integer({ min: 0, max: 0x3000 }).map((c) => String.fromCharCode(c));
  const validName = fc.string({ unit: fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 16 });
  it('every name parseConfig accepts round-trips through an account record and the journal', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: nameChar, minLength: 1, maxLength: 20 }),
          fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }),
          fc.string({ minLength: 250, maxLength: 300 }),
          fc.constantFrom('constructor', 'toString', '__proto__', 'valueOf', '_x'),
          validName,
          validName,
          validName,
        ),
        fc.oneof(fc.string({ unit: nameChar, minLength: 1, maxLength: 20 }), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }), validName, validName),
        (account, meter) => {
          const c = parseConfig({ plans: { flat: { price: 600 } }, accounts: [{ name: account, plan: 'flat' }], meters: [{ name: meter, account }] });
          if (!c.ok) return;
          accepted++;
          const src = new Core(c.value);
          setMeterState(src, 0, [1, 12345, 0, 1000, 0, 0, 0, 0]);
          src.balance[0] = 4321;
          const ee = rigOf().eeprom;
          const j = new Journal(ee, 0, 2048, FORMAT);
          openJournal(j);
          expect(commitRecords(j, [{ name: account, data: encodeAccount(src, 0, null, FORMAT) }]).ok).toBe(true);
          const scan = openJournal(new Journal(ee, 0, 2048, FORMAT));
          expect(Object.keys(scan.records)).toEqual([account]);
          const dst = new Core(c.value);
          expect(decodeAccount(dst, 0, scan.records[account], scan.versions[account])).not.toBeNull();
          expect(meterState(dst, 0)).toEqual(meterState(src, 0));
          expect(dst.balance[0]).toBe(4321);
        },
      ),
      { numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(20);
  });

  // Fixed in 03ade0e by parseConfig (journal.ts keys its maps by name in plain objects, so a
  // record named "constructor", "toString", "__proto__", ... was never found by open(): the
  // account started from zero at every boot).
  it('an account name that is also an Object.prototype property is refused by parseConfig, or round-trips through the journal', () => {
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', '__defineGetter__']) {
      const c = parseConfig({ plans: { flat: { price: 600 } }, accounts: [{ name, plan: 'flat' }], meters: [] });
      if (!c.ok) continue; // refused at the door: also right
      const ee = rigOf().eeprom;
      const j = new Journal(ee, 0, 2048, FORMAT);
      openJournal(j);
      expect(commitRecords(j, [{ name, data: new Uint8Array([1, 2, 3]) }]).ok).toBe(true);
      const scan = openJournal(new Journal(ee, 0, 2048, FORMAT));
      expect(Object.prototype.hasOwnProperty.call(scan.records, name), name).toBe(true);
      expect(Array.from(scan.records[name]), name).toEqual([1, 2, 3]);
    }
  });

  it('names the storage cannot keep (non-ASCII, longer than 16, with spaces) are refused by parseConfig', () => {
    for (const bad of ['电表1', 'M'.repeat(17), 'Zoë', 'R 1', '']) {
      const c = parseConfig({ plans: { flat: { price: 600 } }, accounts: [{ name: 'A1', plan: 'flat' }], meters: [{ name: bad, account: 'A1' }] });
      expect(c.ok, JSON.stringify(bad)).toBe(false);
    }
    expect(parseConfig({ plans: { flat: { price: 600 } }, accounts: [{ name: 'Apartment-12-345', plan: 'flat' }], meters: [] }).ok).toBe(true);
  });
});

describe('records: unit record', () => {
  const cfg = cfgOf(RAW);

  it('encodeUnit/unitConfigGen/decodeUnit round-trip the configuration generation and the ledger', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(fc.record({ a: fc.integer({ min: 0, max: 2 }), amount: fc.integer({ min: 1, max: 10 ** 7 }) }), { maxLength: 40 }), (gen, topups) => {
        const src = new Core(cfg);
        for (const t of topups) src.handle({ t: 'topup', time: 1767225600, account: t.a, amountMilli: t.amount });
        const data = encodeUnit(src, gen);
        expect(unitConfigGen(data)).toBe(gen);
        const dst = new Core(cfg);
        expect(decodeUnit(dst, data)).toBe(true);
        expect(saveLedger(dst.ledger)).toEqual(saveLedger(src.ledger));
        expect(dst.ledger.seq).toBe(topups.length);
      }),
      { numRuns: 50 },
    );
  });

  it('unitConfigGen is 0 for a missing or unreadable record; decodeUnit refuses short data and changes nothing', () => {
    expect(unitConfigGen(undefined)).toBe(0);
    expect(unitConfigGen(new Uint8Array(0))).toBe(0);
    expect(unitConfigGen(new Uint8Array([0x80]))).toBe(0);
    const core = new Core(cfg);
    core.handle({ t: 'topup', time: 1767225600, account: 0, amountMilli: 5 });
    const before = saveLedger(core.ledger);
    const w = new Writer(4);
    w.num(3);
    w.num(2);
    w.num(1);
    w.num(1);
    expect(decodeUnit(core, w.out())).toBe(false);
    expect(decodeUnit(core, new Uint8Array([6]))).toBe(false);
    expect(saveLedger(core.ledger)).toEqual(before);
  });
});
