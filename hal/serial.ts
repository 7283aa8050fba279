/** Line settings of a UART; DL/T 645 meters use 2400 8E1, Modbus meters usually 9600 8N1. */
export interface LineSettings {
  baud: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

/** Options to open a half-duplex RS485 port (the board entry adds pins). */
export interface SerialOptions extends LineSettings {
  /** Bytes as they arrive, in arbitrary slices; framing is the caller's job. */
  onData: (bytes: Uint8Array) => void;
}

/** A half-duplex RS485 port: one write at a time, driver-enable handled by the port. */
export interface SerialPort {
  /** Sends bytes with driver-enable held until the last bit has left; calls done then.
   *  Returns false (and sends nothing) while an earlier write is still on the wire. */
  write(bytes: Uint8Array, done?: () => void): boolean;
  /** Bits on the wire per character for these settings (start + data + parity + stop). */
  bitsPerChar(): number;
  /** Sets the UART to other line settings from the next write on (DL/T 645 and Modbus meters
   *  on the same wire talk at their own settings). */
  setLine?(l: LineSettings): void;
  /** Stops receiving and releases the pins. */
  close(): void;
}

/** Bits per character on the wire for the given line settings. */
export function bitsPerChar(s: LineSettings): number {
  return 1 + s.dataBits + (s.parity === 'none' ? 0 : 1) + s.stopBits;
}

/** Wire time in milliseconds of n characters (fractional). */
export function wireTimeMs(s: LineSettings, n: number): number {
  return (n * bitsPerChar(s) * 1000) / s.baud;
}
