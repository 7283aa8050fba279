// The dormitory floor reporting to a head-end (tools/floor-uplink.ts): the GPRS Pico's build
// (boards/pico-gprs.json) with its meters on RS485 and a virtual SIM800 behind its modem UART,
// each on a pseudo-terminal, the modem's TCP to a real mosquitto with the head-end subscribed.
// Sessions asked for at the console and the interval's own: the backlog, the interval's readings
// and the state reach the head-end; a top-up sent from the head-end reaches the account once; a
// forged command and a replay are refused; nothing runs out of memory.
//
// Memory: run on the interpreter with the WiFi's heap (8,190 variables, the same 32-bit layout),
// since on the Pico's own (5,100) this floor's uplink session still runs out: the figure gated is
// the least free the run would leave a Pico (its free less the 3,090 variables the WiFi's heap
// has more). Issue 10's goals for the Pico's floor are 50% free at rest (2,550) and 15% at any
// moment (765, as tests/build/floor-sms.test.ts gates the SMS Pico). Measured 2026-12-06 (runner
// added back), since the modem's link is let go after each session and what follows a session
// (the commands it took, the poll it left owed) waits until the link has closed: at rest 2,505
// before the first session and 2,393 to 2,427 after (the uplink's state); a session about 1,300
// to 1,540 free, about 900 while a batch is made and sealed (at the modem's writes: 858 to 860);
// the lowest, 716 to 719, at a journal commit of the poll cycle the session left owed. Before,
// 653 to 657, at the modem's closing while the commands ran; with the link held from the first
// session on: at rest 2,056 after it, the lowest 388 to 425 (374 to 468 before that).
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBoard } from '../../tools/build';
import { WIFI_HEAP, emptyFree, espruinoWifiBinary, slowIfEmulated } from '../../tools/espruino-check';
import { FloorUplinkResult, floorUplink, floorUplinkScript } from '../../tools/floor-uplink';

const PICO_HEAP = 5100;
/** The least free on a Pico this run may come to (today's figure, 716 to 719, less a margin);
 *  the goal 765. */
const GATE = 680;

describe('the uplink on the dormitory floor (GPRS Pico build), meters, modem and broker answering', () => {
  let r: FloorUplinkResult;
  let runner: number;
  const script = floorUplinkScript();
  const bin = espruinoWifiBinary()!;
  const said = (i: number) => r.commands[i].output.join('\n');
  const r301 = (i: number) => +(/^R301 +(-?\d+\.\d{3})/m.exec(said(i)) as RegExpExecArray)[1];
  beforeAll(async () => {
    r = await floorUplink({ binary: bin, script });
    runner = emptyFree(bin) - r.freeBeforeBoot;
  }, slowIfEmulated(300000));

  it('builds an image that fits the Pico\'s flash', async () => {
    const b = await buildBoard('pico-gprs', { write: false, espruino: false });
    expect(b.fit.fits, JSON.stringify(b.fit)).toBe(true);
  });

  it('runs without an interpreter error, every line answered', () => {
    const onPico = (free: number) => free + runner - (WIFI_HEAP - PICO_HEAP);
    console.log('pico-gprs uplink floor (on the 8,190 heap, runner ' + runner + ' added back; as on a Pico): lowest ' + onPico(r.lowest) + ', at the modem\'s writes ' + onPico(r.lowestModem) + ', at boot ' + onPico(r.lowestBoot));
    console.log('  ' + r.commands.map((c) => c.line + ' ' + onPico(c.lowest)).join(', '));
    console.log('  ' + [1, 2, 4, 6, 7, 8].map((i) => r.commands[i].line + ': ' + said(i).split('\n').slice(0, 6).join(' | ')).join('\n  '));
    console.log('  head-end: ' + r.unit.stored + ' messages, ' + r.readings.length + ' readings, ' + r.ledger.length + ' ledger entries, ' + r.events.length + ' events; TCP up ' + r.tcp.up + ' bytes, down ' + r.tcp.down);
    expect(r.errors).toEqual([]);
    // nothing locked for good when the script had run (tools/espruino-rig.ts lockedForever)
    expect(r.lockedForever).toEqual([]);
    expect(r.other.filter((l) => /MEMORY|Uncaught|Interrupted|ERROR/.test(l))).toEqual([]);
    expect(r.commands.map((c) => c.line)).toEqual(script.map((s) => s.line));
    for (const c of r.commands) expect(c.output.length, c.line).toBeGreaterThan(0);
  });

  it('sends through the modem its backlog, the interval\'s readings and its state', () => {
    expect(said(1)).toMatch(/^UPLINK   no session yet/);
    expect(r.unit.refused).toBe(0);
    // the 34 meters' registers at the interval's end, and the hour the simulator ran before
    const at = r.readings.filter((x) => x.t === r.intervalEnd);
    expect(at.length).toBe(34);
    expect(at.every((x) => x.meter !== null)).toBe(true);
    // (the registers of the meters the bus had read by then)
    expect(at.filter((x) => x.wh !== null).length).toBeGreaterThanOrEqual(10);
    expect(r.readings.length).toBeGreaterThan(34);
    expect(r.events.length).toBeGreaterThan(30);
    expect(r.unit.stateT).not.toBeNull();
    // the last session left nothing of the rings waiting
    expect(said(7)).toMatch(/^UPLINK   last session \d+ min ago, readings 0, ledger 0, events \d+ waiting; the EEPROM holds 5 h of readings/);
    expect(r.tcp.up).toBeGreaterThan(5000);
    // what the rings wrote over before the unit had an uplink is not counted lost
    expect(said(8)).not.toMatch(/lost/);
  });

  it('takes the head-end\'s top-up once, refuses the forged command and the replay', () => {
    expect(r.sent.map((c) => c.status)).toEqual(['ok']);
    expect(r.ledger.some((e) => e.account === 'R301' && e.kind === 'topup' && e.amount === 5000)).toBe(true);
    // R301 before, after the top-up, after the forged and the replayed one (it draws a little)
    expect(r301(4) - r301(2)).toBeGreaterThan(4.9);
    expect(r301(4) - r301(2)).toBeLessThanOrEqual(5);
    expect(r301(6)).toBeLessThanOrEqual(r301(4));
    expect(+(/(\d+) commands refused/.exec(said(7)) || ['', '0'])[1]).toBeGreaterThanOrEqual(2);
  });

  it('keeps today\'s memory figure (as on a Pico) at every moment', () => {
    const onPico = (free: number) => free + runner - (WIFI_HEAP - PICO_HEAP);
    for (const c of r.commands) expect(onPico(c.lowest), c.line).toBeGreaterThanOrEqual(GATE);
    expect(onPico(r.lowest)).toBeGreaterThanOrEqual(GATE);
  });
});
