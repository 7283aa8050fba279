// Simulator speed at site scale: seed 001's site (696 rooms on 22 floor units, 1-minute polls,
// every reading through the unit's full firmware path: billing, credit control, the EEPROM
// journal on the virtual AT24CM01 (the boards' part), the RTC over virtual I2C, read once per
// virtual instant: the unit's reads of one poll's readings share it, sim/storage-rig.ts) for a year on worker threads, in
// meter readings per wall second, against the goal (a year in at most 6 minutes, about
// 1,000,000 readings per second on 2 cores). First, where the time of one floor unit goes
// (V8's sampling profiler, self time by folder: firmware/ and hal/ against sim/).
//   npm run bench -- sim                  (a year: minutes)
//   SIM_BENCH_DAYS=30 npm run bench -- sim
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Session } from 'inspector';
import { parseSite, runSite, Site } from '../sim/site';
import { parseScenario } from '../sim/scenario';
import { Simulation } from '../sim/runner';

const ROOT = path.resolve(__dirname, '..');
const GOAL_S = 6 * 60;
const GOAL_RATE = 1e6;

function site(days: number): Site {
  const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'sim/scenarios/site-001.json'), 'utf8'));
  raw.durationHours = days * 24;
  const s = parseSite(raw);
  if (!s.ok) throw new Error(s.errors.join('\n'));
  return s.value;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params || {}, (err, res) => (err ? reject(err) : resolve(res as T))));
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}

/** Self time of one floor unit's run by where the code lives. */
async function whereTimeGoes(days: number): Promise<void> {
  const sc = parseScenario(site(days).units[0].raw);
  if (!sc.ok) throw new Error(sc.errors.join('\n'));
  // A day first, not profiled: the code compiled and the start-up's garbage collected, as in
  // a worker that has run a unit before (otherwise the start-up's collection counts here).
  const warm = parseScenario(site(1).units[0].raw);
  if (warm.ok) new Simulation(warm.value, () => undefined).run();
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
  await post(session, 'Profiler.start');
  const started = Date.now();
  const sim = new Simulation(sc.value, () => undefined);
  const sum = sim.run();
  const wall = (Date.now() - started) / 1000;
  const { profile } = await post<{ profile: { nodes: ProfileNode[]; samples: number[] } }>(session, 'Profiler.stop');
  session.disconnect();
  const where = new Map<number, string>();
  for (const n of profile.nodes) {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const rel = url.startsWith(ROOT) ? path.relative(ROOT, url) : '';
    const top = rel.split(path.sep)[0];
    where.set(n.id, top === 'firmware' || top === 'hal' || top === 'sim' ? top + '/' : n.callFrame.functionName === '(garbage collector)' ? 'garbage collector' : n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(program)' ? 'other' : rel ? 'other' : 'node and V8');
  }
  const count = new Map<string, number>();
  for (const s of profile.samples) count.set(where.get(s) || 'other', (count.get(where.get(s) || 'other') || 0) + 1);
  const total = profile.samples.length;
  console.log('one floor unit (33 rooms), ' + days + ' simulated days in this process: ' + sum.readings + ' readings in ' + wall.toFixed(1) + ' s = ' + Math.round(sum.readings / wall).toLocaleString('en-US') + ' readings/s (with the profiler on)');
  console.log('  where the time goes (self time, share of samples):');
  for (const k of ['firmware/', 'hal/', 'sim/', 'garbage collector', 'node and V8', 'other']) {
    console.log('    ' + k.padEnd(18) + ((100 * (count.get(k) || 0)) / total).toFixed(1).padStart(5) + ' %');
  }
  console.log('  (firmware/ and hal/ are the unit: billing, storage journal, CRC-32, the AT24C and DS3231 drivers; sim/ is the virtual loads, EEPROM, RTC, I2C bus and the runner)');
}

async function siteRun(days: number, workers: number): Promise<void> {
  const s = site(days);
  const started = Date.now();
  // The machine is shared: what the run's threads got of it says how far other jobs held it back.
  const cpu0 = process.cpuUsage();
  const load0 = os.loadavg()[0];
  let lastPrint = started;
  const units = await runSite(s, {
    workers,
    progress: (done, total, readings) => {
      const now = Date.now();
      if (now - lastPrint < 30000) return;
      lastPrint = now;
      console.log('    ' + ((100 * done) / total).toFixed(0) + ' % after ' + ((now - started) / 1000).toFixed(0) + ' s, ' + Math.round(readings / ((now - started) / 1000)).toLocaleString('en-US') + ' readings/s');
    },
  });
  const wall = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  const cores = os.cpus().length;
  const readings = units.reduce((n, u) => n + u.record.summary.readings, 0);
  const rate = readings / wall;
  const yearReadings = s.meters * (365 * 24 * 60 + 1);
  console.log('site: ' + s.units.length + ' units, ' + s.meters + ' meters, ' + days + ' simulated days on ' + workers + ' worker thread(s) (' + os.cpus().length + ' cores)');
  console.log('  readings                 ' + readings.toLocaleString('en-US'));
  console.log('  wall time                ' + wall.toFixed(1) + ' s');
  console.log('  readings per wall second ' + Math.round(rate).toLocaleString('en-US') + '   (goal ' + GOAL_RATE.toLocaleString('en-US') + ')');
  console.log('  a year of the site       ' + (yearReadings / rate / 60).toFixed(1) + ' min' + (days === 365 ? '' : ' (projected)') + '   (goal ' + GOAL_S / 60 + ' min)');
  console.log('  CPU time, all threads    ' + cpu.toFixed(1) + ' s: ' + ((100 * cpu) / (wall * cores)).toFixed(0) + '% of the ' + cores + ' cores over the run (load average ' + load0.toFixed(1) + ' at its start, ' + os.loadavg()[0].toFixed(1) + ' at its end)');
  console.log('  readings per CPU second  ' + Math.round(readings / cpu).toLocaleString('en-US') + '   (with the ' + cores + ' cores to itself, about ' + Math.round((cores * readings) / cpu).toLocaleString('en-US') + ' per wall second)');
  console.log('  ledger check             ' + (units.every((u) => u.record.summary.ledgerConsistent) ? 'consistent in every unit' : 'INCONSISTENT in ' + units.filter((u) => !u.record.summary.ledgerConsistent).map((u) => u.unit).join(', ')));
}

async function main(): Promise<void> {
  const days = Number(process.env.SIM_BENCH_DAYS || 365);
  await whereTimeGoes(10);
  await siteRun(days, Number(process.env.SIM_BENCH_WORKERS || os.cpus().length));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
