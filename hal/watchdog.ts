/** A hardware watchdog that resets the board unless kicked within its timeout. */
export interface Watchdog {
  /** Proves the main loop is alive. */
  kick(): void;
}
