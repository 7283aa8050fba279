// Desktop entry point: `npm run sim -- [scenario.json | site.json] [--json] [--report dir] [--live ...]`.
import { Command } from 'commander';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseScenario } from './scenario';
import { Simulation } from './runner';
import { formatSummary, formatSiteSummary, siteJson } from './report';
import { writeReport } from './report-files';
import { runLive } from './live';
import { progressBar } from './progress';
import { StartError } from './start-error';
import { isSite, parseSite, runSite } from './site';

interface Options {
  json?: boolean;
  live?: boolean;
  speed: string;
  tcp?: string;
  pty?: string;
  eeprom?: string;
  formatEeprom?: boolean;
  report?: string;
  progress: boolean;
  workers?: string;
}

function die(message: string): never {
  console.error('error: ' + message);
  process.exit(2);
}

/** A whole number option, or a one-line error. */
function integer(v: string, what: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !(n >= min && n <= max)) die(what + ' needs a whole number ' + min + '..' + max + ', got "' + v + '"');
  return n;
}

async function main(file: string, opts: Options): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    die('cannot read scenario ' + file + ': ' + (e as Error).message);
  }
  if (!opts.live) {
    if (opts.pty !== undefined) die('--pty serves the live console: add --live');
    if (opts.tcp !== undefined) die('--tcp serves the live console: add --live');
  }
  if (isSite(raw)) return site(raw, opts);
  const sc = parseScenario(raw);
  if (!sc.ok) {
    for (const e of sc.errors) console.error('error: ' + e);
    process.exit(2);
  }
  if (opts.live) {
    const speed = Number(opts.speed);
    if (!(speed > 0)) die('--speed must be a positive number');
    if (opts.pty && opts.tcp === undefined) opts.tcp = '0';
    const tcpPort = opts.tcp === undefined ? undefined : integer(opts.tcp, '--tcp', 0, 65535);
    runLive(sc.value, {
      speed,
      terminal: true,
      eepromFile: opts.eeprom,
      formatEeprom: opts.formatEeprom,
      tcpPort,
      ptyPath: opts.pty,
      echo: true,
      onReady: (port) => {
        if (port) console.log('console on tcp://127.0.0.1:' + port + (opts.pty ? ' and ' + opts.pty : ''));
        console.log('live at x' + speed + '; the technician console is attached, type help');
      },
      onError: (message) => die(message),
    });
    return;
  }
  const sim = new Simulation(sc.value, () => undefined, undefined, { eepromFile: opts.eeprom, formatEeprom: opts.formatEeprom });
  const totalS = sc.value.durationHours * 3600;
  const bar = progressBar(totalS, opts.progress);
  const summary = sim.run((s) => bar.update(s.now - sc.value.start, s.readings));
  bar.stop();
  if (opts.report) {
    const r = sim.record();
    writeReport(opts.report, r.name, r.description, [{ unit: '', record: r }]);
  }
  process.stdout.write(opts.json ? JSON.stringify(summary) + '\n' : formatSummary(summary));
  if (opts.report && !opts.json) process.stdout.write('report: ' + path.join(opts.report, 'report.html') + ' and CSV files\n');
  if (!summary.ledgerConsistent) process.exit(1);
}

async function site(raw: unknown, opts: Options): Promise<void> {
  if (opts.live) die('--live runs one unit: give a unit scenario, not a site');
  if (opts.eeprom) die('--eeprom keeps one unit\'s EEPROM: give a unit scenario, not a site');
  const s = parseSite(raw);
  if (!s.ok) {
    for (const e of s.errors) console.error('error: ' + e);
    process.exit(2);
  }
  const workers = opts.workers === undefined ? os.cpus().length : integer(opts.workers, '--workers', 1, 256);
  const bar = progressBar(s.value.units.length * s.value.durationHours * 3600, opts.progress);
  const started = Date.now();
  const units = await runSite(s.value, { workers, progress: (done, _total, readings) => bar.update(done, readings) });
  bar.stop();
  const wallS = (Date.now() - started) / 1000;
  if (opts.report) writeReport(opts.report, s.value.name, s.value.description, units);
  const readings = units.reduce((n, u) => n + u.record.summary.readings, 0);
  console.error(units.length + ' units on ' + workers + ' worker thread(s): ' + readings + ' readings in ' + wallS.toFixed(1) + ' s, ' + Math.round(readings / wallS) + ' readings per second');
  process.stdout.write(opts.json ? JSON.stringify(siteJson(s.value.name, units)) + '\n' : formatSiteSummary(s.value.name, units));
  if (opts.report && !opts.json) process.stdout.write('report: ' + path.join(opts.report, 'report.html') + ' and CSV files\n');
  if (!units.every((u) => u.record.summary.ledgerConsistent)) process.exit(1);
}

const program = new Command();
program
  .name('sim')
  .description('Run the prepaid unit (or a site of units) on virtual meters and loads, as fast as the CPU allows')
  .argument('[scenario]', 'scenario JSON file (one unit), or a site file (units on worker threads)', path.join(__dirname, 'scenarios', 'dormitory-floor.json'))
  .option('--json', 'print the summary as one JSON line (with a totals row)')
  .option('--report <dir>', 'write report.html (charts, opens offline) and CSV files (per account per day, per meter per day, ledger, top-ups, events) into dir')
  .option('--no-progress', 'no progress bar (it is shown only on a terminal anyway)')
  .option('--workers <n>', 'site: worker threads (default: one per core)')
  .option('--eeprom <file>', "keep the unit's EEPROM image in this file: the next run boots from it (balances, log, freezes)")
  .option('--format-eeprom', 'let the unit format an --eeprom file it cannot read (a foreign or damaged image) instead of refusing it')
  .option('--live', 'run paced to the wall clock with the technician console attached to this terminal; there "!sms <number> <text>" sends the unit a text message (a scenario with a modem) and the texts the unit sends are shown')
  .option('--speed <factor>', 'live mode: virtual seconds per real second', '60')
  .option('--tcp <port>', 'live mode: also serve the console on this TCP port (127.0.0.1)')
  .option('--pty <path>', 'live mode: also make a pseudo-terminal at this path (needs socat and --tcp)')
  .action((file: string, opts: Options) =>
    main(file, opts).catch((e: Error) => {
      if (e instanceof StartError) die(e.message);
      throw e;
    }),
  );
try {
  program.parse();
} catch (e) {
  if (e instanceof StartError) die(e.message);
  throw e;
}
