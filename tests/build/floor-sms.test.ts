// The dormitory floor answering text messages on espruino-pico (tools/floor-sms.ts): its meters on
// RS485 and a virtual SIM800 behind the board's modem UART, each on a pseudo-terminal, SMS
// sessions opened from the console while the unit polls. A tenant's and an administrator's
// inquiries, a token top-up, R303 switched off and back to auto with codes, a forged code and a
// replay: each answered with its receipt, nothing out of memory, and the heap's lowest at the
// memory goal.
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyFree, espruinoBinary, slowIfEmulated } from '../../tools/espruino-check';
import { FLOOR_SMS_PHONES } from '../../tools/floor-eeprom';
import { FloorSmsResult, floorSms, floorSmsScript, receiptProblems, stepLabels } from '../../tools/floor-sms';

// The goal (issue 10, docs/sms.md): at least 15% of the Pico's heap free at any moment, with the
// runner's own variables (the empty interpreter's free less the run's free before boot) added
// back. Measured 2026-12-05 with the commands asked for run after the SMS session: lowest 782-795
// (15.3-15.6%), each time at the console's `sms now` or `sms` (the `cfg` module loaded as a poll
// cycle's bus session is closed); the SMS sessions not below about 1,430 at the modem's writes;
// the commands they ask for and the poll cycles not below about 835. Before that change: 755-767.
const GOAL = Math.ceil(0.15 * 5100);

describe('SMS on the dormitory floor on espruino-pico, meters and modem answering', () => {
  let r: FloorSmsResult;
  let runner: number;
  const script = floorSmsScript();
  beforeAll(async () => {
    r = await floorSms({ board: 'pico', binary: espruinoBinary()!, script });
    runner = emptyFree(espruinoBinary()!) - r.freeBeforeBoot;
  }, slowIfEmulated(300000));

  it('runs every session without an interpreter error', () => {
    const onBoard = (free: number) => free + runner;
    console.log('pico SMS floor (runner ' + runner + ' added back): lowest ' + onBoard(r.lowest) + ', in SMS sessions (at the modem\'s writes) ' + onBoard(r.lowestModem) + ', at boot ' + onBoard(r.lowestBoot));
    console.log('  ' + stepLabels(r).map((l, i) => l + ' ' + onBoard(r.commands[i].lowest)).join(', '));
    console.log('  texts: ' + r.sent.map((m) => (m.to === FLOOR_SMS_PHONES.admin ? 'admin' : m.to === FLOOR_SMS_PHONES.user ? 'user' : m.to) + ' "' + m.text + '"').join(', '));
    // the runner's own variables are what a run holds before boot: about 400
    expect(runner).toBeGreaterThan(200);
    expect(runner).toBeLessThan(550);
    expect(r.errors).toEqual([]);
    // nothing locked for good when the script had run (tools/espruino-rig.ts lockedForever)
    expect(r.lockedForever).toEqual([]);
    expect(r.other.filter((l) => /MEMORY|Uncaught|Interrupted|ERROR/.test(l))).toEqual([]);
    // every line typed and answered
    expect(r.commands.map((c) => c.line)).toEqual(script.map((s) => s.line));
    for (const c of r.commands) expect(c.output.length, c.line).toBeGreaterThan(0);
    // every message delivered, read and taken off the SIM
    expect(r.delivered.length).toBe(script.reduce((n, s) => n + (s.sms ? s.sms.length : 0), 0));
    expect(r.simLeft).toBe(0);
  });

  it('answers every message with its receipt: inquiries, a token, OFF and AUTO, a forged code and a replay', () => {
    expect(receiptProblems(script, r.sent)).toEqual([]);
  });

  it('switched R303 off and back to the prepaid rules', () => {
    const admin = r.sent.filter((m) => m.to === FLOOR_SMS_PHONES.admin).map((m) => m.text);
    const at = (re: RegExp) => admin.findIndex((t) => re.test(t));
    // off (the receipt and an inquiry after it), then auto
    expect(at(/^OK OFF: .*R303 relay off, mode off$/)).toBeGreaterThanOrEqual(0);
    expect(at(/^OK BAL: R303 .* supply off \(off\)$/)).toBeGreaterThan(at(/^OK OFF: /));
    expect(at(/^OK AUTO: .*R303 relay on, mode auto$/)).toBeGreaterThan(at(/^OK BAL: R303 .* supply off/));
    expect(at(/^OK BAL: R303 .* supply on \(auto\)$/)).toBeGreaterThan(at(/^OK AUTO: /));
    // and the console sees it at the end
    expect(r.lines.some((l) => /^R303 +-?\d+\.\d{3} on +auto /.test(l))).toBe(true);
    // the counter taken is AUTO's: the forged code and the replay took none
    expect(r.lines.some((l) => /^sms modem: .*counter 2\b/.test(l))).toBe(true);
  });

  it('keeps the memory goal at every moment: the sessions, the commands they ask for, the poll cycles', () => {
    const onBoard = (free: number) => free + runner;
    expect(onBoard(r.lowestModem)).toBeGreaterThanOrEqual(GOAL);
    for (const c of r.commands) expect(onBoard(c.lowest), c.line).toBeGreaterThanOrEqual(GOAL);
    expect(onBoard(r.lowest)).toBeGreaterThanOrEqual(GOAL);
  });
});
