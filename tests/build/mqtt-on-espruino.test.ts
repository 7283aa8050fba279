// The unit's MQTT packets (firmware/uplink/mqtt.ts) on espruino-pico: written and read as Node
// writes and reads them (binary strings of all 256 byte values, a stream in slices, a malformed
// packet), and the uplink messages sealed and opened as Node does, within the Espruino subset
// (the same samples run in both: fixtures/mqtt-samples.ts).
import { describe, expect, it } from 'vitest';
import { bundleEntry } from '../../tools/build';
import { checkBundle, espruinoBinary, runOnEspruino } from '../../tools/espruino-check';
import { clientRun, got, hex, made, sealed } from './fixtures/mqtt-samples';

describe('MQTT on espruino-pico', () => {
  it('writes and reads the packets, and seals and opens messages, as Node does', async () => {
    const code = await bundleEntry('tests/build/fixtures/mqtt-main.ts', '');
    expect(checkBundle(code, { boot: false })).toEqual([]);
    const lines = runOnEspruino(code, espruinoBinary()!);
    const get = (k: string) => JSON.parse(lines.find((l) => l.startsWith(k + ' '))!.substr(k.length + 1));
    expect(get('MADE')).toEqual(made().map(hex));
    const g = got();
    expect(g.length).toBe(5);
    expect(g[4]).toBe('error packet type 2 with flags 1');
    expect(get('GOT')).toEqual(g);
    const s = sealed();
    expect(s[1]).toEqual(['1 {"m":"M301","wh":123456}', 'replay', 'mac', '4294967296 topup R301 5000']);
    expect(get('SEAL')).toEqual(s);
    // the client (firmware/uplink/client.ts) against a scripted broker
    const run = clientRun();
    expect(run).toEqual(['open', '> 10', '> 82', 'state up', '> 32', 'acked first', '> 40', 'command topup 5', '> 32', 'closed', 'state down', 't 999', 'open', '> 10', '> 82', '> 3a', 'state up', 'acked second', 'closed', 'state down']);
    expect(get('CLIENT')).toEqual(run);
  }, 60000);
});
