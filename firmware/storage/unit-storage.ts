// What the unit keeps in EEPROM and when: the committed configuration, one journal record
// per account (written in the same batch as the event that changed it, before the unit acts
// on it), the unit record, the event log and the freeze records at local midnight. Boot
// restores all of it and says what it found.
import { Eeprom } from '../../hal/eeprom';
import { Core } from '../core';
import { TokenState } from '../tokens/openpaygo';
import { civilFromSeconds } from '../../hal/calendar';
import { JournalRecord } from './journal';
import { Reader, Writer } from './bytes';
import { FORMAT, Store, StoreBoot } from './store';
import { decodeAccount, decodeUnit, encodeAccount, encodeUnit, unitConfigGen } from './records';
import { EventFilter, Freeze, appendEvent, appendFreeze, lastFrozen, readEvents, readFreezes } from './history';

/** Token state per account name. */
export type TokenStates = { [name: string]: TokenState };

/** The unit's storage. */
export class UnitStorage {
  readonly store: Store;
  booted: StoreBoot | null = null;
  /** Newest local day with daily freeze records (all accounts), -1 before the first. */
  private frozen = -1;
  /** Last error text, '' when the last write worked. */
  error = '';

  constructor(ee: Eeprom) {
    this.store = new Store(ee);
  }

  /** Reads the EEPROM; the configuration text to start from (null: use the factory one). */
  boot(): StoreBoot {
    const b = this.store.boot(function (scan) {
      return unitConfigGen(scan.records['']);
    });
    this.booted = b;
    return b;
  }

  /** Restores accounts, meters, tokens and the ledger into core; lines say what was found. */
  restore(core: Core, tokens: TokenStates): string[] {
    const b = this.booted as StoreBoot;
    const recs = b.scan.records;
    const accts = core.cfg.accounts;
    let restored = 0;
    const fresh: string[] = [];
    let seq = 0;
    for (let a = 0; a < accts.length; a++) {
      const name = accts[a].name;
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
    const lines = ['restored ' + restored + ' of ' + accts.length + ' accounts, ledger #' + core.ledger.seq + ', journal seq ' + this.store.journal.seq + ', config gen ' + this.store.configGen];
    if (fresh.length) lines.push('no saved state (starting at zero): ' + fresh.join(' '));
    return lines;
  }

  /** Brings an EEPROM of an older format to the current one: every record rewritten. */
  migrate(core: Core, tokens: TokenStates): string | null {
    const b = this.booted as StoreBoot;
    if (b.format >= FORMAT || this.store.readOnly) return null;
    for (let a = 0; a < core.cfg.accounts.length; a++) if (!this.save(core, [a], a === 0, tokens)) return this.error;
    const h = this.store.writeHeader(FORMAT);
    if (!h.ok) return h.error;
    return 'migrated EEPROM format ' + b.format + ' to ' + FORMAT;
  }

  private failed(what: string, r: { ok: false; error: string; detail?: string }): false {
    this.error = what + ' failed: ' + r.error + (r.detail ? ' (' + r.detail + ')' : '');
    return false;
  }

  /** Commits the records of these accounts (and the unit record) as one batch; `said` is the
   *  event-log text of the money entries in it, kept with them so that boot can log what a
   *  power cut kept from reaching the event log. */
  save(core: Core, accounts: number[], unit: boolean, tokens: TokenStates, said?: string): boolean {
    if (this.store.readOnly) return true;
    const recs: JournalRecord[] = [];
    for (let i = 0; i < accounts.length; i++) {
      const name = core.cfg.accounts[accounts[i]].name;
      recs.push({ name: name, data: encodeAccount(core, accounts[i], tokens[name] || null, FORMAT) });
    }
    if (unit) recs.push({ name: '', data: encodeUnit(core, this.store.configGen) });
    // With the number the event log will give the first of them: they are the next entries.
    if (said) recs.push({ name: '!', data: bytesOf(this.store.events.seq + 1 + '\n' + said) });
    const r = this.store.journal.commit(recs);
    if (!r.ok) return this.failed('saving', r);
    this.error = '';
    return true;
  }

  /** Commits a new configuration: its text into the free slot, then one batch with the unit
   *  record naming it and an empty record for every account that is gone (so an account
   *  opened again later under the same name starts from zero). */
  config(text: string, next: Core, gone: string[]): boolean {
    if (this.store.readOnly) return true;
    const w = this.store.writeConfig(text);
    if (!w.ok) return this.failed('saving the configuration', w);
    const recs: JournalRecord[] = [{ name: '', data: encodeUnit(next, w.value) }];
    for (let i = 0; i < gone.length; i++) recs.push({ name: gone[i], data: new Uint8Array(0) });
    const r = this.store.journal.commit(recs);
    if (!r.ok) return this.failed('saving the configuration', r);
    this.store.configCommitted(w.value);
    this.error = '';
    return true;
  }

  /** Factory reset: everything but the event log erased, then this configuration committed. */
  reset(text: string, next: Core): boolean {
    const f = this.store.format(true);
    if (!f.ok) return this.failed('erasing', f);
    return this.config(text, next, []);
  }

  /** Appends to the event log. */
  event(time: number, account: string, kind: string, text: string): void {
    if (!this.store.readOnly && !appendEvent(this.store.events, time, account, kind, text)) this.error = 'event log write failed';
  }

  /** The money entries of the newest commit that are not in the event log (a power cut
   *  between the commit and the log writes), to be logged now. */
  unlogged(): string[] {
    const b = this.booted as StoreBoot;
    const d = b.scan.records['!'];
    if (!d || !d.length || this.store.readOnly) return [];
    let text = '';
    for (let i = 0; i < d.length; i++) text += String.fromCharCode(d[i]);
    const lines = text.split('\n');
    const first = parseInt(lines[0], 10);
    // Logged so far: as many as the event log has gone past the number it was to give.
    const done = this.store.events.seq - first + 1;
    return done >= lines.length - 1 ? [] : lines.slice(1 + (done > 0 ? done : 0));
  }

  /** Events newest first. */
  events(f: EventFilter, max: number, fmt: (time: number, account: string, kind: string, text: string) => string): string[] {
    return readEvents(this.store.events, f, max, fmt);
  }

  /** Freeze records, newest first. */
  freezes(monthly: boolean, account: string, fromDay: number, toDay: number, max: number): Freeze[] {
    return readFreezes(monthly ? this.store.monthly : this.store.daily, account, fromDay, toDay, max);
  }

  /** Writes the freeze records due by local day `today` (the records of the day before),
   *  and completes a freeze a power cut interrupted. Returns lines for the log. */
  freeze(core: Core, today: number): string[] {
    const out: string[] = [];
    if (this.store.readOnly) return out;
    const accts = core.cfg.accounts;
    if (this.frozen < 0) {
      // Journal record '@': the day of the newest freeze and its state, 0 the first day of a
      // new unit (nothing to freeze), 1 begun, 2 done. Written before and after the records,
      // so a cut in between is completed here and nothing else is taken for one.
      const b = this.booted as StoreBoot;
      const at = b.scan.records['@'];
      const rd = at && at.length ? new Reader(at, 0, at.length) : null;
      const noted = rd ? rd.num() : -1;
      const state = rd ? rd.num() : -1;
      // A new unit starts freezing at its first midnight: no record for a partial day.
      this.frozen = noted >= 0 ? noted : today - 1;
      if (noted < 0 && !this.begin(today - 1, 0)) return out;
      if (state === 1) {
        const lf = lastFrozen(this.store.daily);
        let late = 0;
        for (let a = 0; a < accts.length; a++) {
          if (lf.day !== noted || lf.accounts.indexOf(accts[a].name) < 0) {
            appendFreeze(this.store.daily, core, a, noted, true);
            late++;
          }
        }
        if (late) out.push('daily freeze completed for ' + late + ' account(s) after a power cut');
        this.monthlyIfDue(core, noted, out);
        this.begin(noted, 2);
      }
    }
    if (today - 1 > this.frozen) {
      const day = today - 1;
      if (!this.begin(day, 1)) return out;
      for (let a = 0; a < accts.length; a++) appendFreeze(this.store.daily, core, a, day, false);
      this.frozen = day;
      this.monthlyIfDue(core, day, out);
      this.begin(day, 2);
    }
    return out;
  }

  /** Notes in the journal that the freeze of `day` begins. */
  private begin(day: number, started: number): boolean {
    const w = new Writer(4);
    w.num(day);
    w.num(started);
    const r = this.store.journal.commit([{ name: '@', data: w.out() }]);
    return r.ok ? true : this.failed('freezing', r);
  }

  /** After day `day`, a billing month ends when the next day is the billing day. */
  private monthlyIfDue(core: Core, day: number, out: string[]): void {
    const c = civilFromSeconds((day + 1) * 86400);
    if (c.day !== core.cfg.calendar.billingDay) return;
    const lf = lastFrozen(this.store.monthly);
    const accts = core.cfg.accounts;
    let n = 0;
    for (let a = 0; a < accts.length; a++) {
      if (lf.day === day && lf.accounts.indexOf(accts[a].name) >= 0) continue;
      appendFreeze(this.store.monthly, core, a, day, lf.day === day);
      n++;
    }
    if (n && lf.day === day) out.push('monthly freeze completed for ' + n + ' account(s) after a power cut');
  }
}

function bytesOf(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}
