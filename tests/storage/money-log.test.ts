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
    expect(b.say('log n=1').some((l) => /^\(\d+ older events overwritten\)$/.test(l))).toBe(true);
  });

  it('2,000 top-ups of 0.001 after a large one: log acct= says how many entries were overwritten, and the totals since start keep the large one', () => {
    const b = bench();
    b.say('login 2000');
    b.say('topup R1 1000');
    for (let i = 0; i < 2000; i++) b.say('topup R1 0.001');
    const log = b.say('log acct=R1 n=5');
    expect(log.slice(0, 5).every((l) => / ledger #\d+ R1 topup 0\.001 balance /.test(l))).toBe(true);
    const over = log.map((l) => /^\((\d+) older money entries overwritten\)$/.exec(l)).find((m) => m);
    expect(over, log.join('\n')).toBeTruthy();
    expect(+over![1]).toBe(2001 - b.unit.storage!.store.money.slots);
    expect(log).toContain('(R1 since start: topped up 1002.000, charged 0.000, other 0.000, balance 1002.000)');
    // the same after a reboot: the totals are the account's own, not the ring's
    b.reboot();
    b.say('login 1000');
    expect(b.say('log acct=R1 n=1')).toContain('(R1 since start: topped up 1002.000, charged 0.000, other 0.000, balance 1002.000)');
  });

  it('log without acct= gives the totals of all accounts once money entries were overwritten, and JSON carries the counts and totals', () => {
    const b = bench('AT24C32');
    b.say('login 2000');
    const slots = (b.unit.storage!.store as unknown as { money?: { slots: number } }).money?.slots ?? 23;
    b.say('topup R1 50');
    b.say('refund R1 5');
    for (let i = 0; i < slots; i++) b.say('topup R2 0.5');
    const log = b.say('log n=2');
    expect(log).toContain('(2 older money entries overwritten)');
    expect(log).toContain('(all accounts since start: topped up ' + (50 + slots * 0.5).toFixed(3) + ', charged 0.000, other -5.000, balance ' + (45 + slots * 0.5).toFixed(3) + ')');
    b.say('json on');
    const js = b.say('log kind=refund').map((l) => JSON.parse(l));
    // the refund itself was overwritten: no entry, and the answer says why
    expect(js.pop()).toMatchObject({ ok: true, cmd: 'log', entries: 0, moneyOverwritten: 2, toppedUp: 50000 + slots * 500, charged: 0, other: -5000, balance: 45000 + slots * 500 });
    expect(js).toEqual([]);
  });
});
