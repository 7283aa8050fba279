// Board entry: builds the Espruino HAL from the board description that tools/build.ts bakes
// into the bundle, then starts the unit. Only this file and hal/espruino/ know the board.
import { At24c } from '../hal/at24c';
import { Ds3231 } from '../hal/ds3231';
import { BoardDescription } from '../hal/espruino/board';
import { SMS } from './sms/feature';
import { UPLINK_BROKER, UPLINK_WIFI } from './uplink/feature';
import type { OpenLink } from '../hal/link';
import { EspruinoClock } from '../hal/espruino/clock';
import { openConsolePort } from '../hal/espruino/console-port';
import { EspruinoI2cBus } from '../hal/espruino/i2c';
import { boardStatus, freeVars } from '../hal/espruino/memory';
import { TIDIED } from '../hal/espruino/tidied';
import { loadModule } from '../hal/espruino/load';
import { TOKEN_WALK_THUMB_ID } from '../hal/espruino/token-walk-code';
import { watchPulses } from '../hal/espruino/pulse';
import { EspruinoRelayOutput } from '../hal/espruino/relay';
import { startWatchdog } from '../hal/espruino/watchdog';
import { I2cBus } from '../hal/i2c';
import { PulseInput, PulseInputOptions } from '../hal/pulse';
import { RelayOutput } from '../hal/relay';
import { SerialOptions, SerialPort } from '../hal/serial';
import { Unit, UnitHal, startUnit } from './unit';
import { busMetering } from './metering/wiring';

// Injected by tools/build.ts: the board's JSON and whether the REPL is locked away.
declare const BOARD: BoardDescription;
declare const PRODUCTION: boolean;

// Injected by tools/build.ts: the configuration a freshly flashed unit boots with until a
// technician imports its own (factory-config.ts), already parsed and stored as the EEPROM keeps
// it (config-store.ts), one character per byte.
declare const FACTORY: string;

/** The unit's HAL plus the board parts it opens on demand (the meter bus, pulse inputs). */
interface BoardHal extends UnitHal {
  i2c: I2cBus;
  openMeterBus: (opts: SerialOptions) => SerialPort;
  openPulse: (channel: number, opts: PulseInputOptions) => PulseInput | null;
}

/** A UART by name; the names are referenced lazily since not every board has every UART. */
function uart(name: string): Serial {
  if (name === 'Serial1') return Serial1;
  if (name === 'Serial2') return Serial2;
  if (name === 'Serial3') return Serial3;
  if (name === 'Serial4') return Serial4;
  if (name === 'Serial6') return Serial6;
  return USB;
}

function i2cPort(name: string): I2C {
  if (name === 'I2C2') return I2C2;
  if (name === 'I2C3') return I2C3;
  return I2C1;
}

function pin(name: string): Pin {
  return new Pin(name);
}

function optPin(name: string | undefined): Pin | undefined {
  return name ? pin(name) : undefined;
}

function buildHal(b: BoardDescription, onText: (text: string) => void): BoardHal {
  const clock = new EspruinoClock();
  const md = (b as unknown as { modem?: string }).modem;
  // The modem off until the firmware has taken its UART (Espruino's REPL falls back to Serial1
  // at boot when USB is unplugged).
  if ((SMS || UPLINK_BROKER) && md) digitalWrite(pin(md.split(' ')[4]), 0);
  // The uplink's link (through the modem or the WiFi) while a session's connection is open or
  // closing (hal/espruino/modem-uplink.ts, wifi-uplink.ts), and whether the modem's supply is on,
  // kept between them.
  let up: ((to: string) => OpenLink) | undefined;
  const upKept = {
    clock: clock,
    gone: function () {
      up = undefined;
    },
  };
  const relays: RelayOutput[] = [];
  // (a callback per relay: the loop's locals would stay in the scope the HAL's functions keep)
  b.relays.forEach(function (r) {
    const out = new EspruinoRelayOutput(pin(r.pin), r.activeHigh, optPin(r.feedback));
    // Until the unit decides, supply stays as wired (open): no credit has been checked yet.
    out.set(false);
    relays.push(out);
  });
  // One I2C bus for the EEPROM (state, logs) and the RTC (tariff time).
  const i2c = new EspruinoI2cBus(i2cPort(b.i2c.bus), pin(b.i2c.scl), pin(b.i2c.sda), b.i2c.bitrate);
  const print = openConsolePort({
    port: uart(b.console.uart),
    tx: optPin(b.console.tx),
    rx: optPin(b.console.rx),
    baud: b.console.baud,
    production: PRODUCTION,
    onText: onText,
  });
  return {
    clock: clock,
    print: print,
    load: loadModule,
    relays: relays,
    reboot: function () {
      E.reboot();
    },
    freeVars: freeVars,
    platformStatus: function () {
      return boardStatus(b.name);
    },
    i2c: i2c,
    eeprom: new At24c(i2c, b.eeprom),
    rtc: new Ds3231(i2c, b.rtc.address),
    openMeterBus: function (opts: SerialOptions) {
      // ("uart tx rx de", one string: tools/build.ts runtimeBoard)
      const r = (b.rs485 as unknown as string).split(' ');
      // The port's code is a module of the board's HAL (hal/espruino/serial.ts): loaded with the bus.
      return loadModule('ser')(uart(r[0]), { tx: pin(r[1]), rx: pin(r[2]), de: pin(r[3]) }, opts);
    },
    openPulse: function (channel: number, opts: PulseInputOptions) {
      const p = (b.pulseInputs as unknown as string).split(' ')[channel];
      // the board's own debounce: its inputs' filter is what it was built with
      return p ? watchPulses(pin(p), { debounceMs: b.pulseDebounceMs, onPulse: opts.onPulse }, clock) : null;
    },
    // (the pins, one string: tools/build.ts runtimeBoard)
    pulseInputs: b.pulseInputs ? (b.pulseInputs as unknown as string).split(' ').length : 0,
    // (the line's code a module of the board's HAL, loaded with each SMS session: hal/espruino/modem-line.ts)
    openModem: SMS && md ? function (kept: { on?: boolean }) {
      return loadModule('mdl')(uart((md as string).split(' ')[0]), md, kept);
    } : undefined,
    // (loaded for a session's connection, let go once it has ended: hal/espruino/wifi-uplink.ts)
    openUplink: UPLINK_WIFI ? function (to: string) {
      if (!up) up = loadModule('wtc')(upKept);
      return (up as (to: string) => OpenLink)(to);
    } : UPLINK_BROKER && md ? function (to: string) {
      // (loaded for a session's connection, let go once the modem has closed it: hal/espruino/modem-uplink.ts)
      if (!up) up = loadModule('mtc')(uart((md as string).split(' ')[0]), md, upKept);
      return (up as (to: string) => OpenLink)(to);
    } : undefined,
    uplinkBusy: UPLINK_WIFI || (UPLINK_BROKER && md) ? function () {
      return !!up;
    } : undefined,
    // Token decoding in machine code on the board it was built for (checked once per build of it).
    // (its code a module of the board's HAL, loaded at the first token entry: hal/espruino/native-walk.ts)
    nativeWalker:
      process.env && process.env.BOARD === b.espruinoBoard
        ? {
            make: function () {
              return loadModule('twk')();
            },
            marks: require('Storage'),
            mark: 'tw' + TOKEN_WALK_THUMB_ID,
          }
        : undefined,
  };
}

function boot(): void {
  const dogMs = BOARD.watchdogSeconds * 1000;
  const kick = startWatchdog(BOARD.watchdogSeconds);
  let unit: Unit | undefined;
  const hal = buildHal(BOARD, function (text: string) {
    if (unit) unit.input(text);
  });
  // Boot reads the whole EEPROM (on the boards' AT24CM01 about 140 KB, some 3 s of wire at
  // 400 kHz and more in the interpreter), which may outlast the watchdog: until the unit has
  // started, each I2C read kicks it. A boot stuck elsewhere still resets the board.
  const i2c = hal.i2c as { readFrom: (a: number, n: number) => unknown };
  let read: ((a: number, n: number) => unknown) | null = i2c.readFrom;
  i2c.readFrom = function (a: number, n: number) {
    kick();
    return (read as (a: number, n: number) => unknown).call(i2c, a, n);
  };
  unit = startUnit(hal, E.toUint8Array(FACTORY), { metering: busMetering });
  delete (i2c as { readFrom?: unknown }).readFrom;
  read = null;
  // What of the board's description only set the hardware up leaves the heap (the meter bus,
  // the pulse inputs, their debounce and the EEPROM's part are read again, the name for `status`;
  // the rest is about 70 variables).
  const bd = BOARD as unknown as { [k: string]: unknown };
  delete bd.relays;
  delete bd.i2c;
  delete bd.console;
  delete bd.rtc;
  delete bd.modem;
  delete bd.espruinoBoard;
  delete bd.watchdogSeconds;
  const u = unit;
  // A development build leaves the unit where a technician at the REPL (and the memory probe) finds it.
  if (!PRODUCTION) (global as unknown as { UNIT: Unit }).UNIT = u;
  // Friendly windows end, breakers reclose and freeze records fall due on time, not only on readings.
  hal.clock.every(60000, function () {
    u.handle({ t: 'tick', time: u.time() });
  });
  // Kicked from a timer, so a main loop stuck in a handler lets the watchdog reset the board.
  hal.clock.every(dogMs / 4, function () {
    kick();
    // Espruino keeps a built-in object in the heap's root, for good, once code has named it: a
    // typed array's constructor costs 8 variables (hal/espruino/tidied.ts). Deleted here; code
    // that names one again makes it again, the same (instanceof still holds: an object finds its
    // prototype by its constructor's name; no bundle keeps one in a variable: the build checks).
    TIDIED.split(' ').forEach(function (n) {
      delete (global as unknown as { [k: string]: unknown })[n];
    });
  });
  kick();
}

boot();
