import { Clock } from '../clock';

/** Clock over getTime() and the interpreter's timers; ms count from construction. */
export class EspruinoClock implements Clock {
  private base: number;
  private last = 0;

  constructor() {
    this.base = getTime();
  }

  /** Converts a getTime()-style timestamp (setWatch's e.time) to Clock milliseconds. */
  msAt(seconds: number): number {
    return (seconds - this.base) * 1000;
  }

  now(): number {
    let t = this.msAt(getTime());
    // setTime() moves getTime(); shift the base so Clock time never runs backwards.
    if (t < this.last) {
      this.base -= (this.last - t) / 1000;
      t = this.last;
    }
    this.last = t;
    return t;
  }

  after(ms: number, fn: () => void): number {
    return setTimeout(fn, ms);
  }

  every(ms: number, fn: () => void): number {
    return setInterval(fn, ms);
  }

  cancel(handle: number): void {
    // clearTimeout() without an id clears every timer, and an id that already fired throws.
    if (typeof handle !== 'number') return;
    try {
      clearTimeout(handle);
    } catch (e) {
      // already gone
    }
  }
}
