// Desktop entry point: `npm run sim -- [scenario.json] [--json] [--live ...]`.
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { parseScenario } from './scenario';
import { runScenario } from './runner';
import { formatSummary } from './report';
import { runLive } from './live';

const program = new Command();
program
  .name('sim')
  .description('Run the prepaid unit on virtual meters and loads, as fast as the CPU allows')
  .argument('[scenario]', 'scenario JSON file', path.join(__dirname, 'scenarios', 'dormitory-floor.json'))
  .option('--json', 'print the summary as one JSON line')
  .option('--eeprom <file>', "keep the unit's EEPROM image in this file: the next run boots from it (balances, log, freezes)")
  .option('--live', 'run paced to the wall clock with the technician console attached to this terminal')
  .option('--speed <factor>', 'live mode: virtual seconds per real second', '60')
  .option('--tcp <port>', 'live mode: also serve the console on this TCP port (127.0.0.1)')
  .option('--pty <path>', 'live mode: also make a pseudo-terminal at this path (needs socat and --tcp)')
  .action((file: string, opts: { json?: boolean; live?: boolean; speed: string; tcp?: string; pty?: string; eeprom?: string }) => {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      console.error('error: cannot read scenario ' + file + ': ' + (e as Error).message);
      process.exit(2);
    }
    const sc = parseScenario(raw);
    if (!sc.ok) {
      for (const e of sc.errors) console.error('error: ' + e);
      process.exit(2);
    }
    if (opts.live) {
      const speed = Number(opts.speed);
      if (!(speed > 0)) {
        console.error('error: --speed must be a positive number');
        process.exit(2);
      }
      if (opts.pty && opts.tcp === undefined) opts.tcp = '0';
      runLive(sc.value, {
        speed,
        terminal: true,
        eepromFile: opts.eeprom,
        tcpPort: opts.tcp === undefined ? undefined : Number(opts.tcp),
        ptyPath: opts.pty,
        echo: true,
        onReady: (port) => {
          if (port) console.log('console on tcp://127.0.0.1:' + port + (opts.pty ? ' and ' + opts.pty : ''));
          console.log('live at x' + speed + '; the technician console is attached, type help');
        },
      });
      return;
    }
    const summary = runScenario(sc.value, undefined, { eepromFile: opts.eeprom });
    process.stdout.write(opts.json ? JSON.stringify(summary) + '\n' : formatSummary(summary));
    if (!summary.ledgerConsistent) process.exit(1);
  });
program.parse();
