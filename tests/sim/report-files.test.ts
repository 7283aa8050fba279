// The report files of a run: CSV figures that add up to the summary, and the same bytes for the
// same scenario and seed.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseScenario } from '../../sim/scenario';
import { Simulation } from '../../sim/runner';
import { RunRecord } from '../../sim/record';
import { writeReport } from '../../sim/report-files';
import { csvFiles, csvField } from '../../sim/report-csv';
import { reportData } from '../../sim/report-html';

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/dormitory-floor.json'), 'utf8'));

function record(hours: number): RunRecord {
  const s = JSON.parse(JSON.stringify(example));
  s.durationHours = hours;
  const r = parseScenario(s);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const sim = new Simulation(r.value, () => undefined);
  sim.run();
  return sim.record();
}

function rows(csv: string): string[][] {
  return csv.trim().split('\n').map((l) => l.split(','));
}

const m = (s: string): number => Math.round(Number(s) * 1000);

let rec: RunRecord;
let dir: string;

beforeAll(() => {
  rec = record(72);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
  writeReport(dir, rec.name, rec.description, [{ unit: '', record: rec }]);
});

describe('report files', () => {
  it('writes report.html, summary.txt and five CSV files', () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['accounts-daily.csv', 'events.csv', 'ledger.csv', 'meters-daily.csv', 'report.html', 'summary.txt', 'topups.csv']);
    expect(fs.readFileSync(path.join(dir, 'summary.txt'), 'utf8')).toMatch(/^total +\d+\.\d{3}/m);
  });

  it('accounts per day: energy by period adds up to the day, days add up to the summary, the last balance is the balance', () => {
    const t = rows(fs.readFileSync(path.join(dir, 'accounts-daily.csv'), 'utf8'));
    expect(t[0]).toEqual(['day', 'account', 'energy_kwh', 'sharp_kwh', 'peak_kwh', 'flat_kwh', 'valley_kwh', 'no_time_kwh', 'charged', 'topups', 'topup_count', 'refused_topups', 'balance', 'minutes_off', 'alarms', 'cuts']);
    const days = new Set(t.slice(1).map((r) => r[0]));
    expect(days.size).toBe(3); // 72 h from local 00:00 on 2 March
    for (const a of rec.summary.accounts) {
      const mine = t.slice(1).filter((r) => r[1] === a.name);
      expect(mine.length).toBe(days.size);
      for (const r of mine) expect(m(r[3]) + m(r[4]) + m(r[5]) + m(r[6]) + m(r[7])).toBe(m(r[2]));
      expect(mine.reduce((s, r) => s + m(r[2]), 0), a.name).toBe(a.energyWh);
      expect(mine.reduce((s, r) => s + m(r[8]), 0), a.name).toBe(a.chargedMilli);
      expect(mine.reduce((s, r) => s + m(r[9]), 0), a.name).toBe(a.topupsMilli);
      expect(mine.reduce((s, r) => s + Number(r[13]), 0), a.name).toBe(Math.round(a.minutesOff));
      expect(m(mine[mine.length - 1][12]), a.name).toBe(a.balanceMilli);
    }
  });

  it('the ledger: money entries one by one and each day\'s charges summed; they add up to every balance', () => {
    const t = rows(fs.readFileSync(path.join(dir, 'ledger.csv'), 'utf8'));
    expect(t[0]).toEqual(['entry', 'time', 'account', 'kind', 'entries', 'amount', 'balance', 'ref']);
    let entries = 0;
    for (const a of rec.summary.accounts) {
      const mine = t.slice(1).filter((r) => r[2] === a.name);
      expect(mine.reduce((s, r) => s + m(r[5]), 0), a.name).toBe(a.balanceMilli - a.openingMilli);
      entries += mine.reduce((s, r) => s + Number(r[4]), 0);
    }
    expect(entries).toBe(rec.summary.ledgerEntries);
    expect(t.slice(1).filter((r) => r[3] === 'charges').every((r) => /^\d+-\d+$/.test(r[0]))).toBe(true);
  });

  it('meters per day: readings every minute, register advance = energy billed to the account', () => {
    const t = rows(fs.readFileSync(path.join(dir, 'meters-daily.csv'), 'utf8'));
    const readings = t.slice(1).reduce((s, r) => s + Number(r[3]), 0);
    expect(readings).toBe(rec.summary.readings);
    const r301 = t.slice(1).filter((r) => r[1] === 'M301').reduce((s, r) => s + m(r[4]), 0);
    expect(r301).toBe(rec.summary.accounts[0].energyWh);
  });

  it('the same scenario and seed give the same bytes: CSV, summary and the HTML with its data', () => {
    const again = record(72);
    const a = csvFiles([{ unit: '', record: rec }]);
    const b = csvFiles([{ unit: '', record: again }]);
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const k of Object.keys(a)) expect(b[k], k).toBe(a[k]);
    expect(JSON.stringify(reportData(rec.name, '', [{ unit: '', record: again }]))).toBe(JSON.stringify(reportData(rec.name, '', [{ unit: '', record: rec }])));
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    writeReport(dir2, again.name, again.description, [{ unit: '', record: again }]);
    for (const f of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir2, f)).equals(fs.readFileSync(path.join(dir, f))), f).toBe(true);
  });

  it('quotes CSV fields that need it', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(12)).toBe('12');
  });
});
