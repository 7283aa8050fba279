// The shape of a boards/*.json file, as baked into the bundle by tools/build.ts.
// Types only: tools/ imports it too, so nothing here may touch a board global.

/** A UART by its Espruino name ('Serial1', 'Serial2', ...) with its pins. */
export interface BoardUart {
  uart: string;
  tx: string;
  rx: string;
}

/** Half-duplex RS485 port: a UART plus the transceiver's driver-enable pin. */
export interface BoardRs485 extends BoardUart {
  /** Driver-enable (DE, with /RE tied to it): high while transmitting. */
  de: string;
}

/** Technician console: a UART (or 'USB', then tx/rx are absent). */
export interface BoardConsole {
  uart: string;
  tx?: string;
  rx?: string;
  baud: number;
}

/** An I2C master and its pins. */
export interface BoardI2c {
  bus: string;
  scl: string;
  sda: string;
  bitrate: number;
}

/** One relay channel (an account's `relay` index); feedback is an optional contact read-back. */
export interface BoardRelay {
  pin: string;
  activeHigh: boolean;
  feedback?: string;
}

/** An I2C EEPROM part. */
export interface BoardEeprom {
  part: string;
  address: number;
  size: number;
  pageSize: number;
  /** Worst-case internal write cycle. */
  writeMs: number;
}

/** An I2C RTC part. */
export interface BoardRtc {
  part: string;
  address: number;
}

/** A GSM modem for SMS (docs/sms.md): its UART, and the pins that switch it. */
export interface BoardModem extends BoardUart {
  /** 'sim800' (SIM800/SIM900, M66: 2G) or 'sim7600' (SIM7600, A7670, EC2x: LTE, registration
   *  also read from AT+CEREG?). */
  model: string;
  baud: number;
  /** The module's supply switch (high: on). Only cutting the supply recovers a hung module. */
  supply: string;
  /** The power key (pulled low for keyMs after the supply comes on), if the module needs it. */
  powerKey?: string;
  keyMs?: number;
}

/** Everything the Espruino HAL needs to know about one board. */
export interface BoardDescription {
  name: string;
  /** Espruino board id for the espruino CLI (--board). */
  espruinoBoard: string;
  chip: string;
  /** JS variables available (13 bytes each on STM32 builds). */
  variables: number;
  /** Flash Storage for saved code and files, bytes. */
  storageBytes: number;
  /** Modules share one copy of code with the resident bundle (tools/build.ts modulesShare). */
  shareModuleCode?: boolean;
  /** Class methods assigned in fewer bytes of flash (tools/method-helper.ts). */
  methodHelper?: boolean;
  /** Functions declare no parameters and read `arguments` instead (tools/params-as-locals.ts). */
  paramsAsLocals?: boolean;
  /** With paramsAsLocals: modules whose functions keep their parameters (less flash, more heap
   *  while they are loaded). */
  paramsKeptIn?: string[];
  /** Without shareModuleCode: source files that go into library pieces (one copy in flash) for
   *  the modules listed, which read them while they are loaded, instead of a copy in each. */
  libraryPieces?: { files: string[]; modules: string[] };
  /** On-demand modules kept compressed in flash (tools/heatshrink.ts, hal/espruino/load.ts). */
  compressedModules?: string[];
  /** A free flash area outside Storage for the first part of the code (tools/image.ts). */
  codeArea?: { address: string; length: number; pageBytes: number; source: string };
  /** A serial EEPROM on the I2C bus that holds the modules listed, compressed, rather than
   *  flash (tools/image.ts CodeEeprom): two address bytes, so up to 64 KB. */
  codeEeprom?: { part: string; address: number; size: number; pageSize: number; writeMs: number; modules: string[] };
  rs485: BoardRs485;
  /** Pulse (S0) input pins; STM32 cannot watch two pins with the same number. */
  pulseInputs: string[];
  pulseDebounceMs: number;
  relays: BoardRelay[];
  i2c: BoardI2c;
  eeprom: BoardEeprom;
  rtc: BoardRtc;
  console: BoardConsole;
  /** A GSM modem, on a board that carries one (its firmware then has the SMS modules). */
  modem?: BoardModem;
  /** The uplink to a head-end and what carries it (its firmware then has the uplink's modules;
   *  through the modem, no SMS). */
  uplink?: { link: 'modem' | 'wifi' };
  watchdogSeconds: number;
  /** Free text for the person wiring the board. */
  notes?: string[];
}
