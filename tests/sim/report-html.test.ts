// The HTML report of each bundled scenario, opened in headless Chromium (Debian's chromium,
// installed by .ci/run): every chart renders, and draws the run's own figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { parseScenario } from '../../sim/scenario';
import { Simulation } from '../../sim/runner';
import { RunRecord } from '../../sim/record';
import { writeReport } from '../../sim/report-files';
import { UnitRecord } from '../../sim/report-csv';
import { parseSite, runSite } from '../../sim/site';

const CHROMIUM = '/usr/bin/chromium';
const have = fs.existsSync(CHROMIUM);
const SCENARIOS = path.join(__dirname, '../../sim/scenarios');

let ctx: BrowserContext;

interface ChartInfo {
  labels: string[];
  data: (number | null)[][];
  inked: number;
  width: number;
}

function runUnit(file: string): RunRecord {
  const raw = JSON.parse(fs.readFileSync(path.join(SCENARIOS, file), 'utf8'));
  const r = parseScenario(raw);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const sim = new Simulation(r.value, () => undefined);
  sim.run();
  return sim.record();
}

async function open(units: UnitRecord[], title: string): Promise<{ page: Page; charts: { [id: string]: ChartInfo } }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
  writeReport(dir, title, 'test', units);
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('file://' + path.join(dir, 'report.html'));
  await page.waitForFunction(() => (globalThis as any).reportReady === true, null, { timeout: 20000 });
  expect(errors).toEqual([]);
  const charts = await readCharts(page);
  return { page, charts };
}

/** Each chart's series labels, data, and how many of its canvas pixels are drawn. */
function readCharts(page: Page): Promise<{ [id: string]: ChartInfo }> {
  return page.evaluate(() => {
    const out: { [id: string]: ChartInfo } = {};
    const charts = (globalThis as any).reportCharts;
    for (const id of Object.keys(charts)) {
      const c = charts[id];
      const cv = c.canvas;
      const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let inked = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
      out[id] = { labels: c.labels, data: c.data, inked, width: cv.width };
    }
    return out;
  });
}

function close(a: number, b: number): void {
  expect(Math.abs(a - b)).toBeLessThan(0.0005 + Math.abs(b) * 1e-9);
}

beforeAll(async () => {
  if (!have) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60000);

afterAll(async () => {
  if (ctx) await ctx.close();
});

describe.skipIf(!have)('HTML report in headless Chromium', () => {
  it('dormitory floor week: balances, daily energy, load, timeline and top-ups drawn from the run\'s figures', async () => {
    const r = runUnit('dormitory-floor.json');
    const { page, charts } = await open([{ unit: '', record: r }], r.name);
    expect(Object.keys(charts)).toEqual(['balance', 'daily-energy', 'load', 'timeline', 'topups']);
    for (const id of Object.keys(charts)) expect(charts[id].inked, id).toBeGreaterThan(2000);
    const s = r.summary;
    expect(charts.balance.labels).toEqual(s.accounts.map((a) => a.name));
    s.accounts.forEach((a, i) => {
      const series = charts.balance.data[i + 1];
      close(series[series.length - 1] as number, a.balanceMilli / 1000);
      close((charts['daily-energy'].data[i + 1] as number[]).reduce((x, y) => x + y, 0), a.energyWh / 1000);
    });
    expect(charts.load.data[1]).toEqual(r.load.watts);
    const points = charts.timeline.data.slice(1).reduce((n, col) => n + col.filter((v) => v !== null).length, 0);
    expect(points).toBe(r.timeline.length);
    expect(charts.topups.data[1].filter((v) => v !== null).length).toBe(r.topups.filter((t) => t.accepted).length);
    const total = await page.locator('tr.total').first().innerText();
    expect(total.split('\t').slice(0, 2)).toEqual(['total', (s.totals.energyWh / 1000).toFixed(3)]);
    expect(await page.locator('#ledger-check').innerText()).toBe('Ledger check: balances = opening + sum of entries; every registered Wh billed');
  }, 120000);

  it('mixed bus week: bus health per meter from the wire, lost minutes from the unit', async () => {
    const r = runUnit('mixed-bus-week.json');
    const { charts, page } = await open([{ unit: '', record: r }], r.name);
    expect(Object.keys(charts)).toContain('bus');
    const bus = r.meters.filter((m) => m.bus).map((m) => m.name);
    expect(bus.length).toBe(32);
    const sumOf = (meter: string, k: 'requests' | 'retries' | 'unanswered' | 'badReplies' | 'lostMinutes'): number => r.meterDays.filter((d) => d.meter === meter).reduce((n, d) => n + d[k], 0);
    expect(charts.bus.labels).toEqual(['requests', 'retries', 'timeouts (unanswered)', 'checksum / address errors', 'minutes lost']);
    expect(charts.bus.data[1]).toEqual(bus.map((m) => sumOf(m, 'requests')));
    expect(charts.bus.data[2]).toEqual(bus.map((m) => sumOf(m, 'retries')));
    expect(charts.bus.data[3]).toEqual(bus.map((m) => sumOf(m, 'unanswered')));
    expect(charts.bus.data[5]).toEqual(bus.map((m) => sumOf(m, 'lostMinutes')));
    expect((charts.bus.data[1] as number[]).every((n) => n > 1000)).toBe(true);
    expect((charts.bus.data[3] as number[]).some((n) => n > 0)).toBe(true);
    expect((charts.bus.data[5] as number[]).some((n) => n > 0)).toBe(true);
    expect(charts.bus.inked).toBeGreaterThan(2000);
    expect(r.summary.readings).toBeGreaterThan(60000);
    expect(await page.locator('#ledger-check').innerText()).toMatch(/^Ledger check: balances = opening \+ sum of entries; every registered Wh billed, except:/);
  }, 180000);

  it('seed 001 site (22 units, two hours): the site\'s load and each unit\'s energy; the picker redraws a unit', async () => {
    const raw = JSON.parse(fs.readFileSync(path.join(SCENARIOS, 'site-001.json'), 'utf8'));
    raw.durationHours = 2;
    const s = parseSite(raw);
    if (!s.ok) throw new Error(s.errors.join('\n'));
    const units = await runSite(s.value, { workers: 2 });
    const { page, charts } = await open(units, s.value.name);
    expect(Object.keys(charts)).toEqual(['site-load', 'site-daily', 'balance', 'daily-energy', 'load', 'timeline', 'topups']);
    const sum = units[0].record.load.watts.map((_, i) => units.reduce((n, u) => n + u.record.load.watts[i], 0));
    expect(charts['site-load'].data[1]).toEqual(sum);
    expect(charts['site-load'].inked).toBeGreaterThan(1000);
    expect(charts['site-daily'].labels).toEqual(units.map((u) => u.unit));
    expect(await page.locator('#unit-picker option').count()).toBe(22);
    await page.selectOption('#unit-picker', '21');
    const after = await readCharts(page);
    expect(after.balance.labels).toEqual(units[21].record.accounts);
    expect(after.balance.labels).toHaveLength(24);
    expect(after.balance.inked).toBeGreaterThan(1000);
  }, 180000);
});
