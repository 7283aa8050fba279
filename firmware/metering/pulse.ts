// Pulse (S0) inputs: imp/kWh constant per input, energy in whole Wh with the remainder
// carried, so after any sequence Wh = floor(pulses x 1000 / impPerKwh) exactly. Pulses
// faster than the meter's largest plausible power are counted as faults, not energy.
// Contact debounce is the HAL's; this only judges plausibility.

/** How the pulse counters are built: one entry per input. */
export interface PulseOptions {
  impPerKwh: number[];
  /** Largest plausible power per input in W (max current x nominal voltage). */
  maxPowerW: number[];
}

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

  constructor(o: PulseOptions) {
    const n = o.impPerKwh.length;
    this.pulses = new Float64Array(n);
    this.wh = new Float64Array(n);
    this.rem = new Float64Array(n);
    this.faults = new Float64Array(n);
    this.minIntervalMs = new Float64Array(n);
    this.imp = new Float64Array(n);
    this.last = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.imp[i] = o.impPerKwh[i];
      // One pulse is 1000/imp Wh; at P watts that takes 3600000 x (1000/imp) / P ms.
      this.minIntervalMs[i] = 3.6e9 / (o.impPerKwh[i] * o.maxPowerW[i]);
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
