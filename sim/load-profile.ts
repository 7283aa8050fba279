// Load profiles: the power a virtual load draws at a local time of day, seeded and reproducible.
import household from './profiles/household.json';
import { Random } from './prng';

/** How one meter's load behaves (validated by sim/scenario.ts). */
export interface LoadSpec {
  /** 'household' (seed 004's daily shape) or 'constant'. */
  profile: 'household' | 'constant';
  /** Daily energy of a household load, kWh. */
  dailyKwh?: number;
  /** Power of a constant load, W. */
  powerW?: number;
  /** Random variation per step, 0..1 of the mean (0.3 = +-30%). */
  noise?: number;
  /** Appliances switched on at random moments: power in W, minutes on, times per day. */
  bursts?: { powerW: number; minutes: number; perDay: number }[];
  /** Rooftop PV behind the same meter: its peak output (W) at local noon, a half sine from
   *  06:00 to 18:00; when it exceeds the load the meter exports. */
  pvPeakW?: number;
  /** The meter's current transformer is fitted backwards: what the load draws is registered
   *  as export. */
  reversed?: boolean;
}

/** Mean household power (W) per hour of the day for 1 kWh per day, from seed 004 Table 2. */
export const HOUSEHOLD_SHAPE: number[] = (() => {
  const perHour: number[] = [];
  let total = 0;
  for (const p of household.periods) total += p.units;
  for (const p of household.periods) {
    const from = parseInt(p.from, 10);
    const to = parseInt(p.to, 10);
    for (let h = from; h < to; h++) perHour[h] = (1000 * p.units) / (to - from) / total;
  }
  return perHour;
})();

/** A load that answers its power for each step. */
export class Load {
  private burstLeft = 0;
  private burstW = 0;

  constructor(private spec: LoadSpec, private rnd: Random) {}

  /** Power in whole watts over the step starting at local second-of-day `secOfDay`, lasting
   *  stepS; negative when the meter exports (PV above the load, or a reversed CT). */
  powerW(secOfDay: number, stepS: number): number {
    const s = this.spec;
    let p = s.profile === 'constant' ? s.powerW || 0 : (s.dailyKwh || 0) * HOUSEHOLD_SHAPE[Math.floor(secOfDay / 3600)];
    const noise = s.noise || 0;
    p *= 1 + noise * (2 * this.rnd() - 1);
    if (this.burstLeft <= 0 && s.bursts) {
      for (const b of s.bursts) {
        if (this.rnd() < (b.perDay * stepS) / 86400) {
          this.burstLeft = b.minutes * 60;
          this.burstW = b.powerW;
          break;
        }
      }
    }
    if (this.burstLeft > 0) {
      p += this.burstW;
      this.burstLeft -= stepS;
    }
    p = Math.max(0, Math.round(p));
    if (s.pvPeakW) p -= pvPowerW(s.pvPeakW, secOfDay + stepS / 2);
    return s.reversed ? 0 - p : p;
  }
}

/** Output of a PV array of peak W at a local second of day (clear sky, whole watts). */
export function pvPowerW(peakW: number, secOfDay: number): number {
  const h = secOfDay / 3600;
  return h <= 6 || h >= 18 ? 0 : Math.round(peakW * Math.sin((Math.PI * (h - 6)) / 12));
}
