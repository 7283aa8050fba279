// Tenants who top up after an alarm or a cut by a habit (delay, amount, some never), and loads
// that export (rooftop PV, a reversed CT).
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { parseScenario } from '../../sim/scenario';
import { Simulation } from '../../sim/runner';
import { Load, pvPowerW } from '../../sim/load-profile';
import { mulberry32 } from '../../sim/prng';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/dormitory-floor.json'), 'utf8'));

function run(patch: (s: any) => void) {
  const s = JSON.parse(JSON.stringify(example));
  patch(s);
  const r = parseScenario(s);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const sim = new Simulation(r.value, () => undefined);
  sim.run();
  return sim.record();
}

describe('tenants', () => {
  it('top up after a cut, within their delay range and amounts; a tenant who never tops up stays cut', () => {
    const r = run((s) => {
      s.durationHours = 24 * 14;
      s.topups = s.topups.map((t: any) => ({ ...t, amount: 8000 }));
      s.tenants = { default: { onCut: true, delayHours: 2, delayHoursMax: 6, amount: 20000, amountMax: 40000 }, accounts: { R309: null, COMMON: null } };
    });
    const tenant = r.topups.filter((t) => t.source === 'tenant');
    expect(tenant.length).toBeGreaterThan(20);
    for (const t of tenant) {
      expect(t.amountMilli % 1000).toBe(0);
      expect(t.amountMilli).toBeGreaterThanOrEqual(20000);
      expect(t.amountMilli).toBeLessThanOrEqual(40000);
      // the cut it answers: the account's last cut before it, 2 to 6 hours earlier
      const cut = r.timeline.filter((e) => e.account === t.account && e.kind === 'cut' && e.time <= t.time).pop()!;
      expect(t.time - cut.time).toBeGreaterThanOrEqual(2 * 3600);
      expect(t.time - cut.time).toBeLessThanOrEqual(6 * 3600 + 60);
      expect(t.accepted).toBe(true);
    }
    const r309 = r.summary.accounts.find((a) => a.name === 'R309')!;
    expect(r309.cutoffs).toBe(1);
    expect(r309.topupCount).toBe(1);
    // everyone else who was cut was reconnected by their own top-up
    const cutNow = r.summary.accounts.filter((a) => a.cutoffs > 0 && a.name !== 'R309' && a.name !== 'R332');
    for (const a of cutNow) expect(r.timeline.some((e) => e.account === a.name && e.kind === 'reconnect')).toBe(true);
  });

  it('neverShare: that share of tenants never top up (drawn once per account, the same every run)', () => {
    const patch = (s: any) => {
      s.durationHours = 24 * 7;
      s.topups = s.topups.map((t: any) => ({ ...t, amount: 8000 }));
      s.tenants = { default: { onAlarmLevel: 1, onCut: true, delayHours: 1, amount: 30000, neverShare: 0.5 } };
    };
    const r = run(patch);
    const never = r.summary.accounts.filter((a) => a.name !== 'R332' && a.name !== 'R316' && a.name !== 'COMMON' && a.alarms > 0 && a.topupCount === 1);
    const reacting = r.summary.accounts.filter((a) => a.topupCount > 1);
    expect(never.length).toBeGreaterThan(5);
    expect(reacting.length).toBeGreaterThan(5);
    expect(run(patch).topups).toEqual(r.topups);
  });

  it('a tenant rule that says neither when nor what is refused', () => {
    const s = JSON.parse(JSON.stringify(example));
    s.tenants = { default: { delayHours: 1, amount: 1000 }, accounts: { R301: { onCut: true, delayHours: 5, delayHoursMax: 1, amount: 1000 } } };
    const r = parseScenario(s);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(['scenario.tenants.default: says neither when to top up (onAlarmLevel) nor onCut: true', 'scenario.tenants.accounts.R301.delayHoursMax: less than delayHours']);
  });

  it('a refused scheduled top-up is in the report, with its reason, and warned about', () => {
    const r = run((s) => {
      s.durationHours = 24;
      s.topups.push({ at: '2026-03-02 02:00', account: 'R301', amount: 480000 });
    });
    const refused = r.topups.filter((t) => !t.accepted);
    expect(refused).toEqual([{ time: Date.UTC(2026, 2, 2, 2, 0) / 1000, account: 'R301', amountMilli: 480000, source: 'scheduled', accepted: false, reason: 'hoarding', balanceMilli: refused[0].balanceMilli }]);
    expect(r.summary.accounts[0].refusedTopups).toBe(1);
    expect(r.summary.warnings).toContain('scheduled top-up of 480.000 to R301 at 2026-03-02 10:00 refused: hoarding');
  });

  it('an account that ends negative beyond its emergency credit while supplied is warned about', () => {
    const r = run((s) => {
      s.durationHours = 24 * 5;
      s.topups = s.topups.filter((t: any) => t.account !== 'R316');
      s.topups.push({ at: '2026-03-01 16:00', account: 'R316', amount: 1000 });
      s.tenants.accounts.R316 = null;
    });
    const r316 = r.summary.accounts.find((a) => a.name === 'R316')!;
    expect(r316.balanceMilli).toBeLessThan(-2000);
    expect(r.summary.warnings.some((w) => w.startsWith('R316 ends at ' + (r316.balanceMilli / 1000).toFixed(3) + ', beyond its emergency credit of 2.000, still supplied: guaranteed power (mode on)'))).toBe(true);
  });
});

describe('loads that export', () => {
  it('rooftop PV: a half sine from 06:00 to 18:00; the meter exports when it exceeds the load', () => {
    expect(pvPowerW(3000, 12 * 3600)).toBe(3000);
    expect(pvPowerW(3000, 6 * 3600)).toBe(0);
    expect(pvPowerW(3000, 9 * 3600)).toBe(Math.round(3000 * Math.sin(Math.PI / 4)));
    const load = new Load({ profile: 'constant', powerW: 500, pvPeakW: 3000 }, mulberry32(1));
    expect(load.powerW(12 * 3600, 60)).toBeLessThan(0);
    expect(load.powerW(2 * 3600, 60)).toBe(500);
    const rev = new Load({ profile: 'constant', powerW: 500, reversed: true }, mulberry32(1));
    expect(rev.powerW(2 * 3600, 60)).toBe(-500);
  });

  it('export registers: not billed on an account that bills import only; billed as consumption on one that counts both (anti-tamper)', () => {
    const r = run((s) => {
      s.durationHours = 48;
      s.config.accounts[0].importOnly = false; // R301: export is not consumption
      s.loads.M301 = { profile: 'constant', powerW: 400, pvPeakW: 2500, startRegisterWh: 100000 };
      s.loads.M302 = { profile: 'constant', powerW: 300, reversed: true, startRegisterWh: 137000 }; // R302: default, export counts
    });
    const day = (m: string) => r.meterDays.filter((d) => d.meter === m);
    const exp301 = day('M301').reduce((n, d) => n + d.exportWh, 0);
    const imp301 = day('M301').reduce((n, d) => n + d.importWh, 0);
    expect(exp301).toBeGreaterThan(5000);
    expect(r.summary.accounts[0].energyWh).toBe(imp301);
    const exp302 = day('M302').reduce((n, d) => n + d.exportWh, 0);
    expect(day('M302').reduce((n, d) => n + d.importWh, 0)).toBe(0);
    expect(exp302).toBeGreaterThan(13000);
    expect(r.summary.accounts[1].energyWh).toBe(exp302);
    expect(r.summary.ledgerConsistent).toBe(true);
  });
});

describe('loads that export, on bus meters', () => {
  it('a DL/T 645 meter with PV behind it: its export register moves, the unit reads it, the ledger holds', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/mixed-bus-week.json'), 'utf8'));
    raw.durationHours = 24;
    for (const k of Object.keys(raw.loads)) delete raw.loads[k].faults;
    raw.topups = raw.topups.filter((t: any) => t.at === '2026-03-02 00:00');
    raw.loads.D01 = { ...raw.loads.D01, pvPeakW: 6000 };
    raw.config.accounts.find((a: any) => a.name === 'RD01').importOnly = false;
    raw.loads.D02 = { ...raw.loads.D02, reversed: true };
    const r = parseScenario(raw);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const sim = new Simulation(r.value, () => undefined);
    sim.run();
    const rec = sim.record();
    const sum = (m: string, k: 'importWh' | 'exportWh') => rec.meterDays.filter((d) => d.meter === m).reduce((n, d) => n + d[k], 0);
    expect(sum('D01', 'exportWh')).toBeGreaterThan(10000);
    expect(sum('D02', 'exportWh')).toBeGreaterThan(3000);
    expect(sum('D02', 'importWh')).toBe(0);
    expect(rec.summary.ledgerConsistent).toBe(true);
    const rd02 = rec.summary.accounts.find((a) => a.name === 'RD02')!;
    expect(rd02.energyWh).toBeGreaterThan(3000); // a reversed CT on an account that counts both directions still pays
  });
});
