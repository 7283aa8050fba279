// The uplink (module `upl`, live while it runs: its client's timers and callbacks hold it):
// store-and-forward from the EEPROM to the head-end, and the head-end's commands. Nothing goes up
// from RAM: interval readings (uplink/readings.ts), money entries and events are read from their
// rings, oldest first, in batches of one message; the ring sequence numbers a batch reached are
// committed once the broker has acknowledged it. A power cut or a lost acknowledgement sends a
// batch again, under a new message number: every item carries its ring's number (and time), so
// the head-end keeps it once. Commands come sealed (uplink/seal.ts) with a number above the last
// taken; each runs as its console command, and its number is committed in the same journal
// batch as what it did (a top-up's credit), so a power cut can neither run it twice nor lose it.
// The journal record (two spaces, storage/unit-storage.ts UP_RECORD): the message numbers used up
// to, the last command number taken, and the three rings' numbers acknowledged.
import type { Unit } from '../unit';
import { MqttClient } from './client';
import { openMessage, sealMessage } from './seal';
import { Reader, Writer } from '../storage/bytes';
import { HEAD, UNIT } from '../storage/journal';
import { UP_RECORD, storageFailed } from '../storage/unit-storage';
import { slotAt } from '../storage/slot-scan';
import { SlotRing } from '../storage/slot-ring';
import { moneyEntry } from '../storage/history';
import { modeList } from '../config';
import { runLine } from '../console/run-line';
import { TECHNICIAN } from '../console/shell';
import { backlogHours, unsent, unsentText, upRings } from './backlog';

/** What the uplink keeps while it runs. */
export interface UplinkState {
  /** The configuration's `uplink` string it runs with ('' once stopped: uplink/tick.ts starts it
   *  anew when the section changed). */
  conf: string;
  client: MqttClient;
  /** Ring sequence numbers the broker has: interval readings, money entries, events. */
  sent: number[];
  /** The last message number used, and the one up to which the record has them used. */
  seq: number;
  until: number;
  /** The last command number received (RAM: a copy of one waiting to run is a replay), and the
   *  last one run (kept in the record). */
  down: number;
  taken: number;
  /** A message is in flight; 'online' has gone up on this connection; the configuration
   *  generation whose meter list has. */
  fly: boolean;
  online: boolean;
  gen: number;
  /** Clock ms of the last state message (-1: one is due). */
  stateAt: number;
  /** Answers to send, and commands waiting to run (their number and line). */
  answers: string[];
  cmds: (number | string)[];
  running: boolean;
  /** Items a ring wrote over before they went up; commands refused (forged, altered, replayed,
   *  not allowed); when the link went down (clock ms, -1: up or never). */
  lost: number;
  refused: number;
  downAt: number;
  pump: () => void;
  stop: () => void;
}

/** Characters of items in one message (the board's heap holds it twice while it goes). */
const BUDGET = 1000;
/** Message numbers the record reserves at a time: a reboot skips what may have been used. */
const RESERVE = 64;
/** The console commands the head-end may send. */
const ALLOWED = ['topup', 'refund', 'correct', 'relay', 'token', 'tariff', 'acct', 'status'];

/** The module's entry: starts unit u's uplink (its configuration has an `uplink` section). */
export function uplinkStart(u: Unit): void {
  const w = (u.cfg.uplink as string).split(' ');
  const id = w[2];
  const key = new Uint8Array(16);
  for (let i = 0; i < 16; i++) key[i] = parseInt(w[3].substr(2 * i, 2), 16);
  const st = u.storage;
  const s = {
    conf: u.cfg.uplink, sent: [0, 0, 0], seq: 0, until: 0, down: 0, taken: 0, fly: false, online: false, gen: -1, stateAt: -1,
    answers: [], cmds: [], running: false, lost: 0, refused: 0, downAt: -1,
  } as unknown as UplinkState;
  const rec = st && st.upRec;
  const old = u.up;
  if (old) {
    // (the section changed: the numbers go on)
    s.until = old.until;
    s.seq = old.seq;
    s.down = old.down;
    s.taken = old.taken;
    s.sent = old.sent;
  } else if (rec) {
    const r = new Reader(rec, 0, rec.length);
    const v = [r.num(), r.num(), r.num(), r.num(), r.num()];
    if (!r.bad) {
      s.until = v[0];
      s.down = s.taken = v[1];
      s.sent = v.slice(2);
    }
    st.upRec = undefined;
  }
  // Every number up to `until` may have gone up before a reboot; without a record (a new unit,
  // a factory reset) the time's seconds are above every number used before (one a message).
  const now = u.time();
  if (!old) s.seq = s.until > now || !u.timeValid ? s.until : now;
  const topic = 'unit/' + id + '/';
  s.pump = function () {
    pump(u, s, key, topic);
  };
  s.stop = function () {
    s.conf = '';
    s.client.stop();
  };
  s.client = new MqttClient({
    clock: u.hal.clock,
    open: u.hal.openUplink as NonNullable<typeof u.hal.openUplink>,
    clientId: id,
    keepAliveS: +w[1],
    // (not retained: a head-end subscribing later would take the unit for offline while it is up)
    will: { topic: topic + 'state', payload: 'offline', qos: 1, retain: false },
    commands: topic + 'cmd',
    onCommand: function (text: string) {
      command(u, s, key, id, text);
    },
    onState: function (x: string) {
      const c = u.hal.clock.now();
      if (x === 'up') {
        s.online = false;
        s.gen = -1;
        s.stateAt = -1;
        if (s.downAt >= 0) u.log(-1, 'uplink', 'up after ' + Math.round((c - s.downAt) / 60000) + ' min; unsent: ' + unsentText(u, s));
        s.downAt = -1;
        s.pump();
      } else {
        s.downAt = c;
        u.log(-1, 'uplink', 'down; unsent: ' + unsentText(u, s));
      }
    },
  });
  u.up = s;
}

/** Sends what is next, if the link is up and nothing is in flight: 'online', an answer, the
 *  meter list, a batch, the state. */
function pump(u: Unit, s: UplinkState, key: Uint8Array, topic: string): void {
  const c = s.client;
  if (c.state !== 2 || s.fly || !u.storage) return;
  if (!s.online) {
    s.fly = c.publish(topic + 'state', 'online', function () {
      s.fly = false;
      s.online = true;
      s.pump();
    });
    return;
  }
  const now = u.hal.clock.now();
  const gen = u.storage.store.configGen;
  let p = s.answers.length ? s.answers[0] : '';
  let to: number[] | null = null;
  if (!p && s.gen !== gen) p = meterList(u, gen);
  if (!p) {
    const b = batch(u, s);
    if (b) {
      p = b[0] as string;
      to = b[1] as number[];
    }
  }
  const due = !p && (s.stateAt < 0 || now - s.stateAt >= parseInt(s.conf, 10) * 60000);
  if (due) p = state(u, s);
  if (!p) return;
  // the record first when the numbers reserved are used up
  if (s.seq + 1 > s.until) {
    const was = s.until;
    s.until = s.seq + RESERVE;
    if (!saveUp(u, s)) {
      s.until = was;
      return;
    }
  }
  const first = s.answers.length > 0;
  s.seq++;
  s.fly = c.publish(topic + 'up', sealMessage(key, topic.split('/')[1], s.seq, p), function () {
    s.fly = false;
    if (first) s.answers.shift();
    else if (to) {
      s.sent = to;
      if (!saveUp(u, s)) u.problem();
    } else if (due) s.stateAt = now;
    else s.gen = gen;
    s.pump();
  });
}

/** The meter list of configuration generation gen: {"k":"c","g":gen,"m":[names],"a":[accounts]}. */
function meterList(u: Unit, gen: number): string {
  const m = u.cfg.meters;
  const names: string[] = [];
  const accts: string[] = [];
  const an = u.cfg.accounts.names.split(' ');
  const mn = m.names.split(' ');
  for (let i = 0; i < m.n; i++) {
    names.push(mn[i]);
    accts.push(an[m.account[i]] || '');
  }
  return JSON.stringify({ k: 'c', g: gen, m: names, a: accts });
}

/** Each account's balance, relay and mode, what it has been charged and topped up, and what
 *  waits: {"k":"s","t":..,"a":[[name,balance,relay,mode,charged,toppedUp],..],"w":[r,m,e],"h":hours}. */
function state(u: Unit, s: UplinkState): string {
  const core = u.core;
  const an = u.cfg.accounts.names.split(' ');
  const a: (string | number)[][] = [];
  for (let i = 0; i < u.cfg.accounts.n; i++) a.push([an[i], core.balance[i], core.relay[i] === 1 ? 1 : 0, modeList()[core.mode[i]], core.chargedMilli[i], core.topupMilli[i]]);
  return JSON.stringify({ k: 's', t: u.time(), a: a, w: unsent(u, s), h: backlogHours(u) });
}

/** The next batch: money entries and events first (few, and what the operator looks for),
 *  then interval readings, oldest first, up to BUDGET characters: [payload, the rings' numbers
 *  it reaches], or null when nothing waits. Items a ring wrote over before they went are
 *  counted (s.lost) and logged; a slot torn by a power cut is passed over. */
function batch(u: Unit, s: UplinkState): (string | number[])[] | null {
  const rs = upRings(u);
  const to = s.sent.slice();
  const parts = ['', '', ''];
  const names = u.cfg.accounts.names;
  let len = 0;
  let any = false;
  const order = [1, 2, 0];
  for (let o = 0; o < 3; o++) {
    const i = order[o];
    const r = rs[i];
    if (to[i] > r.seq) to[i] = 0;
    if (to[i] < r.seq - r.slots) {
      const n = r.seq - r.slots - to[i];
      s.lost += n;
      u.log(-1, 'uplink', n + ' ' + ['interval readings', 'money entries', 'events'][i] + ' lost: written over unsent');
      to[i] = r.seq - r.slots;
    }
    while (to[i] < r.seq && len < BUDGET) {
      const q = to[i] + 1;
      to[i] = q;
      const item = encode(r, i, q, names);
      if (!item) continue;
      parts[i] += (parts[i] ? ',' : '') + item;
      len += item.length;
      any = true;
    }
  }
  if (!any) {
    // nothing but torn slots: their numbers are passed
    if (to.join() !== s.sent.join()) s.sent = to;
    return null;
  }
  const keys = ['r', 'm', 'e'];
  let p = '{"k":"b"';
  for (let i = 0; i < 3; i++) if (parts[i]) p += ',"' + keys[i] + '":[' + parts[i] + ']';
  return [p + '}', to];
}

/** Item q of ring rg (index i): a reading [q,t,gen,first,[Wh,..]] (-1: not read), a money
 *  entry [q,t,kind,entry,amount,balance,ref,account], an event [q,t,account,kind,text]; '' when
 *  its slot holds another or is torn. */
function encode(rg: SlotRing, i: number, q: number, names: string): string {
  if (i === 1) {
    const m = moneyEntry(rg, q, names);
    return m ? JSON.stringify([q, m.t, m.d.code, m.d.seq, m.d.value, m.d.balance, m.d.ref, m.a]) : '';
  }
  const x = slotAt(rg, (rg.next - 1 - (rg.seq - q) + rg.slots) % rg.slots);
  if (!x || x.seq !== q) return '';
  const r = new Reader(x.data, 0, x.data.length);
  const t = r.u32();
  if (i === 0) {
    const gen = r.u16();
    const first = r.u16();
    const n = r.u8();
    const v: number[] = [];
    for (let k = 0; k < n; k++) {
      const x = r.u32();
      v.push(x === 0xffffffff ? -1 : x);
    }
    return '[' + q + ',' + t + ',' + gen + ',' + first + ',[' + v.join(',') + ']]';
  }
  return JSON.stringify([q, t, r.str(), r.str(), r.str()]);
}

/** Commits the record: message numbers reserved, the last command taken, the rings' numbers
 *  acknowledged. With `later`, only made ready: the next commit takes it (a command's). */
function saveUp(u: Unit, s: UplinkState, later?: boolean): boolean {
  const st = u.storage;
  if (!st || st.store.readOnly) return true;
  const v = [s.until, s.taken, s.sent[0], s.sent[1], s.sent[2]];
  const b = new Writer(48);
  for (let i = 0; i < v.length; i++) b.num(v[i]);
  st.upNext = b.out();
  if (later) return true;
  const w = new Writer(64 + 2 * UNIT, HEAD);
  const x = st.upNext;
  st.upNext = undefined;
  w.str(UP_RECORD);
  w.u16(x.length);
  w.bytes(x);
  const r = st.store.journal.commit(w, [UP_RECORD]);
  if (!r.ok) return storageFailed(st, 'saving the uplink state', r);
  st.error = '';
  return true;
}

/** A command from the head-end: opened with the unit's key above the last number taken; a
 *  replay is answered so (the head-end sends a command again until it has an answer: one that
 *  ran before its answer was lost is then known as taken), a forged or altered one is only
 *  counted (nothing goes back to whoever sent it). */
function command(u: Unit, s: UplinkState, key: Uint8Array, id: string, text: string): void {
  const r = openMessage(key, id, s.down, text);
  if (!r.ok) {
    s.refused++;
    if (r.error === 'replay') answer(s, +text.substr(0, text.indexOf(' ')), false, 'replay');
    return;
  }
  const verb = r.value.payload.split(' ')[0];
  // (the number is taken now: a copy arriving while it waits is a replay)
  s.down = r.value.seq;
  s.cmds.push(r.value.seq, ALLOWED.indexOf(verb) < 0 ? '' : r.value.payload);
  next(u, s);
}

/** Runs the waiting commands one after the other; each one's number goes into the journal with
 *  what it did, or alone after it when it committed nothing. */
function next(u: Unit, s: UplinkState): void {
  if (s.running || !s.cmds.length) return;
  const q = s.cmds.shift() as number;
  const line = s.cmds.shift() as string;
  s.running = true;
  s.taken = q;
  saveUp(u, s, true);
  const end = function (said: string[], bad: boolean): void {
    const st = u.storage;
    if (st && st.upNext && !saveUp(u, s)) u.problem();
    answer(s, q, !bad, said.join('; '));
    s.stateAt = -1;
    s.running = false;
    next(u, s);
  };
  if (line) runLine(u, line, TECHNICIAN, 'uplink', end);
  else {
    s.refused++;
    end(['error: not a command the head-end may send'], true);
  }
}

/** Queues an answer; at most 8 wait (RAM): an older one dropped is asked for again, since the
 *  head-end sends its command again until answered, and the copy's `replay` settles it. */
function answer(s: UplinkState, c: number, ok: boolean, m: string): void {
  if (s.answers.length >= 8) s.answers.shift();
  s.answers.push(JSON.stringify({ k: 'a', c: c, ok: ok ? 1 : 0, m: m }));
  s.pump();
}
