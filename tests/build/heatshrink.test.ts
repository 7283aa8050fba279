// The compression of the modules a board keeps compressed in flash (tools/heatshrink.ts): what
// it writes, an independent heatshrink decoder (heatshrink-ts, Espruino's window of 8 bits and
// look-ahead of 6) and Espruino's own built-in decompressor give back byte for byte; and it is
// never longer than Espruino's own compressor makes the same bytes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { heatshrink } from '../../tools/heatshrink';
import { moduleBytes, pretokenise, unheatshrink } from '../../tools/image';
import { bootOnEspruino, espruinoWifiBinary, runOnEspruino, slowIfEmulated } from '../../tools/espruino-check';
import { buildBoard, imageOnLinux, loadBoard } from '../../tools/build';
import { crc32 } from '../../firmware/lib/crc32';
import { mulberry32 } from '../../sim/prng';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** A byte string with runs and repeats, as code has. */
function codeLike(seed: number, n: number): string {
  const rnd = mulberry32(seed);
  const words = ['function', 'return ', 'this.', 'var ', '(a,b)', '{', '}', ';', 'accounts', '\xa3', '\xd3', '\x00'];
  let s = '';
  while (s.length < n) s += rnd() < 0.7 ? words[Math.floor(rnd() * words.length)] : String.fromCharCode(Math.floor(rnd() * 256));
  return s.slice(0, n);
}

describe('heatshrink compression (modules kept compressed in flash)', () => {
  it('gives back every byte string through an independent decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 2 }), (a, kind) => {
        // random bytes, or runs of few values (long matches, overlapping their own output)
        const s = Buffer.from(kind === 0 ? a : a.map((x) => (kind === 1 ? x & 3 : 65))).toString('latin1');
        expect(unheatshrink(heatshrink(s))).toBe(s);
      }),
      { numRuns: 300 },
    );
    expect(heatshrink('')).toBe('');
  });

  it('shrinks code by about a quarter', () => {
    let js = '';
    for (let i = 0; i < 60; i++) js += 'function f' + i + '(a,b){if(a.n' + (i % 7) + '>b)return "account "+a.name+" has "+b;for(var k=0;k<' + i + ';k++)a.t[k]+=b*' + i * 13 + ';return null}\n';
    const code = pretokenise(js);
    expect(heatshrink(code).length).toBeLessThan(code.length * 0.8);
  });

  it("is decompressed byte for byte by Espruino's built-in heatshrink, and no longer than its own compressor's", () => {
    const samples = [codeLike(1, 3000), codeLike(2, 700), 'a'.repeat(500), 'x', '\x00\x00\x00\xff\xff', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) & 255)).toString('latin1')];
    const js =
      'var h=require("heatshrink");\n' +
      samples.map((s) => 'var d=h.decompress(atob(' + JSON.stringify(Buffer.from(heatshrink(s), 'latin1').toString('base64')) + '));' + 'print("HS",d.byteLength,E.CRC32(d)>>>0,h.compress(atob(' + JSON.stringify(Buffer.from(s, 'latin1').toString('base64')) + ')).length);').join('\n');
    const lines = runOnEspruino(js, espruinoWifiBinary()!).filter((l) => l.startsWith('HS '));
    expect(lines.length, lines.join('\n')).toBe(samples.length);
    samples.forEach((s, i) => {
      const f = lines[i].split(' ').map(Number);
      expect(f[1], 'length of sample ' + i).toBe(s.length);
      expect(f[2], 'CRC-32 of sample ' + i).toBe(crc32(bytes(s), 0, s.length));
      expect(heatshrink(s).length, 'sample ' + i).toBeLessThanOrEqual(f[3]);
    });
  });

  it('the WiFi image: every module, compressed or not, is read back from its place and evaluates on the board', async () => {
    const board = loadBoard('wifi');
    expect(board.compressedModules!.length).toBeGreaterThan(0);
    const r = await buildBoard('wifi', { write: false, espruino: false });
    const img = imageOnLinux(r.code, board, r.modules);
    // After the boot, each entry of the loader's table read with the loader's own __piece and
    // evaluated: a module is its entry function (or a function of the library pieces it reads),
    // a library piece that reads none the array of its values.
    img.boot +=
      '\nMODULES.trim().split(" ").forEach(function (e) { var n = e.split(":")[0], a = e.split(":")[1].split(","), s = __piece(a[0] & 5, +a[1], +a[2]);' +
      ' print("Serial1> MOD " + n + " " + (a[0] & 4 ? "z" : "-") + " " + s.length + " " + (E.CRC32(s) >>> 0) + " " + typeof eval(s)); });';
    const run = bootOnEspruino(img, espruinoWifiBinary()!, ['status']);
    expect(run.findings).toEqual([]);
    const full = (await import('../../tools/image')).boardImage(r.code, undefined, {}, r.modules);
    const want = r.modules.map((m) => {
      const b = moduleBytes(full, m.name);
      return 'MOD ' + m.name + ' ' + (board.compressedModules!.indexOf(m.name) >= 0 ? 'z' : '-') + ' ' + b.length + ' ' + crc32(bytes(b), 0, b.length) + ' ' + (m.name < 'a' && !m.deps ? 'object' : 'function');
    });
    expect(run.lines.filter((l) => l.indexOf('MOD ') === 0).sort()).toEqual(want.sort());
  }, slowIfEmulated(180000));
});
