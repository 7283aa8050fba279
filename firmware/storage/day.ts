// The day module (firmware/modules.ts): loaded at the first event of a new local day, it writes
// the freeze records of the day before (and of the billing month when one ended) and logs
// what it did. Between midnights none of its code is in the heap.
import type { Unit } from '../unit';
import { freezeDay } from './freeze';

/** The day module's entry: the freeze records due by local day `today`. */
export type DayEntry = (u: Unit, today: number) => void;

/** Writes the freeze records due by local day `today`. */
export function newDay(u: Unit, today: number): void {
  if (!u.storage) return;
  const lines = freezeDay(u.storage, u.core, today);
  for (let i = 0; i < lines.length; i++) u.log(-1, 'freeze', lines[i]);
}
