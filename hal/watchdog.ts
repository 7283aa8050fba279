/** A hardware watchdog resets the board unless kicked within its timeout: what starts one
 *  returns the function that kicks it (proof that the main loop is alive). */
export type WatchdogKick = () => void;
