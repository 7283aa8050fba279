// The uplink's session (module `upl`, loaded by the resident scheduler, uplink/tick.ts, and gone
// from the heap when the session ends): one MQTT connection to the head-end's broker that sends
// what waits and takes the commands waiting for the unit, then closes. Its code is about as large
// as a poll cycle's (some 1,100 variables of the Pico's heap while loaded), so on a board it runs
// between poll cycles and holds nothing between sessions. The unit's MQTT session is persistent
// (clean session off): the broker keeps the commands sent while the unit is away and hands them
// over as the next session connects. Store-and-forward: nothing goes up from RAM: interval
// readings (uplink/readings.ts), money entries and events are read from their rings, oldest
// first, in batches of one message; the ring sequence numbers a batch reached are committed once
// the broker has acknowledged it. A power cut or a lost acknowledgement sends a batch again,
// under a new message number: every item carries its ring's number (and time), so the head-end
// keeps it once. Commands come sealed (uplink/seal.ts) with a number above the last taken; each
// runs as its console command, and its number is committed in the same journal batch as what it
// did (a top-up's credit), so a power cut can neither run it twice nor lose it.
// The journal record (two spaces, storage/unit-storage.ts UP_RECORD): the message numbers used up
// to, the last command number taken, and the three rings' numbers acknowledged.
import type { Unit } from '../unit';
import { MqttClient } from './client';
import { openMessage, sealMessage } from './seal';
import { Reader } from '../storage/bytes';
import { slotAt } from '../storage/slot-scan';
import { SlotRing } from '../storage/slot-ring';
import { moneyEntry } from '../storage/history';
import { modeList } from '../config';
import { nameAt } from '../tables';
import { answer } from './commands';
import { saveUp } from './record';
import { backlogHours, unsent, unsentText, upRings } from './backlog';

/** What the uplink keeps: the scheduler's part (uplink/tick.ts) from the first tick, the rest
 *  from its first session on (RAM; what must outlive a power cut is in the journal record), and
 *  a session's own while one runs. A flag that is off, and a session's own when it has ended,
 *  are deleted, not set false: each property is a variable of the heap between sessions. (But
 *  `on`, set false: without it every object of Espruino's answers `on` from its prototype, the
 *  method that adds an event listener.) */
export interface UplinkState {
  /** The scheduler's: when the last session began (clock ms); whether one runs, is wanted now,
   *  or a tick waits for one; whether a poll interval came during it (polled as it ends). */
  at: number;
  on?: boolean;
  soon?: boolean;
  wait?: boolean;
  /** An alarm or relay event was logged since the last session began (Unit.log). */
  alert?: boolean;
  owed?: boolean;
  /** The last session was put off for want of heap (said once in the log). */
  short?: boolean;
  /** The interval (unit time / interval length) of the last session that ended well; sessions
   *  that failed in a row, and the clock ms before which the next does not try. */
  slot: number;
  fails: number;
  retryAt: number;
  /** Clock ms the last session ended well (-1: none yet), and the first of the failures since
   *  (-1: none). */
  okAt: number;
  downAt: number;
  /** Ring sequence numbers the broker has: interval readings, money entries, events (undefined
   *  until the first session has read the record). */
  sent: number[];
  /** The last message number used, and the one up to which the record has them used. */
  seq: number;
  until: number;
  /** The last command number received (a copy of one waiting to run is a replay), and the last
   *  one run (kept in the record). */
  down: number;
  taken: number;
  /** The configuration generation whose meter list the head-end has. */
  gen: number;
  /** Answers to send, and commands waiting to run (their number and line). */
  answers: string[];
  cmds: (number | string)[];
  running?: boolean;
  /** Items a ring wrote over before they went up; commands refused (forged, altered, replayed,
   *  not allowed). */
  lost: number;
  refused: number;
  /** While a session runs: the configuration's `uplink` string it runs with, its client,
   *  a message in flight, whether 'online' and the state have gone up, its end and pump. */
  conf?: string;
  client?: MqttClient;
  fly?: boolean;
  online?: boolean;
  told?: boolean;
  /** The first account of the state's next part (0: the state starts again). */
  part?: number;
  pump?: () => void;
  stop?: () => void;
}

/** Characters of items in one message: a board's heap holds several copies of it while it goes
 *  (the payload, sealed, as a packet, in the link's buffer), so there fewer. */
const BUDGET = 1000;
const BOARD_BUDGET = 400;
/** Message numbers the record reserves at a time: a reboot skips what may have been used. */
const RESERVE = 64;
/** The console commands the head-end may send. */
const ALLOWED = ['topup', 'refund', 'correct', 'relay', 'token', 'tariff', 'acct', 'status'];
/** A session ends this long after it has nothing left to do (commands the head-end sends as it
 *  sees the unit online come meanwhile), and after this long in any case, ms. */
const LINGER_MS = 3000;
const SESSION_MS = 300000;

/** The module's entry: one session of unit u's uplink (its configuration has an `uplink`
 *  section); done(r) once it has ended: 1 when everything waiting went up, 0 when it failed, -1
 *  when it was stopped (s.stop(): a console command, a changed section) to be taken up again. */
export function uplinkSession(u: Unit, done: (r: number) => void): void {
  const s = u.up as UplinkState;
  const conf = u.cfg.uplink as string;
  const w = conf.split(' ');
  const id = w[2];
  const key = new Uint8Array(16);
  for (let i = 0; i < 16; i++) key[i] = parseInt(w[3].substr(2 * i, 2), 16);
  if (!s.sent) begin(u, s);
  const topic = 'unit/' + id + '/';
  const clock = u.hal.clock;
  let ended = false;
  let linger = -1;
  // (a message in flight, 'online' and the state sent, the state's next part: none yet, as the
  // last session's end left them)
  s.conf = conf;
  const end = function (r: number): void {
    if (ended) return;
    ended = true;
    clock.cancel(guard);
    if (linger >= 0) clock.cancel(linger);
    const c = s.client;
    delete s.client;
    delete s.pump;
    delete s.stop;
    delete s.conf;
    delete s.fly;
    delete s.online;
    delete s.told;
    delete s.part;
    // (none when the link failed as the client was made: it has stopped itself)
    if (c) c.stop();
    // the log says when sessions start failing (and when one connects again: below)
    const now = clock.now();
    if (!r && s.downAt < 0) {
      u.log(-1, 'uplink', 'down; unsent: ' + unsentText(u, s));
      s.downAt = now;
    }
    if (r > 0) s.okAt = now;
    done(r);
  };
  const guard = clock.after(SESSION_MS, function () {
    end(0);
  });
  s.pump = function () {
    if (linger >= 0) clock.cancel(linger);
    linger = -1;
    if (pump(u, s, key, topic))
      linger = clock.after(LINGER_MS, function () {
        linger = -1;
        // (a replay's answer that came meanwhile goes first)
        if (!s.fly && !s.answers.length) end(1);
      });
  };
  s.stop = function () {
    end(-1);
  };
  const c = new MqttClient({
    clock: clock,
    open: (u.hal.openUplink as NonNullable<typeof u.hal.openUplink>)(w.slice(4).join(' ')),
    clientId: id,
    keepAliveS: +w[1],
    once: true,
    // (not retained: a head-end subscribing later would take the unit for offline while it is
    // up; a session's end is the connection's, so the broker says it: `offline`)
    will: { topic: topic + 'state', payload: 'offline', qos: 1, retain: false },
    commands: topic + 'cmd',
    onCommand: function (text: string) {
      command(u, s, key, id, text);
    },
    onState: function (x: string) {
      if (x !== 'up') return end(0);
      if (s.downAt >= 0) u.log(-1, 'uplink', 'up after ' + Math.round((clock.now() - s.downAt) / 60000) + ' min; unsent: ' + unsentText(u, s));
      s.downAt = -1;
      (s.pump as () => void)();
    },
  });
  if (!ended) s.client = c;
}

/** The numbers from the journal record boot kept (a unit's first session). Every number up to
 *  `until` may have gone up before a reboot; without a record (a new unit, a factory reset) the
 *  time's seconds are above every number used before (one a message). */
function begin(u: Unit, s: UplinkState): void {
  const st = u.storage;
  // (without a record, from what the rings hold: what they wrote over before is not the uplink's
  // loss; a unit without an EEPROM has nothing to send)
  s.sent = [0, 0, 0];
  if (st) {
    const rs = upRings(u);
    // (not Math.max: its result is a float to Espruino, a variable more in the heap than these
    // small integers while they are kept)
    for (let i = 0; i < 3; i++) {
      const v = rs[i].seq - rs[i].slots;
      s.sent[i] = v > 0 ? v : 0;
    }
  }
  s.seq = s.until = s.down = s.taken = s.lost = s.refused = 0;
  s.gen = -1;
  s.answers = [];
  s.cmds = [];
  const rec = st && st.upRec;
  if (rec) {
    const r = new Reader(rec, 0, rec.length);
    const v = [r.num(), r.num(), r.num(), r.num(), r.num()];
    if (!r.bad) {
      s.until = v[0];
      s.down = s.taken = v[1];
      s.sent = v.slice(2);
    }
    st.upRec = undefined;
  }
  const now = u.time();
  s.seq = s.until > now || !u.timeValid ? s.until : now;
}

/** Sends what is next, if the link is up and nothing is in flight: the answers to the commands
 *  run since the last session (before 'online': the head-end sends again, as it sees the unit
 *  online, what is still unanswered), 'online', the meter list, a batch, the state. True when
 *  nothing is left to send. */
function pump(u: Unit, s: UplinkState, key: Uint8Array, topic: string): boolean {
  const c = s.client as MqttClient;
  if (!c || c.state !== 2 || s.fly || !u.storage) return false;
  let p = s.answers.length ? s.answers[0] : '';
  if (!p && !s.online) {
    s.fly = c.publish(topic + 'state', 'online', function () {
      s.fly = false;
      s.online = true;
      (s.pump as () => void)();
    });
    return false;
  }
  const gen = u.storage.store.configGen;
  let to: number[] | null = null;
  if (!p && s.gen !== gen) p = meterList(u, gen);
  if (!p) {
    const b = batch(u, s);
    if (b) {
      p = b[0] as string;
      to = b[1] as number[];
      b[0] = '';
    }
  }
  // the state last, once a session (not when commands wait: the session after them sends it),
  // in parts of a batch's size
  const due = !p && !s.told && !s.cmds.length;
  let next = 0;
  if (due) {
    const st = state(u, s);
    p = st[0] as string;
    next = st[1] as number;
  }
  if (!p) return true;
  // the record first when the numbers reserved are used up
  if (s.seq + 1 > s.until) {
    const was = s.until;
    s.until = s.seq + RESERVE;
    if (!saveUp(u, s)) {
      s.until = was;
      return false;
    }
  }
  const first = s.answers.length > 0;
  s.seq++;
  p = sealMessage(key, topic.split('/')[1], s.seq, p);
  s.fly = c.publish(topic + 'up', p, function () {
    s.fly = false;
    if (first) s.answers.shift();
    else if (to) {
      s.sent = to;
      if (!saveUp(u, s)) u.problem();
    } else if (due) {
      s.part = next;
      s.told = !next;
    } else s.gen = gen;
    (s.pump as () => void)();
  });
  // (the callback above keeps this scope while the message flies: the message is in the client's
  // packet, not kept here too)
  p = '';
  return false;
}

/** The meter list of configuration generation gen: {"k":"c","g":gen,"m":[names],"a":[accounts]}. */
function meterList(u: Unit, gen: number): string {
  const m = u.cfg.meters;
  // (written as text, a name at a time: arrays of every name would cost a board's heap about two
  // variables a name, beside the text)
  let names = '';
  let accts = '';
  for (let i = 0; i < m.n; i++) {
    names += (i ? ',' : '') + JSON.stringify(nameAt(m.names, i));
    accts += (i ? ',' : '') + JSON.stringify(nameAt(u.cfg.accounts.names, m.account[i]));
  }
  return '{"k":"c","g":' + gen + ',"m":[' + names + '],"a":[' + accts + ']}';
}

/** The state's next part: each account's balance, relay and mode, what it has been charged and
 *  topped up, from account s.part on, up to a batch's size; and what waits:
 *  {"k":"s","t":..,"a":[[name,balance,relay,mode,charged,toppedUp],..],"w":[r,m,e],"h":hours};
 *  [payload, the first account of the part after it (0: this is the last)]. (A floor's state
 *  whole is about 1.3 KB, which a board's heap would hold three times while it goes: payload,
 *  sealed, packet.) */
function state(u: Unit, s: UplinkState): (string | number)[] {
  const core = u.core;
  const modes = modeList();
  const n = u.cfg.accounts.n;
  // (as text, an account at a time: an array of every account's would cost a board's heap about
  // ten variables an account at the session's lowest moment)
  let a = '';
  let i = s.part && s.part < n ? s.part : 0;
  for (; i < n && a.length < (u.hal.freeVars ? BOARD_BUDGET : BUDGET); i++) a += (a ? ',' : '') + JSON.stringify([nameAt(u.cfg.accounts.names, i), core.balance[i], core.relay[i] === 1 ? 1 : 0, modes[core.mode[i]], core.chargedMilli[i], core.topupMilli[i]]);
  return ['{"k":"s","t":' + JSON.stringify(u.time()) + ',"a":[' + a + '],"w":' + JSON.stringify(unsent(u, s)) + ',"h":' + JSON.stringify(backlogHours(u)) + '}', i < n ? i : 0];
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
    while (to[i] < r.seq && len < (u.hal.freeVars ? BOARD_BUDGET : BUDGET)) {
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
  // (the number is taken now: a copy arriving while it waits is a replay; it runs once the
  // session has ended: uplink/commands.ts)
  s.down = r.value.seq;
  s.cmds.push(r.value.seq, ALLOWED.indexOf(verb) < 0 ? '' : r.value.payload);
}
