// The migration module (firmware/modules.ts): loaded by the boot only when the EEPROM is of an
// older format, so that no other boot carries its code.
import type { Unit } from '../unit';
import type { Core } from '../core';
import { configSource } from '../config-store';
import { Reader, Writer } from './bytes';
import { HEAD, UNIT } from './journal';
import { EVENT_SLOT, FORMAT, MONEY_SLOT, Store, layoutFor } from './store';
import { writeHeader } from './store-boot';
import { saveConfig } from './config-commit';
import { appendMoney, ledgerLine } from './history';
import { SlotRing } from './slot-ring';
import { openRing, slotAt } from './slot-scan';
import { TokenStates, UnitStorage } from './unit-storage';

/** The migration module's entry: migrates unit u's EEPROM of format `format`; what to report. */
export type MigrateEntry = (u: Unit, format: number) => string | null;

/** Migrates unit u's EEPROM from format `format` (read at boot); the line for the boot report. */
export function migrateUnit(u: Unit, format: number): string | null {
  const us = u.storage;
  if (!us) return null;
  if (format === 4) return toFive(us.store);
  // Format 4 keeps slot A where it was: the configuration goes there first (a normal commit).
  if (us.store.configSlot && !saveConfig(us, configSource(u.cfg), u.core, [])) return 'EEPROM kept in format ' + format + ': ' + us.error;
  return migrateStorage(us, u.core, u.tokens, format);
}

/** Brings an EEPROM of an older format (`format`, read at boot) to the current one: every
 *  record rewritten, the money entries of the event log copied into the money log of their own,
 *  then the header. Until the header is written nothing the older format reads has changed
 *  (the money log's first slots lie in the second half of what was configuration slot B; the
 *  configuration is in slot A), so a cut on the way migrates again at the next boot. Past the
 *  copies the money log holds what slot B and the old event log held: no entry (CRC), and not
 *  reported while the log has not gone round (store-boot.ts). The entries a cut kept from the
 *  log must be logged before (unloggedEntries): the '!' record is emptied here. A
 *  configuration too large for format 4's slots keeps the older format (said so, every boot). */
export function migrateStorage(us: UnitStorage, core: Core, tokens: TokenStates, format: number): string | null {
  const st = us.store;
  if (format >= FORMAT || st.readOnly) return null;
  const ee = st.ee;
  const l = layoutFor(ee.size, ee.pageSize);
  const h = ee.read(l.config[0], 7);
  const len = h.ok ? h.value[5] + h.value[6] * 256 : 0;
  if (len + 11 > l.configSize) return 'EEPROM kept in format ' + format + ': configuration of ' + len + ' bytes, format ' + FORMAT + ' keeps ' + (l.configSize - 11);
  for (let a = 0; a < core.cfg.accounts.n; a++) if (!us.save(core, [a], a === 0, tokens)) return us.error;
  const w = new Writer(2 * UNIT, HEAD);
  w.str('!');
  w.u16(0);
  const c = st.journal.commit(w, ['!']);
  if (!c.ok) return c.error;
  const ev = st.events;
  const m = new SlotRing(ee, l.money, l.moneySlots, MONEY_SLOT);
  for (let k = ev.slots; k > 0; k--) {
    const s = slotAt(ev, (ev.next - k + ev.slots) % ev.slots);
    if (!s || s.seq > ev.seq || s.seq <= ev.seq - ev.slots) continue;
    // An event: time, account, kind, text; a money entry's text is its ledger line (charges
    // were never logged).
    const r = new Reader(s.data, 0, s.data.length);
    const t = r.u32();
    const a = r.str();
    r.str();
    const w = r.str().split(' ');
    if (r.bad || w[0] !== 'ledger') continue;
    const d = ledgerLine(w);
    // after the events logged before it
    if (!appendMoney(m, t, a || 'a' + d.account, d, s.seq - 1)) return 'money log write failed';
  }
  const hw = writeHeader(st, FORMAT);
  if (!hw.ok) return hw.error;
  st.format = undefined;
  st.money = m;
  st.events = new SlotRing(ee, l.events, l.eventSlots, EVENT_SLOT);
  openRing(st.events);
  // (the interval readings: formats 1 to 3 used no more than 64 KB, a larger part's are blank)
  return 'migrated EEPROM format ' + format + ' to ' + FORMAT + ' (' + m.seq + ' money entries moved)';
}

/** Format 4 to 5: on a part above 64 KB, the top quarter of what lies above 64 KB, the money
 *  log's last slots until now, keeps interval readings. A money log that never reached those
 *  slots (fewer entries than format 5 keeps: about 10 months of a dormitory floor) gives them
 *  up and only the header changes; one that did keeps format 4, and the uplink then sends no
 *  interval readings (said at every boot). On a part of 64 KB or less the layouts are one. */
function toFive(st: Store): string | null {
  const ee = st.ee;
  const l = layoutFor(ee.size, ee.pageSize);
  const m = st.money;
  if (m.seq > l.moneySlots) return 'EEPROM kept in format 4 (' + m.seq + ' money entries): no interval readings for the uplink';
  const hw = writeHeader(st, FORMAT);
  if (!hw.ok) return hw.error;
  st.format = undefined;
  st.money = new SlotRing(ee, l.money, l.moneySlots, MONEY_SLOT);
  st.money.seq = m.seq;
  st.money.next = m.seq % l.moneySlots;
  // (said where the layouts differ: a part with interval readings below its events)
  return l.readings < l.events ? 'migrated EEPROM format 4 to ' + FORMAT : null;
}
