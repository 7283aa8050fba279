// Pulse (S0) inputs: imp/kWh constant per input, energy in whole Wh with the remainder
// carried, so after any sequence Wh = floor(pulses x 1000 / impPerKwh) exactly. Pulses
// faster than the meter's largest plausible power are counted as faults, not energy.
// Contact debounce is the HAL's; this only judges plausibility.
import { PulseInput } from '../../hal/pulse';
import { PROTO_PULSE as P_PULSE } from '../tables';
import type { Unit } from '../unit';
import { billReading } from './wiring';

/** Pulse counters for all inputs, struct-of-arrays. */
export class PulseCounters {
  /** Accepted pulses, energy in Wh, pulse x 1000 not yet a whole Wh (always < impPerKwh). */
  readonly pulses: Float64Array;
  readonly wh: Float64Array;
  readonly rem: Float64Array;
  /** Pulses rejected as implausibly fast. */
  readonly faults: Float64Array;
  /** Shortest plausible interval between pulses, ms. */
  readonly minIntervalMs: Float64Array;
  private imp: Float64Array;
  private last: Float64Array;

  /** One input per entry: its meter constant (imp/kWh) and its largest plausible power in W
   *  (max current x nominal voltage). */
  constructor(impPerKwh: number[], maxPowerW: number[]) {
    const n = impPerKwh.length;
    this.pulses = new Float64Array(n);
    this.wh = new Float64Array(n);
    this.rem = new Float64Array(n);
    this.faults = new Float64Array(n);
    this.minIntervalMs = new Float64Array(n);
    this.imp = new Float64Array(n);
    this.last = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.imp[i] = impPerKwh[i];
      // One pulse is 1000/imp Wh; at P watts that takes 3600000 x (1000/imp) / P ms.
      this.minIntervalMs[i] = 3.6e9 / (impPerKwh[i] * maxPowerW[i]);
      this.last[i] = -1e15;
    }
  }

  /** One pulse on input i at clock time t (ms). False when rejected as implausible. */
  pulse(i: number, t: number): boolean {
    if (t - this.last[i] < this.minIntervalMs[i]) {
      this.faults[i]++;
      return false; // the reference stays at the last plausible pulse
    }
    this.last[i] = t;
    this.add(i, 1);
    return true;
  }

  /** The handler of input i's pulses (a HAL pulse input's onPulse). */
  counter(i: number): (t: number) => void {
    const self = this;
    return function (t: number) {
      self.pulse(i, t);
    };
  }

  /** Adds n already-judged pulses to input i (a HAL that counts in hardware). */
  add(i: number, n: number): void {
    this.pulses[i] += n;
    const r = this.rem[i] + n * 1000;
    const q = Math.floor(r / this.imp[i]);
    this.wh[i] += q;
    this.rem[i] = r - q * this.imp[i];
  }
}

/** The pulse meters of a unit, counted while the configuration has any. */
export interface PulseMeters {
  /** Sends every pulse meter's register to the unit as a reading. */
  emit(): void;
  /** Meter m's register (Wh), or -1 when m is not counted here. */
  read(m: number): number;
  /** Stops watching the inputs. */
  close(): void;
}

/** The pulse meters of the configuration (proto pulse, `id` the input), counted on from each
 *  meter's register as billed so far; an on-demand module (`pul`, loaded only when the
 *  configuration has pulse meters, and kept while it does: its counters are live state). Null
 *  when there are none or the unit has no pulse inputs. */
export function pulseMeters(u: Unit): PulseMeters | null {
  const hal = u.hal;
  const t = u.cfg.meters;
  const open = hal.openPulse;
  const meter: number[] = [];
  const from: number[] = [];
  const imp: number[] = [];
  const maxW: number[] = [];
  for (let m = 0; m < t.n; m++)
    if (t.proto[m] === P_PULSE) {
      meter.push(m);
      from.push(u.core.has[m] ? u.core.lastImp[m] : 0);
      imp.push(t.impPerKwh[m]);
      maxW.push(t.maxPowerW[m]);
    }
  if (!open || !meter.length) return null;
  const pc = new PulseCounters(imp, maxW);
  const inputs: (PulseInput | null)[] = [];
  for (let i = 0; i < meter.length; i++) inputs.push(open(t.id[meter[i]], { debounceMs: 20, onPulse: pc.counter(i) }));
  const read = function (m: number): number {
    const i = meter.indexOf(m);
    return i < 0 ? -1 : from[i] + pc.wh[i];
  };
  return {
    emit: function () {
      for (let i = 0; i < meter.length; i++) billReading(u, meter[i], read(meter[i]), 0, undefined);
    },
    read: read,
    close: function () {
      for (let i = 0; i < inputs.length; i++) if (inputs[i]) (inputs[i] as PulseInput).close();
    },
  };
}
