// A simulated fleet for the operator's own head-end (issue 13): dormitory floors (sim/fleet.ts)
// reporting to a real MQTT broker, their links down a share of the time, their clocks paced so
// that a person at `npm run headend -- serve` can watch balances move and send top-ups.
//   npm run fleet -- units --floors 3 > units.json
//   npm run headend -- serve --broker mqtt://127.0.0.1:1883 --units units.json --db headend.sqlite
//   npm run fleet -- run --broker mqtt://127.0.0.1:1883 --floors 3 --days 2 --pace 600
import { Command } from 'commander';
import { fleetUnits, runFleet } from '../sim/fleet';

function fail(msg: string): never {
  process.stderr.write('fleet: ' + msg + '\n');
  process.exit(2);
}

/** A whole number in [min, max] from an option's text, or an exit naming the option. */
function whole(v: string, name: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(v) || +v < min || +v > max) fail('--' + name + ': expected a whole number from ' + min + ' to ' + max + ', not ' + JSON.stringify(v));
  return +v;
}

async function main(): Promise<void> {
  const program = new Command('fleet').description('simulated units reporting to a head-end over MQTT (docs/uplink.md)');
  program.exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  program
    .command('units')
    .description('prints the units file of the fleet (ids and keys) for `npm run headend`')
    .option('--floors <n>', 'units', '3')
    .option('--seed <n>', 'the seed the keys come from', '1')
    .action((o: { floors: string; seed: string }) => {
      const units = fleetUnits(whole(o.floors, 'floors', 1, 99), whole(o.seed, 'seed', 0, 1e9));
      console.log(JSON.stringify({ units: units.map((u) => ({ id: u.id, key: Buffer.from(u.key).toString('hex') })) }, null, 1));
    });
  program
    .command('run')
    .description('runs the fleet against a broker; the head-end is yours')
    .requiredOption('--broker <url>', 'the MQTT broker, mqtt://host:port')
    .option('--floors <n>', 'units (dormitory floors of 33 accounts)', '3')
    .option('--days <n>', 'simulated days', '1')
    .option('--seed <n>', 'the seed of the loads, the outages and the keys', '1')
    .option('--outage <percent>', 'share of the time each link is down', '20')
    .option('--pace <n>', 'simulated seconds per real second at most (0: as fast as it goes)', '0')
    .action(async (o: { broker: string; floors: string; days: string; seed: string; outage: string; pace: string }) => {
      const m = /^mqtt:\/\/([^:/]+):([0-9]{1,5})\/?$/.exec(o.broker);
      if (!m) fail('--broker: expected mqtt://host:port, not ' + JSON.stringify(o.broker));
      const r = await runFleet({
        external: true,
        host: m[1],
        port: +m[2],
        floors: whole(o.floors, 'floors', 1, 99),
        days: whole(o.days, 'days', 1, 366),
        seed: whole(o.seed, 'seed', 0, 1e9),
        outageShare: whole(o.outage, 'outage', 0, 90) / 100,
        pace: whole(o.pace, 'pace', 0, 1e6),
        onHour: (h) => {
          if (h % 24 === 0) console.log('day ' + h / 24);
        },
      });
      console.log('done: ' + r.realSeconds.toFixed(1) + ' s');
      process.exit(0);
    });
  await program.parseAsync(process.argv);
}

main().catch((e) => fail(String(e && e.message ? e.message : e)));
