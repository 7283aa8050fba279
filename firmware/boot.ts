// Boot, an on-demand module (firmware/modules.ts): reads the EEPROM, picks the configuration
// (the committed one, else the factory one given), restores balances, registers and token
// counters and says what it found. Runs once; its code leaves the heap afterwards, and then
// startUnit wires the meters, brings every relay to the state the rules want, takes a freeze
// that is due, the pulse baselines and the status line.
import type { Config } from './config';
import { decodeConfig, configSource } from './config-store';
import type { Unit } from './unit';
import { bootStorage, frozenNote, restoreStorage, unloggedEntries } from './storage/restore';
import { Decision, formatDecision } from './core';
import { saveConfig } from './storage/config-commit';

/** The boot module's entry: configures and starts a freshly made unit. */
export type BootEntry = (u: Unit, factory: unknown) => void;

/** Boots unit u; `factory` is the factory configuration (config-store.ts bytes, or a JSON-shaped
 *  object), used when the EEPROM holds none. */
export function bootUnit(u: Unit, factory: unknown): void {
  const hal = u.hal;
  const storage = u.storage;
  let b = storage ? bootStorage(storage) : null;
  const report: string[] = b ? b.report.slice() : [];
  let cfg: Config | null = null;
  // Whether the configuration in use is the one the EEPROM holds as tables (else it is saved).
  let saved = false;
  if (b && b.config !== null) {
    if (b.configText) {
      // Written by older firmware as JSON text: parsed once, and saved as tables below.
      let text = '';
      for (let i = 0; i < b.config.length; i++) text += String.fromCharCode(b.config[i]);
      const e = hal.load('cfg')(u, null, text);
      if (!e) cfg = u.cfg;
      else report.push('saved configuration unreadable (' + e + '): factory configuration used');
    } else {
      cfg = decodeConfig(b.config);
      b.config = null; // its bytes leave the heap
      saved = cfg !== null;
      if (!cfg) report.push('saved configuration unreadable: factory configuration used');
    }
  }
  if (!cfg) {
    // The factory configuration: stored bytes on the board, an object in the simulator and tests.
    if (factory instanceof Uint8Array) cfg = decodeConfig(factory);
    else {
      const e = hal.load('cfg')(u, null, JSON.stringify(factory));
      if (e) hal.print('ERROR config: ' + e + ' - starting with no accounts');
      else cfg = u.cfg;
    }
  }
  if (cfg) {
    u.cfg = cfg;
    u.core = u.newCore(cfg);
  }
  const core = u.core;
  // Money entries a cut kept from the money log: found before anything is logged at this boot.
  let lost: { a: number; d: Decision }[] = [];
  // The format of an EEPROM to migrate (0: none): an older one is read in its own layout.
  let format = 0;
  if (storage && b) {
    const restored = restoreStorage(storage, core, u.tokens);
    lost = unloggedEntries(storage, core.cfg.accounts.names);
    storage.note = frozenNote(storage);
    for (let i = 0; i < restored.length; i++) report.push(restored[i]);
    if (storage.store.format && !storage.store.readOnly) format = b.format;
    if (!saved || b.formatted || storage.store.configGen === 0) {
      if (!saveConfig(storage, configSource(u.cfg), core, [])) report.push('could not save the configuration: ' + storage.error);
    }
    // The scan's copies of every record are done with: they leave the heap now, before the
    // meters are wired and the first commit is written.
    storage.booted = null;
    b = null;
  }
  // Logged as when they were made, under the entry's own kind and its account.
  for (let i = 0; i < lost.length; i++) u.log(lost[i].a, lost[i].d.code || 'ledger', formatDecision(lost[i].d), lost[i].d);
  // After those (it empties the record that kept them), before the boot's own lines (an older
  // format's event log loses its first slots to the money log): a module of its own.
  const mig = format ? hal.load('mig')(u, format) : null;
  if (mig) report.push(mig);
  u.log(-1, 'boot', 'boot');
  for (let i = 0; i < report.length; i++) {
    hal.print('STORAGE ' + report[i]);
    u.log(-1, 'boot', report[i]);
  }
}
