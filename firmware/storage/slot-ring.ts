// A ring of fixed-size slots (event log, freeze records). Each slot carries a sequence
// number and a CRC, so a slot torn by a power cut is simply not there, and the newest
// valid sequence number is the head after a reboot. The ring wraps over its oldest slots,
// which spreads the writes over the whole region.
import { Eeprom } from '../../hal/eeprom';
import { Result, fail, ok } from '../../hal/result';
import { crc32, putU32, u32At } from '../lib/crc32';

/** The ring. Slot layout: seq (4 bytes) | payload | CRC-32 over both. */
export class SlotRing {
  /** Sequence number of the newest slot (0: empty). */
  seq = 0;
  /** Slot the next entry goes to. */
  next = 0;
  /** Slots found with a good sequence number but a bad CRC at the last scan. */
  corrupt = 0;

  constructor(private ee: Eeprom, private start: number, readonly slots: number, readonly size: number) {}

  /** The payload of slot i and its sequence number, or null when the slot is blank or bad. */
  get(i: number): { seq: number; data: Uint8Array } | null {
    const r = this.ee.read(this.start + i * this.size, this.size);
    if (!r.ok) return null;
    const b = r.value;
    const n = this.size;
    const seq = u32At(b, 0);
    if (seq === 0xffffffff || seq === 0) return null;
    if (crc32(b, 0, n - 4) !== u32At(b, n - 4)) {
      this.corrupt++;
      return null;
    }
    return { seq: seq, data: new Uint8Array(b.buffer, b.byteOffset + 4, n - 8) };
  }

  /** Forgets every slot: the region has just been erased. */
  clear(): void {
    this.seq = 0;
    this.next = 0;
    this.corrupt = 0;
  }

  /** Finds the head by scanning every slot. */
  open(): void {
    this.clear();
    for (let i = 0; i < this.slots; i++) {
      const s = this.get(i);
      if (s && s.seq > this.seq) {
        this.seq = s.seq;
        this.next = (i + 1) % this.slots;
      }
    }
  }

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

  /** Calls fn with slots newest first until it returns false. */
  newest(fn: (data: Uint8Array, seq: number) => boolean): void {
    for (let k = 1; k <= this.slots; k++) {
      const s = this.get((this.next - k + this.slots) % this.slots);
      if (s && s.seq <= this.seq && s.seq > this.seq - this.slots && !fn(s.data, s.seq)) return;
    }
  }
}
