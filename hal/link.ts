// A byte connection the board opens to a server (the uplink's broker): a TCP socket in the
// simulator and the tests, the modem's or the WiFi module's TCP on a board. Bytes are strings, a
// character a byte, as Espruino's sockets and AT modems take and give them.

/** An open connection: bytes out, and closing it. */
export interface Link {
  write: (s: string) => void;
  close: () => void;
}

/** Opens a connection: its bytes go to data, its end (or a failure to open) to closed; null when
 *  the board cannot try now. */
export type OpenLink = (data: (s: string) => void, closed: () => void) => Link | null;
