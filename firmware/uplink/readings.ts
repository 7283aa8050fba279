// Interval readings for the uplink (resident, small): at the first event after each interval's
// end (the configuration's `uplink.intervalMinutes`, on UTC), every meter's register as the unit
// last read it goes into the EEPROM's ring of interval readings (format 5, storage/store.ts), to
// wait there until the head-end has it (uplink/service.ts). Taken before the event is billed, so
// they are the registers at the interval's end. Not while the time is not valid (an interval
// has no end then), nor on a part without the ring (64 KB or less, or kept in format 4).
import type { Unit } from '../unit';
import { Writer } from '../storage/bytes';

/** Meters in one slot: a 256-byte slot's 248 bytes of payload, less the 9 of its head. */
export const PER_SLOT = 59;

/** Takes the readings of the interval that ended at or before UTC second t, once. A slot: the
 *  interval's end (u32), the configuration generation (u16: which meter list the indexes are
 *  of), the first meter's index (u16), the count (u8), then each meter's import register in Wh
 *  (u32; 0xFFFFFFFF: not read yet). */
export function takeReadings(u: Unit, t: number): void {
  const st = u.storage;
  if (!st || !u.timeValid || !u.cfg.uplink) return;
  const s = st.store;
  const ring = s.readings;
  if (!ring.slots || s.readOnly || s.format) return;
  const iv = parseInt(u.cfg.uplink, 10) * 60;
  const end = t - (t % iv);
  if (u.readAt === undefined) {
    // (the newest slot's time: the intervals taken before a reboot are not taken again)
    const x = ring.seq ? s.ee.read(ring.start + ((ring.next + ring.slots - 1) % ring.slots) * ring.size + 4, 4) : null;
    u.readAt = x && x.ok ? x.value[0] + x.value[1] * 256 + x.value[2] * 65536 + x.value[3] * 16777216 : 0;
  }
  if (end <= u.readAt) return;
  u.readAt = end;
  const core = u.core;
  const n = core.cfg.meters.n;
  for (let first = 0; first < n; first += PER_SLOT) {
    const k = n - first < PER_SLOT ? n - first : PER_SLOT;
    const w = new Writer(9 + 4 * k);
    w.u32(end);
    w.u16(s.configGen & 65535);
    w.u16(first);
    w.u8(k);
    for (let i = first; i < first + k; i++) w.u32(core.has[i] ? core.lastImp[i] : 0xffffffff);
    if (!ring.append(w.out()).ok) st.error = 'interval readings write failed';
  }
}
