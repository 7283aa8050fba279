/** Monotonic time and timers; the only source of time for firmware/ besides the RTC. */
export interface Clock {
  /** Milliseconds since boot, monotonic, never wraps within the unit's life. */
  now(): number;
  /** Calls fn once after ms milliseconds; returns a handle for cancel(). */
  after(ms: number, fn: () => void): number;
  /** Calls fn every ms milliseconds until cancelled; returns a handle for cancel(). */
  every(ms: number, fn: () => void): number;
  /** Stops a timer made by after() or every(); unknown handles are ignored. */
  cancel(handle: number): void;
}
