// A virtual clock implementing hal/clock.ts: time moves only when the simulator says so,
// as fast as the CPU allows, and timers fire in time order (ties in creation order).
import { Clock } from '../hal/clock';

interface Timer {
  id: number;
  at: number;
  period: number;
  fn: () => void;
}

/** Virtual monotonic clock with one-shot and periodic timers. */
export class VirtualClock implements Clock {
  private t = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): number {
    return this.add(ms, 0, fn);
  }

  every(ms: number, fn: () => void): number {
    if (!(ms > 0)) throw new Error('every() needs a positive period');
    return this.add(ms, ms, fn);
  }

  cancel(handle: number): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }

  /** Runs every timer due up to `until` (ms), then sets the time to it. */
  advanceTo(until: number): void {
    for (;;) {
      let best: Timer | undefined;
      for (const x of this.timers) if (x.at <= until && (!best || x.at < best.at || (x.at === best.at && x.id < best.id))) best = x;
      if (!best) break;
      this.t = best.at;
      if (best.period > 0) best.at += best.period;
      else this.cancel(best.id);
      best.fn();
    }
    if (until > this.t) this.t = until;
  }

  /** Advances by ms. */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  /** Number of pending timers (tests use it to see that nothing leaks). */
  pending(): number {
    return this.timers.length;
  }

  private add(ms: number, period: number, fn: () => void): number {
    const id = this.nextId++;
    this.timers.push({ id: id, at: this.t + Math.max(0, ms), period: period, fn: fn });
    return id;
  }
}

/** A clock for one life of a unit on `clock`: its timers do nothing once `life.on` is false (a
 *  power cut ends them; the tests' units boot again on the same clock). */
export function lifeClock(clock: Clock, life: { on: boolean }): Clock {
  return {
    now: () => clock.now(),
    after: (ms, fn) => clock.after(ms, () => life.on && fn()),
    every: (ms, fn) => clock.every(ms, () => life.on && fn()),
    cancel: (h) => clock.cancel(h),
  };
}
