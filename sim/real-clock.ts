// A hal Clock on the real (wall-clock) time of this process: for models served in real time
// and for what must not follow the fast virtual clock (the live console's sessions).
import { Clock } from '../hal/clock';

/** A hal Clock on the real time of this process (ms since it was made). */
export function realClock(): Clock & { stop(): void } {
  const t0 = Date.now();
  const timers: { [id: number]: NodeJS.Timeout } = {};
  let next = 1;
  return {
    now: () => Date.now() - t0,
    after(ms: number, fn: () => void): number {
      const id = next++;
      timers[id] = setTimeout(() => {
        delete timers[id];
        fn();
      }, Math.max(0, ms));
      return id;
    },
    every(ms: number, fn: () => void): number {
      const id = next++;
      timers[id] = setInterval(fn, ms);
      return id;
    },
    cancel(id: number): void {
      const t = timers[id];
      if (t) {
        clearTimeout(t);
        clearInterval(t);
        delete timers[id];
      }
    },
    stop(): void {
      for (const k of Object.keys(timers)) this.cancel(Number(k));
    },
  };
}
