// The unit's MQTT packets (firmware/uplink/mqtt.ts) on espruino-pico: written and read as Node
// writes and reads them (binary strings of all 256 byte values, a stream in slices, a malformed
// packet), and the uplink messages sealed and opened as Node does, within the Espruino subset.
import { describe, expect, it } from 'vitest';
import { bundleEntry } from '../../tools/build';
import { checkBundle, espruinoBinary, runOnEspruino } from '../../tools/espruino-check';
import { MqttReader, mqttConnect, mqttPubAck, mqttPublish, mqttSubscribe } from '../../firmware/uplink/mqtt';
import { openMessage, sealMessage } from '../../firmware/uplink/seal';

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

describe('MQTT on espruino-pico', () => {
  it('writes and reads the packets as Node does', async () => {
    const code = await bundleEntry('tests/build/fixtures/mqtt-main.ts', '');
    expect(checkBundle(code, { boot: false })).toEqual([]);
    const lines = runOnEspruino(code, espruinoBinary()!);
    const get = (k: string) => JSON.parse(lines.find((l) => l.startsWith(k + ' '))!.substr(k.length + 1));
    let big = '';
    for (let i = 0; i < 200; i++) big += String.fromCharCode(i);
    const made = [
      mqttConnect({ clientId: 'u1', keepAliveS: 10, will: { topic: 'w', payload: 'off', qos: 1, retain: false }, user: 'a', password: 'b' }),
      mqttSubscribe(7, 'unit/u1/cmd', 1),
      mqttPubAck(258),
      mqttPublish('unit/u1/up', big, 1, 300, false, true),
    ];
    expect(get('MADE')).toEqual(made.map(hex));
    const got: string[] = [];
    const stream = String.fromCharCode(0x20, 2, 0, 0, 0x90, 3, 0, 7, 1) + made[3] + String.fromCharCode(0xd0, 0) + String.fromCharCode(0x21, 2, 0, 0);
    const r = new MqttReader(1024);
    for (let i = 0; i < stream.length; i += 3)
      r.feed(stream.substr(i, 3), (p) => got.push(p.ok ? [p.value.type, p.value.id, p.value.code, p.value.qos, p.value.topic, p.value.payload === undefined ? '' : hex(p.value.payload)].join(',') : 'error ' + p.error));
    expect(got.length).toBe(5);
    expect(got[4]).toBe('error packet type 2 with flags 1');
    expect(get('GOT')).toEqual(got);
    // the uplink's sealed messages: the same MACs (32-bit halves), the same refusals
    const key = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
    const sealed = [sealMessage(key, 'u1', 1, '{"m":"M301","wh":123456}'), sealMessage(key, 'unit-0042', 4294967296, 'topup R301 5000'), sealMessage(key, 'u1', 7, '')];
    const opened = [openMessage(key, 'u1', 0, sealed[0]), openMessage(key, 'u1', 1, sealed[0]), openMessage(key, 'u1', 0, sealed[0].replace('M301', 'M302')), openMessage(key, 'unit-0042', 5, sealed[1])];
    const want = [sealed, opened.map((r) => (r.ok ? r.value.seq + ' ' + r.value.payload : r.error))];
    expect(want[1]).toEqual(['1 {"m":"M301","wh":123456}', 'replay', 'mac', '4294967296 topup R301 5000']);
    expect(get('SEAL')).toEqual(want);
  }, 60000);
});
