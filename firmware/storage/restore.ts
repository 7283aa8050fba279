// Boot's part of the storage: reading the EEPROM back, restoring the accounts, meters, tokens
// and ledger, and finding the money entries a power cut kept from the money log. Runs once, in
// the boot module (an older format is migrated by the mig module, storage/migrate.ts).
import { UPLINK } from '../uplink/feature';
import { Core, Decision } from '../core';
import { Reader } from './bytes';
import { ledgerLine } from './history';
import { StoreBoot } from './store';
import { bootStore } from './store-boot';
import { decodeAccount, decodeUnit, unitConfigGen } from './records';
import { TokenStates, UnitStorage } from './unit-storage';
import { nameIndex } from '../tables';

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
  const accts = core.cfg.accounts;
  let restored = 0;
  const fresh: string[] = [];
  let seq = 0;
  for (let a = 0, at = 0; a < accts.n; a++) {
    const sp = accts.names.indexOf(' ', at);
    const name = accts.names.slice(at, sp);
    at = sp + 1;
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
  // (the SMS service's record, sms/state.ts: named ' ', which no account can be)
  if (recs[' ']) us.smsRec = recs[' '];
  if (UPLINK && recs['  ']) us.upRec = recs['  '];
  if (seq > core.ledger.seq) core.ledger.seq = seq;
  const lines = ['restored ' + restored + ' of ' + accts.n + ' accounts, ledger #' + core.ledger.seq + ', journal seq ' + us.store.journal.seq + ', config gen ' + us.store.configGen];
  if (fresh.length) lines.push('no saved state (starting at zero): ' + fresh.join(' '));
  return lines;
}

/** The money entries of the newest commit that are not in the money log (a power cut between
 *  the commit and the log writes), to be logged now: each as its decision and its account's
 *  index in `names` (the line names it; -1 when it is gone, or in a line of format 3 and
 *  before, which names none: its index is not guessed at). */
export function unloggedEntries(us: UnitStorage, names: string): { a: number; d: Decision }[] {
  const b = us.booted as StoreBoot;
  const d = b.scan.records['!'];
  const out: { a: number; d: Decision }[] = [];
  if (!d || !d.length || us.store.readOnly) return out;
  let text = '';
  for (let i = 0; i < d.length; i++) text += String.fromCharCode(d[i]);
  const lines = text.split('\n');
  // Logged so far: as many as the money log has gone past the number it was to give.
  const done = us.store.money.seq - parseInt(lines[0], 10) + 1;
  for (let i = 1 + (done > 0 ? done : 0); i < lines.length; i++) {
    // "ledger #7 a0 topup 12500 bal 12500 [ref 3] [R1]"
    const w = lines[i].split(' ');
    const name = w.length === 8 || w.length === 10 ? w.pop() : '';
    out.push({ a: nameIndex(names, name as string), d: ledgerLine(w) });
  }
  return out;
}

/** The day and state of the newest freeze the journal notes ('@' record), -1 when none. */
export function frozenNote(us: UnitStorage): number[] {
  const b = us.booted as StoreBoot;
  const at = b.scan.records['@'];
  const rd = at && at.length ? new Reader(at, 0, at.length) : null;
  return rd ? [rd.num(), rd.num()] : [-1, -1];
}
