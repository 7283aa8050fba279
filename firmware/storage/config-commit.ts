// A new configuration committed to the EEPROM (a console change, a factory reset, the first
// boot): its bytes into the free slot, then the unit record that names it.
import { Core } from '../core';
import { HEAD, UNIT } from './journal';
import { Writer } from './bytes';
import { configCommitted, formatStore, writeConfig } from './store-boot';
import { encodeUnit } from './records';
import { UnitStorage, storageFailed } from './unit-storage';

/** Commits a new configuration: its bytes into the free slot, then one batch with the unit
 *  record naming it and an empty record for every account that is gone (so an account
 *  opened again later under the same name starts from zero). */
export function saveConfig(us: UnitStorage, bytes: (w: Writer) => void, next: Core, gone: string[]): boolean {
  if (us.store.readOnly) return true;
  const w = writeConfig(us.store, bytes);
  if (!w.ok) return storageFailed(us, 'saving the configuration', w);
  // The batch laid out in place: each record's name length, name, data length, data.
  const b = new Writer(128 + 2 * UNIT, HEAD);
  const u = encodeUnit(next, w.value);
  b.str('');
  b.u16(u.length);
  b.bytes(u);
  for (let i = 0; i < gone.length; i++) {
    b.str(gone[i]);
    b.u16(0);
  }
  const r = us.store.journal.commit(b, [''].concat(gone));
  if (!r.ok) return storageFailed(us, 'saving the configuration', r);
  configCommitted(us.store, w.value);
  us.error = '';
  return true;
}

/** Factory reset: everything but the event log erased, then this configuration committed. */
export function resetStorage(us: UnitStorage, bytes: (w: Writer) => void, next: Core): boolean {
  const f = formatStore(us.store, true);
  if (!f.ok) return storageFailed(us, 'erasing', f);
  return saveConfig(us, bytes, next, []);
}
