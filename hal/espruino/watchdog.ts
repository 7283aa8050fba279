import { WatchdogKick } from '../watchdog';

/** Starts the STM32 independent watchdog (at most about 26 s), to be kicked by the main loop
 *  through the function returned (a function, not a class: no prototype kept in the heap). */
export function startWatchdog(seconds: number): WatchdogKick {
  // false: not kicked automatically when idle, so a stuck main loop really resets the board.
  E.enableWatchdog(seconds, false);
  return function () {
    E.kickWatchdog();
  };
}
