// Invariants of the billing core over many random readings (fast-check).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core, CoreEvent, Decision } from '../../firmware/core';
import { parseConfig } from '../../firmware/config';
import { secondsFromCivil } from '../../hal/calendar';

const PERIODS = ['sharp', 'peak', 'flat', 'valley'];

/** Exact numerator (milli x 1000) of the tier adders for a month's energy, computed piecewise. */
function adderCost(uptoWh: number[], adders: number[], e: number): number {
  let cost = 0;
  let lo = 0;
  for (let k = 0; k <= uptoWh.length; k++) {
    const hi = k < uptoWh.length ? uptoWh[k] : Infinity;
    if (e > lo) cost += (Math.min(e, hi) - lo) * adders[k];
    lo = hi;
  }
  return cost;
}

const planArb = fc.record({
  prices: fc.array(fc.integer({ min: 0, max: 3_000_000 }), { minLength: 4, maxLength: 4 }),
  // hours at which the period changes, and the period after each change
  changes: fc.uniqueArray(fc.integer({ min: 1, max: 23 }), { maxLength: 6 }).map((h) => h.sort((a, b) => a - b)),
  periods: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 7, maxLength: 7 }),
  tiers: fc.uniqueArray(fc.integer({ min: 1, max: 60_000 }), { maxLength: 3 }).map((t) => t.sort((a, b) => a - b)),
  adders: fc.array(fc.integer({ min: 0, max: 500_000 }), { minLength: 4, maxLength: 4 }),
  billingDay: fc.integer({ min: 1, max: 28 }),
  startDay: fc.integer({ min: 0, max: 3000 }),
  offsetH: fc.integer({ min: -12, max: 14 }),
  seed: fc.integer(),
});

describe('billing core properties', () => {
  it('charges exactly energy x price over 10^6 random readings: sum(charges) x 1000 + remainder = sum(Wh x price)', () => {
    let readings = 0;
    fc.assert(
      fc.property(planArb, (p) => {
        const workday: [string, string][] = [['00:00', PERIODS[p.periods[0]]]];
        p.changes.forEach((h, i) => workday.push([String(h).padStart(2, '0') + ':00', PERIODS[p.periods[i + 1]]]));
        const priceOf = (hour: number): number => {
          let per = p.periods[0];
          p.changes.forEach((h, i) => { if (hour >= h) per = p.periods[i + 1]; });
          return p.prices[per];
        };
        const tiers = p.tiers.map((t) => ({ uptoWh: t * 10, add: 0 })) as { uptoWh?: number; add: number }[];
        tiers.push({ add: 0 });
        tiers.forEach((t, i) => (t.add = p.adders[i]));
        delete tiers[tiers.length - 1].uptoWh;
        const cfg = parseConfig({
          utcOffsetMinutes: p.offsetH * 60,
          billingDay: p.billingDay,
          weekend: [],
          plans: { tou: { prices: { sharp: p.prices[0], peak: p.prices[1], flat: p.prices[2], valley: p.prices[3] }, workday, tiers } },
          accounts: [{ name: 'A', plan: 'tou', alarmLevels: [] }, { name: 'B', plan: 'tou', alarmLevels: [] }],
          meters: [{ name: 'm0', account: 'A' }, { name: 'm1', account: 'A' }, { name: 'm2', account: 'B' }, { name: 'm3', account: 'B' }],
        });
        if (!cfg.ok) throw new Error(cfg.error);
        const core = new Core(cfg.value);
        const uptoWh = p.tiers.map((t) => t * 10);
        let rnd = p.seed >>> 0;
        const next = (n: number) => { rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0; return (rnd >>> 8) % n; };
        const t0 = p.startDay * 86400 + 1_500_000_000 - (1_500_000_000 % 86400);
        const reg = [0, 0, 0, 0].map(() => next(1_000_000));
        const exact = [0, 0];          // sum of Wh x period price
        const monthWh: number[][] = [[0], [0]]; // energy per billing cycle, per account
        const cycleKey = [NaN, NaN];
        const charged = [0, 0];
        for (let m = 0; m < 4; m++) core.handle({ t: 'reading', time: t0, meter: m, importWh: reg[m], exportWh: 0 });
        for (let step = 1; step <= 2500; step++) {
          const time = t0 + step * 60;
          const local = time - 60 + p.offsetH * 3600; // the interval (time-60, time] lies within one local minute-aligned hour
          const hour = Math.floor((local % 86400 + 86400) % 86400 / 3600);
          const d = new Date(local * 1000);
          const key = d.getUTCFullYear() * 12 + d.getUTCMonth() - (d.getUTCDate() < p.billingDay ? 1 : 0);
          for (let m = 0; m < 4; m++) {
            const a = m >> 1;
            const wh = next(4) === 0 ? 0 : next(231);
            reg[m] += wh;
            if (cycleKey[a] !== key) { if (!isNaN(cycleKey[a])) monthWh[a].push(0); cycleKey[a] = key; }
            monthWh[a][monthWh[a].length - 1] += wh;
            exact[a] += wh * priceOf(hour);
            const ds = core.handle({ t: 'reading', time, meter: m, importWh: reg[m], exportWh: 0 });
            for (const x of ds) if (x.kind === 'ledger') charged[a] -= x.value;
            readings++;
          }
        }
        for (let a = 0; a < 2; a++) {
          const adders = monthWh[a].reduce((s, e) => s + adderCost(uptoWh, p.adders, e), 0);
          expect(core.remainder[a]).toBeGreaterThanOrEqual(0);
          expect(core.remainder[a]).toBeLessThan(1000);
          expect(charged[a] * 1000 + core.remainder[a]).toBe(exact[a] + adders);
          expect(core.balance[a] + charged[a]).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
    expect(readings).toBeGreaterThanOrEqual(1_000_000);
  });

  it('keeps balance = sum of ledger entries and sequence numbers gapless under random operations', () => {
    const cfg = parseConfig({
      plans: { flat: { price: 777 } },
      accounts: [
        { name: 'A', plan: 'flat', creditLimit: 500, maxBalance: 200000 },
        { name: 'B', plan: 'flat', friendly: [['22:00', '06:00']] },
      ],
      meters: [{ name: 'm0', account: 'A', maxPowerW: 5000 }, { name: 'm1', account: 'B', maxPowerW: 5000 }],
    });
    if (!cfg.ok) throw new Error(cfg.error);
    const config = cfg.value;
    const op = fc.oneof(
      fc.record({ t: fc.constant('reading'), meter: fc.integer({ min: 0, max: 1 }), dWh: fc.integer({ min: -50, max: 400 }), powerW: fc.integer({ min: 0, max: 6000 }) }),
      fc.record({ t: fc.constantFrom('topup', 'refund'), account: fc.integer({ min: -1, max: 2 }), amount: fc.integer({ min: -10, max: 100000 }) }),
      fc.record({ t: fc.constant('correct'), seq: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ t: fc.constant('transfer'), from: fc.integer({ min: 0, max: 1 }), to: fc.integer({ min: 0, max: 1 }) }),
      fc.record({ t: fc.constant('mode'), account: fc.integer({ min: 0, max: 1 }), mode: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ t: fc.constant('tick') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const core = new Core(config);
        const sums = [0, 0];
        const reg = [1000, 1000];
        let seq = 0;
        let time = 1_767_225_600;
        const check = (ds: Decision[]) => {
          for (const d of ds) {
            if (d.kind === 'ledger') {
              sums[d.account] += d.value;
              expect(d.seq).toBe(++seq);
              expect(d.balance).toBe(core.balance[d.account]);
            }
          }
        };
        check(core.start(time));
        for (const o of ops) {
          time += 600;
          let ev: CoreEvent;
          if (o.t === 'reading') {
            reg[o.meter] = Math.max(0, reg[o.meter] + o.dWh);
            ev = { t: 'reading', time, meter: o.meter, importWh: reg[o.meter], exportWh: 0, powerW: o.powerW };
          } else ev = { ...(o as object), time } as CoreEvent;
          check(core.handle(ev));
          expect(core.balance[0]).toBe(sums[0]);
          expect(core.balance[1]).toBe(sums[1]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('bills every Wh once: energy billed equals register advance when readings are plausible', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 600 })), { maxLength: 300 }), (steps) => {
        const cfg = parseConfig({ plans: { f: { price: 1 } }, accounts: [{ name: 'A', plan: 'f' }], meters: [{ name: 'x', account: 'A' }, { name: 'y', account: 'A' }] });
        if (!cfg.ok) throw new Error(cfg.error);
        const core = new Core(cfg.value);
        const reg = [5, 7];
        let time = secondsFromCivil(2026, 1, 1, 0, 0, 0);
        core.handle({ t: 'reading', time, meter: 0, importWh: reg[0], exportWh: 0 });
        core.handle({ t: 'reading', time, meter: 1, importWh: reg[1], exportWh: 0 });
        for (const [m, wh, dt] of steps) {
          time += dt;
          reg[m] += Math.min(wh, Math.floor((13800 * dt) / 3600));
          core.handle({ t: 'reading', time, meter: m, importWh: reg[m], exportWh: 0 });
        }
        expect(core.energyWh[0]).toBe(reg[0] - 5 + reg[1] - 7);
        expect(core.periodWh[2]).toBe(core.energyWh[0]);
      }),
      { numRuns: 200 },
    );
  });
});
