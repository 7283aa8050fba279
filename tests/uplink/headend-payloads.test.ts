// The head-end's understanding of the unit's payloads and its command delivery
// (tools/headend/headend.ts, store.ts, payload.ts), in process against a real broker (mosquitto,
// started here) with units speaking the firmware's packets and sealed messages: a batch's
// readings, ledger entries and events stored once each when the unit sends them again under a
// new number (the duplicates counted), the newest state kept and an older one arriving late
// ignored, meter lists naming readings in the CSV, commands settled by their answers, sent again
// when the unit comes online and every resendMs while unanswered ('replay' to a copy: taken,
// answer lost), a genuine message with a payload not of the unit's forms counted as 'payload';
// then the CLI's balances and exports read the saved database.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import initSqlJs from 'sql.js';
import { startBroker, unitConnection } from './broker';
import { CONNACK, PUBACK, PUBLISH, SUBACK, mqttConnect, mqttDisconnect, mqttPubAck, mqttPublish, mqttSubscribe } from '../../firmware/uplink/mqtt';
import { openMessage, sealMessage } from '../../firmware/uplink/seal';
import { Headend } from '../../tools/headend/headend';
import { HeadendStore, UnitKey } from '../../tools/headend/store';
import { parsePayload } from '../../tools/headend/payload';

const ROOT = path.resolve(__dirname, '..', '..');
const HEX = { u1: '000102030405060708090a0b0c0d0e0f', u2: '1f1e1d1c1b1a19181716151413121110', u3: '202122232425262728292a2b2c2d2e2f', u4: '303132333435363738393a3b3c3d3e3f' };
const key = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
// (u4 belongs to a second head-end of its own)
const UNITS: UnitKey[] = Object.entries(HEX)
  .filter(([id]) => id !== 'u4')
  .map(([id, k]) => ({ id, key: key(k) }));
// 2025-12-06T00:00:00Z, the unit's clock
const T0 = 1764979200;
const RESEND_MS = 1500;

/** A unit on the broker: connected with its will, subscribed to its commands, online; up()
 *  publishes a sealed payload under its next number and waits for the broker's PUBACK. */
async function unit(port: number, id: keyof typeof HEX, seq = 0) {
  const c = await unitConnection(port, id);
  let pid = 100;
  return {
    c,
    /** the message number last used */
    get seq() {
      return seq;
    },
    async up(payload: unknown): Promise<number> {
      c.send(mqttPublish('unit/' + id + '/up', sealMessage(key(HEX[id]), id, ++seq, typeof payload === 'string' ? payload : JSON.stringify(payload)), 1, ++pid));
      expect((await c.next(PUBACK)).id).toBe(pid);
      return seq;
    },
    /** the next command received, acknowledged, opened with the unit's key */
    async command(): Promise<{ text: string; seq: number; payload: string }> {
      const p = await c.next(PUBLISH);
      if (p.qos) c.send(mqttPubAck(p.id!));
      expect(p.topic).toBe('unit/' + id + '/cmd');
      const o = openMessage(key(HEX[id]), id, 0, p.payload!);
      if (!o.ok) throw new Error('command not opened: ' + o.error);
      return { text: p.payload!, ...o.value };
    },
    /** gone with a DISCONNECT: no will */
    bye(): void {
      c.send(mqttDisconnect());
      c.sock.end();
    },
  };
}

/** Waits until the line storing u4's message seq is in log. */
async function stored4(log: string[], seq: number): Promise<void> {
  for (let t0 = Date.now(); !log.some((l) => l.startsWith('stored u4 #' + seq)); await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() - t0 > 10000) throw new Error('u4 #' + seq + ' not stored; logged:\n' + log.join('\n'));
}

describe('the head-end reads the unit payloads and delivers commands', () => {
  let broker: { port: number; stop: () => void };
  let dir: string;
  let he: Headend;
  const log: string[] = [];
  const until = async (test: (l: string) => boolean, ms = 10000): Promise<string> => {
    const t0 = Date.now();
    for (;;) {
      const l = log.find(test);
      if (l) return l;
      if (Date.now() - t0 > ms) throw new Error('not logged in ' + ms + ' ms; logged:\n' + log.join('\n'));
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stored = (id: string, seq: number) => until((l) => l.startsWith('stored ' + id + ' #' + seq + ',') || l === 'stored ' + id + ' #' + seq);

  beforeAll(async () => {
    broker = await startBroker();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'headend-payloads-'));
    fs.writeFileSync(path.join(dir, 'units.json'), JSON.stringify({ units: UNITS.map((u) => ({ id: u.id, key: Buffer.from(u.key).toString('hex') })) }));
    he = await Headend.start({ broker: 'mqtt://127.0.0.1:' + broker.port, units: UNITS, db: path.join(dir, 'h.sqlite'), resendMs: RESEND_MS, log: (l) => log.push(l) });
  });
  // (each test waits for lines of its own)
  beforeEach(() => {
    log.length = 0;
  });
  afterAll(async () => {
    if (he) await he.stop();
    if (broker) broker.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores a batch\'s readings, ledger entries and events once each when they come again in a later message, counting the duplicates', async () => {
    const u = await unit(broker.port, 'u1');
    const r1 = [T0 + 900, 1, 0, [120000, 98000]];
    const r2 = [T0 + 900, 1, 2, [-1]];
    const m1 = [1, T0 + 100, 'topup', 41, 5000, 12000, 0, 'R301'];
    const m2 = [2, T0 + 200, 'refund', 42, -1000, 11000, 41, 'R301'];
    const e1 = [1, T0 + 300, 'R302', 'relay', 'open: no credit'];
    const first = await u.up({ k: 'b', r: [[1, ...r1], [2, ...r2]], m: [m1, m2], e: [e1] });
    expect(await stored('u1', first)).toBe('stored u1 #' + first);
    // after a power cut: the same items again under a new number, with one new of each kind
    const again = await u.up({ k: 'b', r: [[1, ...r1], [2, ...r2], [3, T0 + 1800, 1, 0, [120500, 98100, 7]]], m: [m1, m2, [3, T0 + 1000, 'transfer-out', 43, -500, 10500, 0, 'R301']], e: [e1, [2, T0 + 1100, 'R302', 'relay', 'closed']] });
    expect(await stored('u1', again)).toBe('stored u1 #' + again + ', 5 duplicates dropped');
    // only readings: the other lists may be absent
    await u.up({ k: 'b', r: [[3, T0 + 1800, 1, 0, [120500, 98100, 7]]] });
    await stored('u1', 3);

    const s = he.store;
    expect(s.readings('u1').map((r) => [r.rseq, r.idx, r.t, r.wh])).toEqual([
      [1, 0, T0 + 900, 120000],
      [1, 1, T0 + 900, 98000],
      [2, 2, T0 + 900, null],
      [3, 0, T0 + 1800, 120500],
      [3, 1, T0 + 1800, 98100],
      [3, 2, T0 + 1800, 7],
    ]);
    expect(s.ledger('u1')).toEqual([
      { mseq: 1, t: T0 + 100, kind: 'topup', entry: 41, amount: 5000, balance: 12000, ref: 0, account: 'R301' },
      { mseq: 2, t: T0 + 200, kind: 'refund', entry: 42, amount: -1000, balance: 11000, ref: 41, account: 'R301' },
      { mseq: 3, t: T0 + 1000, kind: 'transfer-out', entry: 43, amount: -500, balance: 10500, ref: 0, account: 'R301' },
    ]);
    expect(s.events('u1').map((e) => e.text)).toEqual(['open: no credit', 'closed']);
    const st = s.unitStates().find((x) => x.id === 'u1')!;
    expect([st.state, st.lastUp, st.stored, st.dropped]).toEqual(['online', 3, 3, { readings: 3, ledger: 2, events: 1, state: 0 }]);
    expect(s.messages('u1').length).toBe(3);
    u.bye();
  });

  it('keeps each account\'s newest state for balances() and ignores an older one arriving late', async () => {
    const u = await unit(broker.port, 'u1', 3);
    const state = (t: number, b: number, relay: number, w: number[]) => ({ k: 's', t, a: [['R301', b, relay, 'auto', 2500, 15000], ['R302', -200, 0, 'off', 900, 700]], w, h: 2400 });
    await stored('u1', await u.up(state(T0 + 2000, 10500, 1, [4, 1, 0])));
    // sent earlier (its number is higher: sent again after a reconnection), it comes late
    expect(await stored('u1', await u.up(state(T0 + 1500, 11000, 0, [9, 9, 9])))).toMatch(/older than the state kept: ignored$/);
    expect(he.store.balances('u1')).toEqual([
      { unit: 'u1', account: 'R301', balance: 10500, relay: true, mode: 'auto', charged: 2500, toppedUp: 15000, t: T0 + 2000 },
      { unit: 'u1', account: 'R302', balance: -200, relay: false, mode: 'off', charged: 900, toppedUp: 700, t: T0 + 2000 },
    ]);
    let st = he.store.unitStates().find((x) => x.id === 'u1')!;
    expect([st.waiting, st.backlogHours, st.stateT, st.dropped.state]).toEqual([{ readings: 4, ledger: 1, events: 0 }, 2400, T0 + 2000, 1]);
    // a newer one replaces it
    await stored('u1', await u.up(state(T0 + 2900, 10100, 1, [0, 0, 0])));
    expect(he.store.balances('u1').map((b) => [b.account, b.balance, b.t])).toEqual([
      ['R301', 10100, T0 + 2900],
      ['R302', -200, T0 + 2900],
    ]);
    st = he.store.unitStates().find((x) => x.id === 'u1')!;
    expect(st.waiting).toEqual({ readings: 0, ledger: 0, events: 0 });
    expect(he.store.balances()).toEqual(he.store.balances('u1'));
    u.bye();
  });

  it('names readings by the meter list of their generation in the readings CSV', async () => {
    const u = await unit(broker.port, 'u1', 6);
    // generation 2's list (a name with a comma: quoted); readings of generation 3 have none
    await stored('u1', await u.up({ k: 'c', g: 2, m: ['M301', 'M302', 'M "3",03'], a: ['R301', 'R301', 'R302'] }));
    await stored('u1', await u.up({ k: 'b', r: [[10, T0 + 3600, 2, 0, [121000, -1]], [11, T0 + 3600, 2, 2, [9]], [12, T0 + 4500, 3, 0, [121400]]] }));
    const csv = he.store.csv('readings').split('\r\n');
    expect(csv[0]).toBe('unit,rseq,time,gen,idx,meter,account,wh');
    expect(csv.slice(-5)).toEqual([
      'u1,10,2025-12-06T01:00:00Z,2,0,M301,R301,121000',
      'u1,10,2025-12-06T01:00:00Z,2,1,M302,R301,',
      'u1,11,2025-12-06T01:00:00Z,2,2,"M ""3"",03",R302,9',
      'u1,12,2025-12-06T01:15:00Z,3,0,,,121400',
      '',
    ]);
    // generation 1's readings (the first test) have no list either
    expect(csv[1]).toBe('u1,1,2025-12-06T00:15:00Z,1,0,,,120000');
    expect(he.store.readings('u1').find((r) => r.rseq === 11)).toEqual({ rseq: 11, t: T0 + 3600, gen: 2, idx: 2, wh: 9, meter: 'M "3",03', account: 'R302' });
    u.bye();
  });

  it('marks a command ok on its answer', async () => {
    const u = await unit(broker.port, 'u2');
    await until((l) => l === 'state u2 online');
    const seq = await he.send('u2', 'topup R401 5000');
    const got = await u.command();
    expect([got.seq, got.payload]).toEqual([seq, 'topup R401 5000']);
    expect(he.store.commands('u2')[0].status).toBe('pending');
    await stored('u2', await u.up({ k: 'a', c: seq, ok: 1, m: 'credited 5.000' }));
    expect(await until((l) => l.startsWith('command u2 #' + seq))).toBe('command u2 #' + seq + ' ok "credited 5.000", sent 1 time: topup R401 5000');
    expect(he.store.commands('u2')).toEqual([{ unit: 'u2', seq, payload: 'topup R401 5000', status: 'ok', answer: 'credited 5.000', sentAt: expect.any(Number), answeredAt: expect.any(Number), sends: 1 }]);
    u.bye();
  });

  it('sends a command again while it is unanswered; "replay" to the copy marks it taken (answer lost)', async () => {
    const u = await unit(broker.port, 'u2', 1);
    // (seen online first: coming online sends pending commands again at once, not after resendMs)
    await until((l) => l === 'state u2 online');
    const seq = await he.send('u2', 'relay R401 off');
    const first = await u.command();
    // the unit takes it; its answer is lost (never sent): after resendMs the same text comes again
    const t0 = Date.now();
    const copy = await u.command();
    expect(Date.now() - t0).toBeGreaterThan(RESEND_MS / 2);
    expect(copy.text).toBe(first.text);
    expect(copy.seq).toBe(seq);
    await stored('u2', await u.up({ k: 'a', c: seq, ok: 0, m: 'replay' }));
    const c = he.store.commands('u2').find((x) => x.seq === seq)!;
    expect([c.status, c.answer]).toEqual(['taken (answer lost)', 'replay']);
    expect(c.sends).toBeGreaterThanOrEqual(2);
    // the first answer, come late after all, tells more: it settles the command
    await stored('u2', await u.up({ k: 'a', c: seq, ok: 1, m: 'relay off' }));
    expect(he.store.commands('u2').find((x) => x.seq === seq)!.status).toBe('ok');
    // an answer to a command never sent: stored, counted, nothing settled
    expect(await stored('u2', await u.up({ k: 'a', c: 99, ok: 1, m: 'x' }))).toMatch(/, refused no such command$/);
    u.c.sock.destroy();
    await until((l) => l === 'state u2 offline');
  });

  it('does not send a command again while its unit is offline; sends it when the unit comes online', async () => {
    // u3 online, then gone (its will): a command sent now reaches no one, and is not sent again
    // while the unit is offline
    const gone = await unit(broker.port, 'u3');
    await until((l) => l === 'state u3 online');
    gone.c.sock.destroy();
    await until((l) => l === 'state u3 offline');
    const seq = await he.send('u3', 'price 250');
    await new Promise((r) => setTimeout(r, RESEND_MS * 2));
    expect(log.filter((l) => l.startsWith('sent again u3'))).toEqual([]);
    const u = await unit(broker.port, 'u3');
    const got = await u.command();
    expect([got.seq, got.payload]).toEqual([seq, 'price 250']);
    expect(got.text).toBe(sealMessage(key(HEX.u3), 'u3', seq, 'price 250'));
    await until((l) => l === 'sent again u3 #' + seq);
    await stored('u3', await u.up({ k: 'a', c: seq, ok: 1, m: 'price 0.250' }));
    expect(he.store.commands('u3')[0].status).toBe('ok');
  });

  it('sends a pending command again as soon as its unit comes online, not only every resendMs', async () => {
    // a head-end of its own that would send it again only after a minute
    const mine: string[] = [];
    const h4 = await Headend.start({ broker: 'mqtt://127.0.0.1:' + broker.port, units: [{ id: 'u4', key: key(HEX.u4) }], db: null, resendMs: 60000, log: (l) => mine.push(l) });
    try {
      const seq = await h4.send('u4', 'mode R501 auto');
      const t0 = Date.now();
      const u = await unit(broker.port, 'u4');
      const got = await u.command();
      expect(Date.now() - t0).toBeLessThan(10000);
      expect([got.seq, got.payload]).toEqual([seq, 'mode R501 auto']);
      expect(mine).toContain('state u4 online');
      await stored4(mine, await u.up({ k: 'a', c: seq, ok: 1, m: 'auto' }));
      expect(h4.store.commands('u4').map((c) => [c.status, c.sends])).toEqual([['ok', 2]]);
      u.bye();
    } finally {
      await h4.stop();
    }
  });

  it('counts a genuine message whose payload is not of the unit\'s forms as refused \'payload\', keeping the message only', async () => {
    const u = await unit(broker.port, 'u3', 1);
    const before = he.store.readings('u3').length;
    expect(await stored('u3', await u.up('{"k":"b","r":[[1,' + T0 + ',1,0,[5.5]]]}'))).toBe('stored u3 #2, refused payload');
    expect(await stored('u3', await u.up('not json'))).toBe('stored u3 #3, refused payload');
    expect(await stored('u3', await u.up({ k: 'z' }))).toBe('stored u3 #4, refused payload');
    expect(he.store.readings('u3').length).toBe(before);
    expect(he.store.refusals().filter((r) => r.unit === 'u3')).toEqual([{ unit: 'u3', why: 'payload', count: 3 }]);
    expect(he.store.messages('u3').map((m) => m[0])).toEqual([1, 2, 3, 4]);
    const st = he.store.unitStates().find((x) => x.id === 'u3')!;
    expect([st.refused, st.refusals]).toEqual([3, { payload: 3 }]);
    u.c.sock.destroy();
  });

  it('saves on stop; the CLI prints balances and commands and exports the ledger from the file', async () => {
    await he.stop();
    const db = path.join(dir, 'h.sqlite');
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'node_modules', '.bin', 'ts-node'), 'tools/headend/cli.ts', ...args, '--units', path.join(dir, 'units.json'), '--db', db], { cwd: ROOT, encoding: 'utf8' });
    const b = cli('balances');
    expect([b.status, b.stdout.split('\n').filter((l) => l)]).toEqual([0, ['balance u1 R301 10.100, relay on, auto, as of 2025-12-06T00:48:20Z', 'balance u1 R302 -0.200, relay off, off, as of 2025-12-06T00:48:20Z']]);
    const l = cli('export', '--kind', 'ledger');
    expect(l.status).toBe(0);
    expect(l.stdout).toBe(
      'unit,mseq,time,kind,entry,amount_milli,balance_milli,ref,account\r\n' +
        'u1,1,2025-12-06T00:01:40Z,topup,41,5000,12000,0,R301\r\n' +
        'u1,2,2025-12-06T00:03:20Z,refund,42,-1000,11000,41,R301\r\n' +
        'u1,3,2025-12-06T00:16:40Z,transfer-out,43,-500,10500,0,R301\r\n',
    );
    const c = cli('commands', 'u2');
    expect(c.stdout.split('\n')[0]).toBe('command u2 #1 ok "credited 5.000", sent 1 time: topup R401 5000');
    // bad input: a kind not exported, a unit not in the file
    const bad = cli('export', '--kind', 'alarms');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--kind <kind>.*alarms.*invalid.*messages, readings, ledger, events, balances/);
    const none = cli('balances', 'u7');
    expect([none.status, none.stderr.trim()]).toEqual([2, 'headend: no unit u7 in ' + path.join(dir, 'units.json')]);
  }, 30000);
});

describe('the head-end store without a broker', () => {
  it('refuses payloads not of the unit\'s forms', () => {
    const ok = [
      '{"k":"b"}',
      '{"k":"b","r":[[0,0,0,0,[]]],"m":[],"e":[]}',
      '{"k":"c","g":1,"m":["a"],"a":["b"]}',
      '{"k":"s","t":5,"a":[["A",-5,1,"on",0,0]],"w":[0,0,0],"h":0}',
      '{"k":"a","c":1,"ok":0,"m":"no"}',
    ];
    const bad = [
      '',
      'null',
      '[]',
      '{"k":"b","r":{}}',
      '{"k":"b","r":[[1,2,3,4,[-2]]]}',
      '{"k":"b","r":[[1,2,3,4,[1],5]]}',
      '{"k":"b","m":[[1,2,"topup",3,4.5,6,7,"A"]]}',
      '{"k":"b","m":[[1,2,"topup",3,4,6,7,"A"]],"e":[[1,2,"A","k"]]}',
      '{"k":"b","r":[[1,2,3,4,[9007199254740993]]]}',
      '{"k":"c","g":1,"m":["a","b"],"a":["b"]}',
      '{"k":"s","t":5,"a":[["A",-5,2,"on",0,0]],"w":[0,0,0],"h":0}',
      '{"k":"s","t":5,"a":[],"w":[0,0],"h":0}',
      '{"k":"a","c":"1","ok":0,"m":"no"}',
      '{"k":"a","c":1,"ok":true,"m":"no"}',
    ];
    expect(ok.map((t) => parsePayload(t) !== null)).toEqual(ok.map(() => true));
    expect(bad.filter((t) => parsePayload(t) !== null)).toEqual([]);
  });

  it('marks a command sent once and answered "replay" failed, not taken', async () => {
    const s = await HeadendStore.open(null, UNITS);
    s.command('u1', 'topup R301 1', 1000);
    expect(s.ingest('u1', sealMessage(key(HEX.u1), 'u1', 1, '{"k":"a","c":1,"ok":0,"m":"replay"}'), 2000)).toMatchObject({ stored: true, kind: 'a', answered: { status: 'failed', answer: 'replay' } });
    expect(s.pendingCommands('u1')).toEqual([]);
    s.close();
  });

  it('adds the new columns to a database of the first step: its commands pending, sent again', async () => {
    const SQL = await initSqlJs();
    const old = new SQL.Database();
    old.run(
      "CREATE TABLE units (id TEXT PRIMARY KEY, last_up INTEGER NOT NULL DEFAULT 0, last_down INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'unknown', state_at INTEGER NOT NULL DEFAULT 0); CREATE TABLE commands (unit TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (unit, seq)); INSERT INTO units (id, last_down) VALUES ('u1', 1); INSERT INTO commands VALUES ('u1', 1, 'topup R301 1', 500);",
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'headend-old-'));
    try {
      const file = path.join(dir, 'old.sqlite');
      fs.writeFileSync(file, Buffer.from(old.export()));
      for (let i = 0; i < 2; i++) {
        // (twice: opening a database already brought up to date changes nothing)
        const s = await HeadendStore.open(file, UNITS);
        expect(s.commands()).toEqual([{ unit: 'u1', seq: 1, payload: 'topup R301 1', status: 'pending', answer: null, sentAt: 500, answeredAt: null, sends: 1 }]);
        expect(s.pendingCommands(undefined, 500)).toEqual([{ unit: 'u1', seq: 1, text: sealMessage(key(HEX.u1), 'u1', 1, 'topup R301 1') }]);
        expect(s.unitStates()[0]).toMatchObject({ id: 'u1', waiting: null, backlogHours: null, stateT: null });
        s.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
