// What the unit keeps in EEPROM and when: the committed configuration, one journal record
// per account (written in the same batch as the event that changed it, before the unit acts
// on it), the unit record, the event log and the freeze records at local midnight. The
// commits and the event log are resident here; boot and restore (storage/restore.ts), the
// configuration's commit (storage/config-commit.ts) and the midnight freeze (storage/freeze.ts)
// are functions on this object that run in the modules needing them.
import { Eeprom } from '../../hal/eeprom';
import { Core, Decision } from '../core';
import { TokenState } from '../tokens/openpaygo';
import { HEAD, UNIT } from './journal';
import { FORMAT, Store, StoreBoot } from './store';
import { encodeAccount, encodeUnit } from './records';
import { Writer } from './bytes';
import { appendEvent, appendMoney } from './history';
import { nameAt } from '../tables';
import { UPLINK } from '../uplink/feature';
import type { UplinkState } from '../uplink/service';

/** The uplink's journal record's name: two spaces, which no account's name can be (names have
 *  none; the SMS record is one space). */
export const UP_RECORD = '  ';

/** Token state per account name. */
export type TokenStates = { [name: string]: TokenState };

/** The unit's storage. */
export class UnitStorage {
  readonly store: Store;
  booted: StoreBoot | null = null;
  /** Newest local day with daily freeze records (all accounts), -1 before the first. */
  frozen = -1;
  /** The journal's note of the newest freeze at boot: its day and state (-1, -1 when none). */
  note = [-1, -1];
  /** Last error text, '' when the last write worked. */
  error = '';
  /** The SMS service's record as boot found it, until its first session reads it (sms/state.ts). */
  smsRec?: Uint8Array;
  /** The uplink's record (uplink/service.ts): as boot found it, until the uplink starts; and
   *  the one to write with the next commit (a command's number in the batch of what it did). */
  upRec?: Uint8Array;
  upNext?: Uint8Array;
  /** Commits the uplink's record (below: built only with the uplink). */
  saveUp?: (s: UplinkState, later?: boolean) => boolean;

  constructor(ee: Eeprom) {
    this.store = new Store(ee);
  }

  /** Commits the records of these accounts (and the unit record) as one batch; `said` is the
   *  event-log text of the money entries in it (each line ending in the account's name), kept
   *  with them so that boot can log what a power cut kept from reaching the money log. */
  save(core: Core, accounts: number[], unit: boolean, tokens: TokenStates, said?: string): boolean {
    if (this.store.readOnly) return true;
    // Live records copied forward first, so that the batch's buffer is not in the heap beside
    // the copies (commit() then finds the room made).
    const rm = this.store.journal.room();
    if (!rm.ok) return storageFailed(this, 'saving', rm);
    // The accounts' records (about 100 bytes each) are encoded in place in the batch's buffer.
    const x = UPLINK ? this.upNext : undefined;
    const w = new Writer(accounts.length * 100 + 2 * UNIT + (x ? x.length + 4 : 0), HEAD);
    const names: string[] = [];
    for (let i = 0; i < accounts.length; i++) {
      const name = nameAt(core.cfg.accounts.names, accounts[i]);
      names.push(name);
      w.str(name);
      // The data's length, written once it is known.
      const at = w.n;
      w.u16(0);
      encodeAccount(core, accounts[i], tokens[name], FORMAT, w);
      const len = w.n - at - 2;
      w.b[at] = len & 255;
      w.b[at + 1] = len >> 8;
    }
    if (unit) {
      names.push('');
      const u = encodeUnit(core, this.store.configGen);
      w.str('');
      w.u16(u.length);
      w.bytes(u);
    }
    if (said) {
      names.push('!');
      // With the number the money log will give the first of them: they are its next entries.
      const s = this.store.money.seq + 1 + '\n' + said;
      w.str('!');
      w.u16(s.length);
      for (let i = 0; i < s.length; i++) w.u8(s.charCodeAt(i));
    }
    if (UPLINK && x) {
      names.push(UP_RECORD);
      w.str(UP_RECORD);
      w.u16(x.length);
      w.bytes(x);
    }
    const r = this.store.journal.commit(w, names);
    if (!r.ok) return storageFailed(this, 'saving', r);
    if (UPLINK && x === this.upNext) this.upNext = undefined;
    this.error = '';
    return true;
  }

  /** Appends to the event log, or a money entry (d: its ledger decision) to the money log; an
   *  account that is not known by name (an entry recovered at boot) is named by its index. */
  event(time: number, account: string, kind: string, text: string, d?: Decision): void {
    const st = this.store;
    if (!st.readOnly && !(d && st.money !== st.events ? appendMoney(st.money, time, account || 'a' + d.account, d, st.events.seq) : appendEvent(st.events, time, account, kind, text))) this.error = 'event log write failed';
  }
}

// The uplink's record, committed by its session (message numbers reserved, the rings' numbers the
// broker has) and by the commands run after it (the last command number taken): resident, one
// copy for the two modules. With `later` it is only made ready: the next commit takes it (a
// command's, so that its number goes in the same batch as what it did).
if (UPLINK)
  UnitStorage.prototype.saveUp = function (this: UnitStorage, s: UplinkState, later?: boolean): boolean {
    if (this.store.readOnly) return true;
    const v = [s.until, s.taken, s.sent[0], s.sent[1], s.sent[2]];
    const b = new Writer(48);
    for (let i = 0; i < v.length; i++) b.num(v[i]);
    const x = (this.upNext = b.out());
    if (later) return true;
    this.upNext = undefined;
    const w = new Writer(64 + 2 * UNIT, HEAD);
    w.str(UP_RECORD);
    w.u16(x.length);
    w.bytes(x);
    const r = this.store.journal.commit(w, [UP_RECORD]);
    if (!r.ok) return storageFailed(this, 'saving the uplink state', r);
    this.error = '';
    return true;
  };

/** Notes a failed write in us.error; false. */
export function storageFailed(us: UnitStorage, what: string, r: { ok: false; error: string; detail?: string }): false {
  us.error = what + ' failed: ' + r.error + (r.detail ? ' (' + r.detail + ')' : '');
  return false;
}
