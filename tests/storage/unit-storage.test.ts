import { describe, expect, it } from 'vitest';
import { startUnit, Unit } from '../../firmware/unit';
import { StorageRig } from '../../sim/storage-rig';
import { VirtualClock } from '../../sim/virtual-clock';

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
  return startUnit({ clock, print: (l) => out.push(l), eeprom: rig.eeprom, rtc: rig.rtc }, CONFIG);
}

describe('unit with an EEPROM', () => {
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
});
