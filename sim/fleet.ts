// A fleet of simulated units reporting to a head-end through a real MQTT broker (issue 13): each
// unit a dormitory floor (sim/scenarios/dormitory-floor.json, its own seed) with an `uplink`
// section, its link a real TCP connection to the broker for each of its sessions, cut by outages
// drawn at random (a share of the time, each up to a number of hours). The units' clocks are
// virtual and run in lockstep, 30 s a step; after each step the fleet waits (real time) until
// every session has connected and sent what it has and every message in flight has had its
// answer, so that the units' time limits, which are virtual, are not run out by the broker's
// real latency. The head-end is the operator's own code
// (tools/headend/headend.ts), in this process. At the end every unit's own records are compared
// with what the head-end's database holds: readings, ledger entries, events, balances.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { Link } from '../hal/link';
import type { Unit } from '../firmware/unit';
import { slotAt } from '../firmware/storage/slot-scan';
import { Reader } from '../firmware/storage/bytes';
import { moneyEntry } from '../firmware/storage/history';
import { uplinkTick } from '../firmware/uplink/tick';
import { Headend } from '../tools/headend/headend';
import type { UnitKey } from '../tools/headend/store';
import { mulberry32 } from './prng';
import { parseScenario } from './scenario';
import { Simulation } from './runner';

const FLOOR = path.join(__dirname, 'scenarios', 'dormitory-floor.json');

export interface FleetOptions {
  /** the broker: its port, and its host (127.0.0.1 when not given) */
  port: number;
  host?: string;
  floors: number;
  days: number;
  seed: number;
  /** interval readings, minutes (the `uplink` section's) */
  intervalMinutes?: number;
  /** share of the time each unit's link is down, and the longest outage (hours) */
  outageShare?: number;
  maxOutageHours?: number;
  /** top-ups the head-end sends each unit, at random times */
  topups?: number;
  /** after the days, hours with the link up for what waits to go */
  drainHours?: number;
  /** called after each simulated hour (progress, broker restarts) */
  onHour?: (hour: number) => Promise<void> | void;
  /** the head-end is the operator's own process (`npm run headend -- serve`): none is started
   *  here, no top-up sent, nothing compared */
  external?: boolean;
  /** simulated seconds per real second at most (none: as fast as it goes) */
  pace?: number;
}

/** The fleet's units: ids floor01.. and keys derived from the seed. */
export function fleetUnits(floors: number, seed: number): UnitKey[] {
  const out: UnitKey[] = [];
  for (let i = 0; i < floors; i++) {
    const id = 'floor' + String(i + 1).padStart(2, '0');
    out.push({ id, key: Uint8Array.from(crypto.createHash('sha256').update('fleet ' + seed + ' ' + id).digest().subarray(0, 16)) });
  }
  return out;
}

/** Outages [from, to) in seconds from the start, covering `share` of `seconds`, each at most
 *  `maxS` (and at least a quarter hour), spread at random. */
export function outages(rnd: () => number, seconds: number, share: number, maxS: number): [number, number][] {
  const lengths: number[] = [];
  let down = 0;
  const target = seconds * share;
  while (down < target) {
    const l = Math.min(Math.round(900 + rnd() * (maxS - 900)), target - down);
    lengths.push(l);
    down += l;
  }
  // the up time cut into len + 1 gaps at random points
  const up = seconds - down;
  const cuts = lengths.map(() => Math.floor(rnd() * up)).sort((a, b) => a - b);
  const out: [number, number][] = [];
  let t = 0;
  let prev = 0;
  for (let i = 0; i < lengths.length; i++) {
    t += cuts[i] - prev;
    prev = cuts[i];
    out.push([t, t + lengths[i]]);
    t += lengths[i];
  }
  return out;
}

/** What one unit sent and what the head-end holds of it. */
export interface FloorReport {
  id: string;
  outages: number;
  downHours: number;
  /** readings (a meter at an interval's end): taken by the unit, at the head-end */
  readings: [number, number];
  /** interval ends in the run, and the unit's interval slots */
  intervals: [number, number];
  /** ledger entries and events: the unit's (its rings' numbers), at the head-end, differing */
  ledger: [number, number, number];
  events: [number, number, number];
  /** items the unit's rings wrote over before they went up (it logs them) */
  lost: number;
  /** accounts whose last balance at the head-end is not the unit's */
  balancesOff: number;
  /** head-end top-ups: sent, taken, and the longest wait (s) from the link being up */
  topups: [number, number, number];
  /** messages the head-end stored from the unit */
  messages: number;
}

export interface FleetReport {
  floors: FloorReport[];
  /** items the head-end had already and dropped; messages it refused, by reason (a copy of a
   *  message it has: `replay`, the broker's second delivery or the unit's resending) */
  duplicatesDropped: number;
  refused: { [why: string]: number };
  realSeconds: number;
}

/** Runs the fleet against the broker; the head-end is started here (in memory) unless external. */
export async function runFleet(o: FleetOptions): Promise<FleetReport> {
  const started = Date.now();
  const units = fleetUnits(o.floors, o.seed);
  const iv = o.intervalMinutes || 15;
  const days = o.days;
  const drainH = o.drainHours ?? 6;
  const host = o.host || '127.0.0.1';
  const headend = o.external ? null : await Headend.start({ broker: 'mqtt://' + host + ':' + o.port, units, db: null, resendMs: 5000, session: 'fleet-headend' });
  const raw = JSON.parse(fs.readFileSync(FLOOR, 'utf8'));
  const floors = units.map((k, i) => {
    const r = JSON.parse(JSON.stringify(raw));
    r.durationHours = days * 24 + drainH;
    // (steps no longer than the client's answer limit, 30 s: an answer is awaited between steps)
    r.stepSeconds = 30;
    r.seed = o.seed * 100 + i;
    r.config.uplink = { id: k.id, key: Buffer.from(k.key).toString('hex'), intervalMinutes: iv, keepAliveSeconds: 120 };
    const p = parseScenario(r);
    if (!p.ok) throw new Error(p.errors.join('; '));
    const rnd = mulberry32(o.seed * 7 + i);
    const cuts = outages(rnd, days * 86400, o.outageShare ?? 0.2, (o.maxOutageHours ?? 12) * 3600);
    const f = { id: k.id, start: p.value.start, cuts, sock: null as net.Socket | null, sim: null as unknown as Simulation, upSince: -1, topupAt: [] as number[], sent: [] as { seq: number; at: number }[], waits: [] as number[] };
    const down = (): boolean => {
      const t = f.sim ? f.sim.unit.time() - f.start : 0;
      for (const c of f.cuts) if (t >= c[0] && t < c[1]) return true;
      return false;
    };
    const open = (data: (s: string) => void, closed: () => void): Link | null => {
      if (down()) return null;
      const s = net.connect(o.port, host);
      s.setNoDelay(true);
      f.sock = s;
      s.on('data', (b) => data(b.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => {
        if (f.sock === s) f.sock = null;
        closed();
      });
      return { write: (x) => s.write(Buffer.from(x, 'latin1')), close: () => s.destroy() };
    };
    f.sim = new Simulation(p.value, () => undefined, undefined, { openUplink: open });
    f.topupAt = Array.from({ length: headend ? (o.topups ?? 3) : 0 }, () => Math.floor(rnd() * days * 86400)).sort((a, b) => a - b);
    return Object.assign(f, { down });
  });
  // Waiting for, in a unit's session: its connection, an answer to it, what it has still to send
  // (its state last), a command it runs, a command sent to it.
  const busy = (): boolean =>
    floors.some((f) => {
      const up = f.sim.unit.up;
      return !!up && ((!!up.on && (!up.client || up.client.awaiting() || !up.told || f.sent.some((x) => x.seq > up.taken))) || up.running);
    });
  const settle = async (): Promise<void> => {
    const t0 = Date.now();
    do await new Promise((r) => setImmediate(r));
    while (busy() && Date.now() - t0 < 3000);
  };
  let hour = 0;
  while (!floors.every((f) => f.sim.finished())) {
    for (const f of floors) {
      if (f.sim.finished()) continue;
      f.sim.step();
      const t = f.sim.unit.time() - f.start;
      if (f.down() && f.sock) f.sock.destroy();
      const on = !f.down();
      if (on && f.upSince < 0) f.upSince = t;
      if (!on) f.upSince = -1;
      while (f.topupAt.length && f.topupAt[0] <= t) {
        f.topupAt.shift();
        const seq = await (headend as Headend).send(f.id, 'topup R3' + String(1 + Math.floor(Math.random() * 32)).padStart(2, '0') + ' 20');
        f.sent.push({ seq, at: t });
      }
    }
    await settle();
    if (o.pace) {
      const ahead = (floors[0].sim.unit.time() - floors[0].start) / o.pace - (Date.now() - started) / 1000;
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead * 1000));
    }
    // a top-up's wait: from its sending, or the link coming up after it, to the unit running it
    for (const f of floors) {
      const t = f.sim.unit.time() - f.start;
      const up = f.sim.unit.up;
      for (const s of f.sent) if (up && s.seq <= up.taken && f.waits[s.seq] === undefined) f.waits[s.seq] = t - Math.max(s.at, f.upSince >= 0 ? f.upSince : t);
    }
    const h = Math.floor((floors[0].sim.unit.time() - floors[0].start) / 3600);
    if (h !== hour) {
      hour = h;
      if (o.onHour) await o.onHour(h);
    }
  }
  // a last session: what waits reaches the head-end, the newest state of every account among it
  for (const f of floors) {
    const up = f.sim.unit.up;
    if (up && up.on && up.pump) {
      up.told = false;
      up.pump();
    } else if (up) {
      up.soon = true;
      uplinkTick(f.sim.unit);
    }
  }
  for (let i = 0; i < 20 && busy(); i++) await settle();
  await new Promise((r) => setTimeout(r, 500));
  if (!headend) {
    for (const f of floors) {
      const up = f.sim.unit.up;
      if (up && up.stop) up.stop();
      if (f.sock) f.sock.destroy();
    }
    return { floors: [], duplicatesDropped: 0, refused: {}, realSeconds: (Date.now() - started) / 1000 };
  }
  const report: FleetReport = { floors: floors.map((f) => compare(f.id, f.sim.unit, headend, f.cuts, [f.start, f.sim.unit.time()], iv, f.sent.length, f.waits)), duplicatesDropped: 0, refused: {}, realSeconds: 0 };
  for (const s of headend.store.unitStates()) {
    report.duplicatesDropped += s.dropped.readings + s.dropped.ledger + s.dropped.events;
    for (const k of Object.keys(s.refusals)) report.refused[k] = (report.refused[k] || 0) + s.refusals[k];
  }
  for (const f of floors) {
    const up = f.sim.unit.up;
    if (up && up.stop) up.stop();
    if (f.sock) f.sock.destroy();
  }
  await headend.stop();
  report.realSeconds = (Date.now() - started) / 1000;
  return report;
}

/** One unit's records against the head-end's. */
function compare(id: string, u: Unit, h: Headend, cuts: [number, number][], span: [number, number], iv: number, topups: number, waits: number[]): FloorReport {
  // the interval ends the run passed (the unit takes each at its first event after it)
  const intervals = Math.floor(span[1] / (iv * 60)) - Math.ceil(span[0] / (iv * 60)) + 1;
  const st = (u.storage as NonNullable<Unit['storage']>).store;
  const n = u.cfg.meters.n;
  const rows = h.store.readings(id);
  const atHeadend = new Set(rows.map((r) => r.rseq + ' ' + r.idx)).size;
  const ledger = h.store.ledger(id);
  const events = h.store.events(id);
  // what the unit's rings still hold must be what the head-end has under the same numbers
  const names = u.cfg.accounts.names;
  let ledgerOff = 0;
  const lm = new Map(ledger.map((l) => [l.mseq, l]));
  for (let q = Math.max(1, st.money.seq - st.money.slots + 1); q <= st.money.seq; q++) {
    const m = moneyEntry(st.money, q, names);
    if (!m) continue;
    const l = lm.get(q);
    if (!l || l.t !== m.t || l.entry !== m.d.seq || l.amount !== m.d.value || l.balance !== m.d.balance || l.account !== m.a || l.kind !== m.d.code) ledgerOff++;
  }
  let eventsOff = 0;
  const em = new Map(events.map((e) => [e.eseq, e]));
  for (let k = 0; k < st.events.slots; k++) {
    const x = slotAt(st.events, k);
    if (!x) continue;
    const r = new Reader(x.data, 0, x.data.length);
    const t = r.u32();
    const e = em.get(x.seq);
    if (!e || e.t !== t || e.account !== r.str() || e.kind !== r.str() || e.text !== r.str()) eventsOff++;
  }
  let balancesOff = 0;
  const bal = h.store.balances(id);
  const an = names.split(' ');
  for (let a = 0; a < u.cfg.accounts.n; a++) {
    const b = bal.find((x) => x.account === an[a]);
    if (!b || b.balance !== u.core.balance[a]) balancesOff++;
  }
  const up = u.up;
  const w = waits.filter((x) => x !== undefined);
  return {
    id,
    outages: cuts.length,
    downHours: Math.round(cuts.reduce((s, c) => s + c[1] - c[0], 0) / 360) / 10,
    readings: [st.readings.seq * n, atHeadend],
    intervals: [intervals, st.readings.seq],
    ledger: [st.money.seq, new Set(ledger.map((l) => l.mseq)).size, ledgerOff],
    events: [st.events.seq, new Set(events.map((e) => e.eseq)).size, eventsOff],
    lost: up ? up.lost : 0,
    balancesOff,
    topups: [topups, w.length, w.length ? Math.max(...w) : 0],
    messages: (h.store.unitStates().find((x) => x.id === id) || { stored: 0 }).stored,
  };
}
