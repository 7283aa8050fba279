// A fleet against a real broker (issue 13's goal, shortened for CI; `npm run bench -- uplink`
// runs the month of 10 floors): dormitory floors with their links down 20% of the time in
// outages of up to 12 hours, the broker restarted (its persistence on) with the units' backlogs
// on the way; every reading, ledger entry and event reaches the head-end once, every account's
// balance there is its unit's, every top-up the head-end sends reaches its unit's balance within
// one poll interval of the link being up.
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runFleet } from '../../sim/fleet';
import { Broker, freePort, startBroker } from '../../sim/mosquitto';

describe('a fleet of units reporting to the head-end', () => {
  it('3 floors x 4 days, 20% outages, a broker restart: everything once, balances equal, top-ups in time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uplink-fleet-'));
    const port = await freePort();
    let broker: Broker = await startBroker(port, dir);
    let restarted = 0;
    try {
      const r = await runFleet({
        port,
        floors: 3,
        days: 4,
        seed: 5,
        topups: 4,
        onHour: async (h) => {
          if (h === 50) {
            await broker.stop();
            broker = await startBroker(port, dir);
            restarted++;
          }
        },
      });
      expect(restarted).toBe(1);
      for (const f of r.floors) {
        expect(f.outages).toBeGreaterThan(1);
        expect(f.downHours).toBeCloseTo(19.2, 0);
        expect(f.intervals[1]).toBe(f.intervals[0]);
        expect(f.readings[1]).toBe(f.readings[0]);
        expect(f.readings[0]).toBe(f.intervals[0] * 34);
        expect([f.ledger[1], f.ledger[2]]).toEqual([f.ledger[0], 0]);
        expect([f.events[1], f.events[2]]).toEqual([f.events[0], 0]);
        expect(f.ledger[0]).toBeGreaterThan(10);
        expect([f.lost, f.balancesOff]).toEqual([0, 0]);
        expect(f.topups[1]).toBe(f.topups[0]);
        // within a session interval (15 minutes: a session each) of being sent or of the link
        // coming back, and the fleet's 30-s step
        expect(f.topups[2]).toBeLessThanOrEqual(15 * 60 + 30);
      }
      // (a copy of a message the head-end has is refused as a replay: nothing else is refused)
      expect(Object.keys(r.refused).filter((k) => k !== 'replay')).toEqual([]);
    } finally {
      await broker.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120000);
});
