// Issue 11, item 6: the audit trail can be flushed. Money entries (top-ups, refunds,
// corrections, transfers) live in a ring of their own in the EEPROM, so other events cannot
// push them out; the accounts' totals since start survive any overwriting; `log` says how many
// older entries each ring wrote over. Each case was reproduced before its fix.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { StorageRig } from '../../sim/storage-rig';
import { VirtualClock } from '../../sim/virtual-clock';

const CONFIG = {
  plans: { flat: { price: 600 } },
  accounts: [
    { name: 'R1', plan: 'flat' },
    { name: 'R2', plan: 'flat' },
  ],
  meters: [
    { name: 'M1', account: 'R1' },
    { name: 'M2', account: 'R2' },
  ],
  console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
};
const T0 = 1772352000; // 2026-03-01 08:00 UTC

interface Bench {
  unit: Unit;
  rig: StorageRig;
  clock: VirtualClock;
  out: string[];
  say: (line: string) => string[];
  reboot: () => void;
}

function bench(part = 'AT24C512'): Bench {
  const clock = new VirtualClock();
  const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part });
  const out: string[] = [];
  const b: Bench = {
    unit: startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: rig.eeprom, rtc: rig.rtc }, CONFIG),
    rig,
    clock,
    out,
    say: (line) => {
      out.length = 0;
      b.unit.input(line + '\r\n');
      return out.slice();
    },
    reboot: () => {
      const r2 = new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock });
      b.unit = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: r2.eeprom, rtc: r2.rtc }, CONFIG);
    },
  };
  return b;
}

describe('money entries apart from other events (issue 11, item 6)', () => {
  it('2,000 other events do not push a large top-up out of log acct=', () => {
    const b = bench();
    b.say('login 2000');
    expect(b.say('topup R1 1000')[0]).toMatch(/^RECEIPT #1 .* R1 topup 1000\.000 balance 1000\.000/);
    // Relay modes, each logged as the command, the mode event and the relay switching.
    for (let i = 0; i < 700; i++) b.say('relay R2 ' + (i % 2 ? 'auto' : 'off'));
    const log = b.say('log acct=R1 kind=topup');
    expect(log).toContain('2026-03-01 08:00:00 ledger #1 R1 topup 1000.000 balance 1000.000');
    // and after a reboot
    b.reboot();
    b.say('login 1000');
    expect(b.say('log acct=R1 kind=topup')).toContain('2026-03-01 08:00:00 ledger #1 R1 topup 1000.000 balance 1000.000');
    // the other ring did wrap, and says so
    expect(b.say('log n=1').some((l) => /^\(older entries overwritten: money log 0, event log [1-9]\d*\)$/.test(l))).toBe(true);
  });

  it('2,000 top-ups of 0.001 after a large one: log acct= says how many entries were overwritten, and the totals since start keep the large one', () => {
    const b = bench();
    b.say('login 2000');
    b.say('topup R1 1000');
    for (let i = 0; i < 2000; i++) b.say('topup R1 0.001');
    const log = b.say('log acct=R1 n=5');
    expect(log.slice(0, 5).every((l) => / ledger #\d+ R1 topup 0\.001 balance /.test(l))).toBe(true);
    const over = log.map((l) => /^\(older entries overwritten: money log (\d+), event log \d+\)$/.exec(l)).find((m) => m);
    expect(over, log.join('\n')).toBeTruthy();
    expect(+over![1]).toBe(2001 - b.unit.storage!.store.money.slots);
    expect(log).toContain('(R1 since start: topped up 1002.000, charged 0.000, other 0.000, balance 1002.000)');
    // the same after a reboot: the totals are the account's own, not the ring's
    b.reboot();
    b.say('login 1000');
    expect(b.say('log acct=R1 n=1')).toContain('(R1 since start: topped up 1002.000, charged 0.000, other 0.000, balance 1002.000)');
  });

  it('a top-up committed but kept from the money log by a power cut is logged at the next boot under its account, once', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: T0, part: 'AT24C256' });
    const out: string[] = [];
    let moneyAt = -1;
    let cut = false;
    // The money log's writes fail from `cut` on, as if the power went after the commit.
    const ee = {
      size: rig.eeprom.size,
      pageSize: rig.eeprom.pageSize,
      read: (a: number, n: number) => rig.eeprom.read(a, n),
      write: (a: number, b: Uint8Array): Result<true> => (cut && a >= moneyAt && a < moneyAt + 6096 ? fail('nack', 'cut') : rig.eeprom.write(a, b)),
    };
    let u = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: ee, rtc: rig.rtc }, CONFIG);
    moneyAt = u.storage!.store.money.start;
    u.input('login 2000\r\ntopup R2 7.5\r\n');
    cut = true;
    u.input('topup R2 2.25\r\n');
    expect(out.some((l) => /^RECEIPT #2 .* R2 topup 2\.250 balance 9\.750/.test(l))).toBe(true);
    out.length = 0;
    u = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }).eeprom, rtc: rig.rtc }, CONFIG);
    out.length = 0;
    u.input('login 1000\r\nlog acct=R2 kind=topup\r\n');
    expect(out.filter((l) => / ledger #\d+ R2 topup /.test(l)).map((l) => l.substr(20))).toEqual(['ledger #2 R2 topup 2.250 balance 9.750', 'ledger #1 R2 topup 7.500 balance 7.500']);
    // and not again at the boot after
    u = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }).eeprom, rtc: rig.rtc }, CONFIG);
    out.length = 0;
    u.input('login 1000\r\nlog kind=topup\r\n');
    expect(out.filter((l) => / ledger #2 /.test(l))).toHaveLength(1);
  });

  it('log without acct= gives the totals of all accounts once money entries were overwritten, and JSON carries the counts and totals', () => {
    const b = bench('AT24C32');
    b.say('login 2000');
    const slots = (b.unit.storage!.store as unknown as { money?: { slots: number } }).money?.slots ?? 23;
    b.say('topup R1 50');
    b.say('refund R1 5');
    for (let i = 0; i < slots; i++) b.say('topup R2 0.5');
    const log = b.say('log n=2');
    expect(log.some((l) => /^\(older entries overwritten: money log 2, event log \d+\)$/.test(l))).toBe(true);
    expect(log).toContain('(all accounts since start: topped up ' + (50 + slots * 0.5).toFixed(3) + ', charged 0.000, other -5.000, balance ' + (45 + slots * 0.5).toFixed(3) + ')');
    b.say('json on');
    const js = b.say('log kind=refund').map((l) => JSON.parse(l));
    // the refund itself was overwritten: no entry, and the answer says why
    expect(js.pop()).toMatchObject({ ok: true, cmd: 'log', entries: 0, moneyOverwritten: 2, toppedUp: 50000 + slots * 500, charged: 0, other: -5000, balance: 45000 + slots * 500 });
    expect(js).toEqual([]);
  });
});

// ---------------------------------------------------------------- the money log's slots

import fc from 'fast-check';
import { SlotRing } from '../../firmware/storage/slot-ring';
import { EventFilter, appendEvent, appendMoney, readLog } from '../../firmware/storage/history';
import { EVENT_SLOT, MONEY_SLOT } from '../../firmware/storage/store';
import { openRing } from '../../firmware/storage/slot-scan';
import { Decision } from '../../firmware/core';
import { Result, fail } from '../../hal/result';
import { MemEeprom } from './mem-eeprom';


/** Two rings on one memory: events at 0, money entries after them. */
function rings(events: number, money: number): { ev: SlotRing; mo: SlotRing; ee: MemEeprom } {
  const ee = new MemEeprom(events * EVENT_SLOT + money * MONEY_SLOT);
  const ev = new SlotRing(ee, 0, events, EVENT_SLOT);
  const mo = new SlotRing(ee, events * EVENT_SLOT, money, MONEY_SLOT);
  return { ev, mo, ee };
}

/** Account names as the configuration allows them: 1 to 16 printable ASCII, no spaces. */
const nameArb = fc.string({ unit: fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 16 });
const KINDS = ['topup', 'refund', 'correction', 'transfer'];

interface Money {
  time: number;
  account: string;
  d: Decision;
}

const moneyArb = (names: string[]): fc.Arbitrary<Money> =>
  fc.record({
    time: fc.integer({ min: T0, max: T0 + 86400 * 400 }),
    account: fc.constantFrom(...names),
    code: fc.constantFrom(...KINDS),
    // entry numbers far beyond a unit's life (2^34: a million a day for 47,000 years), any
    // amount the console takes (below 10^12 milli-units), balances up to 2^41 (2.2 billion)
    seq: fc.integer({ min: 1, max: 2 ** 34 - 1 }),
    value: fc.integer({ min: -999999999999, max: 999999999999 }),
    balance: fc.integer({ min: -(2 ** 41) + 1, max: 2 ** 41 - 1 }),
    ref: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 34 - 1 })),
  }).map((m) => ({ time: m.time, account: m.account, d: { kind: 'ledger', account: 0, meter: -1, code: m.code, value: m.value, balance: m.balance, seq: m.seq, ref: m.ref } }));

/** The line log gives a money entry (before the console names it). */
function lineOf(m: Money): string {
  return 'ledger #' + m.d.seq + ' a0 ' + m.d.code + ' ' + m.d.value + ' bal ' + m.d.balance + (m.d.ref >= 0 ? ' ref ' + m.d.ref : '');
}

const ALL: EventFilter = { account: '', kind: '', from: 0, to: 1e12 };

describe('money log slots', () => {
  it('every entry comes back exactly, its name whole or found again from its start and CRC among the names given, newest first, over wraps and a reboot', () => {
    fc.assert(
      fc.property(fc.uniqueArray(nameArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 30 }), fc.context(), (names, slots, count, ctx) => {
        const entries = fc.sample(moneyArb(names), { numRuns: count, seed: count * 7919 + slots });
        const { ev, mo, ee } = rings(2, slots);
        for (const m of entries) expect(appendMoney(mo, m.time, m.account, m.d, 2 ** 20 - 1)).toBe(true);
        const want = entries.slice(-slots).reverse();
        for (const reboot of [false, true]) {
          const r = reboot ? new SlotRing(ee, mo.start, slots, MONEY_SLOT) : mo;
          if (reboot) openRing(r);
          const got: string[] = [];
          readLog(ev, r, ALL, 1000, (t, a, k, x) => got.push(t + '|' + a + '|' + k + '|' + x), names.join(' ') + ' ');
          expect(got).toEqual(want.map((m) => m.time + '|' + m.account + '|' + m.d.code + '|' + lineOf(m)));
          // without the names, a name that was cut shows its start and ~, never another name
          const bare: string[] = [];
          readLog(ev, r, ALL, 1000, (t, a) => bare.push(a));
          bare.forEach((a, i) => {
            const full = want[i].account;
            if (a !== full) {
              ctx.log(full + ' -> ' + a);
              expect(a.endsWith('~') && full.startsWith(a.slice(0, -1))).toBe(true);
            }
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('names of up to 12 characters stay whole beside amounts and balances below 1,048.576, entry numbers below 2^27 and a million events', () => {
    fc.assert(
      fc.property(nameArb.filter((x) => x.length <= 12), fc.integer({ min: 1, max: 2 ** 27 - 1 }), fc.integer({ min: -1048575, max: 1048575 }), fc.integer({ min: -1048575, max: 1048575 }), (name, seq, value, balance) => {
        const { ev, mo } = rings(1, 2);
        expect(appendMoney(mo, T0, name, { kind: 'ledger', account: 0, meter: -1, code: 'topup', value, balance, seq, ref: -1 }, ev.seq + 999999)).toBe(true);
        const got: string[] = [];
        readLog(ev, mo, ALL, 10, (t, a) => got.push(a));
        expect(got).toEqual([name]);
      }),
      { numRuns: 300 },
    );
  });

  it('an entry whose numbers leave no room for its name (beyond what a unit ever counts) is refused, nothing written', () => {
    const { ev, mo, ee } = rings(1, 2);
    const before = ee.mem.slice();
    const d: Decision = { kind: 'ledger', account: 0, meter: -1, code: 'correction', value: 2 ** 50, balance: -(2 ** 50), seq: 2 ** 45, ref: 2 ** 45 };
    expect(appendMoney(mo, T0, 'R1', d, 2 ** 30)).toBe(false);
    expect(ee.mem).toEqual(before);
    expect(mo.seq).toBe(0);
    const got: string[] = [];
    readLog(ev, mo, ALL, 10, (t, a) => got.push(a));
    expect(got).toEqual([]);
  });

  it('log merges the two rings newest first in the order they were logged (whatever the times: the clock may be set back), through the filters, at most max', () => {
    const names = ['R1', 'R2', 'Room-Number-0017'];
    const stepArb = fc.record({ dt: fc.integer({ min: -2, max: 3 }), money: fc.boolean(), account: fc.constantFrom(...names), code: fc.constantFrom(...KINDS, 'relay', 'command') });
    const filterArb = fc
      .record({ account: fc.constantFrom('', ...names), kind: fc.constantFrom('', 'topup', 'relay', 'refund'), a: fc.integer({ min: T0 - 2, max: T0 + 100 }), b: fc.integer({ min: T0 - 2, max: T0 + 100 }) })
      .map((f) => ({ account: f.account, kind: f.kind, from: Math.min(f.a, f.b), to: Math.max(f.a, f.b) }));
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), filterArb, fc.integer({ min: 1, max: 50 }), (steps, evSlots, moSlots, f, max) => {
        const { ev, mo } = rings(evSlots, moSlots);
        let t = T0;
        const evs: { t: number; a: string; k: string; x: string; ring: number; i: number }[] = [];
        const mos: typeof evs = [];
        steps.forEach((s, i) => {
          t += s.dt;
          if (s.money && KINDS.indexOf(s.code) >= 0) {
            const d: Decision = { kind: 'ledger', account: 0, meter: -1, code: s.code, value: i + 1, balance: 100 * i, seq: i + 1, ref: -1 };
            expect(appendMoney(mo, t, s.account, d, ev.seq)).toBe(true);
            mos.push({ t, a: s.account, k: s.code, x: lineOf({ time: t, account: s.account, d }), ring: 1, i });
          } else {
            const x = s.code === 'relay' ? 'relay a0 close topup' : 'operator: relay ' + s.account + ' ' + i;
            expect(appendEvent(ev, t, s.account, s.code, x)).toBe(true);
            evs.push({ t, a: s.account, k: s.code, x, ring: 0, i });
          }
        });
        const kept = evs.slice(-evSlots).concat(mos.slice(-moSlots));
        kept.sort((p, q) => q.i - p.i);
        const want = kept
          .filter((e) => (!f.account || e.a === f.account) && (!f.kind || e.k === f.kind) && e.t >= f.from && e.t < f.to)
          .slice(0, max)
          .map((e) => e.t + '|' + e.a + '|' + e.k + '|' + e.x);
        const got: string[] = [];
        readLog(ev, mo, f, max, (tt, a, k, x) => got.push(tt + '|' + a + '|' + k + '|' + x), names.join(' ') + ' ');
        expect(got).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });
});
