// The module loader of the simulator and the Node tests: hands over the imported entry
// functions, where the board evaluates the same modules from flash (hal/espruino/load.ts).
import { bootUnit } from '../firmware/boot';
import { runCommand } from '../firmware/console/commands';
import { runConfigCommand } from '../firmware/console/config-commands';
import { putChange } from '../firmware/console/put';
import { runListCommand } from '../firmware/console/list-commands';
import { runLogCommand } from '../firmware/console/log-commands';
import { Load, Modules } from '../firmware/modules';
import { enterTokenFor } from '../firmware/tokens/entry';
import { newDay } from '../firmware/storage/day';
import { migrateUnit } from '../firmware/storage/migrate';
import { meterSession } from '../firmware/metering/session';
import { pulseMeters } from '../firmware/metering/pulse';
import { runSms } from '../firmware/sms/run';
import { smsAfter } from '../firmware/sms/asked';
import { uplinkSession } from '../firmware/uplink/service';
import { uplinkCommands } from '../firmware/uplink/commands';

/** Every module's entry, by name; tools/build.ts bundles the same names for the board. */
export const MODULE_ENTRIES: Modules = {
  boot: bootUnit,
  cmd: runCommand,
  cfg: runConfigCommand,
  put: putChange,
  lst: runListCommand,
  log: runLogCommand,
  tok: enterTokenFor,
  day: newDay,
  mig: migrateUnit,
  met: meterSession,
  pul: pulseMeters,
  sms: runSms,
  sma: smsAfter,
  upl: uplinkSession,
  upc: uplinkCommands,
};

/** Loads a module in Node: the entry itself. */
export const nodeModules: Load = function (name) {
  return MODULE_ENTRIES[name];
};
