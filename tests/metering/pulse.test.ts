// Pulse counting: whole Wh with the remainder carried (no drift), and the plausibility limit.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PulseCounters } from '../../firmware/metering/pulse';

describe('pulse counters', () => {
  it('property: over 10^5 random batches, Wh = floor(total pulses x 1000 / imp) exactly', () => {
    fc.assert(
      fc.property(fc.constantFrom(400, 800, 1000, 1600, 3200, 6400, 7, 999), fc.integer({ min: 1, max: 2 ** 31 }), (imp, seed) => {
        const p = new PulseCounters([imp], [10000]);
        let s = seed;
        let total = 0;
        for (let k = 0; k < 100000; k++) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          const n = s % 50;
          p.add(0, n);
          total += n;
          if (k % 9973 === 0) expect(p.wh[0]).toBe(Math.floor((total * 1000) / imp));
        }
        expect(p.pulses[0]).toBe(total);
        expect(p.wh[0]).toBe(Math.floor((total * 1000) / imp));
        expect(p.rem[0]).toBe(total * 1000 - p.wh[0] * imp);
        expect(p.rem[0] >= 0 && p.rem[0] < imp).toBe(true);
      }),
      { numRuns: 8 },
    );
  });
  it('single pulses at a plausible rate become energy; 1600 imp/kWh: 8 pulses = 5 Wh', () => {
    const p = new PulseCounters([1600], [60 * 230]);
    for (let i = 0; i < 8; i++) expect(p.pulse(0, 1000 + i * 1000)).toBe(true);
    expect(p.wh[0]).toBe(5);
    expect(p.rem[0]).toBe(0);
  });
  it('pulses closer than the plausible minimum are faults, not energy', () => {
    // 60 A x 230 V = 13800 W at 1000 imp/kWh: one pulse per 260.87 ms at most
    const p = new PulseCounters([1000, 1000], [13800, 13800]);
    expect(p.minIntervalMs[0]).toBeCloseTo(3.6e9 / 13.8e6, 6);
    expect(p.pulse(0, 10000)).toBe(true);
    expect(p.pulse(0, 10100)).toBe(false); // bounce / interference
    expect(p.pulse(0, 10262)).toBe(true); // measured from the last good pulse
    expect(p.pulse(0, 10262 + 260)).toBe(false);
    expect([p.pulses[0], p.faults[0], p.wh[0]]).toEqual([2, 2, 2]);
    expect([p.pulses[1], p.faults[1]]).toEqual([0, 0]); // inputs are independent
  });
});
