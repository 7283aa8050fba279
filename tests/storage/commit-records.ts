// Commits records given as { name, data } (the firmware lays a batch out in place in one buffer).
import { Writer } from '../../firmware/storage/bytes';
import { HEAD, Journal, JournalRecord, UNIT } from '../../firmware/storage/journal';
import { Result } from '../../hal/result';
import { encodeAccount } from '../../firmware/storage/records';

/** The records as one batch, as Journal.commit(recs) did before batches were laid out in place. */
export function commitRecords(j: Journal, recs: JournalRecord[]): Result<true> {
  const w = new Writer(2 * UNIT, HEAD);
  for (const r of recs) {
    w.str(r.name);
    w.u16(r.data.length);
    w.bytes(r.data);
  }
  return j.commit(
    w,
    recs.map((r) => r.name),
  );
}

/** An account's record in a buffer of its own (the unit's commits lay it out in the batch). */
export function accountBytes(...a: [Parameters<typeof encodeAccount>[0], number, Parameters<typeof encodeAccount>[2], number]): Uint8Array {
  const w = new Writer(96);
  encodeAccount(a[0], a[1], a[2], a[3], w);
  return w.out();
}

/** Bytes as a configuration source for writeConfig (which takes what writes them into a Writer). */
export function source(b: Uint8Array): (w: Writer) => void {
  return function (w: Writer) {
    for (let i = 0; i < b.length; i++) w.u8(b[i]);
  };
}
