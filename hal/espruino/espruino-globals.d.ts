// Board globals that @types/espruino 1.95 leaves out; declared here so hal/espruino/ and
// firmware/main.ts type-check against what the interpreter really provides.

/** Pin constructor: new Pin('B6') gives the same pin as the global B6. */
declare var Pin: { new (name: string): Pin };

declare namespace E {
  /** Starts the hardware watchdog; isAuto false means E.kickWatchdog() must be called. */
  function enableWatchdog(timeoutSeconds: number, isAuto?: boolean): void;
  /** Boot, kill and error hooks. */
  function on(event: string, fn: (arg?: any) => void): void;
  /** Restarts the chip. */
  function reboot(): void;
}

interface I2C {
  /** Sends every data argument, in order, in one transaction. */
  writeTo(address: any, data: any, more: any): void;
}

interface Serial {
  /** Removes every listener of one event (EventEmitter-like objects). */
  removeAllListeners(event: string): void;
  /** Lets the port go: its pins, and the options Espruino kept on it (setup() takes it again). */
  unsetup(): void;
}

/** Espruino's process: memory() and the board's name in env.BOARD ('PICO_R1_3', 'LINUX', ...). */
declare var process: { memory(): { free: number; usage: number; total: number }; env: { BOARD: string } };

declare namespace E {
  /** A flat string (contiguous memory) of the arguments, or undefined when none can be allocated. */
  function toFlatString(...args: any[]): string | undefined;
  /** The address of a variable, or with flatAddress the address of a flat string's or array's data (0 if not flat). */
  function getAddressOf(v: any, flatAddress: boolean): number;
}

/** The flash file system (only what the firmware uses). */
declare function require(module: 'Storage'): { read(name: string): string | undefined; write(name: string, data: string): boolean };

declare function setTimeout(fn: () => void, ms: number): number;
declare function setInterval(fn: () => void, ms: number): number;
declare function clearTimeout(id: number): void;
declare function clearInterval(id: number): void;

declare var console: { log(...args: any[]): void };

/** The global scope object. */
declare var global: object;

declare namespace E {
  /** CRC-32 (IEEE) of a string or an array of bytes, unsigned; no seed. */
  function CRC32(data: any): number;
}

/** The firmware's WiFi (the Espruino WiFi's ESP8266): joins a network; the callback's err is
 *  null once joined (an address taken), a message otherwise. */
declare function require(module: 'Wifi'): { connect(ssid: string, options: { password: string }, cb: (err: string | null) => void): void; disconnect(): void };
/** Espruino's TCP sockets, over the network the board has (its WiFi). */
declare function require(module: 'net'): { connect(options: { host: string; port: number }, cb: () => void): { write(data: string): void; end(): void; on(event: string, fn: (data: string) => void): void } };
