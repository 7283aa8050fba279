import { PulseInput, PulseInputOptions } from '../pulse';
import { EspruinoClock } from './clock';

/** S0 pulse input on a pin via setWatch; edges are timed in the interrupt and queued. A
 *  function, not a class: a unit without pulse meters carries no prototype for it. */
export function watchPulses(pin: Pin, opts: PulseInputOptions, clock: EspruinoClock): PulseInput {
  const onPulse = opts.onPulse;
  const debounceMs = opts.debounceMs;
  let lastMs = -1e9;
  // S0 is an open collector switched to 3.3 V: the pull-down holds the pin low between pulses.
  pinMode(pin, 'input_pulldown', false);
  let watch: string | undefined = setWatch(
    function (e: { time: number }) {
      const t = clock.msAt(e.time);
      // The hardware debounce filters short glitches; this drops a second edge of one pulse.
      if (t - lastMs < debounceMs) return;
      lastMs = t;
      onPulse(t);
    },
    pin,
    { repeat: true, edge: 'rising', debounce: debounceMs }
  );
  return {
    close: function () {
      // clearWatch() without an id would remove every watch on the board.
      if (watch !== undefined) clearWatch(watch);
      watch = undefined;
    },
  };
}
