// One SMS session of the unit: the modem session (hal/modem.ts) with the unit's side of it.
// Messages read are answered on the unit (sms/service.ts: an inquiry at once, a change put on the
// list the unit runs after the session, sms/asked.ts, its message kept in the SIM until then) and
// their receipts go to the outbox (a change's in the next session), which is sent first and kept for the next session when the network does not take it all; then the
// texts the unit sends on its own, made from its event log after the sequence number it keeps
// (sms/alarms.ts), each to the account's users and the administrators. The kept number moves
// past an entry only once every text of it has gone (or was refused for good), so an entry whose
// texts did not all go is taken again next session: a recipient may then get one twice, none is
// lost. The caller (sms/run.ts) opens the modem's line and keeps `SmsSetup`, the outbox, the SIM
// slots to delete and the sequence number.
import { ModemReport, ModemSession } from '../../hal/modem';
import { eventsAfter } from '../storage/history';
import { nameIndex } from '../tables';
import type { Unit } from '../unit';
import type { SmsOut } from './asked';
import { alarmDue, alarmFromLog, alarmNumbers } from './alarms';
import { SmsSetup, smsMessage } from './service';

/** Log entries looked at for texts in one session (most are not texts), and texts queued at most
 *  (the modem session sends three; the rest wait for the next). */
const ENTRIES = 16;
const TEXTS = 6;
/** Receipts (and test messages) kept for later sessions at most, and the tries each gets. */
export const OUTBOX = 8;
const TRIES = 5;

export interface SmsSessionOptions {
  /** Bytes to the modem's UART, and its power. */
  write: (s: string) => void;
  power: (on: boolean) => void;
  cycle?: boolean;
  lte?: boolean;
  /** The event log's sequence number up to which the unit's own texts have gone. */
  sent: number;
  /** Each account's last low-credit text (unit time, s), kept between sessions. */
  lastAlarm: number[];
  /** Messages to send first, kept between sessions (receipts not yet sent, a technician's test
   *  message): those that went, or were refused for good, are taken off it; receipts of this
   *  session's messages are added to it. */
  first: SmsOut[];
  /** Slots of the SIM whose messages are done with (ModemSessionOptions.drop). */
  drop?: number[];
  /** The session's end: its report and the sequence number to keep. */
  done: (r: ModemReport, sent: number) => void;
}

/** Opens a session on unit u with setup s; feed() it the UART's bytes until done is called. */
export function smsSession(u: Unit, s: SmsSetup, o: SmsSessionOptions): ModemSession {
  const out: { to: string; text: string; seq: number }[] = [];
  // per log entry queued: texts still to go
  const left: { [seq: number]: number } = {};
  const seqs: number[] = [];
  let cur = -1;
  let queued = false;
  // the network refused one of the outbox: the rest wait for the next session
  let refused = false;
  const ownTexts = function (): void {
    queued = true;
    if (!u.storage) return;
    let n = 0;
    eventsAfter(u.storage.store.events, o.sent, ENTRIES, function (q: number, t: number, a: string, k: string, x: string) {
      // once enough is queued, later entries are not taken (the kept number stops before them)
      if (n >= TEXTS) return;
      seqs.push(q);
      left[q] = 0;
      const m = alarmFromLog(k, a, x);
      if (!m || !alarmDue(k === 'alarm', nameIndex(u.cfg.accounts.names, a), o.lastAlarm, t)) return;
      const to = alarmNumbers(s.phones, a);
      for (let i = 0; i < to.length; i++) out.push({ to: to[i], text: m, seq: q });
      left[q] = to.length;
      n += to.length;
    });
  };
  return new ModemSession({
    clock: u.hal.clock,
    write: o.write,
    power: o.power,
    cycle: o.cycle,
    lte: o.lte,
    drop: o.drop,
    onSms: function (from: string, text: string, time: string, slot: number) {
      return smsMessage(u, s, from, text, slot, function (r: string) {
        // (a full outbox drops its oldest: the heap is bounded; the operation itself is in the log)
        if (o.first.length >= OUTBOX) o.first.shift();
        o.first.push({ to: from, text: r });
      });
    },
    nextOut: function () {
      const f = o.first;
      if (f.length && !refused) {
        cur = -2;
        return f[0];
      }
      // the outbox first (receipts, a test message), then the unit's own texts
      if (!out.length && !queued) ownTexts();
      const m = out.shift();
      cur = m ? m.seq : -1;
      return m ? { to: m.to, text: m.text } : null;
    },
    onSent: function (err: string | null) {
      // gone, or refused for good ('number', 'text'): done with; else it waits for next time
      const gone = !err || err === 'number' || err === 'text';
      const f = o.first;
      if (cur === -2) {
        // tried again in a later session, behind the others, at most TRIES times in all
        const m = f.shift() as { to: string; text: string; n?: number };
        m.n = (m.n || 0) + 1;
        if (!gone && m.n < TRIES) f.push(m);
        refused = !gone;
      }
      if (cur >= 0 && gone) left[cur]--;
    },
    done: function (r: ModemReport) {
      let sent = o.sent;
      for (let i = 0; i < seqs.length && !(left[seqs[i]] > 0); i++) sent = seqs[i];
      // a session that never came to its own texts (not registered, silent) keeps the number
      o.done(r, queued ? sent : o.sent);
    },
  });
}
