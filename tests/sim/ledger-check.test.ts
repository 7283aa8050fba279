// The ledger check tells a balance carried over from an EEPROM file and energy quarantined by
// a meter's plausibility limit (each explained) from a real inconsistency (issue 11).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseScenario } from '../../sim/scenario';
import { Simulation, runScenario } from '../../sim/runner';
import { formatSummary } from '../../sim/report';
import { coreOf } from '../../sim/unit-view';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/dormitory-floor.json'), 'utf8'));

function scenario(patch: (s: any) => void) {
  const s = JSON.parse(JSON.stringify(example));
  s.durationHours = 12;
  patch(s);
  const r = parseScenario(s);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

describe('ledger check', () => {
  it('a second run from an --eeprom file starts from the carried-over balances and registers, and is consistent', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ee-')), 'unit.bin');
    const sc = scenario(() => undefined);
    const first = runScenario(sc, undefined, { eepromFile: file });
    expect(first.ledgerConsistent).toBe(true);
    const second = runScenario(sc, undefined, { eepromFile: file });
    expect(second.ledgerConsistent).toBe(true);
    expect(second.ledger.problems).toEqual([]);
    for (const a of second.accounts) {
      const before = first.accounts.find((x) => x.name === a.name)!;
      expect(a.openingMilli, a.name).toBe(before.balanceMilli);
      expect(a.balanceMilli, a.name).toBe(a.openingMilli + a.topupsMilli - a.chargedMilli);
    }
    // the meters went on from the registers the unit billed: the energy of this run only
    expect(second.totals.energyWh).toBeGreaterThan(0);
    expect(Math.abs(second.totals.energyWh - first.totals.energyWh)).toBeLessThan(first.totals.energyWh * 0.2);
    expect(second.ledger.notes.join('\n')).toMatch(/carried over from the EEPROM file: 33 account\(s\)/);
    const text = formatSummary(second);
    expect(text).toMatch(/ledger check: balances = opening \+ sum of entries; every registered Wh billed,\n  except:\n  carried over from the EEPROM file/);
    expect(text).not.toMatch(/INCONSISTENT/);
  });

  it('the CLI: a second run with the same --eeprom file exits 0 and names the carried-over balances', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ee-cli-'));
    const sc = path.join(dir, 'sc.json');
    fs.writeFileSync(sc, JSON.stringify({ ...example, durationHours: 2 }));
    const run = () => spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), path.join(__dirname, '../../sim/cli.ts'), sc, '--no-progress', '--eeprom', path.join(dir, 'unit.bin')], { encoding: 'utf8', timeout: 60000 });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/carried over from the EEPROM file: 33 account\(s\)/);
    expect(second.stdout).not.toMatch(/INCONSISTENT/);
  }, 120000);

  it('a load above its meter\'s plausibility limit: the held-back energy is explained, not called inconsistent', () => {
    const sc = scenario((s) => {
      s.config.meters[0].maxPowerW = 2000; // M301
      s.loads.M301 = { profile: 'constant', powerW: 3000, startRegisterWh: 100000 };
      s.loads.M302.bursts = [{ powerW: 20000, minutes: 1, perDay: 6 }]; // short spikes beyond 13.8 kW
    });
    const s = runScenario(sc);
    expect(s.ledgerConsistent).toBe(true);
    const notes = s.ledger.notes.join('\n');
    expect(notes).toMatch(/meter M301: \d+\.\d{3} kWh above its last billed register held as suspect, not billed: it rose faster than its plausibility limit \(2000 W\)/);
    expect(s.accounts.find((a) => a.name === 'R301')!.energyWh).toBe(0);
    expect(notes).toMatch(/meter M302: /);
    expect(formatSummary(s)).not.toMatch(/INCONSISTENT/);
  });

  it('a balance that moved without a ledger entry is a real inconsistency, named', () => {
    const sc = scenario(() => undefined);
    const sim = new Simulation(sc, () => undefined);
    for (let i = 0; i < 30; i++) sim.step();
    coreOf(sim.unit).balance[2] += 7; // tampered behind the ledger's back
    const s = sim.run();
    expect(s.ledgerConsistent).toBe(false);
    expect(s.ledger.problems).toEqual(['R303: balance ' + (s.accounts[2].balanceMilli / 1000).toFixed(3) + ' is not its opening 0.000 + the entries of the run ' + ((s.accounts[2].balanceMilli - 7) / 1000).toFixed(3)]);
    expect(formatSummary(s)).toMatch(/ledger check: INCONSISTENT\n  R303: balance/);
  });
});
