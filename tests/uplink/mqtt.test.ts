// The unit's MQTT 3.1.1 packets (firmware/uplink/mqtt.ts): the byte forms the standard gives
// (OASIS MQTT 3.1.1: the remaining-length table of 2.2.3, the CONNECT example of 3.1.2.11), the
// reader over any slicing and against malformed input, and a session with a real broker
// (Debian's mosquitto, started here on a free port) and its own clients as independent peers:
// connect with a last will, subscribe, a command published by mosquitto_pub reaching the unit at
// QoS 1, the unit's QoS 1 publish acknowledged and seen by mosquitto_sub, and the will published
// when the unit's connection drops without a DISCONNECT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Client, publish, startBroker, subscribe } from './broker';
import { CONNACK, MqttPacket, MqttReader, PINGRESP, PUBACK, PUBLISH, SUBACK, mqttConnect, mqttDisconnect, mqttPing, mqttPubAck, mqttPublish, mqttSubscribe } from '../../firmware/uplink/mqtt';
import type { Result } from '../../hal/result';

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
const bytes = (h: string) => Buffer.from(h.replace(/ /g, ''), 'hex').toString('latin1');

/** Every packet (or error) a reader gives for input fed in the given slices. */
function readAll(slices: string[], max = 1 << 20): Result<MqttPacket>[] {
  const r = new MqttReader(max);
  const out: Result<MqttPacket>[] = [];
  for (const s of slices) r.feed(s, (p) => out.push(p));
  return out;
}

describe('MQTT packets', () => {
  it('writes the remaining length as the standard\'s table (2.2.3)', () => {
    const table: [number, string][] = [[0, '00'], [127, '7f'], [128, '8001'], [16383, 'ff7f'], [16384, '808001'], [2097151, 'ffff7f'], [2097152, '80808001']];
    // (a PUBLISH of topic "t" at QoS 0 has 3 bytes before its payload)
    for (const [n, h] of table.slice(1)) {
      const p = mqttPublish('t', 'x'.repeat(n - 3), 0, 0);
      expect(hex(p.substr(1, h.length / 2)), String(n)).toBe(h);
      expect(readAll([p], 1 << 22)[0]).toEqual({ ok: true, value: { type: PUBLISH, qos: 0, retain: false, dup: false, topic: 't', payload: 'x'.repeat(n - 3) } });
    }
    expect(hex(mqttPing())).toBe('c0' + table[0][1]);
    expect(hex(mqttDisconnect())).toBe('e000');
  });

  it('writes CONNECT as the standard\'s example (3.1.2.11: flags CE, keep alive 10)', () => {
    const p = mqttConnect({ clientId: 'u1', keepAliveS: 10, will: { topic: 'w', payload: 'off', qos: 1, retain: false }, user: 'a', password: 'b' });
    // fixed header 10, remaining length; "MQTT" level 4, flags CE, keep alive 000A; then the payload
    expect(hex(p)).toBe('10' + '1c' + '00044d515454' + '04' + 'ce' + '000a' + '00027531' + '000177' + '00036f6666' + '000161' + '000162');
    expect(hex(mqttConnect({ clientId: 'x', keepAliveS: 60 }))).toBe('100d00044d51545404' + '02' + '003c' + '000178');
    expect(hex(mqttSubscribe(7, 'a/b', 1))).toBe('82' + '08' + '0007' + '0003612f62' + '01');
    expect(hex(mqttPubAck(258))).toBe('40020102');
    expect(hex(mqttPublish('a', 'hi', 1, 5, true, true))).toBe('3b' + '07' + '000161' + '0005' + '6869');
  });

  it('reads the packets a client receives, in any slices, several in one', () => {
    const stream = bytes('20 02 00 00') + bytes('90 03 00 07 01') + mqttPublish('cmd/u1', 'topup 5', 1, 9) + bytes('40 02 01 02') + bytes('d0 00');
    const want = [
      { type: CONNACK, session: false, code: 0 },
      { type: SUBACK, id: 7, code: 1 },
      { type: PUBLISH, qos: 1, retain: false, dup: false, topic: 'cmd/u1', payload: 'topup 5', id: 9 },
      { type: PUBACK, id: 258 },
      { type: PINGRESP },
    ].map((value) => ({ ok: true, value }));
    expect(readAll([stream])).toEqual(want);
    // byte by byte, and in every two-way cut
    expect(readAll(stream.split(''))).toEqual(want);
    for (let k = 1; k < stream.length; k++) expect(readAll([stream.slice(0, k), stream.slice(k)])).toEqual(want);
  });

  it('refuses malformed packets with a reason, and takes nothing after one', () => {
    const err = (s: string, max?: number) => readAll([s], max).map((r) => (r.ok ? 'ok' : r.error));
    expect(err(bytes('30 ff ff ff ff 01'))).toEqual(['remaining length longer than four bytes']);
    expect(err(mqttPublish('t', 'x'.repeat(100), 0, 0), 64)).toEqual(['packet of 103 bytes, more than 64']);
    expect(err(bytes('21 02 00 00'))).toEqual(['packet type 2 with flags 1']);
    expect(err(bytes('20 02 02 00'))).toEqual(['malformed CONNACK']);
    expect(err(bytes('36 03 00 01 61'))).toEqual(['PUBLISH with QoS 3']);
    expect(err(bytes('32 05 00 01 61 00 00'))).toEqual(['PUBLISH with packet identifier 0']);
    expect(err(bytes('30 04 00 09 61 62'))).toEqual(['PUBLISH shorter than its topic']);
    expect(err(bytes('90 03 00 07 03'))).toEqual(['SUBACK with return code 3']);
    expect(err(bytes('10 00'))).toEqual(['packet type 1 is not one a client receives']);
    // after an error the reader is done: a good packet behind it is not read
    expect(err(bytes('21 02 00 00 d0 00'))).toEqual(['packet type 2 with flags 1']);
  });

  it('reads back every PUBLISH it writes (property)', () => {
    const byteString = (max: number) => fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: max }).map((a) => String.fromCharCode(...a));
    fc.assert(
      fc.property(byteString(40), byteString(300), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 65535 }), fc.boolean(), fc.integer({ min: 1, max: 7 }), (topic, payload, qos, id, retain, cut) => {
        const p = mqttPublish(topic, payload, qos, id, retain);
        const got = readAll([p.slice(0, cut), p.slice(cut)]);
        const value: MqttPacket = { type: PUBLISH, qos, retain, dup: false, topic, payload };
        if (qos) value.id = id;
        expect(got).toEqual([{ ok: true, value }]);
      }),
    );
  });
});

describe('MQTT against mosquitto', () => {
  let broker: { port: number; stop: () => void };
  let port = 0;
  beforeAll(async () => {
    broker = await startBroker();
    port = broker.port;
  }, 20000);
  afterAll(() => broker && broker.stop());

  it('connects with a will, takes a command at QoS 1, publishes at QoS 1, and its will goes when it drops', async () => {
    const will = subscribe(port, 'unit/u1/state', 1);
    const up = subscribe(port, 'unit/u1/up', 1);
    await Promise.all([will.ready, up.ready]);
    const c = new Client(port);
    c.send(mqttConnect({ clientId: 'u1', keepAliveS: 30, will: { topic: 'unit/u1/state', payload: 'offline', qos: 1, retain: false } }));
    expect(await c.next(CONNACK)).toEqual({ type: CONNACK, session: false, code: 0 });
    c.send(mqttSubscribe(1, 'unit/u1/cmd', 1));
    expect(await c.next(SUBACK)).toEqual({ type: SUBACK, id: 1, code: 1 });
    // a command from the head-end's side, by mosquitto's own client
    expect(publish(port, 'unit/u1/cmd', 'topup R301 5000')).toBe(0);
    const cmd = await c.next(PUBLISH);
    expect([cmd.topic, cmd.payload, cmd.qos]).toEqual(['unit/u1/cmd', 'topup R301 5000', 1]);
    expect(cmd.id).toBeGreaterThan(0);
    c.send(mqttPubAck(cmd.id!));
    // the unit's reading goes up at QoS 1: the broker acknowledges it, the subscriber has it
    c.send(mqttPublish('unit/u1/up', '{"seq":1,"m":"M301","wh":123456}', 1, 2));
    expect(await c.next(PUBACK)).toEqual({ type: PUBACK, id: 2 });
    expect(await up.lines).toEqual(['{"seq":1,"m":"M301","wh":123456}']);
    c.send(mqttPing());
    expect(await c.next(PINGRESP)).toEqual({ type: PINGRESP });
    // the connection drops (a power cut, the link gone): the broker publishes the will
    c.sock.destroy();
    expect(await will.lines).toEqual(['offline']);
    expect(c.errors).toEqual([]);
  }, 30000);

  it('a clean DISCONNECT sends no will', async () => {
    const c = new Client(port);
    c.send(mqttConnect({ clientId: 'u2', keepAliveS: 30, will: { topic: 'unit/u2/state', payload: 'offline', qos: 1, retain: false } }));
    expect((await c.next(CONNACK)).code).toBe(0);
    const will = subscribe(port, 'unit/u2/state', 1);
    await will.ready;
    c.send(mqttDisconnect());
    await new Promise((r) => setTimeout(r, 300));
    c.sock.destroy();
    // nothing comes within a second: a message published on purpose comes instead
    await new Promise((r) => setTimeout(r, 1000));
    publish(port, 'unit/u2/state', 'marker');
    expect(await will.lines).toEqual(['marker']);
  }, 30000);
});
