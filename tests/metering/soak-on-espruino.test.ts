// The dormitory floor soaked on the Pico itself: its image on espruino-pico (5,100 variables)
// boots from the floor's EEPROM, its RS485 UART on a socat pty where the floor's DL/T 645 and
// Modbus meters answer in real time (tools/soak.ts), and polls every meter cycle after cycle.
// Checked: every meter answers in every cycle, the heap at rest does not fall from cycle to
// cycle, and the balances equal those of the same firmware billing the same replies in Node.
// A request takes about 100 ms under the rig (meters answering 30 ms after a request), so a cycle
// of the 34 meters takes about 10 s: CI runs 10 poll intervals of 20 s (12 until 2026-12-05, when
// CI's time went over 15 minutes: 11 cycles were done in 12 there); `npm run bench -- soak` runs
// more (SOAK_CYCLES, SOAK_POLL_S).
import { describe, expect, it } from 'vitest';
import { emptyFree, espruinoBinary, slowIfEmulated } from '../../tools/espruino-check';
import { soakFloor, SoakResult } from '../../tools/soak';

const CYCLES = 10;
/** (15 s leaves the unit idle in about nine intervals of ten when the machine is quiet; 20 s leaves
 *  room for a cycle slowed by the other files CI runs beside this one.) */
const POLL_S = 20;
/** Complete cycles in CYCLES intervals: a console command or a slow turn now and then makes a
 *  cycle overrun its interval (13 of 16 at 15 s measured alone; CI runs other files beside it;
 *  retries not counted). Every balance is billed from the first cycle on (the EEPROM holds each meter's
 *  register). */
const CYCLES_DONE = 7;
/** Free on espruino-pico with the runner's variables added back (what a Pico would show): at
 *  rest, the most free in the intervals after the first two (the first hold the boot's relay
 *  read-backs and the meters' first readings): the goal itself, half the Pico's 5,100; measured
 *  2,580 to 2,602 in a run of 1,000 intervals of 15 s (2026-12-05). The lowest while polling:
 *  about 1,210 to 1,270 there (24%); the 15% goal is 765, gated in tests/build/floor-session.test.ts
 *  at every command of a technician's session; here what a cycle reaches, with room for a
 *  slower turn. Free at rest before 2026-12-05 (runner not added back, 60 s intervals): 2,043 on
 *  2026-12-04 with meter reading loaded per cycle; 2,146 with the pulse counters and the RS485
 *  port loaded only when needed; 2,216 to 2,241 with the meter tables trimmed and the modules'
 *  table read from flash; 2,201 to 2,213 after step 13 of docs/memory.md. */
const REST_FREE = 2550;
const LOWEST_FREE = 1100;

describe('the dormitory floor soaked on espruino-pico, meters on RS485', () => {
  let r: SoakResult;
  /** What onCycle gave as each interval ended: interval, free at rest, the runner's variables. */
  const live: number[][] = [];

  it('polls every meter in every cycle and bills as the same firmware in Node does', async () => {
    r = await soakFloor({ board: 'pico', binary: espruinoBinary()!, cycles: CYCLES, pollS: POLL_S, replyDelayMs: 30, onCycle: (k, c, runner) => live.push([k, c.rest, runner]) });
    expect(r.run.errors).toEqual([]);
    // nothing locked for good when the script had run (tools/espruino-rig.ts lockedForever)
    expect(r.run.lockedForever).toEqual([]);
    expect(r.run.other.filter((l) => /Uncaught|OUT OF MEMORY|ASSERT/.test(l))).toEqual([]);
    expect(r.cyclesDone).toBeGreaterThanOrEqual(CYCLES_DONE);
    expect(r.ignored).toBe(0);
    expect(Object.keys(r.balances).length).toBe(33);
    expect(Object.keys(r.again).length).toBe(33);
    expect(r.differ).toEqual([]);
  }, slowIfEmulated(900000));

  it('keeps the heap at rest level from cycle to cycle, half the heap free (figures printed)', () => {
    const runner = r.runner;
    expect(runner).toBe(emptyFree(espruinoBinary()!) - r.run.freeBeforeBoot);
    // the figures given as the intervals ended are those of the whole run
    expect(live.length).toBeGreaterThanOrEqual(CYCLES - 1);
    for (const [k, rest, run] of live) {
      expect(run).toBe(runner);
      // (the intervals after the meters fell silent are not in r.cycles)
      if (k < r.cycles.length) expect(rest).toBe(r.cycles[k].rest);
    }
    const rest = r.cycles.map((c) => c.rest + runner);
    const lowest = Math.min.apply(null, r.cycles.map((c) => c.lowest + runner));
    console.log('floor soak on espruino-pico: ' + r.cyclesDone + ' cycles in ' + CYCLES + ' intervals of ' + POLL_S + ' s; free at rest per interval ' + rest.join(' ') + '; lowest ' + lowest + ' (runner ' + runner + ' added back)');
    // An interval whose cycle overran has no idle moment: free at rest is the most free in a few.
    const early = Math.max.apply(null, rest.slice(2, 8));
    const late = Math.max.apply(null, rest.slice(-6));
    // a leak lowers it: here at most 1% lower at the end
    expect(late).toBeGreaterThanOrEqual(early - Math.ceil(early / 100));
    expect(late).toBeGreaterThanOrEqual(REST_FREE);
    expect(lowest).toBeGreaterThan(LOWEST_FREE);
  });
});
