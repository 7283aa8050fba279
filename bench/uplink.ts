// The uplink's integrity over a month (issue 13): 10 dormitory floors, each a simulated unit with
// its link down 20% of the time in random outages of up to 12 hours, reporting through a real
// mosquitto (restarted every few days, its persistence on) to the head-end's own code, its
// session persistent. Each unit's records are then compared with the head-end's database:
// readings (a meter at each 15-minute interval's end), ledger entries and events exactly once
// (by the units' own ring numbers, the contents of what their rings still hold compared field
// by field), every account's balance, and the top-ups the head-end sent: how long each took to
// reach the unit's balance once its link was up (in the simulated time, which stands still
// while a message is on the wire).
//   npm run bench -- uplink        UPLINK_FLOORS=3 UPLINK_DAYS=7 npm run bench -- uplink
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runFleet } from '../sim/fleet';
import { Broker, freePort, startBroker } from '../sim/mosquitto';

async function main(): Promise<void> {
  const floors = Number(process.env.UPLINK_FLOORS) || 10;
  const days = Number(process.env.UPLINK_DAYS) || 30;
  const restartDays = 5;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplink-bench-'));
  const port = await freePort();
  let broker: Broker = await startBroker(port, dir);
  let restarts = 0;
  try {
    const r = await runFleet({
      port,
      floors,
      days,
      seed: 13,
      topups: 5,
      onHour: async (h) => {
        if (h > 0 && h < days * 24 && h % (restartDays * 24) === 12) {
          await broker.stop();
          broker = await startBroker(port, dir);
          restarts++;
        }
      },
    });
    const sum = (f: (x: (typeof r.floors)[0]) => number) => r.floors.reduce((s, x) => s + f(x), 0);
    const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(4) : '100.0000') + '%';
    const down = sum((f) => f.downHours);
    console.log(floors + ' floors x ' + days + ' days, link down ' + down.toFixed(0) + ' h of ' + floors * days * 24 + ' (' + ((100 * down) / (floors * days * 24)).toFixed(1) + '%) in ' + sum((f) => f.outages) + ' outages of up to 12 h, broker restarted ' + restarts + ' times');
    console.log('  readings   ' + sum((f) => f.readings[1]) + ' of ' + sum((f) => f.readings[0]) + ' at the head-end (' + pct(sum((f) => f.readings[1]), sum((f) => f.readings[0])) + '); interval ends ' + sum((f) => f.intervals[0]) + ', taken ' + sum((f) => f.intervals[1]));
    console.log('  ledger     ' + sum((f) => f.ledger[1]) + ' of ' + sum((f) => f.ledger[0]) + ' entries (' + pct(sum((f) => f.ledger[1]), sum((f) => f.ledger[0])) + '), ' + sum((f) => f.ledger[2]) + ' differing from the units\' money logs');
    console.log('  events     ' + sum((f) => f.events[1]) + ' of ' + sum((f) => f.events[0]) + ' (' + pct(sum((f) => f.events[1]), sum((f) => f.events[0])) + '), ' + sum((f) => f.events[2]) + ' differing from the units\' event logs');
    console.log('  balances   ' + sum((f) => f.balancesOff) + ' accounts differing from their unit; items written over before they went: ' + sum((f) => f.lost));
    console.log('  duplicates ' + r.duplicatesDropped + ' items dropped; messages refused: ' + (Object.keys(r.refused).map((k) => k + ' ' + r.refused[k]).join(', ') || 'none') + '; messages stored ' + sum((f) => f.messages));
    const w = Math.max(...r.floors.map((f) => f.topups[2]));
    console.log('  top-ups    ' + sum((f) => f.topups[1]) + ' of ' + sum((f) => f.topups[0]) + ' sent by the head-end reached the units, the longest ' + w + ' s after they were sent or the link was up (a session every 15 min)');
    console.log('  ' + r.realSeconds.toFixed(0) + ' s of real time');
  } finally {
    await broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
