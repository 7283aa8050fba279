// What the uplink has still to send, for its log lines and the console's `status` (here, not in
// the uplink's module: the console's reads it without loading the uplink's code).
import type { Unit } from '../unit';
import type { SlotRing } from '../storage/slot-ring';
import type { UplinkState } from './service';
import { PER_SLOT } from './readings';

/** The rings the uplink sends from: interval readings, money entries, events (the order of
 *  UplinkState.sent). */
export function upRings(u: Unit): SlotRing[] {
  const st = (u.storage as NonNullable<Unit['storage']>).store;
  return [st.readings, st.money, st.events];
}

/** Items of each ring not yet acknowledged (those a ring wrote over are not counted). */
export function unsent(u: Unit, s: UplinkState): number[] {
  const r = upRings(u);
  const w: number[] = [];
  for (let i = 0; i < 3; i++) w.push(r[i].seq - Math.max(s.sent[i], r[i].seq - r[i].slots));
  return w;
}

/** Hours of interval readings the EEPROM holds for this unit's meters. */
export function backlogHours(u: Unit): number {
  const r = upRings(u)[0];
  return Math.floor(((r.slots / (Math.ceil(u.cfg.meters.n / PER_SLOT) || 1)) * parseInt(u.cfg.uplink as string, 10)) / 60);
}

/** "readings 3, ledger 1, events 4" (the log's lines, which a slot of the event log holds). */
export function unsentText(u: Unit, s: UplinkState): string {
  const w = unsent(u, s);
  return 'readings ' + w[0] + ', ledger ' + w[1] + ', events ' + w[2];
}

/** "readings 3, ledger 1, events 4 waiting; the EEPROM holds 16 h of readings". */
export function waiting(u: Unit, s: UplinkState): string {
  if (!u.storage) return 'no EEPROM: nothing is kept for the head-end';
  return unsentText(u, s) + ' waiting; the EEPROM holds ' + backlogHours(u) + ' h of readings';
}

/** The console's status line: "in a session", "last session 3 min ago", "down for 12 min" (the
 *  sessions since failed), what waits, commands refused. */
export function uplinkStatus(u: Unit): string {
  const s = u.up;
  if (!s || !s.sent) return 'UPLINK   no session yet';
  const m = function (t: number): number {
    return Math.round((u.hal.clock.now() - t) / 60000);
  };
  const d = s.on ? 'in a session' : s.downAt >= 0 ? 'down for ' + m(s.downAt) + ' min' : 'last session ' + m(s.okAt) + ' min ago';
  return 'UPLINK   ' + d + ', ' + waiting(u, s) + (s.refused ? '; ' + s.refused + ' commands refused' : '');
}
