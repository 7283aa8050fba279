// Sites: units expanded from floor templates, each an independent firmware instance, run on
// worker threads; the same records whatever the number of workers.
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { parseSite, runSite, isSite } from '../../sim/site';
import { csvFiles } from '../../sim/report-csv';
import { formatSiteSummary, siteJson } from '../../sim/report';
import { parseScenario } from '../../sim/scenario';
import { Simulation } from '../../sim/runner';

const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/site-001.json'), 'utf8'));

function small(units: number, hours: number) {
  const s = JSON.parse(JSON.stringify(raw));
  s.durationHours = hours;
  s.units = s.units.slice(0, units);
  const r = parseSite(s);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

describe('site', () => {
  it('seed 001\'s site: 696 rooms on 22 floor units (3#, 4#, 5#: 199 rooms each, 6#: 99)', () => {
    expect(isSite(raw)).toBe(true);
    const r = parseSite(raw);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.value.units).toHaveLength(22);
    expect(r.value.meters).toBe(696);
    expect(r.value.durationHours).toBe(8760);
    const rooms = (b: string) => r.value.units.filter((u) => u.name.startsWith(b)).reduce((n, u) => n + (u.raw as any).config.accounts.length, 0);
    expect([rooms('3#'), rooms('4#'), rooms('5#'), rooms('6#')]).toEqual([199, 199, 199, 99]);
    const names = r.value.units.flatMap((u) => (u.raw as any).config.accounts.map((a: any) => a.name));
    expect(new Set(names).size).toBe(696);
  });

  it('mistakes in a site name the unit and the place', () => {
    const s = JSON.parse(JSON.stringify(raw));
    s.units[1].name = s.units[0].name;
    s.room.creditLimit = -5;
    s.colour = 'red';
    let r = parseSite(s);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(['site: must NOT have additional properties "colour"']);
    delete s.colour;
    r = parseSite(s);
    const errors = r.ok ? [] : r.errors;
    expect(errors).toContain('site.units[1].name: "3#-F1" twice');
    expect(errors[0]).toMatch(/^site unit 3#-F1: scenario\.config\.accounts\[0\]\.creditLimit/);
  });

  it('one worker or two: the same records, byte for byte; each unit as if run on its own', async () => {
    const site = small(3, 6);
    const one = await runSite(site, { workers: 1 });
    const progress: number[] = [];
    const two = await runSite(site, { workers: 2, progress: (done) => progress.push(done) });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    expect(progress[progress.length - 1]).toBe(3 * 6 * 3600);
    const sc = parseScenario(site.units[1].raw);
    if (!sc.ok) throw new Error();
    const alone = new Simulation(sc.value, () => undefined);
    alone.run();
    expect(JSON.stringify(one[1].record)).toBe(JSON.stringify(alone.record()));
    expect(one.map((u) => u.unit)).toEqual(['3#-F1', '3#-F2', '3#-F3']);
    expect(one.every((u) => u.record.summary.ledgerConsistent)).toBe(true);
    expect(one.reduce((n, u) => n + u.record.summary.readings, 0)).toBe(99 * (6 * 60 + 1));
    // one report for the site: CSV files lead with the unit
    const csv = csvFiles(one)['accounts-daily.csv'].split('\n');
    expect(csv[0].startsWith('unit,day,account,')).toBe(true);
    expect(csv[1].startsWith('3#-F1,2026-01-01,3-101,')).toBe(true);
    const text = formatSiteSummary(site.name, one);
    expect(text).toMatch(/^3 units, 99 accounts, 6 h simulated, 35739 readings$/m);
    expect(text).toMatch(/^total +99 /m);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    const j = siteJson(site.name, one) as any;
    expect(j.totals.energyWh).toBe(one.reduce((n, u) => n + u.record.summary.totals.energyWh, 0));
  }, 120000);
});
