// A ring of fixed-size slots (event log, freeze records). Each slot carries a sequence
// number and a CRC, so a slot torn by a power cut is simply not there, and the newest
// valid sequence number is the head after a reboot. The ring wraps over its oldest slots,
// which spreads the writes over the whole region. Appending is resident; reading back is in
// slot-scan.ts.
import { Eeprom } from '../../hal/eeprom';
import { Result, fail, ok } from '../../hal/result';
import { crc32, putU32 } from '../lib/crc32';

/** The ring. Slot layout: seq (4 bytes) | payload | CRC-32 over both. */
export class SlotRing {
  /** Sequence number of the newest slot (0: empty). */
  seq = 0;
  /** Slot the next entry goes to. */
  next = 0;
  /** Slots found with a good sequence number but a bad CRC at the last scan. */
  corrupt = 0;

  constructor(readonly ee: Eeprom, readonly start: number, readonly slots: number, readonly size: number) {}

  /** Writes payload (at most size - 8 bytes) into the next slot. */
  append(payload: Uint8Array): Result<true> {
    const n = this.size;
    if (payload.length > n - 8) return fail('too-big', payload.length + ' bytes for a ' + n + '-byte slot');
    const b = new Uint8Array(n);
    for (let i = 4; i < n - 4; i++) b[i] = 0xff;
    const seq = this.seq + 1;
    putU32(b, 0, seq);
    b.set(payload, 4);
    putU32(b, n - 4, crc32(b, 0, n - 4));
    const r = this.ee.write(this.start + this.next * n, b);
    if (!r.ok) return r;
    this.seq = seq;
    this.next = (this.next + 1) % this.slots;
    return ok<true>(true);
  }
}
