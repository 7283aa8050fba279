// The CRC-32 of the EEPROM's batches and slots: the table in Node (hal/crc32.ts) is the IEEE
// CRC-32 the firmware always wrote (the bitwise loop it replaced), and so are the simulator's
// (Node's zlib.crc32) and the board's (E.CRC32 on the real interpreter, in hal/crc32.ts's place
// in every board bundle), so an EEPROM written by the simulator boots on the board and back.
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../firmware/lib/crc32';
import { bundleEntry } from '../../tools/build';
import { espruinoBinary, runOnEspruino } from '../../tools/espruino-check';
import { mulberry32 } from '../../sim/prng';

/** The bitwise CRC-32 the firmware had before (no table). */
function bitwise(bytes: Uint8Array, start: number, end: number): number {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i];
    for (let b = 0; b < 8; b++) crc = (crc >>> 1) ^ ((crc & 1) * 0xedb88320);
  }
  return ~crc >>> 0;
}

function sample(): { b: Uint8Array; v: Uint8Array } {
  const b = new Uint8Array(300);
  for (let i = 0; i < b.length; i++) b[i] = (i * 37 + 11) & 255;
  return { b, v: new Uint8Array(b.buffer, 5, 200) };
}

describe('CRC-32', () => {
  it('is the IEEE CRC-32 in Node (check value, and the bitwise loop over random runs)', () => {
    expect(crc32(new Uint8Array(Buffer.from('123456789')), 0, 9)).toBe(0xcbf43926);
    const rnd = mulberry32(14);
    const b = new Uint8Array(2000);
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
    for (let k = 0; k < 200; k++) {
      const s = Math.floor(rnd() * 1000);
      const e = s + Math.floor(rnd() * 1000);
      expect(crc32(b, s, e)).toBe(bitwise(b, s, e));
    }
  });

  it("gives the same numbers once the simulator has handed over Node's zlib.crc32", async () => {
    const rnd = mulberry32(15);
    const b = new Uint8Array(1500);
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
    const runs: number[][] = [];
    for (let k = 0; k < 100; k++) {
      const s = Math.floor(rnd() * 700);
      runs.push([s, s + Math.floor(rnd() * 800)]);
    }
    const table = runs.map(([s, e]) => crc32(b, s, e));
    await import('../../sim/storage-rig'); // useNativeCrc32(zlib.crc32)
    expect(runs.map(([s, e]) => crc32(b, s, e))).toEqual(table);
    expect(runs.map(([s, e]) => bitwise(b, s, e))).toEqual(table);
  });

  it.skipIf(!espruinoBinary())('gives the same numbers on the board (E.CRC32, views at offsets)', async () => {
    const lines = runOnEspruino(await bundleEntry('tests/build/fixtures/crc32-main.ts', ''), espruinoBinary()!);
    const { b, v } = sample();
    const want = [bitwise(b, 0, 0), bitwise(b, 0, 9), bitwise(b, 3, 12), bitwise(b, 1, 300), bitwise(v, 7, 150), bitwise(v, 0, 200)];
    expect(lines.filter((l) => l.startsWith('CRC ')), lines.join('\n')).toEqual(['CRC ' + want.join(' ')]);
  });

  it('the board bundle calls E.CRC32 and carries no CRC loop of its own', async () => {
    const code = await bundleEntry('tests/build/fixtures/crc32-main.ts', '');
    expect(code).toContain('E.CRC32(');
    expect(code).not.toContain('3988292384'); // 0xEDB88320
  });
});
