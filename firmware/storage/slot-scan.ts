// Reading a slot ring back: its head at boot, its entries newest first (the event log and the
// freeze records on the console, the midnight freeze). Not resident: slot-ring.ts appends.
import { crc32, u32At } from '../lib/crc32';
import { SlotRing } from './slot-ring';

/** The payload of slot i and its sequence number, or null when the slot is blank or bad. */
export function slotAt(r: SlotRing, i: number): { seq: number; data: Uint8Array } | null {
  const x = r.ee.read(r.start + i * r.size, r.size);
  if (!x.ok) return null;
  const b = x.value;
  const n = r.size;
  const seq = u32At(b, 0);
  if (seq === 0xffffffff || seq === 0) return null;
  if (crc32(b, 0, n - 4) !== u32At(b, n - 4)) {
    r.corrupt++;
    return null;
  }
  return { seq: seq, data: new Uint8Array(b.buffer, b.byteOffset + 4, n - 8) };
}

/** Forgets every slot: the region has just been erased. */
export function clearRing(r: SlotRing): void {
  r.seq = 0;
  r.next = 0;
  r.corrupt = 0;
}

/** Finds the head by scanning every slot. */
export function openRing(r: SlotRing): void {
  clearRing(r);
  for (let i = 0; i < r.slots; i++) {
    const s = slotAt(r, i);
    if (s && s.seq > r.seq) {
      r.seq = s.seq;
      r.next = (i + 1) % r.slots;
    }
  }
}

/** Calls fn with slots newest first until it returns false. */
export function newest(r: SlotRing, fn: (data: Uint8Array, seq: number) => boolean): void {
  for (let k = 1; k <= r.slots; k++) {
    const s = slotAt(r, (r.next - k + r.slots) % r.slots);
    if (s && s.seq <= r.seq && s.seq > r.seq - r.slots && !fn(s.data, s.seq)) return;
  }
}
