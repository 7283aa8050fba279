import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core, CoreEvent, carryOver, formatDecision } from '../../firmware/core';
import { accountState, meterState, setAccountState, setMeterState } from '../../firmware/core';
import { parseConfig } from '../../firmware/config';

const raw = {
  plans: { t: { prices: { peak: 900, valley: 300 }, workday: [['00:00', 'valley'], ['08:00', 'peak']], tiers: [{ uptoWh: 3000 }, { add: 200 }] } },
  accounts: [
    { name: 'A', plan: 't', creditLimit: 100, friendly: [['20:00', '06:00']], overload: { maxPowerW: 3000, holdS: 0, waitS: 600, maxTrips: 2 } },
    { name: 'B', plan: 't', alarmLevels: [5000, 1000] },
  ],
  meters: [{ name: 'x', account: 'A' }, { name: 'y', account: 'B' }, { name: 'z', account: 'A' }],
};

function cfg(r: unknown) {
  const c = parseConfig(r);
  if (!c.ok) throw new Error(c.error);
  return c.value;
}

const evArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('reading' as const), meter: fc.integer({ min: 0, max: 2 }), dWh: fc.integer({ min: 0, max: 900 }), powerW: fc.integer({ min: 0, max: 4000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('topup' as const), account: fc.integer({ min: 0, max: 1 }), amountMilli: fc.integer({ min: 1, max: 20000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('mode' as const), account: fc.integer({ min: 0, max: 1 }), mode: fc.integer({ min: 0, max: 2 }) }) },
);

describe('core state', () => {
  it('a core restored from accountState/meterState continues exactly like one that never stopped', () => {
    fc.assert(
      fc.property(fc.array(evArb, { maxLength: 80 }), fc.nat(80), (evs, cut) => {
        const c = cfg(raw);
        const a = new Core(c);
        let b = new Core(c);
        const regs = [0, 0, 0];
        let time = 1_767_225_600;
        a.start(time);
        b.start(time);
        evs.forEach((e, i) => {
          time += 900;
          let ev: CoreEvent;
          if (e.t === 'reading') {
            regs[e.meter] += e.dWh;
            ev = { t: 'reading', time, meter: e.meter, importWh: regs[e.meter], exportWh: 0, powerW: e.powerW };
          } else ev = { ...e, time } as CoreEvent;
          if (i === cut) {
            // power cut: a fresh core gets the saved state and the ledger position, then boots
            const fresh = new Core(c);
            for (let k = 0; k < 2; k++) setAccountState(fresh, k, accountState(b, k));
            for (let m = 0; m < 3; m++) setMeterState(fresh, m, meterState(b, m));
            fresh.ledger.seq = b.ledger.seq;
            for (let k = 0; k < 2; k++) fresh.relay[k] = b.relay[k];
            // live power is not saved state: after a real reboot the next poll measures it again
            for (let m = 0; m < 3; m++) fresh.power[m] = b.power[m];
            b = fresh;
          }
          expect(b.handle(ev).map(formatDecision)).toEqual(a.handle(ev).map(formatDecision));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('reconfigure keeps surviving accounts and meters by name and drops closed ones', () => {
    const c1 = cfg(raw);
    const core = new Core(c1);
    core.start(0);
    core.handle({ t: 'topup', time: 1, account: 1, amountMilli: 7000 });
    core.handle({ t: 'reading', time: 1, meter: 1, importWh: 100, exportWh: 0 });
    const r2 = JSON.parse(JSON.stringify(raw));
    r2.accounts.splice(0, 1); // close A
    r2.accounts.push({ name: 'C', plan: 't' });
    r2.meters = [{ name: 'y', account: 'B' }, { name: 'w', account: 'C' }];
    const next = carryOver(core, new Core(cfg(r2)));
    expect(next.balance[0]).toBe(7000);
    expect(next.lastImp[0]).toBe(100);
    expect(next.has[1]).toBe(0);
    const ds = next.handle({ t: 'correct', time: 2, seq: 1 }).map(formatDecision);
    expect(ds).toEqual(['ledger #2 a0 correction -7000 bal 0 ref 1', 'alarm a0 L1 bal 0', 'alarm a0 L2 bal 0']);
  });
});
