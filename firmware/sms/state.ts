// What the SMS service keeps between its sessions, and its record in the EEPROM's journal (named
// ' ', which no account can be: names have no spaces). The last code counter taken and the
// guard against guessed codes are kept so that a power cut can neither make a used code good
// again nor lift a lock; the event log's sequence number up to which the unit's own texts have
// gone, so that a text not yet sent waits in the log over a power cut; each account's last
// low-credit text, so that the rate limit holds over one too.
import { Reader, Writer } from '../storage/bytes';
import { HEAD, UNIT } from '../storage/journal';
import { storageFailed } from '../storage/unit-storage';
import type { Unit } from '../unit';
import type { SmsAsked, SmsOut } from './asked';
import type { CodeGuard } from './auth';

/** The journal record's name. */
export const SMS_RECORD = ' ';

export interface SmsState extends CodeGuard {
  /** The last code counter taken. */
  last: number;
  /** The event log's sequence number up to which the unit's own texts have gone. */
  sent: number;
  /** Per account (by index), its last low-credit text (unit time, s). */
  lastAlarm: number[];
  /** Sessions in a row that got no answer (the next switches the module off and on). */
  silent: number;
  /** The last session's report, as `sms status` says it. */
  said: string;
  /** Receipts not yet sent and test messages, for the next session (RAM only: a power cut
   *  loses a receipt, never the operation, which is in the log). */
  outbox: SmsOut[];
  /** Commands messages asked for, run once the session has ended (sms/asked.ts), and the SIM
   *  slots of those that ran, to delete in the next session. */
  asked: SmsAsked[];
  drop: number[];
  /** The scheduler's (sms/tick.ts): when the last session began (clock ms), whether one runs,
   *  is wanted now, or a tick waits for it, and whether a poll interval came during it. */
  at: number;
  on?: boolean;
  soon?: boolean;
  wait?: boolean;
  owed?: boolean;
  /** The modem line's own state (UnitHal.openModem). */
  line: { on?: boolean };
  /** last, wrong, until and sent as the EEPROM record holds them. */
  saved: string;
}

/** The unit's SMS state: restored from the record boot kept, else new (texts from the event
 *  log's newest entry on: a unit that never had SMS does not text its whole history). */
export function smsState(u: Unit): SmsState {
  if (u.sms && u.sms.outbox) return u.sms;
  const st = u.storage;
  const s = u.sms || ({ at: -1e12, line: {} } as SmsState);
  s.last = s.wrong = s.until = s.silent = 0;
  s.sent = st ? st.store.events.seq : 0;
  s.lastAlarm = [];
  s.said = 'no session yet';
  s.outbox = [];
  s.asked = [];
  s.drop = [];
  const rec = st && st.smsRec;
  if (rec) {
    const r = new Reader(rec, 0, rec.length);
    const v = [r.num(), r.num(), r.num(), r.num()];
    const n = r.num();
    const la: number[] = [];
    for (let i = 0; i < n && !r.bad; i++) la.push(r.num());
    if (!r.bad) {
      s.last = v[0];
      s.wrong = v[1];
      s.until = v[2];
      s.sent = v[3];
      s.lastAlarm = la;
    }
    st.smsRec = undefined;
  }
  s.saved = [s.last, s.wrong, s.until, s.sent].join();
  return (u.sms = s);
}

/** Commits the record when last, wrong, until or sent differ from what it holds; a write that
 *  fails is the unit's problem (status). */
export function keepSms(u: Unit, s: SmsState): void {
  const now = [s.last, s.wrong, s.until, s.sent].join();
  if (now === s.saved) return;
  if (saveSms(u, s)) s.saved = now;
  else u.problem();
}

/** Commits the record; false (the storage's error set) when it could not be written. */
export function saveSms(u: Unit, s: SmsState): boolean {
  const st = u.storage;
  if (!st || st.store.readOnly) return true;
  const w = new Writer(64 + 4 * s.lastAlarm.length + 2 * UNIT, HEAD);
  w.str(SMS_RECORD);
  const at = w.n;
  w.u16(0);
  const la = s.lastAlarm;
  const v = [s.last, s.wrong, s.until, s.sent, la.length];
  for (let i = 0; i < la.length; i++) v.push(la[i] || 0);
  for (let i = 0; i < v.length; i++) w.num(v[i]);
  const len = w.n - at - 2;
  w.b[at] = len & 255;
  w.b[at + 1] = len >> 8;
  const r = st.store.journal.commit(w, [SMS_RECORD]);
  if (!r.ok) return storageFailed(st, 'saving the SMS state', r);
  st.error = '';
  return true;
}
