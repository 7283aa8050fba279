import { Watchdog } from '../watchdog';

/** The STM32 independent watchdog (at most about 26 s), kicked by the main loop. */
export class EspruinoWatchdog implements Watchdog {
  constructor(seconds: number) {
    // false: not kicked automatically when idle, so a stuck main loop really resets the board.
    E.enableWatchdog(seconds, false);
  }

  kick(): void {
    E.kickWatchdog();
  }
}
