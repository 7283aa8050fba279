// The uplink's resident hook: at each tick of the unit it starts the uplink (module `upl`,
// uplink/service.ts) once the unit has an `uplink` section and a link to a broker, starts it again
// when the section changed, stops it when it is gone, and otherwise lets it send what waits. A
// stopped uplink stays on the unit: one started after it takes over its numbers.
import type { Unit } from '../unit';

export function uplinkTick(u: Unit): void {
  const s = u.up;
  if (s && s.conf && s.conf !== u.cfg.uplink) s.stop();
  if (!u.hal.openUplink || !u.cfg.uplink) return;
  if (s && s.conf) s.pump();
  else u.hal.load('upl')(u);
}
