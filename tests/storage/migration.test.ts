// Format 3 -> 4 (issue 11, item 6): an EEPROM written by the firmware before the money log had
// its money entries among the events (80-byte slots of text), configuration slots of 3/16 of
// the part and the committed configuration possibly in slot B. Boot migrates it: the money
// entries into their own log, once each, the events the new event log keeps still there, and a
// power cut at any write of the migration loses nothing.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { StorageRig } from '../../sim/storage-rig';
import { VirtualClock } from '../../sim/virtual-clock';
import { Core, formatDecision } from '../../firmware/core';
import { parseConfig } from '../../firmware/config';
import { encodeConfig } from '../../firmware/config-store';
import { Journal } from '../../firmware/storage/journal';
import { Writer } from '../../firmware/storage/bytes';
import { encodeUnit } from '../../firmware/storage/records';
import { accountBytes, commitRecords, source } from './commit-records';
import { SlotRing } from '../../firmware/storage/slot-ring';
import { appendEvent, appendMoney } from '../../firmware/storage/history';
import { configCommitted, writeConfig, writeHeader } from '../../firmware/storage/store-boot';
import { EVENT_SLOT, FORMAT, Store, layoutFor } from '../../firmware/storage/store';
import { Eeprom } from '../../hal/eeprom';
import { Result } from '../../hal/result';
import { nameList } from '../../firmware/tables';

const CONFIG = {
  plans: { flat: { price: 600 } },
  accounts: [
    { name: 'R1', plan: 'flat' },
    { name: 'R2', plan: 'flat' },
    { name: 'Room-Twelve-B', plan: 'flat' },
  ],
  meters: [
    { name: 'M1', account: 'R1' },
    { name: 'M2', account: 'R2' },
  ],
};
const T0 = 1772352000; // 2026-03-01 08:00 UTC

/** What format-3 firmware left: the EEPROM, the money lines it logged (as `log` shows them:
 *  "ledger #N NAME kind amount balance B"), and the balances. */
interface Old {
  rig: StorageRig;
  clock: VirtualClock;
  money: string[];
  others: string[];
  balances: number[];
}

/** Writes an EEPROM as format 3 did: `n` top-ups and refunds with a relay event after each,
 *  the committed configuration in slot B, and (`lost`) one more top-up committed whose log
 *  write a power cut prevented (its '!' record, as format 3 wrote it, names no account). */
function formatThree(part: string, n: number, lost: boolean, config: object = CONFIG): Old {
  const clock = new VirtualClock();
  const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0 + 86400, part });
  const ee = rig.eeprom;
  const o = layoutFor(ee.size, ee.pageSize, 3);
  const st = new Store(ee);
  st.events = st.money = new SlotRing(ee, o.events, o.eventSlots, EVENT_SLOT);
  st.format = 3;
  expect(writeHeader(st, 3).ok).toBe(true);
  const parsed = parseConfig(config);
  if (!parsed.ok) throw new Error(parsed.error);
  const bytes = encodeConfig(parsed.value);
  for (let g = 1; g <= 2; g++) {
    expect(writeConfig(st, source(bytes))).toEqual({ ok: true, value: g });
    configCommitted(st, g);
  }
  expect(st.configSlot).toBe(1);
  const core = new Core(parsed.value);
  const names = nameList(parsed.value.accounts.names);
  const money: string[] = [];
  const others: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = i % 3;
    const t = T0 + i * 60;
    const ds = core.handle(i % 5 === 4 ? { t: 'refund', time: t, account: a, amountMilli: 1 } : { t: 'topup', time: t, account: a, amountMilli: 1000 + i });
    for (const d of ds) {
      if (d.kind !== 'ledger') continue;
      expect(appendEvent(st.events, t, names[a], d.code, formatDecision(d))).toBe(true);
      money.push('ledger #' + d.seq + ' ' + names[a] + ' ' + d.code + ' ' + (d.value / 1000).toFixed(3) + ' balance ' + (d.balance / 1000).toFixed(3));
    }
    expect(appendEvent(st.events, t, names[a], 'relay', 'relay a' + a + ' close topup ' + i)).toBe(true);
    others.push('relay ' + names[a] + ' on (topup) ' + i);
  }
  let said = '';
  if (lost) {
    const ds = core.handle({ t: 'topup', time: T0 + n * 60, account: 1, amountMilli: 4321 });
    said = formatDecision(ds[0]);
    money.push('ledger #' + ds[0].seq + ' a1 topup 4.321 balance ' + (ds[0].balance / 1000).toFixed(3));
  }
  const j = new Journal(ee, o.journal, o.journalSize, 3);
  const recs = [{ name: '', data: encodeUnit(core, 2) }];
  for (let a = 0; a < names.length; a++) recs.push({ name: names[a], data: accountBytes(core, a, null, 3) });
  if (lost) recs.push({ name: '!', data: new Uint8Array(Array.from(st.events.seq + 1 + '\n' + said, (c) => c.charCodeAt(0))) });
  // one record a batch: an AT24C32's journal takes no larger ones
  for (const r of recs) expect(commitRecords(j, [r]).ok).toBe(true);
  return { rig, clock, money, others, balances: names.map((_, a) => core.balance[a]) };
}

function boot(old: Old, eeprom: Eeprom, out: string[], config: object = CONFIG): Unit {
  return startUnit({ load: nodeModules, clock: old.clock, print: (l) => out.push(l), eeprom, rtc: old.rig.rtc }, config);
}

function again(old: Old, out: string[], config: object = CONFIG): Unit {
  return boot(old, new StorageRig({ now: () => old.clock.now(), chip: old.rig.chip, clock: old.rig.clock }).eeprom, out, config);
}

function say(u: Unit, out: string[], line: string): string[] {
  out.length = 0;
  u.input('login 3333\n' + line + '\nlogout\n');
  return out.filter((l) => !/^(signed|logged|bye)/.test(l) && l.indexOf('signed out') < 0);
}

/** The money lines `log` shows, oldest first, without their time stamps. */
function moneyLog(u: Unit, out: string[]): string[] {
  return say(u, out, 'log n=1000')
    .filter((l) => / ledger #\d+ /.test(l))
    .map((l) => l.substr(20))
    .reverse();
}

describe('migration from format 3 (money entries among the events) to format 5 (on these parts, format 4\'s layout)', () => {
  for (const part of ['AT24C32', 'AT24C256', 'AT24C512']) {
    it(part + ': every money entry the old event log held, once, in the money log; the events the new event log keeps; balances; then format 5 for good', () => {
      const o = layoutFor(PARTS_SIZE[part][0], PARTS_SIZE[part][1], 3);
      const n = o.eventSlots + 20; // the old ring has gone round
      const old = formatThree(part, n, true);
      const out: string[] = [];
      let u = again(old, out);
      const mig = out.find((l) => /^STORAGE migrated EEPROM format 3 to 5/.test(l));
      expect(mig, out.join('\n')).toBeTruthy();
      expect(out.filter((l) => /torn|corrupt|unreadable|kept in format/.test(l))).toEqual([]);
      for (let a = 0; a < 3; a++) expect(u.core.balance[a]).toBe(old.balances[a]);
      expect(u.storage!.store.money).not.toBe(u.storage!.store.events);
      // The old ring held a money entry and a relay event a step; logging the entry a cut kept
      // from it (at this boot, before the migration) took its oldest slot.
      const want = old.money.slice(-Math.floor(o.eventSlots / 2), -1).concat(old.money.slice(-1));
      const got = moneyLog(u, out);
      for (const w of want) expect(got.filter((l) => l === w), w + ' in\n' + got.join('\n')).toHaveLength(1);
      // the one a cut kept from the old log: recovered at this boot, named as format 3 named it
      expect(got[got.length - 1]).toBe(old.money[old.money.length - 1]);
      expect(new Set(got).size).toBe(got.length);
      // events the new event log kept, in the console's words (an AT24C32's 6 slots are taken by
      // this boot's own lines)
      const all = say(u, out, 'log n=1000');
      if (o.eventSlots > 20) expect(all.filter((l) => / relay \S+ on \(topup\)$/.test(l)).length).toBeGreaterThan(5);
      // format 4 for good: no migration at the next boot, nothing torn, the same money log
      out.length = 0;
      u = again(old, out);
      expect(out.filter((l) => /migrated|torn|corrupt|kept in format/.test(l))).toEqual([]);
      expect(moneyLog(u, out)).toEqual(got);
      // new money entries go to the money log, with the account's name (not on an AT24C32: its
      // journal takes no batch of an account, the unit record with 16 correctable entries and
      // the money line, as before format 4)
      if (part === 'AT24C32') return;
      expect(say(u, out, 'topup R2 1')[0]).toMatch(/^RECEIPT #\d+ .* R2 topup 1\.000/);
      expect(say(u, out, 'log acct=R2 kind=topup n=1')[0]).toMatch(/ ledger #\d+ R2 topup 1\.000 balance /);
      expect(u.storage!.store.money.seq).toBeGreaterThan(0);
    });
  }

  it('a configuration too large for format 4\'s slots keeps format 3 (said at every boot, money entries still logged among the events), and migrates once it is smaller', () => {
    // 30 accounts on an AT24C128: about 2,500 bytes of configuration; format 4's slots hold 2,037
    const big = { plans: { flat: { price: 600 } }, accounts: [] as object[], meters: [] as object[] };
    for (let i = 1; i <= 30; i++) {
      big.accounts.push({ name: i < 4 ? ['R1', 'R2', 'Room-Twelve-B'][i - 1] : 'Room-' + (100 + i), plan: 'flat', alarmLevels: [30000, 20000, 10000] });
      big.meters.push({ name: 'Meter-' + (100 + i), account: i < 4 ? ['R1', 'R2', 'Room-Twelve-B'][i - 1] : 'Room-' + (100 + i) });
    }
    const old = formatThree('AT24C128', 6, false, big);
    const out: string[] = [];
    let u = again(old, out, big);
    expect(out.filter((l) => /^STORAGE (EEPROM kept in format 3: configuration of \d+ bytes, format 5 keeps 2037$|.*fail)/.test(l))).toEqual([expect.stringMatching(/kept in format 3/)]);
    expect(u.storage!.store.money).toBe(u.storage!.store.events);
    for (let a = 0; a < 3; a++) expect(u.core.balance[a]).toBe(old.balances[a]);
    expect(say(u, out, 'topup R2 1')[0]).toMatch(/^RECEIPT #7 .* R2 topup 1\.000/);
    const got = moneyLog(u, out);
    expect(got[got.length - 1]).toMatch(/^ledger #7 R2 topup 1\.000 balance /);
    out.length = 0;
    u = again(old, out, big);
    expect(out.filter((l) => /kept in format 3/.test(l))).toHaveLength(1);
    // (the boot's own events, 30 relays among them, push older money entries out: format 3)
    const last = got[got.length - 1];
    expect(moneyLog(u, out)).toContain(last);
    // accounts closed until it fits, and the next boot migrates
    for (let i = 4; i <= 30; i++) say(u, out, 'acct close Room-' + (100 + i));
    out.length = 0;
    u = again(old, out, big);
    expect(out.some((l) => /^STORAGE migrated EEPROM format 3 to 5 \(\d+ money entries moved\)$/.test(l)), out.join('\n')).toBe(true);
    expect(u.storage!.store.money).not.toBe(u.storage!.store.events);
    // (closing 27 accounts in format 3 pushed the older money entries out of its event log)
    expect(say(u, out, 'topup R1 3')[0]).toMatch(/^RECEIPT #8 .* R1 topup 3\.000/);
    expect(moneyLog(u, out).pop()).toBe('ledger #8 R1 topup 3.000 balance ' + ((old.balances[0] + 3000) / 1000).toFixed(3));
  });

  it('a power cut at any EEPROM write of the migration (first, middle and last byte): the next boot migrates, every money entry once, balances kept', () => {
    const part = 'AT24C256';
    const base = formatThree(part, 100, true);
    const image = base.rig.chip.snapshot();
    // The migrating boot, every write recorded.
    const writes: { addr: number; bytes: Uint8Array }[] = [];
    const rec = new StorageRig({ now: () => base.clock.now(), chip: base.rig.chip, clock: base.rig.clock }).eeprom;
    const spy: Eeprom = {
      size: rec.size,
      pageSize: rec.pageSize,
      read: (a: number, n: number) => rec.read(a, n),
      write: (a: number, b: Uint8Array): Result<true> => {
        writes.push({ addr: a, bytes: b.slice() });
        return rec.write(a, b);
      },
    } as Eeprom;
    const out: string[] = [];
    const ref = boot(base, spy, out);
    expect(out.some((l) => /migrated EEPROM format 3 to 5/.test(l))).toBe(true);
    const want = moneyLog(ref, out);
    expect(want.length).toBeGreaterThan(30);
    let tried = 0;
    const img = image.slice();
    for (let w = 0; w < writes.length; w++) {
      const wr = writes[w];
      for (const k of new Set([0, wr.bytes.length >> 1, wr.bytes.length - 1])) {
        const cut = img.slice();
        cut.set(wr.bytes.subarray(0, k), wr.addr);
        cut[wr.addr + k] = ~wr.bytes[k] & 255;
        base.rig.chip.restore(cut);
        out.length = 0;
        let u = again(base, out);
        // maybe the cut came after the header: then this boot is a format-4 boot
        out.length = 0;
        u = again(base, out);
        expect(out.filter((l) => /migrated|kept in format|unreadable|could not|torn|corrupt/.test(l)), 'write ' + w + ' byte ' + k).toEqual([]);
        for (let a = 0; a < 3; a++) expect(u.core.balance[a], 'write ' + w + ' byte ' + k).toBe(base.balances[a]);
        expect(moneyLog(u, out), 'write ' + w + ' byte ' + k).toEqual(want);
        tried++;
      }
      img.set(wr.bytes, wr.addr);
    }
    console.log('migration cut at ' + tried + ' points of ' + writes.length + ' writes: all recovered');
  }, 300000);
});

const PARTS_SIZE: { [p: string]: [number, number] } = { AT24C32: [4096, 32], AT24C256: [32768, 64], AT24C512: [65536, 128] };
void FORMAT;

describe('format 4 to 5 (interval readings for the uplink, on parts above 64 KB)', () => {
  const UPLINK = { id: 'f1', key: '000102030405060708090a0b0c0d0e0f', intervalMinutes: 15 };
  const withUplink = { ...CONFIG, uplink: UPLINK };
  /** A unit whose EEPROM (`part`) is then marked format 4, with n money entries in format 4's
   *  money log (written straight into its ring, as format-4 firmware placed them). */
  function formatFour(part: string, n: number): { old: Old; out: string[] } {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part });
    const out: string[] = [];
    const u = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: rig.eeprom, rtc: rig.rtc }, withUplink);
    const st = u.storage!.store;
    const l4 = layoutFor(st.ee.size, st.ee.pageSize, 4);
    const ring = new SlotRing(st.ee, l4.money, l4.moneySlots, 40);
    for (let i = 1; i <= n; i++) {
      const d = { kind: 'ledger' as const, account: 0, meter: -1, code: 'topup', value: 1000, balance: 1000 * i, seq: i, ref: -1 };
      expect(appendMoney(ring, T0 + i, 'R1', d, 0)).toBe(true);
    }
    st.format = 4;
    expect(writeHeader(st, 4).ok).toBe(true);
    return { old: { rig, clock, money: [], others: [], balances: [] }, out };
  }

  it('a money log that never reached the slots format 5 gives the readings: migrated, every entry kept, readings taken', () => {
    const { old, out } = formatFour('AT24CM01', 40);
    out.length = 0;
    let u = again(old, out, withUplink);
    expect(out.filter((l) => /format/.test(l))).toEqual(['STORAGE migrated EEPROM format 4 to 5']);
    const st = u.storage!.store;
    expect([st.format, st.money.slots, st.money.seq, st.readings.slots]).toEqual([undefined, 1529, 40, 64]);
    expect(moneyLog(u, out)).toHaveLength(40);
    // the readings of the next interval's end go into their ring, and the next boot says nothing
    old.clock.advance(20 * 60000);
    u.handle({ t: 'tick', time: u.time() });
    expect(st.readings.seq).toBeGreaterThan(0);
    out.length = 0;
    u = again(old, out, withUplink);
    expect(out.filter((l) => /format|torn|corrupt/.test(l))).toEqual([]);
    expect(u.storage!.store.readings.seq).toBe(st.readings.seq);
    expect(moneyLog(u, out)).toHaveLength(40);
  });

  it('one that reached them keeps format 4, says so at every boot, takes no readings, loses no entry', () => {
    const { old, out } = formatFour('AT24CM01', 1600);
    for (let k = 0; k < 2; k++) {
      out.length = 0;
      const u = again(old, out, withUplink);
      expect(out.filter((l) => /format/.test(l))).toEqual(['STORAGE EEPROM kept in format 4 (1600 money entries): no interval readings for the uplink']);
      const st = u.storage!.store;
      expect([st.format, st.money.slots, st.money.seq]).toEqual([4, 1945, 1600]);
      old.clock.advance(20 * 60000);
      u.handle({ t: 'tick', time: u.time() });
      expect(st.readings.seq).toBe(0);
      // the newest of them, as many as `log` lists among the boots' events, none missing
      const m = moneyLog(u, out);
      expect(m.length).toBeGreaterThan(950);
      m.forEach((x, i) => expect(x).toMatch(new RegExp('^ledger #' + (1600 - m.length + 1 + i) + ' R1 topup ')));
    }
  });

  it('a part of 64 KB: the layouts are one, the header changes and nothing is said', () => {
    const { old, out } = formatFour('AT24C512', 40);
    out.length = 0;
    const u = again(old, out, withUplink);
    expect(out.filter((l) => /format/.test(l))).toEqual([]);
    expect([u.storage!.store.format, u.storage!.store.readings.slots]).toEqual([undefined, 0]);
    expect(moneyLog(u, out)).toHaveLength(40);
  });
});
