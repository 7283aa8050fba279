// Boot's part of the storage: reading the EEPROM back, restoring the accounts, meters, tokens
// and ledger, migrating an older format, and finding the money entries a power cut kept from
// the money log. Runs once, in the boot module.
import { Core, Decision } from '../core';
import { Reader } from './bytes';
import { EVENT_SLOT, FORMAT, MONEY_SLOT, StoreBoot, layoutFor } from './store';
import { bootStore, erase, writeHeader } from './store-boot';
import { decodeAccount, decodeUnit, unitConfigGen } from './records';
import { appendMoney } from './history';
import { SlotRing } from './slot-ring';
import { openRing, slotAt } from './slot-scan';
import { TokenStates, UnitStorage } from './unit-storage';

/** Reads the EEPROM; the configuration to start from (null: use the factory one). */
export function bootStorage(us: UnitStorage): StoreBoot {
  const b = bootStore(us.store, function (scan) {
    return unitConfigGen(scan.records['']);
  });
  us.booted = b;
  return b;
}

/** Restores accounts, meters, tokens and the ledger into core; lines say what was found. */
export function restoreStorage(us: UnitStorage, core: Core, tokens: TokenStates): string[] {
  const b = us.booted as StoreBoot;
  const recs = b.scan.records;
  const accts = core.cfg.accounts.name;
  let restored = 0;
  const fresh: string[] = [];
  let seq = 0;
  for (let a = 0; a < accts.length; a++) {
    const name = accts[a];
    const d = recs[name];
    if (!d || !d.length) {
      fresh.push(name);
      continue;
    }
    const r = decodeAccount(core, a, d, b.scan.versions[name]);
    if (!r) {
      fresh.push(name + '(unreadable)');
      continue;
    }
    restored++;
    if (r.token) tokens[name] = r.token;
    if (r.seq > seq) seq = r.seq;
  }
  if (recs[''] && recs[''].length) decodeUnit(core, recs['']);
  if (seq > core.ledger.seq) core.ledger.seq = seq;
  const lines = ['restored ' + restored + ' of ' + accts.length + ' accounts, ledger #' + core.ledger.seq + ', journal seq ' + us.store.journal.seq + ', config gen ' + us.store.configGen];
  if (fresh.length) lines.push('no saved state (starting at zero): ' + fresh.join(' '));
  return lines;
}

/** Brings an EEPROM of an older format (`format`, read at boot) to the current one: every
 *  record rewritten, the money entries of the event log copied into the money log of their own,
 *  then the header. Until the header is written nothing the older format reads has changed
 *  (the money log's first slots lie in the second half of what was configuration slot B; the
 *  boot put the configuration into slot A), so a cut on the way migrates again at the next
 *  boot. The entries a cut kept from the log must be logged before (unloggedEntries): the
 *  '!' record is emptied here. A configuration too large for format 4's slots keeps the
 *  older format (said so, every boot). */
export function migrateStorage(us: UnitStorage, core: Core, tokens: TokenStates, format: number): string | null {
  const st = us.store;
  if (format >= FORMAT || st.readOnly) return null;
  const ee = st.ee;
  const l = layoutFor(ee.size, ee.pageSize);
  const h = ee.read(l.config[0], 7);
  const len = h.ok ? h.value[5] + h.value[6] * 256 : 0;
  if (st.configSlot || len + 11 > l.configSize) return 'EEPROM kept in format ' + format + ': the configuration (' + (st.configSlot ? 'in slot B' : len + ' bytes') + ') does not fit format ' + FORMAT + ' (' + (l.configSize - 11) + ' bytes in slot A)';
  for (let a = 0; a < core.cfg.accounts.n; a++) if (!us.save(core, [a], a === 0, tokens)) return us.error;
  const c = st.journal.commit([{ name: '!', data: new Uint8Array(0) }]);
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
    if (!appendMoney(m, t, a || 'a' + d.account, d)) return 'money log write failed';
  }
  const hw = writeHeader(st, FORMAT);
  if (!hw.ok) return hw.error;
  st.layout = l;
  st.money = m;
  st.events = new SlotRing(ee, l.events, l.eventSlots, EVENT_SLOT);
  openRing(st.events);
  // Past the copies the money log holds what slot B and the old event log held: erased, or
  // boot would count it as torn slots.
  erase(st, l.money + m.seq * MONEY_SLOT, l.events);
  return 'migrated EEPROM format ' + format + ' to ' + FORMAT + ', ' + m.seq + ' money entries into a log of their own';
}

/** A money entry's decision from its trace line's words ("ledger #7 a0 topup 12500 bal 12500
 *  ref 3"). */
export function ledgerLine(w: string[]): Decision {
  return { kind: 'ledger', account: +(w[2] || '').substr(1), meter: -1, code: w[3], value: +w[4], balance: +w[6], seq: +(w[1] || '').substr(1), ref: w[7] === 'ref' ? +w[8] : -1 };
}

/** The money entries of the newest commit that are not in the money log (a power cut between
 *  the commit and the log writes), to be logged now: their lines, each ending in the account's
 *  name (not in lines of format 3 and before). */
export function unloggedEntries(us: UnitStorage): string[] {
  const b = us.booted as StoreBoot;
  const d = b.scan.records['!'];
  if (!d || !d.length || us.store.readOnly) return [];
  let text = '';
  for (let i = 0; i < d.length; i++) text += String.fromCharCode(d[i]);
  const lines = text.split('\n');
  const first = parseInt(lines[0], 10);
  // Logged so far: as many as the money log has gone past the number it was to give.
  const done = us.store.money.seq - first + 1;
  return done >= lines.length - 1 ? [] : lines.slice(1 + (done > 0 ? done : 0));
}

/** The day and state of the newest freeze the journal notes ('@' record), -1 when none. */
export function frozenNote(us: UnitStorage): number[] {
  const b = us.booted as StoreBoot;
  const at = b.scan.records['@'];
  const rd = at && at.length ? new Reader(at, 0, at.length) : null;
  return rd ? [rd.num(), rd.num()] : [-1, -1];
}
