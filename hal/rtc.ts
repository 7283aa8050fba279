import { Result } from './result';

/** Time from a battery-backed real-time clock, as UTC seconds since 1970-01-01. */
export interface RtcTime {
  epochSeconds: number;
  /** False when the oscillator stopped (battery lost): the time is not to be trusted. */
  valid: boolean;
}

/** A real-time clock (DS3231-class, or a virtual one). */
export interface Rtc {
  /** Reads the current time and its validity flag. */
  read(): Result<RtcTime>;
  /** Sets the time (UTC seconds) and clears the not-valid flag. */
  set(epochSeconds: number): Result<true>;
}
