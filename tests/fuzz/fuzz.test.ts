// The fuzz suite (issue 11): every fuzzer of fuzzers.ts with the fixed seed CI_SEED, so a CI run
// is deterministic. `npm run fuzz -- N` runs the same fuzzers N times with random seeds.
// Below them, the bugs the fuzzers found, each as its smallest reproduction: `it.fails` with an
// entry in KNOWN_BUGS while a bug is open, a plain test once it is fixed.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CI_SEED, CONSOLE_CONFIG, fuzzers, KNOWN_BUGS, T0 } from './fuzzers';
import { copyJson } from './mutate';
import { decodeConfig } from '../../firmware/config-store';
import { Writer } from '../../firmware/storage/bytes';
import { Shell } from '../../firmware/console/shell';
import { startUnit } from '../../firmware/unit';
import { MeterBus } from '../../firmware/metering/bus';
import * as dlt from '../../firmware/metering/dlt645';
import { nodeModules } from '../../sim/modules';
import { VirtualClock } from '../../sim/virtual-clock';
import { StorageRig } from '../../sim/storage-rig';
import { FakeClock, FakePort, h } from '../metering/fakes';
import { nameList } from '../../firmware/tables';

describe('fuzzing every external input (fixed seed ' + CI_SEED + ')', () => {
  for (const f of fuzzers) {
    it(f.name + ': ' + f.input, () => {
      fc.assert(f.property({ strict: false }), { seed: CI_SEED, numRuns: f.runs });
    });
  }
});

/** A layout-1 binary configuration (firmware/config-store.ts) of one flat plan and one account
 *  whose alarm list says it holds `alarms` levels and holds `levels`. */
function oneAccount(alarms: number, levels: number[]): Uint8Array {
  const w = new Writer(64);
  const list = (v: number[]) => {
    w.num(v.length);
    for (const x of v) w.num(x);
  };
  for (const x of [1, 1, 1, 0, 0]) w.num(x); // layout, plans, accounts, meters, profiles
  for (const x of [0, 65, 1]) w.num(x); // UTC offset, weekend mask, billing day
  list([]); // holidays
  for (const p of ['1111', '2222', '3333']) w.str(p);
  for (const x of [60, 2400, 1, 1, 9600, 0, 1]) w.num(x); // poll s, DL/T 645 line, Modbus line
  w.str('flat');
  list([0, 0, 600, 0]); // period prices
  list([0, 2]); // workday: flat from 00:00
  w.num(0); // weekend as workday
  list([]); // tier limits
  list([0]); // tier adders
  w.num(600); // safe price
  w.str('R1');
  w.num(0); // plan
  list([0, 0, 0, 2, 0, -1, 0, 10, 30, 3600, 3, 0, 1000]); // credit limit .. token unit
  w.num(alarms);
  for (const x of levels) w.num(x);
  list([]); // friendly windows
  list(new Array(16).fill(0)); // token key
  return w.out();
}

describe('bugs the fuzzers found, each reproduced', () => {
  it('no known bug is open', () => {
    expect(KNOWN_BUGS.map((b) => b.id)).toEqual([]);
  });

  // config-store-wide-profile-text (config-text, config-object): encodeConfig writes a custom
  // register map as its JSON text one byte per character (w.u8(s.charCodeAt(k))), keeping
  // only the low byte. "三相表" (three-phase meter) becomes TAB, 0xF8, "h": a control character
  // inside a JSON string, so the saved configuration no longer parses.
  it('a configuration imported with a register map named "三相表" is the one the unit boots with next time', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0 });
    const hal = { load: nodeModules, clock, print: () => undefined, eeprom: rig.eeprom, rtc: rig.rtc };
    const u = startUnit(hal, copyJson(CONSOLE_CONFIG));
    const cfg = copyJson(CONSOLE_CONFIG) as { meters: object[] };
    cfg.meters.push({ name: 'M3', account: 'R1', proto: 'modbus', addr: '7', profile: { name: '三相表', import: { reg: 10, fn: 3, type: 'u32', scale: 0.01, unit: 'kWh' } } });
    u.input('login 3000\r\nconfig import\r\n');
    const text = JSON.stringify(cfg);
    for (let i = 0; i < text.length; i += 70) u.input(text.substr(i, 70) + '\r\n');
    u.input('END CONFIG\r\n');
    expect(nameList(u.cfg.meters.names)).toEqual(['M1', 'M2', 'M3']); // imported
    const again = startUnit({ ...hal, eeprom: new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }).eeprom }, copyJson(CONSOLE_CONFIG));
    expect(nameList(again.cfg.meters.names)).toEqual(['M1', 'M2', 'M3']);
  });

  // config-mode-lost-at-boot (console): apply() (firmware/console/config-commands.ts) gives the
  // new core the configured mode (carryOver), commits the configuration and the unit record
  // (saveConfig), but commits only the accounts its start decisions touch; R1's record keeps
  // mode auto, and the boot restores it over the configuration's "on".
  it('a relay mode set by the configuration survives a power cycle', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0 });
    const hal = { load: nodeModules, clock, print: () => undefined, eeprom: rig.eeprom, rtc: rig.rtc };
    const u = startUnit(hal, copyJson(CONSOLE_CONFIG));
    u.input('login 3000\r\n');
    u.input('acct set R1 mode=on\r\n');
    expect(u.core.mode[0]).toBe(1); // on: guaranteed power
    const again = startUnit({ ...hal, eeprom: new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }).eeprom }, copyJson(CONSOLE_CONFIG));
    expect(again.cfg.accounts.mode[0]).toBe(1); // the configuration says on ...
    expect(again.core.mode[0]).toBe(1); // ... and the account runs in it
  });

  // decode-config-negative-count (config-binary): the header's counts are zigzag varints; a
  // negative account count passes the `na > 4096` check and table(U8, na) throws.
  it('decodeConfig: a negative account count in the header gives null, not a RangeError', () => {
    expect(decodeConfig(Uint8Array.from([2, 0, 1, 0, 0]))).toBeNull(); // layout 1, 0 plans, -1 accounts, 0 meters, 0 profiles
  });

  it('the hand-written binary configuration of oneAccount() is one decodeConfig reads', () => {
    const c = decodeConfig(oneAccount(1, [5000]));
    expect(c && nameList(c.accounts.names)).toEqual(['R1']);
    expect(c && Array.from(c.accounts.alarm)).toEqual([5000]);
  });

  // decode-config-huge-list (config-binary; since a61bd8d, which reads the configuration
  // straight into its tables): the alarm table is grown to the count read before the levels are,
  // so a damaged count of 2^40 asks for a table no engine makes (RangeError), 2^31 for 16 GB
  // (RangeError where the allocation fails), and 2^26 allocates 512 MB.
  it('decodeConfig: an alarm count of 2^40 with no levels behind it gives null, not a RangeError', () => {
    expect(decodeConfig(oneAccount(2 ** 40, []))).toBeNull();
  });

  // shell-escape-swallows-controls (console-editing): after ESC the shell swallows the next
  // character, and inside ESC [ every character up to one of @..~, Ctrl-C and Enter included.
  it('Ctrl-C after a stray ESC drops the line: `topup R1 5` ESC Ctrl-C Enter tops up nothing', () => {
    const u = startUnit({ load: nodeModules, clock: new VirtualClock(), print: () => undefined }, copyJson(CONSOLE_CONFIG));
    u.input('login 2000\r\n');
    u.input('topup R1 5\x1b\x03\r\n');
    expect(u.core.balance[0]).toBe(0);
  });

  it('Enter ends a line even inside an escape sequence: the next line runs as typed', () => {
    const ran: string[] = [];
    const sh = new Shell({ clock: new VirtualClock(), print: () => undefined, run: (_s, l) => ran.push(l) });
    sh.feed('status\x1b[\racct\r');
    expect(ran[ran.length - 1]).toBe('acct');
  });

  // bus-retry-over-reply-tail (bus-poller): a DL/T 645 reply whose length byte is damaged
  // (0 here) fails its checksum before the meter has finished sending it; the retry goes out
  // 3.5 characters later, but the rest of the reply, handed over 4 bytes at a time (4
  // characters apart), is still on the half-duplex line.
  it('after a corrupt DL/T 645 reply the bus waits for the line to fall quiet before it retries', () => {
    const clock = new FakeClock();
    let port!: FakePort;
    const bus = new MeterBus({ clock, line: { baud: 9600, dataBits: 8, parity: 'even', stopBits: 1 }, meters: 1, open: (o) => (port = new FakePort(clock, o)), retries: 1 });
    const good = h('FE FE 68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16');
    const damaged = h('FE FE 68 61 01 00 00 00 00 68 91 00 08 33 33 34 33 59 33 33 33 8A 16'); // a 00 before the length
    let n = 0;
    port.responder = () => ({ delayMs: 20, bytes: n++ ? good : damaged, slice: 4 });
    const results: (string | null)[] = [];
    bus.readDlt(0, h('61 01 00 00 00 00'), dlt.DI_IMPORT, 4, (err) => results.push(err));
    clock.advance(3000);
    expect(results).toEqual([null]);
    expect(port.overlaps).toBe(0); // the retry is not written over the reply's tail
  });
});
