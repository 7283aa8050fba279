import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseScenario } from '../../sim/scenario';
import { Simulation, runScenario } from '../../sim/runner';
import { DEFAULT_PART, PARTS } from '../../sim/storage-rig';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/dormitory-floor.json'), 'utf8'));

function scenario(patch: (s: any) => void) {
  const s = JSON.parse(JSON.stringify(example));
  s.durationHours = 24;
  patch(s);
  const r = parseScenario(s);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

describe('simulated RTC and EEPROM', () => {
  it('loss of the RTC battery: time not valid, billing at the safe price, said in status and log; time set from the console', () => {
    const sc = scenario((s) => (s.rtc = { batteryLostAt: '2026-03-02 12:00' }));
    const out: string[] = [];
    const sim = new Simulation(sc, (l) => out.push(l));
    while (sim.now < sc.start + 19 * 3600) sim.step();
    expect(sim.core.timeValid).toBe(true);
    const unknownBefore = sim.core.periodWh[4];
    while (sim.now < sc.start + 23 * 3600) sim.step();
    expect(sim.core.timeValid).toBe(false);
    expect(sim.core.periodWh[4]).toBeGreaterThan(unknownBefore);
    expect(sim.unit.statusLine()).toMatch(/time=not-set/);
    out.length = 0;
    sim.unit.input('login 3333\nlog kind=event n=50\ntime set 2026-03-02 15:00\nstatus\n');
    expect(out.some((l) => /event unit time-invalid/.test(l))).toBe(true);
    expect(out).toContain('time set to 2026-03-02 15:00:00 local');
    sim.step();
    expect(sim.core.timeValid).toBe(true);
    expect(sim.unit.statusLine()).toMatch(/time=ok/);
  });

  it('a drifting RTC runs ahead of the scenario clock by its ppm', () => {
    const sc = scenario((s) => (s.rtc = { driftPpm: 100 }));
    const sim = new Simulation(sc, () => undefined);
    while (!sim.finished()) sim.step();
    // 100 ppm of 86,400 s is 8.64 s
    expect(sim.unit.time() - sim.now).toBeGreaterThanOrEqual(8);
    expect(sim.unit.time() - sim.now).toBeLessThanOrEqual(9);
  });

  it('a unit gets the boards\' part unless its scenario picks another; a scenario may pick any part of the rig, AT24C32 to AT24CM02', () => {
    const boards = ['pico', 'wifi'].map((b) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../boards', b + '.json'), 'utf8')).eeprom);
    for (const b of boards) expect([b.part, b.size, b.pageSize]).toEqual([DEFAULT_PART, PARTS[DEFAULT_PART].size, PARTS[DEFAULT_PART].pageSize]);
    expect(scenario(() => undefined).eeprom).toBe(DEFAULT_PART);
    for (const part of Object.keys(PARTS)) expect(scenario((s) => (s.eeprom = part)).eeprom).toBe(part);
    expect(scenario((s) => (s.eeprom = false)).eeprom).toBe(false);
    expect(parseScenario({ ...example, eeprom: 'AT24CM04' }).ok).toBe(false);
  });

  it('a file-backed EEPROM carries the unit over to the next run', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ee-')), 'unit.bin');
    const sc = scenario(() => undefined);
    const first = runScenario(sc, undefined, { eepromFile: file });
    expect(fs.statSync(file).size).toBe(PARTS[DEFAULT_PART].size); // the boards' AT24CM01: 131,072
    const out: string[] = [];
    const sim = new Simulation(sc, (l) => out.push(l), undefined, { eepromFile: file });
    expect(out.some((l) => /restored 33 of 33 accounts/.test(l))).toBe(true);
    const r301 = first.accounts.find((a) => a.name === 'R301')!;
    expect(sim.core.balance[0]).toBe(r301.balanceMilli);
  });
});
