// On a board (its heap measured) an uplink session starts only with the heap it needs free
// (firmware/uplink/tick.ts): with less, it is put off as one that failed, said once in the log,
// and nothing is opened; with enough, the link is opened.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { StorageRig } from '../../sim/storage-rig';

const config = {
  uplink: { id: 'u9', key: '000102030405060708090a0b0c0d0e0f', intervalMinutes: 15 },
  plans: { f: { price: 1000 } },
  accounts: [{ name: 'R1', plan: 'f' }],
  meters: [{ name: 'M1', account: 'R1' }],
};

function unit(free: { n: number }) {
  const clock = new VirtualClock();
  const store = new StorageRig({ now: () => clock.now(), startEpoch: Date.UTC(2026, 2, 1, 8) / 1000 });
  const opened: number[] = [];
  const printed: string[] = [];
  const u = startUnit(
    {
      load: nodeModules,
      clock,
      print: (l: string) => printed.push(l),
      eeprom: store.eeprom,
      rtc: store.rtc,
      freeVars: () => free.n,
      openUplink: () => () => {
        opened.push(clock.now());
        return null;
      },
    },
    config,
  ) as Unit;
  const minutes = (n: number) => {
    for (let i = 0; i < n; i++) {
      clock.advance(60000);
      u.handle({ t: 'tick', time: u.time() });
    }
  };
  return { u, opened, minutes, printed };
}

describe('an uplink session and the heap', () => {
  it('is put off while the heap is short, said once; runs once there is room', () => {
    const free = { n: 1500 };
    const r = unit(free);
    r.minutes(40);
    expect(r.opened).toEqual([]);
    r.u.input('login 3333\r');
    const from = r.printed.length;
    r.u.input('log kind=uplink\r');
    const log = r.printed.slice(from).filter((l) => /session put off: 1500 variables free, it needs 1900/.test(l));
    expect(log.length).toBe(1);
    free.n = 2500;
    // (put off as a failure: tried again an interval later at most)
    r.minutes(16);
    expect(r.opened.length).toBeGreaterThan(0);
  });
});
