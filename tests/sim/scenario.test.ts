import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { parseScenario } from '../../sim/scenario';
import { runScenario } from '../../sim/runner';
import { formatSummary } from '../../sim/report';
import { VirtualClock } from '../../sim/virtual-clock';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/dormitory-floor.json'), 'utf8'));

function run(raw: unknown): string {
  const sc = parseScenario(raw);
  if (!sc.ok) throw new Error(sc.errors.join('\n'));
  return formatSummary(runScenario(sc.value));
}

function errors(patch: (s: any) => void): string[] {
  const s = JSON.parse(JSON.stringify(example));
  patch(s);
  const r = parseScenario(s);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

describe('simulator scenario runner', () => {
  it('runs the bundled dormitory floor: 32 rooms, consistent ledger, same bytes every time', () => {
    const a = run(example);
    const b = run(example);
    expect(a).toBe(b);
    expect(a).toContain('balances = opening + sum of entries; every registered Wh billed');
    expect(a.split('\n').filter((l) => /^R3\d\d /.test(l))).toHaveLength(32);
    for (const line of a.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('a tenant who never tops up is cut and stays cut; forced-off room gets no energy', () => {
    const sc = parseScenario(example);
    if (!sc.ok) throw new Error();
    const s = runScenario(sc.value);
    const r309 = s.accounts.find((a) => a.name === 'R309')!;
    expect(r309.cutoffs).toBe(1);
    expect(r309.balanceMilli).toBeLessThan(-2000); // cut below the 2.000 emergency credit
    const r332 = s.accounts.find((a) => a.name === 'R332')!;
    expect(r332.energyWh).toBe(0);
    expect(r332.minutesOff).toBe(168 * 60);
  });

  it('reports every mistake with where it is', () => {
    expect(errors((s) => (s.durationHours = -1))).toEqual(['scenario.durationHours: must be > 0']);
    expect(errors((s) => (s.loads.M301.profile = 'sauna'))).toEqual(['scenario.loads.M301.profile: must be equal to one of the allowed values (household, constant)']);
    expect(errors((s) => (s.loads.M301.colour = 'red'))).toEqual(['scenario.loads.M301: must NOT have additional properties "colour"']);
    expect(errors((s) => delete s.loads.M301)).toEqual(['scenario.loads: meter "M301" has no load']);
    expect(errors((s) => (s.loads.M999 = { profile: 'constant', powerW: 5 }))).toEqual(['scenario.loads.M999: no meter of that name in config.meters (mark a meter not yet commissioned with "spare": true)']);
    expect(errors((s) => (s.topups[0].account = 'R999'))).toEqual(['scenario.topups[0].account: unknown account "R999"']);
    expect(errors((s) => (s.topups[0].at = '2030-01-01 00:00'))).toEqual(['scenario.topups[0].at: outside the run (2026-03-01 16:00 + 168 h)']);
    expect(errors((s) => (s.config.meters[0].account = 'nobody'))).toEqual(['scenario.config.meters[0].account: unknown account "nobody" (known: ' + example.config.accounts.map((a: any) => a.name).join(', ') + ')']);
    expect(errors((s) => (s.start = 'tomorrow'))[0]).toMatch(/^scenario.start: must match pattern/);
    expect(errors((s) => (s.pollSeconds = 90))).toEqual(['scenario.pollSeconds: must be a multiple of stepSeconds']);
    expect(errors((s) => (s.loads.M301.frameDataMax = 2))).toEqual(['scenario.loads.M301.frameDataMax: only a DL/T 645 meter sends follow-up frames']);
  });
});

describe('virtual clock', () => {
  it('fires timers in time order, periodic ones repeatedly, and cancels', () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.after(50, () => seen.push('a@' + c.now()));
    const p = c.every(20, () => seen.push('p@' + c.now()));
    c.after(20, () => seen.push('b@' + c.now()));
    c.advance(60);
    c.cancel(p);
    c.advance(100);
    expect(seen).toEqual(['p@20', 'b@20', 'p@40', 'a@50', 'p@60']);
    expect(c.now()).toBe(160);
    expect(c.pending()).toBe(0);
  });
});
