/** A relay output on a GPIO that switches one account's supply. */
export interface RelayOutput {
  /** Drives the coil: true = supply connected (contact closed). */
  set(closed: boolean): void;
  /** Reads back the actual contact state (from a feedback pin when the board has one). */
  read(): boolean;
}
