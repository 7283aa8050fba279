// The freeze records at local midnight (the day module): every account's counters at the end
// of the day, and of the billing month when one ends, noted in the journal before and after
// so that a power cut in between is completed at the next boot.
import { Core } from '../core';
import { civilFromSeconds } from '../../hal/calendar';
import { Writer } from './bytes';
import { HEAD, UNIT } from './journal';
import { appendFreeze, lastFrozen } from './history';
import { UnitStorage, storageFailed } from './unit-storage';
import { nameAt } from '../tables';

/** Writes the freeze records due by local day `today` (the records of the day before),
 *  and completes a freeze a power cut interrupted. Returns lines for the log. */
export function freezeDay(us: UnitStorage, core: Core, today: number): string[] {
  const out: string[] = [];
  if (us.store.readOnly) return out;
  const accts = core.cfg.accounts;
  if (us.frozen < 0) {
    // Journal record '@': the day of the newest freeze and its state, 0 the first day of a
    // new unit (nothing to freeze), 1 begun, 2 done. Written before and after the records,
    // so a cut in between is completed here and nothing else is taken for one.
    const noted = us.note[0];
    const state = us.note[1];
    // A new unit starts freezing at its first midnight: no record for a partial day.
    us.frozen = noted >= 0 ? noted : today - 1;
    if (noted < 0 && !begin(us, today - 1, 0)) return out;
    if (state === 1) {
      const lf = lastFrozen(us.store.daily);
      let late = 0;
      for (let a = 0; a < accts.n; a++) {
        if (lf.day !== noted || lf.accounts.indexOf(nameAt(accts.names, a)) < 0) {
          appendFreeze(us.store.daily, core, a, noted, true);
          late++;
        }
      }
      if (late) out.push('daily freeze completed for ' + late + ' account(s) after a power cut');
      monthlyIfDue(us, core, noted, out);
      begin(us, noted, 2);
    }
  }
  if (today - 1 > us.frozen) {
    const day = today - 1;
    if (!begin(us, day, 1)) return out;
    for (let a = 0; a < accts.n; a++) appendFreeze(us.store.daily, core, a, day, false);
    us.frozen = day;
    monthlyIfDue(us, core, day, out);
    begin(us, day, 2);
  }
  return out;
}

/** Notes in the journal that the freeze of `day` begins. */
function begin(us: UnitStorage, day: number, started: number): boolean {
  // The record '@' laid out in place: name, data length (at most 9 bytes: one), the day and
  // how far its freeze got.
  const w = new Writer(16 + 2 * UNIT, HEAD);
  w.str('@');
  w.u16(0);
  w.num(day);
  w.num(started);
  w.b[HEAD + 2] = w.n - HEAD - 4;
  const r = us.store.journal.commit(w, ['@']);
  return r.ok ? true : storageFailed(us, 'freezing', r);
}

/** After day `day`, a billing month ends when the next day is the billing day. */
function monthlyIfDue(us: UnitStorage, core: Core, day: number, out: string[]): void {
  const c = civilFromSeconds((day + 1) * 86400);
  if (c.day !== core.cfg.calendar.billingDay) return;
  const lf = lastFrozen(us.store.monthly);
  const accts = core.cfg.accounts;
  let n = 0;
  for (let a = 0; a < accts.n; a++) {
    if (lf.day === day && lf.accounts.indexOf(nameAt(accts.names, a)) >= 0) continue;
    appendFreeze(us.store.monthly, core, a, day, lf.day === day);
    n++;
  }
  if (n && lf.day === day) out.push('monthly freeze completed for ' + n + ' account(s) after a power cut');
}
