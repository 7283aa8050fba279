// Boot's part of the storage: reading the EEPROM back, restoring the accounts, meters, tokens
// and ledger, migrating an older format, and finding the money entries a power cut kept from
// the event log. Runs once, in the boot module.
import { Core } from '../core';
import { Reader } from './bytes';
import { FORMAT, StoreBoot } from './store';
import { bootStore, writeHeader } from './store-boot';
import { decodeAccount, decodeUnit, unitConfigGen } from './records';
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

/** Brings an EEPROM of an older format to the current one: every record rewritten. */
export function migrateStorage(us: UnitStorage, core: Core, tokens: TokenStates): string | null {
  const b = us.booted as StoreBoot;
  if (b.format >= FORMAT || us.store.readOnly) return null;
  for (let a = 0; a < core.cfg.accounts.n; a++) if (!us.save(core, [a], a === 0, tokens)) return us.error;
  const h = writeHeader(us.store, FORMAT);
  if (!h.ok) return h.error;
  return 'migrated EEPROM format ' + b.format + ' to ' + FORMAT;
}

/** The money entries of the newest commit that are not in the event log (a power cut
 *  between the commit and the log writes), to be logged now. */
export function unloggedEntries(us: UnitStorage): string[] {
  const b = us.booted as StoreBoot;
  const d = b.scan.records['!'];
  if (!d || !d.length || us.store.readOnly) return [];
  let text = '';
  for (let i = 0; i < d.length; i++) text += String.fromCharCode(d[i]);
  const lines = text.split('\n');
  const first = parseInt(lines[0], 10);
  // Logged so far: as many as the event log has gone past the number it was to give.
  const done = us.store.events.seq - first + 1;
  return done >= lines.length - 1 ? [] : lines.slice(1 + (done > 0 ? done : 0));
}

/** The day and state of the newest freeze the journal notes ('@' record), -1 when none. */
export function frozenNote(us: UnitStorage): number[] {
  const b = us.booted as StoreBoot;
  const at = b.scan.records['@'];
  const rd = at && at.length ? new Reader(at, 0, at.length) : null;
  return rd ? [rd.num(), rd.num()] : [-1, -1];
}
