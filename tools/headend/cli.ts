// The operator's head-end (issue 13): `npm run headend -- serve` subscribes to a real MQTT
// broker, opens every unit's uplink messages with its key and stores the genuine ones once in
// SQLite (tools/headend/store.ts: the messages, and the readings, ledger entries, events, meter
// lists and balances in them), counting what it refuses, and delivers commands until the unit
// answers them (tools/headend/headend.ts); lines typed on its standard input send commands and
// print the units, balances and commands. The other commands read a database file.
//   npm run headend -- serve --broker mqtt://127.0.0.1:1883 --units units.json --db headend.sqlite
//   npm run headend -- units --units units.json --db headend.sqlite
//   npm run headend -- balances [unit] --units units.json --db headend.sqlite
//   npm run headend -- commands [unit] --units units.json --db headend.sqlite
//   npm run headend -- export --kind readings --units units.json --db headend.sqlite > readings.csv
import { Command, Option } from 'commander';
import * as fs from 'fs';
import * as readline from 'readline';
import { Headend, commandLine } from './headend';
import { Balance, CSV_KINDS, CsvKind, HeadendStore, UnitKey, parseUnits } from './store';

/** The units file, or an exit with its message. */
function readUnits(file: string): UnitKey[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    fail(file + ': ' + (e as NodeJS.ErrnoException).code);
  }
  const p = parseUnits(text);
  if (!p.ok) fail(file + ': ' + p.error);
  return p.units;
}

function fail(msg: string): never {
  process.stderr.write('headend: ' + msg + '\n');
  process.exit(2);
}

/** Milli-units as a decimal with three places. */
function money(m: number): string {
  const a = Math.abs(m);
  return (m < 0 ? '-' : '') + Math.floor(a / 1000) + '.' + String(a % 1000).padStart(3, '0');
}

function balanceLine(b: Balance): string {
  const at = new Date(b.t * 1000);
  return 'balance ' + b.unit + ' ' + b.account + ' ' + money(b.balance) + ', relay ' + (b.relay ? 'on' : 'off') + ', ' + b.mode + ', as of ' + (isNaN(at.getTime()) ? String(b.t) : at.toISOString().replace(/\.000Z$/, 'Z'));
}

function printUnits(s: HeadendStore): void {
  for (const u of s.units()) console.log('unit ' + u.id + ' ' + u.state + ', last message #' + u.lastUp + ', stored ' + u.stored + ', refused ' + u.refused);
}

/** Balances or commands of one unit (an error line when it is not known) or of all. */
function printOf(s: HeadendStore, what: 'balances' | 'commands', unit: string | undefined, units: UnitKey[]): boolean {
  if (unit !== undefined && !units.some((u) => u.id === unit)) return false;
  if (what === 'balances') {
    const b = s.balances(unit);
    if (!b.length) console.log('no balances yet');
    b.forEach((x) => console.log(balanceLine(x)));
  } else {
    const c = s.commands(unit);
    if (!c.length) console.log('no commands');
    c.forEach((x) => console.log(commandLine(x)));
  }
  return true;
}

async function serve(o: { broker: string; units: string; db: string; resend: string; session: string }): Promise<void> {
  const units = readUnits(o.units);
  if (!/^[1-9][0-9]{0,6}$/.test(o.resend)) fail('--resend: expected whole seconds, 1 or more, not ' + JSON.stringify(o.resend));
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.session)) fail('--session: expected 1 to 64 letters, digits, _ or -, not ' + JSON.stringify(o.session));
  const he = await Headend.open({ broker: o.broker, units, db: o.db, resendMs: Number(o.resend) * 1000, session: o.session, log: (l) => console.log(l) });
  const stop = () => {
    he.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // lines on standard input: "send <unit> <payload>", "units", "balances [unit]",
  // "commands [unit]", "save", "quit"
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const w = line.trim().split(' ');
    if (w[0] === 'send' && w.length >= 3) {
      if (!units.some((u) => u.id === w[1])) return console.log('error: no unit ' + w[1]);
      he.send(w[1], w.slice(2).join(' ')).then(
        (seq) => console.log('sent ' + w[1] + ' #' + seq),
        (e) => console.log('error: send: ' + e.message),
      );
    } else if (w[0] === 'units') printUnits(he.store);
    else if ((w[0] === 'balances' || w[0] === 'commands') && w.length <= 2) {
      if (!printOf(he.store, w[0], w[1], units)) console.log('error: no unit ' + w[1]);
    } else if (w[0] === 'save') {
      he.save();
      console.log('saved');
    } else if (w[0] === 'quit') stop();
    else if (w[0]) console.log('error: expected send <unit> <payload>, units, balances [unit], commands [unit], save or quit');
  });
  rl.on('close', () => undefined);
}

async function main(): Promise<void> {
  const program = new Command('headend').description('the operator\'s head-end: collects the units\' uplink messages from an MQTT broker (docs/uplink.md)');
  // (bad input exits 2, as the units file's errors do; inherited by the commands added below)
  program.exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  program
    .command('serve')
    .requiredOption('--broker <url>', 'the MQTT broker, mqtt://host:port')
    .requiredOption('--units <file>', 'the units and their keys: {"units": [{"id": ..., "key": <32 hex>}]}')
    .requiredOption('--db <file>', 'the SQLite database (made when absent)')
    .option('--resend <seconds>', 'a command not answered is sent again this often', '30')
    .option('--session <id>', 'the MQTT client id of its persistent session (the broker keeps the units\' messages while the head-end is away); one head-end per id', 'headend')
    .action(serve);
  // the commands that read a database file
  const reader = (name: string, what: string) =>
    program
      .command(name)
      .description(what)
      .requiredOption('--units <file>', 'the units file')
      .requiredOption('--db <file>', 'the database');
  const open = async (o: { units: string; db: string }): Promise<[HeadendStore, UnitKey[]]> => {
    if (!fs.existsSync(o.db)) fail(o.db + ': no such database');
    const units = readUnits(o.units);
    return [await HeadendStore.open(o.db, units), units];
  };
  reader('units', 'each unit\'s state and messages, and the refusals').action(async (o) => {
    const [s] = await open(o);
    printUnits(s);
    for (const r of s.refusals()) console.log('refused ' + r.unit + ' ' + r.why + ': ' + r.count);
  });
  for (const what of ['balances', 'commands'] as const)
    reader(what, what === 'balances' ? 'each account\'s newest balance and relay (of one unit, or all)' : 'the commands sent and their answers (to one unit, or all)')
      .argument('[unit]', 'one unit\'s only')
      .action(async (unit: string | undefined, o: { units: string; db: string }) => {
        const [s, units] = await open(o);
        if (!printOf(s, what, unit, units)) fail('no unit ' + unit + ' in ' + o.units);
      });
  reader('export', 'one kind of the stored data as CSV')
    .addOption(new Option('--kind <kind>', 'what to export').choices(CSV_KINDS).default('messages'))
    .action(async (o: { units: string; db: string; kind: CsvKind }) => {
      const [s] = await open(o);
      process.stdout.write(s.csv(o.kind));
    });
  await program.parseAsync(process.argv);
}

main().catch((e) => fail(String(e && e.message ? e.message : e)));
