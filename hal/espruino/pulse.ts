import { PulseInput, PulseInputOptions } from '../pulse';
import { EspruinoClock } from './clock';

/** S0 pulse input on a pin via setWatch; edges are timed in the interrupt and queued. */
export class EspruinoPulseInput implements PulseInput {
  private watch: string | undefined;
  private lastMs = -1e9;

  constructor(pin: Pin, opts: PulseInputOptions, clock: EspruinoClock) {
    const self = this;
    const onPulse = opts.onPulse;
    const debounceMs = opts.debounceMs;
    // S0 is an open collector switched to 3.3 V: the pull-down holds the pin low between pulses.
    pinMode(pin, 'input_pulldown', false);
    this.watch = setWatch(
      function (e: { time: number }) {
        const t = clock.msAt(e.time);
        // The hardware debounce filters short glitches; this drops a second edge of one pulse.
        if (t - self.lastMs < debounceMs) return;
        self.lastMs = t;
        onPulse(t);
      },
      pin,
      { repeat: true, edge: 'rising', debounce: debounceMs }
    );
  }

  close(): void {
    // clearWatch() without an id would remove every watch on the board.
    if (this.watch !== undefined) clearWatch(this.watch);
    this.watch = undefined;
  }
}
