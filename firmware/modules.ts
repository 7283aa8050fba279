// The firmware's on-demand parts. What runs rarely (boot, console commands, token entry, the
// midnight freeze, an older EEPROM's migration) and meter reading (each poll cycle) is a module
// with one entry function, loaded when it is needed and released afterwards (see
// docs/memory.md). Loading is a HAL service: on the board it
// evaluates the module's code from flash, in the simulator and in Node tests it hands over the
// imported function (sim/modules.ts), so the same firmware code runs everywhere.
//
// A module must not leave a function of its own in resident state (a timer, a callback, an
// object made by one of its classes): that function keeps the whole module alive. Objects that
// outlive the call are made by resident code (the Unit's methods) or are plain data. Meter
// reading (`met`) and the pulse counters (`pul`) are the modules that live on after their call,
// on purpose: the resident wiring holds the meter session through a poll cycle and drops it,
// timers and listeners cancelled, when the bus falls idle (metering/session.ts); it holds the
// pulse counters while the configuration has pulse meters, so that a unit without any does not
// carry their code in its heap (metering/pulse.ts).
import type { BootEntry } from './boot';
import type { CommandEntry } from './console/commands';
import type { ConfigEntry } from './console/config-commands';
import type { PutEntry } from './console/put';
import type { TokenEntry } from './tokens/entry';
import type { DayEntry } from './storage/day';
import type { MigrateEntry } from './storage/migrate';
import type { meterSession } from './metering/session';
import type { pulseMeters } from './metering/pulse';
import type { runSms } from './sms/run';
import type { smsAfter } from './sms/asked';
import type { uplinkSession } from './uplink/service';
import type { uplinkCommands } from './uplink/commands';

/** Module name -> the type of its entry function. */
export interface Modules {
  boot: BootEntry;
  cmd: CommandEntry;
  cfg: ConfigEntry;
  put: PutEntry;
  lst: CommandEntry;
  log: CommandEntry;
  tok: TokenEntry;
  day: DayEntry;
  mig: MigrateEntry;
  met: typeof meterSession;
  pul: typeof pulseMeters;
  sms: typeof runSms;
  sma: typeof smsAfter;
  upl: typeof uplinkSession;
  upc: typeof uplinkCommands;
}

export type ModuleName = keyof Modules;

/** Hands over a module's entry function (a HAL service). */
export type Load = <K extends ModuleName>(name: K) => Modules[K];
