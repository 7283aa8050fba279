// The board image: Espruino pretokenisation (token numbers from Espruino's src/jslex.h), the
// split between the free flash area and Storage, the loader, and the fit check.
import { describe, expect, it } from 'vitest';
import * as fc from 'fast-check';
import { buildBoard, codeAreaOf, imageFit, loadBoard } from '../../tools/build';
import { espruinoBinary, runOnEspruino, slowIfEmulated } from '../../tools/espruino-check';
import { areaModules, boardImage, crc32, CRC_RESIDUE, detokenise, imageProblems, loaderFor, moduleBytes, modulesText, pretokenise, topLevelPieces, withCrc } from '../../tools/image';

const bytes = (s: string) => Array.from(s).map((c) => c.charCodeAt(0));
const ch = (s: string) => bytes(s);

describe('pretokenise', () => {
  it('turns keywords and two-character operators into their one-byte tokens', () => {
    // if = 163, return = 171, === 139, && 158, != 140, function 170, var 172
    expect(bytes(pretokenise('if(a===b&&c!=d)return'))).toEqual([163, ...ch('(a'), 139, ...ch('b'), 158, ...ch('c'), 140, ...ch('d)'), 171]);
    expect(bytes(pretokenise('var f=function(){}'))).toEqual([172, ...ch('f='), 170, ...ch('(){}')]);
    expect(bytes(pretokenise('x>>>=1'))).toEqual([...ch('x'), 149, 0xd4, 1]);
    expect(bytes(pretokenise('typeof x'))).toEqual([191, ...ch('x')]);
    expect(bytes(pretokenise('this.of'))).toEqual([175, ...ch('.of')]);
  });

  it('keeps catch as text (Espruino issue 1868) and a space only between two words', () => {
    expect(pretokenise('try{a()}catch(e){}')).toBe(String.fromCharCode(177) + '{a()}catch(e){}');
    expect(pretokenise('a = b  +  c')).toBe('a=b+c');
    expect(pretokenise('x instanceof y')).toBe('x' + String.fromCharCode(186) + 'y');
    expect(pretokenise('var a\nb()')).toBe(String.fromCharCode(172) + 'a\nb()');
  });

  it('writes strings raw with their length, except characters above 255', () => {
    expect(bytes(pretokenise('"ab"'))).toEqual([0xd1, 2, 97, 98]);
    expect(bytes(pretokenise('"a\\nb\\"c"'))).toEqual([0xd1, 5, 97, 10, 98, 34, 99]);
    expect(pretokenise('""')).toBe('""');
    const long = 'x'.repeat(300);
    expect(bytes(pretokenise('"' + long + '"').slice(0, 3))).toEqual([0xd2, 300 & 255, 300 >> 8]);
    expect(pretokenise('"\\u20ac"')).toBe('"\\u20ac"');
  });

  it('writes integers up to 32767 raw, and leaves the rest as text', () => {
    expect(bytes(pretokenise('0'))).toEqual([0xd3]);
    expect(bytes(pretokenise('127'))).toEqual([0xd4, 127]);
    expect(bytes(pretokenise('128'))).toEqual([0xd5, 128, 0]);
    expect(bytes(pretokenise('0x7fff'))).toEqual([0xd5, 255, 127]);
    expect(pretokenise('32768')).toBe('32768');
    expect(pretokenise('1.5')).toBe('1.5');
    expect(pretokenise('1e3')).toBe(String.fromCharCode(0xd5, 1000 & 255, 1000 >> 8));
  });
});

describe('reading an image back without Espruino', () => {
  it('detokenise gives text with the same tokens', () => {
    const src = 'function f(a,b){if(a===b&&a!=0)return "x\\n"+a;var n=-5,m=300,z=0;return typeof a=="string"?void 0:a>>>1}';
    expect(detokenise(pretokenise(src)).replace(/\s+/g, ' ')).toContain('typeof a == "string"');
    expect(new Function(detokenise(pretokenise(src)) + ';return f(3,4)')()).toBe(1);
    expect(new Function(src + ';return f(3,4)')()).toBe(1);
    expect(() => detokenise(String.fromCharCode(0xe0))).toThrow(/byte 224 at 0 is no Espruino token/);
    expect(() => detokenise(String.fromCharCode(0xd1, 9) + 'abc')).toThrow(/raw string at 0 runs past the end/);
  });

  it('finds an image that is not the bundle', () => {
    const code = 'function a(){return 1}\nfunction b(){return 2}\nvar x=a()+b()';
    const area = { address: 0x08004000, length: 30, pageBytes: 16384 };
    const img = boardImage(code, area);
    expect(imageProblems(code, img)).toEqual([]);
    expect(imageProblems(code, { ...img, storage: img.storage.slice(1) })).toContain('the area and Storage parts are not the pieces in order');
    expect(imageProblems(code, { ...img, areaCrc: img.areaCrc ^ 1 })).toContain('a CRC-32 in the loader does not match its part');
  });

  it('every top-level piece of both firmware builds reads back as its tokens', async () => {
    for (const name of ['pico', 'wifi']) {
      const r = await buildBoard(name, { write: false, espruino: false });
      expect(imageProblems(r.code, r.image), name).toEqual([]);
      expect(r.findings.filter((f) => f.kind === 'image'), name).toEqual([]);
    }
  }, slowIfEmulated(120000));
});

describe('board image', () => {
  const code = ['function a(){return 1}', 'function b(){return a()+1}', 'var x=b(),y="' + 'z'.repeat(40) + '"', 'print(x,y)'].join('\n');

  it('splits var statements into one piece per declarator, in order', () => {
    expect(topLevelPieces(code)).toEqual(['function a(){return 1}', 'function b(){return a()+1}', 'var x=b()', 'var y="' + 'z'.repeat(40) + '"', 'print(x,y)']);
  });

  it('fills the area in order while pieces fit, and puts the rest in Storage', () => {
    const p = topLevelPieces(code).map(pretokenise);
    const area = { address: 0x08004000, length: p[0].length + p[1].length + 3, pageBytes: 16384 };
    const img = boardImage(code, area);
    expect(img.area).toBe(p[0] + '\n' + p[1] + '\n');
    expect(img.area.length + p[2].length + 1).toBeGreaterThan(area.length);
    expect(img.storage).toBe(p.slice(2).join('\n') + '\n');
    expect(img.areaCrc).toBe(crc32(img.area));
    expect(img.loader).toContain('E.memoryArea(134234112,' + img.area.length + ')');
    expect(img.loader).toContain('(E.CRC32(__c)>>>0)!==' + img.areaCrc + '?"the code area at 0x8004000"');
    expect(img.storageCrc).toBe(crc32(img.storage));
    expect(img.loader).toContain('(E.CRC32(require("Storage").read("firmware"))>>>0)!==' + img.storageCrc + '?"the Storage file firmware"');
    expect(img.loader.indexOf('eval(__c)')).toBeLessThan(img.loader.indexOf('eval(require'));
    expect(boardImage(code, area, { checkStorage: false }).loader).not.toContain('E.CRC32(require');
    // no area: everything in Storage, and the loader only evaluates the file
    const plain = boardImage(code);
    expect(plain.area).toBe('');
    expect(plain.loader).not.toContain('memoryArea');
    expect(plain.loader).toContain('!==' + plain.storageCrc + '?"the Storage file firmware":""');
    expect(boardImage(code, undefined, { checkStorage: false }).loader).toBe('eval(require("Storage").read("firmware"));\n');
    // a large area: nothing left for Storage
    const all = boardImage(code, { ...area, length: 4096 });
    expect(all.storage).toBe('');
    expect(all.loader).not.toContain('Storage');
  });

  it('puts into the area the modules that leave it fullest, the resident pieces following in order', () => {
    // a module that would leave room for no piece stays out when the pieces fill more
    expect(areaModules([60], [45, 40], 100)).toEqual([false]);
    expect(areaModules([60], [40, 45], 100)).toEqual([true]);
    // the modules in order while they fit, when nothing does better
    expect(areaModules([40, 30], [30, 50], 70)).toEqual([true, true]);
    // a later module instead of an earlier one
    expect(areaModules([50, 45, 30], [25, 60], 100)).toEqual([false, true, true]);
  });

  it('keeps the modules\' table in flash, at the end of the Storage file, for the loader to read where it lies', () => {
    const mods = [
      { name: 'one', code: 'function a(){return 1}' },
      { name: 'two', code: 'function b(){return 2}' },
    ];
    const img = boardImage('var x=1\nvar y=2', { address: 0x08004000, length: 24, pageBytes: 16384 }, {}, mods);
    const t = img.table!;
    expect(t[0]).toBe(1);
    expect(t[1] + t[2]).toBe(img.storage.length);
    const text = img.storage.slice(t[1]);
    for (const m of mods) expect(text).toContain(' ' + m.name + ':' + img.modules[m.name].join(','));
    // a literal in the loader would be copied into the heap when it runs
    expect(img.loader).not.toContain(text);
    expect(img.loader).toContain('var MODULES=__piece(' + t.join(',') + ')');
    expect(img.loader.indexOf('var __piece=')).toBeLessThan(img.loader.indexOf('var MODULES='));
    expect(imageProblems('var x=1\nvar y=2', img, mods)).toEqual([]);
  });

  it('keeps a compressed module compressed, flagged for the loader to decompress', () => {
    const body = 'function a(){return "the same words, the same words, the same words"}';
    const mods = [
      { name: 'one', code: body, compressed: true },
      { name: 'two', code: body },
    ];
    const img = boardImage('var x=1\nvar y=2', undefined, {}, mods);
    expect(img.modules.one[2]).toBeLessThan(img.modules.two[2]);
    expect(moduleBytes(img, 'one')).toBe(pretokenise(body));
    expect(moduleBytes(img, 'two')).toBe(pretokenise(body));
    const t = img.table!;
    expect(img.storage.slice(t[1])).toBe(modulesText(img.modules, {}, ['one']));
    expect(img.storage.slice(t[1])).toContain(' one:5,');
    expect(img.loader).toContain('require("heatshrink").decompress');
    expect(imageProblems('var x=1\nvar y=2', img, mods)).toEqual([]);
    // a board with none compressed does not carry the decompression in its loader
    expect(boardImage('var x=1', undefined, {}, [mods[1]]).loader).not.toContain('heatshrink');
  });

  it('CRC-32 is the IEEE one E.CRC32 computes', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('')).toBe(0);
  });

  it('never splits a piece: every prefix the packer takes parses alone', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 400 }), (lens, cap) => {
        const src = lens.map((n, i) => 'function f' + i + '(){return "' + 'q'.repeat(n) + '"}').join('\n');
        const img = boardImage(src, { address: 0x08060000, length: cap, pageBytes: 131072 });
        const p = topLevelPieces(src).map(pretokenise);
        expect(img.area.length).toBeLessThanOrEqual(cap);
        const k = p.findIndex((_, i) => p.slice(0, i + 1).join('\n').length + 1 > cap);
        const inArea = k < 0 ? p.length : k;
        expect(img.area).toBe(inArea ? p.slice(0, inArea).join('\n') + '\n' : '');
        expect(img.storage).toBe(inArea < p.length ? p.slice(inArea).join('\n') + '\n' : '');
      }),
    );
  });

  it('a board image either fits or says which part does not', () => {
    const pico = loadBoard('pico');
    const big = boardImage('var s="' + 'x'.repeat(200000) + '"', codeAreaOf(pico));
    const f = imageFit(big, pico);
    expect(f.fits).toBe(false);
    expect(f.storageBytes).toBeGreaterThan(f.storageCapacity);
  });

  it('both boards build an image that fits their flash', async () => {
    for (const name of ['pico', 'wifi']) {
      const r = await buildBoard(name, { write: false, espruino: false });
      expect(r.fit.fits, name + ' ' + JSON.stringify(r.fit)).toBe(true);
      expect(r.fit.areaBytes).toBeGreaterThan(0);
    }
  }, slowIfEmulated(120000));
});

const binary = espruinoBinary();

describe('a code EEPROM', () => {
  const ee = { bus: 'I2C1', scl: 'B8', sda: 'B9', bitrate: 400000, address: 84, size: 4096 };
  const mods = [
    { name: 'aa', code: '(function(){return "' + 'a'.repeat(500) + '"})', eeprom: true },
    { name: 'bb', code: '(function(){return 2})' },
    { name: 'cc', code: '(function(){return "' + 'c'.repeat(300) + '"})', eeprom: true },
  ];

  it('holds its modules compressed, each followed by its CRC-32, and the loader checks each before anything runs', () => {
    const img = boardImage('var x=1;', { address: 0x08004000, length: 2048, pageBytes: 2048 }, { eeprom: ee }, mods);
    expect(img.modules.aa[0]).toBe(8);
    expect(img.modules.cc[0]).toBe(8);
    expect(img.modules.bb[0]).not.toBe(8);
    // (the heatshrunk bytes, much smaller than the code; then the next module after 4 bytes of CRC)
    expect(img.modules.aa[2]).toBeLessThan(100);
    expect(img.modules.cc[1]).toBe(img.modules.aa[2] + 4);
    expect(img.eeprom.length).toBe(img.modules.aa[2] + img.modules.cc[2] + 8);
    for (const n of ['aa', 'cc']) {
      const [, o, l] = img.modules[n];
      expect(crc32(img.eeprom.slice(o, o + l + 4))).toBe(CRC_RESIDUE);
      expect(detokenise(moduleBytes(img, n))).toContain(n === 'aa' ? 'a'.repeat(500) : 'c'.repeat(300));
    }
    expect(img.storage).not.toContain('a'.repeat(50));
    expect(img.compressed).toEqual(expect.arrayContaining(['aa', 'cc']));
    expect(modulesText(img.modules, {}, img.compressed)).toContain(' aa:12,0,');
    expect(img.loader).toContain('"the code EEPROM at 0x54"');
    expect(img.loader).toContain('I2C1.setup({scl:new Pin("B8"),sda:new Pin("B9"),bitrate:400000})');
    expect(() => boardImage('var x=1;', undefined, {}, mods)).toThrow(/modules in the code EEPROM \(aa, cc\) and no code EEPROM/);
  });

  it('a CRC-32 appended makes the residue whatever the bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => crc32(withCrc(Buffer.from(b).toString('latin1'))) === CRC_RESIDUE));
  });
});

describe('pretokenised code on the Espruino interpreter', () => {
  it('every token runs as the text it stands for', () => {
    const src = [
      'var out = [];',
      'function t(v) { out.push(JSON.stringify(v)); }',
      'var a = 5, b = 7, s = "str\\ting\\"q", n = null, u;',
      't([a == 5, a === 5, a != b, a !== b, a <= b, a >= b, a << 2, a >> 1, -a >>> 28]);',
      'a += 3; t(a); a -= 1; t(a); a++; t(a); a--; t(a); a *= 2; t(a); a /= 2; t(a); a %= 4; t(a);',
      'a &= 3; t(a); a |= 8; t(a); a ^= 1; t(a); a <<= 2; t(a); a >>= 1; t(a); a >>>= 1; t(a);',
      't([true && false, true || false, n, u === undefined, typeof s, void 0, 0, 127, 128, 32767, 32768, 1.5]);',
      'if (a) t("if"); else t("else");',
      'do { a--; } while (a > 3); t(a);',
      'for (var i = 0; i < 3; i++) { if (i == 1) continue; if (i == 2) break; t(i); }',
      'for (var k in { p: 1 }) t(k);',
      'try { throw new Error("e"); } catch (e) { t(e.message); } finally { t("finally"); }',
      'switch (b) { case 7: t("case"); break; default: t("default"); }',
      'var o = { x: 1 }; delete o.x; t(o); t(o instanceof Object); t("x" in o);',
      'function F() { this.v = 1; } t(new F().v);',
      't(s); t("' + 'L'.repeat(300) + '".length); t("' + 'M'.repeat(256) + '".length); t("\\xe9".charCodeAt(0)); t([255, 256, 512, -1]);',
      'print("RESULT " + out.join(" "));',
    ].join('\n');
    const plain = runOnEspruino(src, binary!).find((l) => l.startsWith('RESULT '));
    const tokenised = pretokenise(src);
    expect(tokenised.length).toBeLessThan(src.length);
    const tok = runOnEspruino(tokenised, binary!, 'latin1').find((l) => l.startsWith('RESULT '));
    expect(plain).toBeDefined();
    expect(tok).toBe(plain);
  });

  it('the loader refuses an area that is not this build', () => {
    const img = boardImage('function hi(){print("HELLO")}\nhi()', { address: 0x08004000, length: 4096, pageBytes: 16384 });
    expect(img.storage).toBe('');
    const good = loaderFor(img, { address: 0x08004000, length: 4096, pageBytes: 16384 }, { readArea: (o, l) => JSON.stringify(img.area) + '.substr(' + o + ',' + l + ')' });
    expect(runOnEspruino(good, binary!, 'latin1').some((l) => l.indexOf('HELLO') >= 0)).toBe(true);
    const damaged = img.area.slice(0, -3) + 'XX\n';
    const bad = loaderFor(img, { address: 0x08004000, length: 4096, pageBytes: 16384 }, { readArea: (o, l) => JSON.stringify(damaged) + '.substr(' + o + ',' + l + ')' });
    const out = runOnEspruino(bad, binary!, 'latin1');
    expect(out.some((l) => l.indexOf('HELLO') >= 0)).toBe(false);
    expect(out.some((l) => l.indexOf('FIRMWARE the code area at 0x8004000 does not hold this build') >= 0)).toBe(true);
  });
});
