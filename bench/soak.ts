// The dormitory floor soaked on each board's own interpreter with its meters on RS485
// (tools/soak.ts): free at rest per poll cycle, the lowest, and whether the balances equal the
// same firmware billing the same replies in Node; the Pico with the dormitory floor (33 accounts,
// 34 meters), the WiFi with the floor grown to 64 and 64. A request takes about 100 ms under the
// rig (the interpreter's serial thread wakes every 50 ms), so a cycle of the floor takes about 10 s
// and one of 64 meters about 20 s: the default run is short; SOAK_CYCLES=1000 SOAK_POLL_S=15
// runs the steady state on the Pico in about 4 hours (10,000 cycles: at least 28 hours
// at 10 s). Figures are printed as poll intervals end, with the runner's variables added back
// (what a board would show).
//   npm run bench -- soak            SOAK_CYCLES=100 SOAK_BOARDS=pico npm run bench -- soak
import { espruinoBinary, espruinoWifiBinary } from '../tools/espruino-check';
import { soakFloor } from '../tools/soak';

async function main(): Promise<void> {
  const cycles = Number(process.env.SOAK_CYCLES) || 4;
  const pollS = Number(process.env.SOAK_POLL_S) || 60;
  const boards = (process.env.SOAK_BOARDS || 'pico,wifi').split(',');
  for (const board of boards) {
    const bin = (board === 'wifi' ? espruinoWifiBinary() : espruinoBinary())!;
    const total = board === 'wifi' ? 8190 : 5100;
    const pct = (v: number) => v + ' (' + ((100 * v) / total).toFixed(1) + '%)';
    const r = await soakFloor({
      board,
      binary: bin,
      // each board's goal configuration: the floor on the Pico, grown to 64 rooms on the WiFi
      shape: board === 'wifi' ? { accounts: 64, meters: 64 } : undefined,
      cycles,
      pollS,
      // a meter's turnaround of 30 ms: the requests come as fast as the interpreter takes them
      replyDelayMs: 30,
      onCycle: (k, c, runner) => {
        console.log('  ' + board + ' interval ' + (k + 1) + ': free at rest ' + pct(c.rest + runner) + ', lowest ' + pct(c.lowest + runner));
      },
    });
    const rest = r.cycles.map((c) => c.rest + r.runner);
    const lowest = Math.min.apply(null, r.cycles.map((c) => c.lowest + r.runner));
    console.log(board + ' (' + total + ' variables; the runner\'s ' + r.runner + ' added back): ' + r.cyclesDone + ' complete poll cycles in ' + cycles + ' intervals of ' + pollS + ' s' + (r.run.errors.length ? '  ERRORS: ' + r.run.errors.join('; ') : ''));
    console.log('  free at rest      second interval ' + pct(rest[1]) + ', last ' + pct(rest[rest.length - 1]));
    // An interval whose cycle ran long has no idle moment: free at rest is the most free in the
    // ten intervals up to the one named.
    const restAt = (k: number) => Math.max.apply(null, rest.slice(Math.max(0, k - 9), k + 1));
    if (rest.length > 100) {
      const at100 = restAt(99);
      const end = restAt(rest.length - 1);
      console.log('  after 100 cycles  ' + pct(at100) + '; at the end ' + pct(end) + ': ' + ((100 * (end - at100)) / at100).toFixed(2) + '% (goal: within 1%)');
    }
    // (from the tenth interval on: the first windows hold the boot's intervals, busy with the
    // meters' first readings)
    if (rest.length >= 10) console.log('  at rest           ' + pct(Math.min.apply(null, rest.slice(9).map((_, k) => restAt(k + 9)))) + ' at the least, the most free in ten intervals from the tenth on');
    console.log('  lowest            ' + pct(lowest));
    console.log('  ledger            ' + (r.differ.length ? r.differ.length + ' balances differ from Node\'s: ' + r.differ.join('; ') : 'all ' + Object.keys(r.balances).length + ' balances equal Node\'s billing of the same replies'));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
