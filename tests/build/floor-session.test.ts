// A technician's session on the goal configurations, on the 32-bit interpreters with the meters
// answering on RS485 while the unit polls them (tools/floor-session.ts): the dormitory floor on
// espruino-pico, the floor grown to 64 accounts and 64 meters on espruino-wifi. Every command
// runs or is refused with its message; nothing runs out of memory; a token tops up; the
// configuration is changed (`acct set`, `tariff set`, in place).
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyFree, espruinoBinary, espruinoWifiBinary, slowIfEmulated } from '../../tools/espruino-check';
import { RigResult } from '../../tools/espruino-rig';
import { floorSession, floorSessionLines } from '../../tools/floor-session';

// The goal (issue 10): at least 15% of the heap free at any moment, with the runner's own
// variables (its stubs and typed commands: the empty interpreter's free less the run's free
// before boot) added back. Measured 2026-12-05: the Pico's lowest about 840 (16.5%, a poll
// cycle's commit beside its meter session, after `relay R303 auto` or `config export`), its
// configuration change about 1,770 (since the `put` module saves it with `cfg` gone); the WiFi's
// about 2,570 (31%).
const GOAL: { [board: string]: number } = { pico: Math.ceil(0.15 * 5100), wifi: Math.ceil(0.15 * 8190) };

describe('a technician session on the goal configurations, meters answering', () => {
  let pico: RigResult;
  let wifi: RigResult;
  const runner: { [board: string]: number } = {};
  beforeAll(async () => {
    // (both at once: each interpreter mostly waits for its meters and the session's pace)
    [pico, wifi] = await Promise.all([
      floorSession({ board: 'pico', binary: espruinoBinary()! }),
      floorSession({ board: 'wifi', binary: espruinoWifiBinary()!, shape: { accounts: 64, meters: 64 } }),
    ]);
    runner.pico = emptyFree(espruinoBinary()!) - pico.freeBeforeBoot;
    runner.wifi = emptyFree(espruinoWifiBinary()!) - wifi.freeBeforeBoot;
  }, slowIfEmulated(420000));

  for (const name of ['pico', 'wifi']) {
    it(name + ': runs every command, a token and a configuration change without running out of memory', () => {
      const r = name === 'pico' ? pico : wifi;
      const onBoard = (free: number) => free + runner[name];
      console.log(name + ' session (runner ' + runner[name] + ' added back): lowest ' + onBoard(r.lowest) + ' (' + r.commands.map((c) => c.line.split(' ').slice(0, 2).join(' ') + ' ' + onBoard(c.lowest)).join(', ') + ')');
      // the runner's own variables are what a run holds before boot: about 350
      expect(runner[name]).toBeGreaterThan(200);
      expect(runner[name]).toBeLessThan(500);
      expect(r.errors).toEqual([]);
      // nothing locked for good when the script had run (tools/espruino-rig.ts lockedForever)
      expect(r.lockedForever).toEqual([]);
      expect(r.other.filter((l) => /MEMORY|Uncaught|Interrupted/.test(l))).toEqual([]);
      // every command was typed and answered
      expect(r.commands.length).toBe(floorSessionLines().length);
      for (const c of r.commands) expect(c.output.length, c.line).toBeGreaterThan(0);
      expect(r.lines).toContain('TOKEN R301 add 10.000 count 2');
      expect(r.lines.filter((l) => /^RECEIPT #\d+ .* R301 topup 10\.000 balance [0-9.]+ by token$/.test(l)).length).toBe(1);
      expect(r.lines.filter((l) => /^RECEIPT #\d+ .* R302 topup 5\.000 /.test(l)).length).toBe(1);
      expect(r.lines.filter((l) => / did not answer/.test(l))).toEqual([]);
      // changed in place on both (docs/memory.md); a plan in force too (the time-of-use plan's peak price)
      expect(r.lines).toContain('account R301 changed');
      expect(r.lines).toContain('plan dorm set');
      // the goal at every moment sampled: each command's lowest, the poll cycles between them
      for (const c of r.commands) expect(onBoard(c.lowest), c.line).toBeGreaterThanOrEqual(GOAL[name]);
      expect(onBoard(r.lowest)).toBeGreaterThanOrEqual(GOAL[name]);
    });
  }
});
