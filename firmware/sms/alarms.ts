// The texts the unit sends on its own (seed 002: low credit, supply cut and restored), to the
// account's users and to every administrator, made from the decisions the unit logged (its
// event log in the EEPROM is their queue: a power cut loses none). A low-credit warning goes at
// most once in ALARM_GAP_S per account (a balance hovering at a level would otherwise text all
// night); a cut and a restoration always go.
import { formatMoney } from '../console/words';
import { SmsPhone } from './commands';

/** Shortest time between two low-credit texts for one account, seconds. */
export const ALARM_GAP_S = 6 * 3600;

/** The text for an event-log entry (kind, account name, text as the unit logged a decision:
 *  "alarm a0 L1 bal 4000", "relay a0 open credit"), or null when it is not one to send: the
 *  texts the unit sends on its own are made from its log, so they wait in the EEPROM with it. */
export function alarmFromLog(kind: string, name: string, text: string): string | null {
  const w = text.split(' ');
  if (kind === 'alarm' && w[0] === 'alarm') return name + ': low credit, balance ' + formatMoney(+w[4]) + ' (level ' + w[2].substr(1) + '). Please top up.';
  if (kind !== 'relay' || w[0] !== 'relay') return null;
  if (w[2] === 'open' && (w[3] === 'overload' || w[3] === 'overload-lockout')) return name + ': power cut, overload.';
  // a cut for want of credit comes with a reading, a charge or the end of a friendly window
  if (w[2] === 'open' && (w[3] === 'credit' || w[3] === 'friendly-end')) return name + ': power cut, no credit. Top up to restore.';
  if (w[2] === 'close' && w[3] === 'topup') return name + ': power restored.';
  return null;
}

/** Who gets the texts of account a: its users, then every administrator. */
export function alarmNumbers(phones: SmsPhone[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < phones.length; i++) if (!phones[i].admin && phones[i].accounts.indexOf(name) >= 0) out.push(phones[i].number);
  for (let i = 0; i < phones.length; i++) if (phones[i].admin && out.indexOf(phones[i].number) < 0) out.push(phones[i].number);
  return out;
}

/** Whether a text for account a may go at nowS (alarm: a low-credit one; last: the time of each
 *  account's last low-credit text, kept by the caller), and notes it when it may. Cuts and
 *  restorations always go. */
export function alarmDue(alarm: boolean, a: number, last: number[], nowS: number): boolean {
  if (!alarm) return true;
  const t = last[a];
  // (an entry read again, its texts not all gone last time, is not newer than the one noted)
  if (t !== undefined && nowS > t && nowS - t < ALARM_GAP_S) return false;
  if (t === undefined || nowS > t) last[a] = nowS;
  return true;
}
