// A technician's session on the goal configurations, on the 32-bit interpreters with the meters
// answering on RS485 while the unit polls them (tools/floor-session.ts): the dormitory floor on
// espruino-pico, the floor grown to 64 accounts and 64 meters on espruino-wifi. Every command
// runs or is refused with its message; nothing runs out of memory; a token tops up; the
// configuration is changed (`acct set`, `tariff set`, in place).
//
// The least free at any moment depends on what the poll cycle is doing when a command comes: the
// gates below are under what was measured (2026-12-04) by a margin for that.
import { beforeAll, describe, expect, it } from 'vitest';
import { espruinoBinary, espruinoWifiBinary, slowIfEmulated } from '../../tools/espruino-check';
import { RigResult } from '../../tools/espruino-rig';
import { floorSession, floorSessionLines } from '../../tools/floor-session';

/** The runner's lowest free (its own ~335 to 380 variables not added back): measured 429 to 563
 *  on the Pico (a relay command: about 780 to 900 on a board, 15 to 18%;
 *  `meter read` 561, since its answer is awaited by the resident shell instead of a function of
 *  the command's module, 341 before) and 2,101 on the WiFi (the meter list during a poll cycle:
 *  about 2,450, 30%; `meter read` went from 1,319 to 2,270). Before a closed meter session let go
 *  of its last timers, some runs went about 1,300 lower (two sessions at once: the WiFi's
 *  `relay R303 auto` at 493; the Pico ran out of memory): these gates catch that. */
const PICO_LOWEST = 350;
/** The Pico applies `acct set` on its floor since its configuration is streamed into the EEPROM
 *  (2026-12-05; before, refused for memory): 298 measured at its peak (about 630 on a board, 12%;
 *  the goal of 15% is not met there). */
const PICO_CHANGE_LOWEST = 200;
/** On the WiFi `acct set` is applied since 2026-12-05 (changed in place; before, refused for
 *  memory), and it is the session's lowest: 1,169 measured (1,504 on a board, 18%; the goal is
 *  15%, 1,229 on a board, 894 here). */
const WIFI64_LOWEST = 1000;

describe('a technician session on the goal configurations, meters answering', () => {
  let pico: RigResult;
  let wifi: RigResult;
  beforeAll(async () => {
    pico = await floorSession({ board: 'pico', binary: espruinoBinary()! });
    wifi = await floorSession({ board: 'wifi', binary: espruinoWifiBinary()!, shape: { accounts: 64, meters: 64 } });
  }, slowIfEmulated(420000));

  for (const name of ['pico', 'wifi']) {
    it(name + ': runs every command, a token and a configuration change without running out of memory', () => {
      const r = name === 'pico' ? pico : wifi;
      console.log(name + ' session: lowest ' + r.lowest + ' (' + r.commands.map((c) => c.line.split(' ').slice(0, 2).join(' ') + ' ' + c.lowest).join(', ') + ')');
      expect(r.errors).toEqual([]);
      expect(r.other.filter((l) => /MEMORY|Uncaught|Interrupted/.test(l))).toEqual([]);
      // every command was typed and answered
      expect(r.commands.length).toBe(floorSessionLines().length);
      for (const c of r.commands) expect(c.output.length, c.line).toBeGreaterThan(0);
      expect(r.lines).toContain('TOKEN R301 add 10.000 count 2');
      expect(r.lines.filter((l) => /^RECEIPT #\d+ .* R301 topup 10\.000 balance [0-9.]+ by token$/.test(l)).length).toBe(1);
      expect(r.lines.filter((l) => /^RECEIPT #\d+ .* R302 topup 5\.000 /.test(l)).length).toBe(1);
      expect(r.lines.filter((l) => / did not answer/.test(l))).toEqual([]);
      // changed in place on both (docs/memory.md); refused for memory, before anything changes,
      // only if the heap had not the room a guard calibrated on espruino-pico asks for
      const change = r.lines.filter((l) => l === 'account R301 changed' || /^error: not applied: too little memory for this change \(needs about \d+ variables, \d+ free\)$/.test(l));
      expect(change.length).toBe(1);
      if (name === 'wifi') expect(change).toEqual(['account R301 changed']);
      // a plan in force changed in place too (a peak price of the floor's time-of-use plan)
      expect(r.lines).toContain('plan dorm set');
      // every command but the changes above its gate; the changes above their own
      const changes = (c: { line: string }) => /^(acct|tariff) set /.test(c.line);
      const others = r.commands.filter((c) => !changes(c)).map((c) => c.lowest);
      expect(Math.min.apply(null, others)).toBeGreaterThan(name === 'pico' ? PICO_LOWEST : WIFI64_LOWEST);
      expect(r.lowest).toBeGreaterThan(name === 'pico' ? PICO_CHANGE_LOWEST : WIFI64_LOWEST);
    });
  }
});
