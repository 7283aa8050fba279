// What every build's run of the floor reporting to a head-end must show (tools/floor-uplink.ts,
// its script floorUplinkScript): shared by tests/build/floor-uplink.test.ts (the GPRS Pico) and
// floor-uplink-wifi.test.ts (the WiFi).
import { expect } from 'vitest';
import { FloorUplinkResult, floorUplinkScript } from '../../tools/floor-uplink';

/** What the console answered to the script's line i. */
export function said(r: FloorUplinkResult, i: number): string {
  return r.commands[i].output.join('\n');
}

/** No interpreter error, nothing locked for good, every line of the script typed and answered;
 *  `bad` the lines of the interpreter's own output that must not appear. */
export function expectRanClean(r: FloorUplinkResult, bad: RegExp): void {
  expect(r.errors).toEqual([]);
  // nothing locked for good when the script had run (tools/espruino-rig.ts lockedForever)
  expect(r.lockedForever).toEqual([]);
  expect(r.other.filter((l) => bad.test(l))).toEqual([]);
  expect(r.commands.map((c) => c.line)).toEqual(floorUplinkScript().map((s) => s.line));
  for (const c of r.commands) expect(c.output.length, c.line).toBeGreaterThan(0);
}

/** The backlog, the interval's readings and the state reached the head-end, and the last session
 *  left nothing of the rings waiting. */
export function expectReported(r: FloorUplinkResult): void {
  expect(said(r, 1)).toMatch(/^UPLINK   no session yet/);
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
  expect(said(r, 7)).toMatch(/^UPLINK   last session \d+ min ago, readings 0, ledger 0, events \d+ waiting; the EEPROM holds 5 h of readings/);
  // what the rings wrote over before the unit had an uplink is not counted lost
  expect(said(r, 8)).not.toMatch(/lost/);
}

/** The head-end's top-up taken once; the forged command and the replay refused. */
export function expectCommandsTaken(r: FloorUplinkResult): void {
  const r301 = (i: number) => +(/^R301 +(-?\d+\.\d{3})/m.exec(said(r, i)) as RegExpExecArray)[1];
  expect(r.sent.map((c) => c.status)).toEqual(['ok']);
  expect(r.ledger.some((e) => e.account === 'R301' && e.kind === 'topup' && e.amount === 5000)).toBe(true);
  // R301 before, after the top-up, after the forged and the replayed one (it draws a little)
  expect(r301(4) - r301(2)).toBeGreaterThan(4.9);
  expect(r301(4) - r301(2)).toBeLessThanOrEqual(5);
  expect(r301(6)).toBeLessThanOrEqual(r301(4));
  expect(+(/(\d+) commands refused/.exec(said(r, 7)) || ['', '0'])[1]).toBeGreaterThanOrEqual(2);
}
