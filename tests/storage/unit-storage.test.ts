import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { StorageRig } from '../../sim/storage-rig';
import { VirtualClock } from '../../sim/virtual-clock';
import { Core } from '../../firmware/core';
import { parseConfig } from '../../firmware/config';
import { Journal } from '../../firmware/storage/journal';
import { encodeAccount as encodeInto, encodeUnit } from '../../firmware/storage/records';
import { Writer } from '../../firmware/storage/bytes';
import { bootStore, writeConfig, writeHeader } from '../../firmware/storage/store-boot';
import { openJournal } from '../../firmware/storage/journal-scan';
import { FORMAT, Store } from '../../firmware/storage/store';
import { commitRecords, source } from './commit-records';
import { nameList } from '../../firmware/tables';

/** An account's record in a buffer of its own (the unit's commits share one per batch). */
const encodeAccount = (core: Parameters<typeof encodeInto>[0], a: number, token: Parameters<typeof encodeInto>[2], format: number): Uint8Array => {
  const w = new Writer(96);
  encodeInto(core, a, token, format, w);
  return w.out();
};

const CONFIG = {
  plans: { flat: { price: 600 } },
  accounts: [
    { name: 'A1', plan: 'flat' },
    { name: 'A2', plan: 'flat' },
  ],
  meters: [
    { name: 'M1', account: 'A1' },
    { name: 'M2', account: 'A2' },
  ],
};
const T0 = 1767225600; // 2026-01-01 00:00 UTC

function boot(rig: StorageRig, clock: VirtualClock, out: string[]): Unit {
  return startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: rig.eeprom, rtc: rig.rtc }, CONFIG);
}

describe('unit with an EEPROM', () => {
  it('commits an event that touches every account of a 40-account unit on a 32 KB EEPROM (in batches the journal takes)', () => {
    // Found running the dormitory floor on the interpreter: the boot's relay decisions for all
    // 33 accounts made one batch larger than the journal's largest commit on an AT24C256.
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    const big = { plans: CONFIG.plans, accounts: [] as object[], meters: [] as object[] };
    for (let i = 1; i <= 40; i++) {
      big.accounts.push({ name: 'Room' + (100 + i), plan: 'flat' });
      big.meters.push({ name: 'M' + i, account: 'Room' + (100 + i) });
    }
    const out: string[] = [];
    const hal = { load: nodeModules, clock, print: (l: string) => out.push(l), eeprom: rig.eeprom, rtc: rig.rtc };
    let u = startUnit(hal, big);
    expect(u.storage!.error).toBe('');
    for (let a = 0; a < 40; a++) u.handle({ t: 'topup', time: u.time(), account: a, amountMilli: 1000 + a });
    expect(u.storage!.error).toBe('');
    out.length = 0;
    u = startUnit({ ...hal, eeprom: new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }).eeprom }, big);
    expect(out.join('\n')).toMatch(/restored 40 of 40 accounts/);
    for (let a = 0; a < 40; a++) expect(u.core.balance[a]).toBe(1000 + a);
  });

  it('formats a blank EEPROM loudly, then restores balances, registers and the ledger after a reboot', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    const out: string[] = [];
    let u = boot(rig, clock, out);
    expect(out.join('\n')).toMatch(/EEPROM blank: formatted/);
    u.handle({ t: 'topup', time: u.time(), account: 0, amountMilli: 10000 });
    u.handle({ t: 'reading', time: u.time(), meter: 0, importWh: 1000, exportWh: 0 });
    clock.advance(3600_000);
    u.handle({ t: 'reading', time: u.time(), meter: 0, importWh: 2500, exportWh: 0 });
    const bal = u.core.balance[0];
    expect(bal).toBe(10000 - 900);
    // A reading that only charged is committed with its poll cycle, 10 s later.
    clock.advance(10_000);
    const seq = u.core.ledger.seq;
    out.length = 0;
    const rig2 = new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock });
    u = boot(rig2, clock, out);
    expect(out.join('\n')).toMatch(/restored 2 of 2 accounts/);
    expect(u.core.balance[0]).toBe(bal);
    expect(u.core.lastImp[0]).toBe(2500);
    expect(u.core.ledger.seq).toBe(seq);
    u.handle({ t: 'reading', time: u.time(), meter: 0, importWh: 2500, exportWh: 0 });
    expect(u.core.balance[0]).toBe(bal);
  });

  it('a reading not yet committed when the power goes is billed again from the committed register, exactly', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    const out: string[] = [];
    let u = boot(rig, clock, out);
    u.handle({ t: 'topup', time: u.time(), account: 0, amountMilli: 10000 });
    u.handle({ t: 'reading', time: u.time(), meter: 0, importWh: 1000, exportWh: 0 });
    clock.advance(3600_000);
    u.handle({ t: 'reading', time: u.time(), meter: 0, importWh: 1500, exportWh: 0 });
    expect(u.core.balance[0]).toBe(10000 - 300);
    // power lost at once: the 500 Wh reading is only in RAM
    u = boot(new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }), clock, out);
    expect(u.core.lastImp[0]).toBe(1000);
    expect(u.core.balance[0]).toBe(10000);
    clock.advance(600_000);
    u.handle({ t: 'reading', time: u.time(), meter: 0, importWh: 1700, exportWh: 0 });
    expect(u.core.balance[0]).toBe(10000 - 420);
    expect(u.core.energyWh[0]).toBe(700);
  });

  it('boots from an EEPROM written in the older format 1 and migrates it', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    // An EEPROM as format-1 firmware left it: accounts without top-up totals or token state.
    const st = new Store(rig.eeprom);
    bootStore(st, () => 0);
    expect(writeHeader(st, 1).ok).toBe(true);
    const gen = writeConfig(st, source(new Uint8Array(Array.from(JSON.stringify(CONFIG), (c) => c.charCodeAt(0)))), true);
    expect(gen.ok).toBe(true);
    const parsed = parseConfig(CONFIG);
    if (!parsed.ok) throw new Error(parsed.error);
    const core = new Core(parsed.value);
    core.handle({ t: 'topup', time: T0, account: 1, amountMilli: 7000 });
    core.handle({ t: 'reading', time: T0, meter: 1, importWh: 4200, exportWh: 0 });
    const j = new Journal(rig.eeprom, st.journal.start, st.journal.units * 16, 1);
    openJournal(j);
    expect(commitRecords(j, [{ name: '', data: encodeUnit(core, 1) }, { name: 'A1', data: encodeAccount(core, 0, null, 1) }, { name: 'A2', data: encodeAccount(core, 1, null, 1) }]).ok).toBe(true);

    const out: string[] = [];
    let u = boot(new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }), clock, out);
    expect(out).toContain('STORAGE migrated EEPROM format 1 to ' + FORMAT + ' (0 money entries moved)');
    expect(u.core.balance[1]).toBe(7000);
    expect(u.core.lastImp[1]).toBe(4200);
    expect(u.core.topupMilli[1]).toBe(0);
    expect(u.core.ledger.seq).toBe(1);
    out.length = 0;
    u = boot(new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }), clock, out);
    expect(out.join('\n')).not.toMatch(/migrated/);
    expect(u.core.balance[1]).toBe(7000);
  });

  it('one damaged header copy is survived; both damaged means factory defaults, loudly', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    const out: string[] = [];
    let u = boot(rig, clock, out);
    u.handle({ t: 'topup', time: u.time(), account: 0, amountMilli: 5000 });
    rig.chip.flipBit(1, 3); // header copy A
    out.length = 0;
    u = boot(new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }), clock, out);
    expect(out.join('\n')).not.toMatch(/formatted/);
    expect(u.core.balance[0]).toBe(5000);
    rig.chip.flipBit(64 + 4, 0); // and copy B
    out.length = 0;
    u = boot(new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }), clock, out);
    expect(out.join('\n')).toMatch(/EEPROM header unreadable: formatted, STARTING FROM FACTORY DEFAULTS/);
    expect(u.core.balance[0]).toBe(0);
    expect(nameList(u.core.cfg.accounts.names)).toEqual(['A1', 'A2']);
  });

  it('keeps the token lock-out and used tokens through a reboot', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    const out: string[] = [];
    const cfg = JSON.parse(JSON.stringify(CONFIG));
    cfg.accounts[0].token = { key: '0f1e2d3c4b5a69788796a5b4c3d2e1f0', start: 123456789, unit: 1000 };
    let u = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: rig.eeprom, rtc: rig.rtc }, cfg);
    u.input('login 3333\ntoken A1 111111111\ntoken A1 222222222\ntoken A1 333333333\n');
    expect(out.join('\n')).toMatch(/entry locked for \d+ s/);
    out.length = 0;
    u = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: rig.eeprom, rtc: rig.rtc }, cfg);
    u.input('login 3333\ntoken A1 444444444\n');
    expect(out.join('\n')).toMatch(/token entry locked for \d+ s/);
  });

  it('an EEPROM that does not answer: says so, runs from RAM, keeps the event log in RAM', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    rig.bus.detach(0x50);
    const out: string[] = [];
    const u = boot(rig, clock, out);
    expect(out).toContain('STORAGE EEPROM not answering on I2C: running from RAM only, nothing survives a power cut');
    u.handle({ t: 'topup', time: u.time(), account: 0, amountMilli: 5000 });
    expect(u.core.balance[0]).toBe(5000);
    out.length = 0;
    u.input('login 3333\nlog kind=topup\nstatus\n');
    expect(out.some((l) => /ledger #1 A1 topup 5\.000/.test(l))).toBe(true);
    expect(out.some((l) => /STORAGE  NOT WRITTEN/.test(l))).toBe(true);
  });

  it('a money entry already logged is not logged again at a later boot, however many events came after it', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    const out: string[] = [];
    let u = boot(rig, clock, out);
    u.handle({ t: 'topup', time: u.time(), account: 0, amountMilli: 5000 });
    for (let i = 0; i < 40; i++) u.log(-1, 'test', 'event ' + i);
    u = boot(new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }), clock, out);
    out.length = 0;
    u.input('login 3333\nlog kind=topup n=100\n');
    expect(out.filter((l) => /ledger #1 A1 topup 5\.000/.test(l))).toHaveLength(1);
  });

  it('log says how many older events the ring of the event log wrote over', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    const out: string[] = [];
    const u = boot(rig, clock, out);
    const slots = u.storage!.store.events.slots;
    out.length = 0;
    u.input('login 3333\nlog n=1\n');
    expect(out.some((l) => /overwritten/.test(l))).toBe(false);
    const before = u.storage!.store.events.seq;
    for (let i = 0; i < slots + 5; i++) u.log(-1, 'test', 'event ' + i);
    const seq = u.storage!.store.events.seq;
    expect(seq).toBe(before + slots + 5);
    out.length = 0;
    u.input('log n=1\n');
    expect(out).toContain('(older entries overwritten: money log 0, event log ' + (seq - slots) + ')');
  });
});
