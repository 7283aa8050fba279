// A site: many units (one per floor, say), each an independent firmware instance with its
// own virtual meters, EEPROM and RTC, run in parallel on worker threads, with one report.
// A site file describes its floors from templates (the room account, its meter and load,
// the tenants' habits) and lists the units; each unit becomes an ordinary scenario, checked
// by parseScenario like any other. The same site and seed give the same records whatever the
// number of workers.
import Ajv from 'ajv';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { parseScenario } from './scenario';
import { mulberry32 } from './prng';
import { RunRecord } from './record';
import { UnitRecord } from './report-csv';

/** One unit of the site, as an ordinary scenario (raw JSON, validated). */
export interface SiteUnit {
  name: string;
  raw: unknown;
}

/** A validated site. */
export interface Site {
  name: string;
  description: string;
  durationHours: number;
  stepSeconds: number;
  units: SiteUnit[];
  /** Meters across all units (readings per poll). */
  meters: number;
}

const range = { type: 'array', items: { type: 'number', minimum: 0 }, minItems: 2, maxItems: 2 };

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'start', 'durationHours', 'config', 'room', 'load', 'units'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    start: { type: 'string' },
    durationHours: { type: 'number' },
    stepSeconds: { type: 'integer' },
    pollSeconds: { type: 'integer' },
    seed: { type: 'integer' },
    eeprom: {},
    config: { type: 'object' },
    room: { type: 'object' },
    meter: { type: 'object' },
    load: {
      type: 'object',
      required: ['dailyKwh'],
      properties: { dailyKwh: range, startRegisterWh: range },
    },
    openingTopup: range,
    tenants: { type: 'object' },
    units: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'rooms', 'firstRoom'],
        properties: { name: { type: 'string', minLength: 1 }, rooms: { type: 'integer', minimum: 1, maximum: 200 }, firstRoom: { type: 'integer', minimum: 0 }, prefix: { type: 'string' } },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile(schema);

/** True when a parsed JSON file is a site (it lists units) rather than one unit's scenario. */
export function isSite(raw: unknown): boolean {
  return !!raw && typeof raw === 'object' && Array.isArray((raw as { units?: unknown }).units);
}

interface RawSite {
  name: string;
  description?: string;
  start: string;
  durationHours: number;
  stepSeconds?: number;
  pollSeconds?: number;
  seed?: number;
  eeprom?: unknown;
  config: { [k: string]: unknown };
  room: { [k: string]: unknown };
  meter?: { [k: string]: unknown };
  load: { dailyKwh: number[]; startRegisterWh?: number[]; [k: string]: unknown };
  openingTopup?: number[];
  tenants?: unknown;
  units: { name: string; rooms: number; firstRoom: number; prefix?: string }[];
}

/** Drawn evenly from [lo, hi], rounded to a multiple of step. */
function draw(rnd: () => number, r: number[] | undefined, step: number, dflt: number): number {
  if (!r) return dflt;
  return Math.round((r[0] + (r[1] - r[0]) * rnd()) / step) * step;
}

/** Checks a site and expands every unit into a scenario; mistakes one line each. */
export function parseSite(raw: unknown): { ok: true; value: Site } | { ok: false; errors: string[] } {
  if (!validate(raw)) {
    return { ok: false, errors: (validate.errors || []).map((e) => 'site' + e.instancePath.replace(/\//g, '.') + ': ' + e.message + (e.keyword === 'additionalProperties' ? ' "' + (e.params as { additionalProperty: string }).additionalProperty + '"' : '')) };
  }
  const r = raw as unknown as RawSite;
  const seed = r.seed || 1;
  const errors: string[] = [];
  const units: SiteUnit[] = [];
  const names = new Set<string>();
  let meters = 0;
  r.units.forEach((u, k) => {
    if (names.has(u.name)) errors.push('site.units[' + k + '].name: "' + u.name + '" twice');
    names.add(u.name);
    const rnd = mulberry32(seed * 1000 + k + 1);
    const accounts: unknown[] = [];
    const cmeters: unknown[] = [];
    const loads: { [m: string]: unknown } = {};
    const topups: unknown[] = [];
    const { dailyKwh, startRegisterWh, ...load } = r.load;
    for (let i = 0; i < u.rooms; i++) {
      const room = (u.prefix || '') + (u.firstRoom + i);
      accounts.push({ ...r.room, name: room });
      cmeters.push({ ...(r.meter || {}), name: 'M' + room, account: room });
      loads['M' + room] = { ...load, dailyKwh: draw(rnd, dailyKwh, 0.1, 0), startRegisterWh: draw(rnd, startRegisterWh, 10, 0) };
      if (r.openingTopup) topups.push({ at: r.start, account: room, amount: draw(rnd, r.openingTopup, 1000, 0) });
    }
    meters += u.rooms;
    const unit = {
      name: r.name + ', unit ' + u.name,
      description: r.description || '',
      start: r.start,
      durationHours: r.durationHours,
      stepSeconds: r.stepSeconds,
      pollSeconds: r.pollSeconds,
      seed: seed * 1000 + k + 1,
      ...(r.eeprom !== undefined ? { eeprom: r.eeprom } : {}),
      config: { ...r.config, accounts, meters: cmeters },
      loads,
      topups,
      ...(r.tenants !== undefined ? { tenants: r.tenants } : {}),
    };
    const p = parseScenario(unit);
    if (!p.ok) {
      for (const e of p.errors) errors.push('site unit ' + u.name + ': ' + e);
      return;
    }
    units.push({ name: u.name, raw: unit });
  });
  if (errors.length) return { ok: false, errors: Array.from(new Set(errors)) };
  return { ok: true, value: { name: r.name, description: r.description || '', durationHours: r.durationHours, stepSeconds: r.stepSeconds || 60, units, meters } };
}

/** How to run a site. */
export interface SiteOptions {
  /** Worker threads (default: the machine's cores, at most one per unit). */
  workers?: number;
  /** Simulated unit-seconds done (of units x duration) and readings so far, about once per unit-day. */
  progress?: (doneS: number, totalS: number, readings: number) => void;
}

/** Messages from a worker. */
export type WorkerMessage = { type: 'progress'; index: number; doneS: number; readings: number } | { type: 'done'; index: number; record: RunRecord } | { type: 'error'; index: number; message: string };

/** Runs every unit of the site on worker threads; the records in the site's unit order. */
export function runSite(site: Site, opts: SiteOptions = {}): Promise<UnitRecord[]> {
  const n = Math.max(1, Math.min(opts.workers || os.cpus().length, site.units.length));
  const records: (RunRecord | null)[] = site.units.map(() => null);
  const doneS = site.units.map(() => 0);
  const readings = site.units.map(() => 0);
  const totalS = site.units.length * site.durationHours * 3600;
  let next = 0;
  let finished = 0;
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let failed = false;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    const feed = (w: Worker): void => {
      if (next >= site.units.length) {
        void w.terminate();
        return;
      }
      const i = next++;
      w.postMessage({ index: i, raw: site.units[i].raw });
    };
    for (let k = 0; k < n; k++) {
      const w = new Worker(path.join(__dirname, 'site-worker.js'));
      workers.push(w);
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          doneS[m.index] = m.doneS;
          readings[m.index] = m.readings;
          if (opts.progress) opts.progress(sum(doneS), totalS, sum(readings));
        } else if (m.type === 'done') {
          records[m.index] = m.record;
          doneS[m.index] = site.durationHours * 3600;
          readings[m.index] = m.record.summary.readings;
          if (opts.progress) opts.progress(sum(doneS), totalS, sum(readings));
          finished++;
          feed(w); // the next unit, or the worker ends
          if (finished === site.units.length) resolve(site.units.map((u, j) => ({ unit: u.name, record: records[j] as RunRecord })));
        } else fail(new Error('unit ' + site.units[m.index].name + ': ' + m.message));
      });
      w.on('error', fail);
      feed(w);
    }
  });
}

function sum(a: number[]): number {
  let s = 0;
  for (const x of a) s += x;
  return s;
}
