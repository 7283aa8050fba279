// The operator's head-end (issue 13), first step: `npm run headend -- serve` subscribes to a
// real MQTT broker, opens every unit's uplink messages with its key and stores the genuine ones
// once in SQLite (tools/headend/store.ts), counting what it refuses; lines typed on its standard
// input send sealed commands and print the units. `units` and `export` read a database file.
//   npm run headend -- serve --broker mqtt://127.0.0.1:1883 --units units.json --db headend.sqlite
//   npm run headend -- units --units units.json --db headend.sqlite
//   npm run headend -- export --units units.json --db headend.sqlite > messages.csv
import { Command } from 'commander';
import * as fs from 'fs';
import * as readline from 'readline';
import mqtt from 'mqtt';
import { HeadendStore, UnitKey, parseUnits } from './store';

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

function printUnits(s: HeadendStore): void {
  for (const u of s.units()) console.log('unit ' + u.id + ' ' + u.state + ', last message #' + u.lastUp + ', stored ' + u.stored + ', refused ' + u.refused);
}

async function serve(o: { broker: string; units: string; db: string }): Promise<void> {
  const units = readUnits(o.units);
  const store = await HeadendStore.open(o.db, units);
  const client = mqtt.connect(o.broker, { clientId: 'headend-' + process.pid, clean: true, reconnectPeriod: 1000 });
  client.on('connect', () => {
    client.subscribe({ 'unit/+/up': { qos: 1 }, 'unit/+/state': { qos: 1 } }, (err) => {
      if (err) return console.log('error: subscribe: ' + err.message);
      console.log('subscribed to ' + o.broker);
    });
  });
  client.on('error', (e) => console.log('error: broker: ' + e.message));
  client.on('message', (topic, buf) => {
    const m = /^unit\/([^/]+)\/(up|state)$/.exec(topic);
    if (!m) return;
    const text = buf.toString('latin1');
    if (m[2] === 'state') {
      store.state(m[1], text, Date.now());
      return console.log('state ' + m[1] + ' ' + text);
    }
    const r = store.ingest(m[1], text, Date.now());
    console.log(r.stored ? 'stored ' + m[1] + ' #' + r.seq : 'refused ' + m[1] + ' ' + r.why);
  });
  const saver = setInterval(() => store.save(), 2000);
  const stop = () => {
    clearInterval(saver);
    store.close();
    client.end(false, {}, () => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // lines on standard input: "send <unit> <payload>", "units", "save", "quit"
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const w = line.trim().split(' ');
    if (w[0] === 'send' && w.length >= 3) {
      if (!units.some((u) => u.id === w[1])) return console.log('error: no unit ' + w[1]);
      const text = store.command(w[1], w.slice(2).join(' '), Date.now());
      client.publish('unit/' + w[1] + '/cmd', text, { qos: 1 }, (err) => console.log(err ? 'error: send: ' + err.message : 'sent ' + w[1] + ' #' + text.split(' ')[0]));
    } else if (w[0] === 'units') printUnits(store);
    else if (w[0] === 'save') {
      store.save();
      console.log('saved');
    } else if (w[0] === 'quit') stop();
    else if (w[0]) console.log('error: expected send <unit> <payload>, units, save or quit');
  });
  rl.on('close', () => undefined);
}

async function main(): Promise<void> {
  const program = new Command('headend').description('the operator\'s head-end: collects the units\' uplink messages from an MQTT broker (docs/uplink.md)');
  program
    .command('serve')
    .requiredOption('--broker <url>', 'the MQTT broker, mqtt://host:port')
    .requiredOption('--units <file>', 'the units and their keys: {"units": [{"id": ..., "key": <32 hex>}]}')
    .requiredOption('--db <file>', 'the SQLite database (made when absent)')
    .action(serve);
  // the commands that read a database file
  const reader = (name: string, what: string, fn: (s: HeadendStore) => void) =>
    program
      .command(name)
      .description(what)
      .requiredOption('--units <file>', 'the units file')
      .requiredOption('--db <file>', 'the database')
      .action(async (o: { units: string; db: string }) => {
        if (!fs.existsSync(o.db)) fail(o.db + ': no such database');
        fn(await HeadendStore.open(o.db, readUnits(o.units)));
      });
  reader('units', 'each unit\'s state and messages, and the refusals', (s) => {
    printUnits(s);
    for (const r of s.refusals()) console.log('refused ' + r.unit + ' ' + r.why + ': ' + r.count);
  });
  reader('export', 'the stored messages as CSV', (s) => process.stdout.write(s.messagesCsv()));
  await program.parseAsync(process.argv);
}

main().catch((e) => fail(String(e && e.message ? e.message : e)));
