// The uplink's journal record (two spaces, storage/unit-storage.ts UP_RECORD): the message
// numbers used up to, the last command number taken, the three rings' numbers acknowledged.
import type { Unit } from '../unit';
import type { UplinkState } from './service';

/** Commits the record (UnitStorage.saveUp); with `later`, only made ready for the next commit. */
export function saveUp(u: Unit, s: UplinkState, later?: boolean): boolean {
  const st = u.storage;
  return !st || (st.saveUp as NonNullable<typeof st.saveUp>)(s, later);
}
