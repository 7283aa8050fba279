// The power-cut test, split over two files (power-cut-0/1.test.ts) so that both cores work:
// see sim/power-cut.ts for what is cut and what is checked after each cut.
import { describe, expect, it } from 'vitest';
import { powerCut } from '../../sim/power-cut';

/** The suite for half `slice` (0 or 1) of the cut points. */
export function powerCutSuite(slice: number): void {
  const name = 'half ' + (slice + 1) + ' of 2';
  describe('power cut at every EEPROM write and every byte within it (' + name + ')', () => {
    it('recovers at every cut point: nothing lost, nothing twice, nothing corrupt, the log says so', () => {
      const r = powerCut({ part: 'AT24C128', slice, of: 2 });
      console.log('power-cut ' + name + ': ' + r.steps + ' steps, ' + r.writes + ' EEPROM writes of ' + r.bytes + ' bytes in the uninterrupted day; cut points tried ' + r.tried + ', passed ' + r.passed);
      expect(r.failures).toEqual([]);
      expect(r.tried).toBeGreaterThan(r.bytes / 2 - 1);
      expect(r.passed).toBe(r.tried);
    }, 600000);
  });
}
