import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../firmware/config';

const good = {
  plans: { flat: { price: 500 } },
  accounts: [{ name: 'R1', plan: 'flat' }],
  meters: [{ name: 'M1', account: 'R1' }],
};

function err(patch: (c: any) => void): string {
  const c = JSON.parse(JSON.stringify(good));
  patch(c);
  const r = parseConfig(c);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('config parser', () => {
  it('accepts a minimal config with defaults', () => {
    const r = parseConfig(good);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.accounts[0].alarmLevelsMilli).toEqual([30000, 20000, 10000]);
    expect(r.value.calendar.weekendMask).toBe((1 << 0) | (1 << 6));
    expect(r.value.meters[0].plan).toBe(-1);
  });
  it('names the field of every mistake', () => {
    expect(err((c) => (c.accounts[0].plan = 'nope'))).toBe('accounts[0].plan: unknown plan "nope" (known: flat)');
    expect(err((c) => (c.meters[0].account = 'R2'))).toBe('meters[0].account: unknown account "R2" (known: R1)');
    expect(err((c) => (c.plans.flat.price = 1.5))).toBe('plans.flat.price: expected a whole number, got 1.5');
    expect(err((c) => (c.accounts[0].alarmLevels = [100, 200]))).toBe('accounts[0].alarmLevels: levels must decrease');
    expect(err((c) => (c.accounts.push({ name: 'R1', plan: 'flat' })))).toBe('accounts[1].name: duplicate name "R1"');
    expect(err((c) => (c.plans.tou = { prices: { peak: 1 }, workday: [['01:00', 'peak']] }))).toBe('plans.tou.workday[0]: the first period must start at 00:00');
    expect(err((c) => (c.plans.tou = { prices: { peak: 1 }, workday: [['00:00', 'peek']] }))).toMatch(/^plans.tou.workday\[0\]\[1\]: unknown period "peek"/);
    expect(err((c) => (c.plans.tou = { prices: { peak: 1 }, workday: [['00:00', 'peak'], ['25:00', 'peak']] }))).toBe('plans.tou.workday[1][0]: expected a time HH:MM, got "25:00"');
    expect(err((c) => (c.holidays = ['2026-13-01']))).toBe('holidays[0]: expected a date YYYY-MM-DD, got "2026-13-01"');
    expect(err((c) => (c.billingDay = 31))).toBe('billingDay: must be between 1 and 28, got 31');
    expect(err((c) => (c.accounts[0].mode = 'maybe'))).toMatch(/^accounts\[0\].mode: unknown relay mode "maybe"/);
    expect(err((c) => (c.plans.flat.tiers = [{ uptoWh: 100 }, { uptoWh: 200 }]))).toBe('plans.flat.tiers[1].uptoWh: the last tier has no upper limit');
    expect(err((c) => delete c.meters)).toBe('meters: expected a list');
    expect(err((c) => (c.plans = {}))).toBe('plans: needs at least one price plan');
    expect(parseConfig(null)).toEqual({ ok: false, error: 'config: expected an object' });
  });
});
