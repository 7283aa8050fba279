// EEPROM wear: runs the 32-room dormitory scenario (32 accounts, one meter each, readings
// every 60 s, the default poll interval) for its week on the simulated unit with its
// AT24C512, and prints the bytes written per day and the lifetime at 1,000,000 write cycles
// per cell: by the most-written cell, and (the cautious figure, for parts that reprogram the
// whole page on any write) by the most-programmed page.
import * as fs from 'fs';
import * as path from 'path';
import { parseScenario } from '../sim/scenario';
import { Simulation } from '../sim/runner';

const CYCLES = 1e6;

function run(file: string, part: string): void {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  raw.eeprom = part;
  const sc = parseScenario(raw);
  if (!sc.ok) throw new Error(sc.errors.join('\n'));
  const started = Date.now();
  const sim = new Simulation(sc.value, () => undefined);
  sim.run();
  const chip = sim.storage!.chip;
  const days = sc.value.durationHours / 24;
  let maxCell = 0;
  for (let i = 0; i < chip.wear.length; i++) if (chip.wear[i] > maxCell) maxCell = chip.wear[i];
  let maxPage = 0;
  for (let i = 0; i < chip.pageWear.length; i++) if (chip.pageWear[i] > maxPage) maxPage = chip.pageWear[i];
  const years = (n: number): string => (n ? (CYCLES / (n / days) / 365.25).toFixed(1) : 'inf');
  console.log(path.basename(file) + ' on ' + part + ': ' + sc.value.config.accounts.length + ' accounts, ' + sc.value.meterNames.length + ' meters, poll ' + sc.value.pollSeconds + ' s, ' + days + ' days simulated in ' + ((Date.now() - started) / 1000).toFixed(1) + ' s');
  console.log('  bytes written per day   ' + Math.round(chip.bytesWritten / days) + ' (' + Math.round(chip.pageWrites / days) + ' page writes)');
  console.log('  most-written cell       ' + (maxCell / days).toFixed(0) + ' writes/day -> ' + years(maxCell) + ' years at ' + CYCLES + ' cycles');
  console.log('  most-programmed page    ' + (maxPage / days).toFixed(0) + ' programs/day -> ' + years(maxPage) + ' years (whole-page wear)');
  console.log('  journal ' + sim.storage!.eeprom.size + '-byte part, journal seq ' + sim.unit.core.ledger.seq + ' ledger entries');
}

run(path.join(__dirname, '..', 'sim', 'scenarios', 'dormitory-floor.json'), 'AT24C512');
