// The dormitory floor soaked on each board's own interpreter with its meters on RS485
// (tools/soak.ts): free at rest per poll cycle, the lowest, and whether the balances equal the
// same firmware billing the same replies in Node. A cycle of the floor's 34 meters takes about
// 40 s on espruino-wifi and up to 3 minutes on espruino-pico under emulation, so the default is
// short; SOAK_CYCLES=1000 runs the steady state (hours).
//   npm run bench -- soak            SOAK_CYCLES=100 npm run bench -- soak
import { espruinoBinary, espruinoWifiBinary } from '../tools/espruino-check';
import { soakFloor } from '../tools/soak';

async function main(): Promise<void> {
  const cycles = Number(process.env.SOAK_CYCLES) || 4;
  for (const board of ['pico', 'wifi']) {
    const bin = (board === 'wifi' ? espruinoWifiBinary() : espruinoBinary())!;
    const total = board === 'wifi' ? 8190 : 5100;
    const r = await soakFloor({ board, binary: bin, cycles, pollS: 60 });
    const rest = r.cycles.map((c) => c.rest);
    const lowest = Math.min.apply(null, r.cycles.map((c) => c.lowest));
    const pct = (v: number) => v + ' (' + Math.round((100 * v) / total) + '%)';
    console.log(board + ' (' + total + ' variables; the runner\'s variables not added back): ' + r.cyclesDone + ' complete poll cycles in ' + cycles + ' minutes' + (r.run.errors.length ? '  ERRORS: ' + r.run.errors.join('; ') : ''));
    console.log('  free at rest      first interval ' + pct(rest[0]) + ', last ' + pct(rest[rest.length - 1]) + '; per interval ' + rest.join(' '));
    console.log('  lowest            ' + pct(lowest));
    console.log('  ledger            ' + (r.differ.length ? r.differ.length + ' balances differ from Node\'s: ' + r.differ.join('; ') : 'all ' + Object.keys(r.balances).length + ' balances equal Node\'s billing of the same replies'));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
