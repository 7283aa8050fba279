// Store-and-forward and the head-end's commands in one unit (issue 13): a unit with an `uplink`
// section on a virtual clock, its link a real TCP connection to a real mosquitto, the head-end's
// own code in this process. Readings, ledger entries and events go up from the EEPROM and reach
// the head-end once; a power cut with a batch on the wire sends it again under a new number and
// the head-end drops the copies; a top-up sent by the head-end runs once, a power cut between it
// and its answer included; forged, altered, replayed and forbidden commands are refused and
// counted; the backlog and its hours are said in `status` and the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'net';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { VirtualClock, lifeClock as lifeOf } from '../../sim/virtual-clock';
import type { Clock } from '../../hal/clock';
import type { Link } from '../../hal/link';
import { StorageRig } from '../../sim/storage-rig';
import { Headend } from '../../tools/headend/headend';
import { sealMessage } from '../../firmware/uplink/seal';
import { MqttReader, PUBLISH } from '../../firmware/uplink/mqtt';
import { publish, startBroker } from './broker';
import type { Broker } from '../../sim/mosquitto';
import { waiting } from '../../firmware/uplink/backlog';

const KEY = '000102030405060708090a0b0c0d0e0f';
const key = Uint8Array.from(Buffer.from(KEY, 'hex'));

function config(id: string) {
  return {
    uplink: { id, key: KEY, intervalMinutes: 15 },
    plans: { f: { price: 1000 } },
    accounts: [{ name: 'R1', plan: 'f' }, { name: 'R2', plan: 'f' }],
    meters: [
      { name: 'M1', account: 'R1' },
      { name: 'M2', account: 'R2' },
    ],
  };
}

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  if (broker) await broker.stop();
});

/** A unit on a virtual clock whose link is a socket to the broker; `cut` ends its life. */
async function rig(id: string) {
  const clock = new VirtualClock();
  const store = new StorageRig({ now: () => clock.now(), startEpoch: Date.UTC(2026, 2, 1, 8) / 1000 });
  const headend = await Headend.start({ broker: 'mqtt://127.0.0.1:' + broker.port, units: [{ id, key }], db: null, resendMs: 60000, session: 'he-' + id, log: (l) => process.env.ZZLOG && console.log(Date.now() % 100000, l) });
  const printed: string[] = [];
  let life = { on: true };
  const lifeClock = (l: { on: boolean }): Clock => lifeOf(clock, l);
  const net0 = { down: false, sock: null as net.Socket | null, written: [] as string[], cutWhen: null as ((s: string) => boolean) | null };
  const open = (l: { on: boolean }) => (data: (s: string) => void, closed: () => void): Link | null => {
    if (net0.down) return null;
    const s = net.connect(broker.port, '127.0.0.1');
    net0.sock = s;
    s.on('data', (b) => l.on && data(b.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => l.on && closed());
    return {
      write: (x) => {
        if (!l.on) return;
        // a power cut as this packet leaves (false) or just before (true: it never leaves)
        const cut = net0.cutWhen && net0.cutWhen(x);
        if (cut !== true) s.write(Buffer.from(x, 'latin1'));
        net0.written.push(x);
        if (cut !== null && cut !== undefined && net0.cutWhen) {
          net0.cutWhen = null;
          r.powerCut();
        }
      },
      close: () => s.destroy(),
    };
  };
  const hal = (sr: StorageRig) => ({ load: nodeModules, clock: lifeClock(life), print: (l: string) => printed.push(l), eeprom: sr.eeprom, rtc: sr.rtc, openUplink: () => open(life) });
  const u = { unit: startUnit(hal(store), config(id)) as Unit };
  const wh = [1000, 5000];
  const r = {
    clock,
    headend,
    u,
    net: net0,
    printed,
    cuts: 0,
    /** The power goes: the unit's timers and link die with it; it boots again at once. */
    powerCut() {
      r.cuts++;
      life.on = false;
      if (net0.sock) net0.sock.destroy();
      life = { on: true };
      // (a turn later: the cut comes in the middle of what the unit was doing)
      setImmediate(() => (u.unit = startUnit(hal(new StorageRig({ now: () => clock.now(), chip: store.chip, clock: store.clock })), config(id))));
    },
    /** Waits (real time) while the unit's session connects, awaits an answer or has its state
     *  to send, or a command runs. */
    async settle(extra?: () => boolean) {
      const t0 = Date.now();
      for (;;) {
        await new Promise((res) => setTimeout(res, 2));
        const up = u.unit.up;
        const busy = !!up && ((!!up.on && (!up.client || up.client.awaiting() || !up.told)) || up.running);
        if ((!busy && !(extra && extra())) || Date.now() - t0 > 3000) return;
      }
    },
    /** Minutes of the unit's life: both meters read each minute, a tick, 30 s at a time. */
    async minutes(n: number, extra?: () => boolean) {
      for (let i = 0; i < n; i++) {
        for (let h = 0; h < 2; h++) {
          clock.advance(30000);
          await r.settle(extra);
        }
        wh[0] += 7;
        wh[1] += 3;
        for (let m = 0; m < 2; m++) u.unit.handle({ t: 'reading', time: u.unit.time(), meter: m, importWh: wh[m], exportWh: 0 });
        u.unit.handle({ t: 'tick', time: u.unit.time() });
        await r.settle(extra);
      }
    },
    /** Waits (real time, 3 s at most) until cond holds: what the head-end has. */
    async until(cond: () => boolean) {
      for (let t0 = Date.now(); !cond() && Date.now() - t0 < 3000; ) await new Promise((res) => setTimeout(res, 5));
    },
    /** A session at the next tick (as the next interval's end would open one). */
    session() {
      u.unit.up!.soon = true;
    },
    /** A console line, typed by a technician signed in. */
    type(line: string) {
      u.unit.input('login 3333\r');
      const from = printed.length;
      u.unit.input(line + '\r');
      clock.advance(1000);
      return printed.slice(from);
    },
  };
  return r;
}

/** The numbers of the unit's messages that left on its link (every life of it) and that the
 *  head-end has not stored (a copy the broker delivers twice is refused as a replay and
 *  harmless; a number of the unit's missing is a message lost). */
function unstored(r: Awaited<ReturnType<typeof rig>>, id: string): number[] {
  const got = new Set(r.headend.store.messages(id).map((m) => m[0]));
  const out: number[] = [];
  let sent = 0;
  for (const w of r.net.written) {
    new MqttReader(4096).feed(w, (p) => {
      if (p.ok && p.value.type === PUBLISH && p.value.topic === 'unit/' + id + '/up') {
        const n = +p.value.payload!.split(' ')[0];
        sent++;
        if (!got.has(n)) out.push(n);
      }
    });
  }
  // (the unit's messages were read off its link: not a list found empty for want of reading it)
  if (sent < 5) out.push(-sent);
  return out;
}

/** Ends the unit's session, if one runs. */
function stop(r: Awaited<ReturnType<typeof rig>>): void {
  const up = r.u.unit.up;
  if (up && up.stop) up.stop();
}

/** The unit's rings against the head-end's tables. */
function complete(r: Awaited<ReturnType<typeof rig>>, id: string) {
  const st = r.u.unit.storage!.store;
  const h = r.headend.store;
  return {
    readings: [st.readings.seq * 2, new Set(h.readings(id).map((x) => x.rseq + ' ' + x.idx)).size],
    ledger: [st.money.seq, new Set(h.ledger(id).map((x) => x.mseq)).size],
    events: [st.events.seq, new Set(h.events(id).map((x) => x.eseq)).size],
  };
}

describe('the uplink in a unit', () => {
  it('sends readings, ledger entries and events once; the head-end has the balances; status and the log say what waits', async () => {
    const r = await rig('u1');
    try {
      expect(r.type('topup R1 50')[0]).toMatch(/RECEIPT/);
      await r.minutes(65);
      const c = complete(r, 'u1');
      // the interval ends 08:00 (boot), 08:15, 08:30, 08:45, 09:00
      expect(c.readings).toEqual([10, 10]);
      expect(c.ledger[0]).toBe(1);
      expect(c.ledger).toEqual([c.ledger[0], c.ledger[0]]);
      expect(c.events).toEqual([c.events[0], c.events[0]]);
      const rd = r.headend.store.readings('u1');
      expect(rd.filter((x) => x.meter === 'M1').map((x) => x.wh)).toEqual([1000, 1000 + 7 * 14, 1000 + 7 * 29, 1000 + 7 * 44, 1000 + 7 * 59].map((v, i) => (i ? v : null)));
      expect(r.headend.store.ledger('u1')[0]).toMatchObject({ kind: 'topup', amount: 50000, balance: 50000, account: 'R1' });
      // (a state goes up each session: one now, to compare with the balances of this moment)
      r.u.unit.up!.soon = true;
      r.u.unit.handle({ t: 'tick', time: r.u.unit.time() });
      await r.settle();
      await r.until(() => r.headend.store.balances('u1').some((x) => x.account === 'R1' && x.balance === r.u.unit.core.balance[0]));
      const b = r.headend.store.balances('u1');
      expect(b.map((x) => [x.account, x.balance])).toEqual([
        ['R1', r.u.unit.core.balance[0]],
        ['R2', r.u.unit.core.balance[1]],
      ]);
      const status = r.type('status');
      expect(status.find((l) => /^UPLINK/.test(l))).toMatch(/^UPLINK   (in a session|last session 0 min ago), readings 0, ledger 0, events 0 waiting; the EEPROM holds 16 h of readings/);
      // an outage of two hours: the backlog grows, is said, and goes once the link is back (the
      // sessions fail from the first interval's end in it)
      r.net.down = true;
      if (r.net.sock) r.net.sock.destroy();
      await r.minutes(120);
      expect(waiting(r.u.unit, r.u.unit.up!)).toMatch(/^readings 8, ledger 0, events [1-9]\d* waiting; the EEPROM holds 16 h of readings$/);
      expect(r.type('status').find((l) => /^UPLINK/.test(l))).toMatch(/^UPLINK   down for 1[01]\d min, readings 8, /);
      r.net.down = false;
      // (tried again an interval at most after the last try)
      await r.minutes(16);
      await r.until(() => complete(r, 'u1').readings[1] === 28);
      const d = complete(r, 'u1');
      expect(d.readings).toEqual([d.readings[0], d.readings[0]]);
      expect(d.readings[0]).toBe(2 * (5 + 8 + 1));
      expect(d.events).toEqual([d.events[0], d.events[0]]);
      const log = r.type('log kind=uplink');
      expect(log.some((l) => / down; unsent: readings 1, ledger 0, events \d+$/.test(l)), log.join('\n')).toBe(true);
      expect(log.some((l) => / up after 1[12]\d min; unsent: readings 9, ledger 0, events \d+$/.test(l)), log.join('\n')).toBe(true);
    } finally {
      stop(r);
      await r.headend.stop();
    }
  }, 60000);

  it('a power cut with a batch on the wire: sent again after the boot under a new number, the copies dropped by the head-end', async () => {
    const r = await rig('u2');
    try {
      r.net.down = true;
      await r.minutes(90);
      const before = r.u.unit.up!.seq;
      // the first batch leaves, the power goes before its acknowledgement
      r.net.cutWhen = (x) => (x.indexOf('"k":"b"') > 0 ? false : null) as boolean;
      r.net.down = false;
      // (the link is tried again an interval at most after the last try)
      await r.minutes(16);
      expect(r.cuts).toBe(1);
      await r.minutes(10);
      const c = complete(r, 'u2');
      expect(c.readings).toEqual([c.readings[0], c.readings[0]]);
      expect(c.readings[0]).toBe(2 * 8);
      expect(c.events).toEqual([c.events[0], c.events[0]]);
      const s = r.headend.store.unitStates()[0];
      expect(s.dropped.readings + s.dropped.events).toBeGreaterThan(0);
      // every message that left stored, both lives': the new one's numbers start above every
      // number the first used
      await r.until(() => unstored(r, 'u2').length === 0);
      expect(unstored(r, 'u2')).toEqual([]);
      expect(r.u.unit.up!.seq).toBeGreaterThan(before);
    } finally {
      stop(r);
      await r.headend.stop();
    }
  }, 60000);

  it('a top-up from the head-end runs once, a power cut before its answer included; forged, replayed and forbidden commands are refused and counted', async () => {
    const r = await rig('u3');
    try {
      await r.minutes(2);
      const n0 = r.u.unit.core.topupMilli[1];
      // the answer never leaves: the power goes as it is written (in the session after the one
      // that took the command; a copy the head-end sent as it first saw the unit online may be
      // answered `replay` before)
      r.net.cutWhen = (x) => (x.indexOf('"k":"a"') > 0 && x.indexOf('"ok":1') > 0 ? true : null) as boolean;
      const seq = await r.headend.send('u3', 'topup R2 30');
      r.session();
      await r.minutes(3, () => r.cuts === 0);
      expect(r.cuts).toBe(1);
      // the head-end sends it again as the unit comes back (its first session): the unit took it already
      await r.minutes(3);
      await r.until(() => r.headend.store.commands('u3').some((x) => x.seq === seq && x.status !== 'pending'));
      expect(r.u.unit.core.topupMilli[1]).toBe(n0 + 30000);
      const cmd = r.headend.store.commands('u3').find((x) => x.seq === seq)!;
      expect(cmd.status).toBe('taken (answer lost)');
      // a second one: taken by a session, run after it, answered by the next, a moment later
      const seq2 = await r.headend.send('u3', 'topup R2 5');
      r.session();
      await r.minutes(2);
      await r.until(() => r.headend.store.commands('u3').some((x) => x.seq === seq2 && x.status !== 'pending'));
      expect(r.headend.store.commands('u3').find((x) => x.seq === seq2)).toMatchObject({ status: 'ok' });
      expect(r.u.unit.core.topupMilli[1]).toBe(n0 + 35000);
      const refused0 = r.u.unit.up!.refused;
      const topic = 'unit/u3/cmd';
      // forged (another key), altered (the amount), replayed (the first one again), forbidden
      const forged = sealMessage(new Uint8Array(16), 'u3', seq2 + 1, 'topup R2 1000');
      const good = sealMessage(key, 'u3', seq2 + 1, 'topup R2 1');
      const altered = good.replace('topup R2 1', 'topup R2 9');
      const replayed = sealMessage(key, 'u3', seq, 'topup R2 30');
      for (const m of [forged, altered, replayed]) expect(publish(broker.port, topic, m)).toBe(0);
      r.session();
      await r.minutes(2);
      expect(r.u.unit.core.topupMilli[1]).toBe(n0 + 35000);
      expect(r.u.unit.up!.refused - refused0).toBe(3);
      const seq3 = await r.headend.send('u3', 'factory-reset yes');
      r.session();
      await r.minutes(2);
      await r.until(() => r.headend.store.commands('u3').some((x) => x.seq === seq3 && x.status !== 'pending'));
      const c3 = r.headend.store.commands('u3').find((x) => x.seq === seq3)!;
      expect(c3.status).toBe('failed');
      expect(c3.answer).toMatch(/not a command the head-end may send/);
      expect(r.u.unit.up!.refused - refused0).toBe(4);
      expect(r.u.unit.core.topupMilli[1]).toBe(n0 + 35000);
    } finally {
      stop(r);
      await r.headend.stop();
    }
  }, 60000);
  it('a changed uplink section: the next session runs with it, its numbers going on: no message number used twice, no command taken twice', async () => {
    const r = await rig('u4');
    try {
      await r.minutes(2);
      const seq = await r.headend.send('u4', 'topup R1 7');
      r.session();
      await r.minutes(2);
      await r.until(() => r.headend.store.commands('u4').some((x) => x.seq === seq && x.status === 'ok'));
      const before = r.u.unit.up!.seq;
      const topped = r.u.unit.core.topupMilli[0];
      // the keep-alive changed by a configuration imported at the console
      const doc = JSON.stringify({ ...config('u4'), uplink: { id: 'u4', key: KEY, intervalMinutes: 15, keepAliveSeconds: 60 } }, null, 1);
      expect(r.type('config import')).toEqual(['paste the configuration, then a line END CONFIG']);
      for (const line of doc.split('\n')) r.u.unit.input(line + '\r');
      const from = r.printed.length;
      r.u.unit.input('END CONFIG\r');
      r.clock.advance(1000);
      expect(r.printed.slice(from).join('\n')).toMatch(/^configuration imported/m);
      r.session();
      await r.minutes(3);
      const now = r.u.unit.up!;
      // the last session connected with the new keep-alive (CONNECT: after "MQTT", its level and flags)
      const connects = r.net.written.filter((x) => x.charCodeAt(0) === 0x10 && x.indexOf('MQTT') > 0);
      const ka = (x: string) => x.charCodeAt(x.indexOf('MQTT') + 6) * 256 + x.charCodeAt(x.indexOf('MQTT') + 7);
      expect(connects.map(ka).slice(0, 2)).toEqual([120, 120]);
      expect(ka(connects[connects.length - 1])).toBe(60);
      expect([now.taken, now.seq > before]).toEqual([seq, true]);
      // the command again: a replay (one more refused: the head-end itself sends a pending command
      // again as it first sees the unit online, which may be a copy); the head-end took every
      // message of the sessions since
      const refused = now.refused;
      expect(publish(broker.port, 'unit/u4/cmd', sealMessage(key, 'u4', seq, 'topup R1 7'))).toBe(0);
      r.session();
      await r.minutes(2);
      expect(r.u.unit.core.topupMilli[0]).toBe(topped);
      expect(now.refused).toBe(refused + 1);
      await r.until(() => unstored(r, 'u4').length === 0);
      expect(unstored(r, 'u4')).toEqual([]);
    } finally {
      stop(r);
      await r.headend.stop();
    }
  }, 60000);

  it('an alarm or a relay event goes up within minutes, not at the interval\'s end; a flapping relay does not keep the modem in sessions', async () => {
    const r = await rig('u5');
    try {
      expect(r.type('topup R1 50')[0]).toMatch(/RECEIPT/);
      // the first session (at the first tick) and its answer's; then the interval's, 15 minutes on
      await r.minutes(4);
      const starts = () => r.net.written.filter((x) => x.charCodeAt(0) === 0x10).length;
      const sessions = starts();
      const relayEvents = () => r.headend.store.events('u5').filter((e) => e.kind === 'relay' && e.account === 'R1').length;
      const had = relayEvents();
      // the technician cuts R1: the event reaches the head-end within three minutes
      expect(r.type('relay R1 off').join('\n')).toMatch(/R1 relay off, mode off/);
      await r.minutes(3);
      await r.until(() => relayEvents() > had);
      expect(relayEvents()).toBeGreaterThan(had);
      expect(starts()).toBe(sessions + 1);
      // flapping: on and off every minute for six minutes: a session at most every two minutes
      const before = starts();
      for (let i = 0; i < 6; i++) {
        r.type(i % 2 ? 'relay R1 off' : 'relay R1 auto');
        await r.minutes(1);
      }
      expect(starts() - before).toBeLessThanOrEqual(3);
      expect(starts() - before).toBeGreaterThanOrEqual(2);
      // nothing logged since: no session until the interval's end (minute 15 of the unit's life)
      await r.minutes(2);
      const quiet = starts();
      await r.minutes(1);
      expect(starts()).toBe(quiet);
      await r.until(() => unstored(r, 'u5').length === 0);
      expect(unstored(r, 'u5')).toEqual([]);
      expect(complete(r, 'u5').events).toEqual([r.u.unit.storage!.store.events.seq, r.u.unit.storage!.store.events.seq]);
    } finally {
      stop(r);
      await r.headend.stop();
    }
  }, 60000);
});
