// The head-end (`npm run headend`, tools/headend/) against a real broker (mosquitto, started here)
// with units speaking the firmware's packets and sealed messages: every genuine message stored
// once and in order, the broker's second deliveries and replays dropped, forged, altered and
// other units' messages refused and counted; a command sent from the head-end reaches the unit
// sealed with the next number, and the same command again is refused by the unit; the will
// marks a unit offline; the database kept in its file and exported as CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client, publish, startBroker, unitConnection } from './broker';
import { CONNACK, PUBACK, PUBLISH, SUBACK, mqttConnect, mqttDisconnect, mqttPubAck, mqttPublish, mqttSubscribe } from '../../firmware/uplink/mqtt';
import { openMessage, sealMessage } from '../../firmware/uplink/seal';
import { HeadendStore, parseUnits } from '../../tools/headend/store';
import { HeadendProcess } from './processes';

const ROOT = path.resolve(__dirname, '..', '..');
const K1 = '000102030405060708090a0b0c0d0e0f';
const K2 = 'f0e0d0c0b0a090807060504030201000';
const key = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

const unit = unitConnection;

describe('the head-end with a real broker', () => {
  let broker: { port: number; stop: () => void };
  let dir: string;
  let he: HeadendProcess;
  beforeAll(async () => {
    broker = await startBroker();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'headend-'));
    fs.writeFileSync(path.join(dir, 'units.json'), JSON.stringify({ units: [{ id: 'u1', key: K1 }, { id: 'u2', key: K2 }] }));
    he = new HeadendProcess(['serve', '--broker', 'mqtt://127.0.0.1:' + broker.port, '--units', path.join(dir, 'units.json'), '--db', path.join(dir, 'h.sqlite')]);
    await he.until((l) => /^subscribed to /.test(l), 60000);
  }, 90000);
  afterAll(async () => {
    // (quit: it saves and exits; its file is not written while the folder goes)
    if (he && he.p.exitCode === null) {
      const gone = new Promise((r) => he.p.on('exit', r));
      he.type('quit');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10000))]);
      he.p.kill();
    }
    if (broker) broker.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 20000);

  it('stores every genuine message once, refuses and counts the rest, sends a sealed command, sees the will', async () => {
    const u1 = await unit(broker.port, 'u1');
    const u2 = await unit(broker.port, 'u2');
    await he.until((l) => l === 'state u2 online');
    let id = 10;
    const up = async (c: Client, topic: string, text: string) => {
      c.send(mqttPublish(topic, text, 1, ++id));
      expect((await c.next(PUBACK)).id).toBe(id);
    };
    const sealed1: string[] = [];
    for (let s = 1; s <= 20; s++) sealed1.push(sealMessage(key(K1), 'u1', s, JSON.stringify({ k: 'b', r: [[s, 1765000000 + 900 * s, 1, 0, [1000 * s]]] })));
    // (out of order: 12 comes after 13, as a batch sent again after a reconnection would)
    for (const t of sealed1.slice(0, 11).concat(sealed1[12], sealed1[11], sealed1.slice(13))) await up(u1, 'unit/u1/up', t);
    // the broker's second delivery, and an old message again
    await up(u1, 'unit/u1/up', sealed1[19]);
    await up(u1, 'unit/u1/up', sealed1[4]);
    // forged (another key), altered (the reading changed), u1's message on u2's topic, an unknown unit
    await up(u1, 'unit/u1/up', sealMessage(key(K2), 'u1', 21, '{"k":"b","r":[[21,1765018900,1,0,[99]]]}'));
    await up(u1, 'unit/u1/up', sealed1[0].replace('[1000]', '[9000]').replace(/^1 /, '21 '));
    await up(u2, 'unit/u2/up', sealMessage(key(K1), 'u1', 1, '{"k":"e"}'));
    expect(publish(broker.port, 'unit/u9/up', sealMessage(key(K1), 'u9', 1, '{}'))).toBe(0);
    await up(u2, 'unit/u2/up', sealMessage(key(K2), 'u2', 1, '{"k":"b","e":[[1,1765000000,"R401","relay","open: no credit"]]}'));
    await he.until((l) => l === 'stored u2 #1');
    await he.until((l) => l === 'refused u9 unknown unit');
    expect(he.count(/^stored u1 #\d+$/)).toBe(20);
    expect(he.count(/^refused u1 replay$/)).toBe(2);
    expect(he.count(/^refused u1 mac$/)).toBe(2);
    expect(he.count(/^refused u2 mac$/)).toBe(1);

    // a command from the operator: sealed with u1's next number; the unit takes it once
    he.type('send u1 topup R301 5000');
    const cmd = await u1.next(PUBLISH);
    u1.send(mqttPubAck(cmd.id!));
    expect(cmd.topic).toBe('unit/u1/cmd');
    expect(openMessage(key(K1), 'u1', 0, cmd.payload!)).toEqual({ ok: true, value: { seq: 1, payload: 'topup R301 5000' } });
    // the same text again (a replay by anyone who saw it) is refused by the unit's own check
    expect(openMessage(key(K1), 'u1', 1, cmd.payload!)).toEqual({ ok: false, error: 'replay' });
    // a forged command: not the unit's key
    expect(openMessage(key(K1), 'u1', 1, sealMessage(key(K2), 'u1', 2, 'topup R301 5000'))).toEqual({ ok: false, error: 'mac' });
    await he.until((l) => l === 'sent u1 #1');

    // u1 drops without a DISCONNECT: the broker publishes its will
    u1.sock.destroy();
    await he.until((l) => l === 'state u1 offline');
    he.type('units');
    expect(await he.until((l) => /^unit u1 /.test(l))).toBe('unit u1 offline, last message #20, stored 20, refused 4');
    expect(await he.until((l) => /^unit u2 /.test(l))).toBe('unit u2 online, last message #1, stored 1, refused 1');
    he.type('save');
    await he.until((l) => l === 'saved');
    // (a DISCONNECT first: no will, so u2 stays online in the file the next test reads, whenever
    // the head-end next writes it)
    u2.send(mqttDisconnect());
    u2.sock.end();
  }, 60000);

  it('keeps the database in its file: units and refusals listed, messages exported as CSV, in order', async () => {
    const db = path.join(dir, 'h.sqlite');
    const units = parseUnits(fs.readFileSync(path.join(dir, 'units.json'), 'utf8'));
    if (!units.ok) throw new Error(units.error);
    const s = await HeadendStore.open(db, units.units);
    expect(s.messages('u1').map((m) => m[0])).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(s.messages('u1')[2][1]).toBe('{"k":"b","r":[[3,1765002700,1,0,[3000]]]}');
    expect(s.refusals()).toEqual([
      { unit: 'u1', why: 'mac', count: 2 },
      { unit: 'u1', why: 'replay', count: 2 },
      { unit: 'u2', why: 'mac', count: 1 },
      { unit: 'u9', why: 'unknown unit', count: 1 },
    ]);
    const csv = s.messagesCsv().split('\r\n');
    expect(csv[0]).toBe('unit,seq,received_at,payload');
    expect(csv[1]).toMatch(/^u1,1,\d{4}-\d\d-\d\dT[\d:.]+Z,"\{""k"":""b"",""r"":\[\[1,1765000900,1,0,\[1000\]\]\]\}"$/);
    expect(csv.length).toBe(1 + 21 + 1);
    // the CLI reads the same file
    const ex = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', '.bin', 'ts-node'), 'tools/headend/cli.ts', 'units', '--units', path.join(dir, 'units.json'), '--db', db], { cwd: ROOT, encoding: 'utf8' });
    expect(ex.stdout.split('\n').filter((l) => l)).toEqual(['unit u1 offline, last message #20, stored 20, refused 4', 'unit u2 online, last message #1, stored 1, refused 1', 'refused u1 mac: 2', 'refused u1 replay: 2', 'refused u2 mac: 1', 'refused u9 unknown unit: 1']);
    // a bad units file: one line naming what is wrong, exit 2
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ units: [{ id: 'u1', key: 'xyz' }] }));
    const bad = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', '.bin', 'ts-node'), 'tools/headend/cli.ts', 'units', '--units', path.join(dir, 'bad.json'), '--db', db], { cwd: ROOT, encoding: 'utf8' });
    expect([bad.status, bad.stderr.trim()]).toEqual([2, 'headend: ' + path.join(dir, 'bad.json') + ': units[0].key: expected 32 hexadecimal digits']);
  }, 60000);
});
