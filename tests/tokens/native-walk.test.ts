// The token hash chain in machine code (hal/espruino/native/token-walk.c, shipped as
// hal/espruino/token-walk-code.ts): the committed bytes are a fresh build of the C source, and
// run on an emulated Cortex-M core (Debian's python3-unicorn) they walk every official vector
// and random chains link for link like the JavaScript walker, loaded on a 4- or a 2-byte
// boundary, leaving the stack as they found it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainWalker, parseToken, startSearch, walkChain } from '../../firmware/tokens/openpaygo';
import { checkedWalker, sameWalk } from '../../firmware/tokens/walker-check';
import { sipKey } from '../../firmware/tokens/siphash';
import { tokenWalkThumb } from '../../hal/espruino/token-walk-code';
import { ROUTINES, compile, haveCompiler, render } from '../../tools/native';
import { keyFromHex } from '../../tools/openpaygo-encode';
import { vectors } from './helpers';

const PYTHON = '/usr/bin/python3';
const HARNESS = path.join(__dirname, 'thumb-walk.py');

function unicornMissing(): string {
  if (!fs.existsSync(PYTHON)) return PYTHON + ' not found';
  const r = spawnSync(PYTHON, ['-c', 'import unicorn'], { encoding: 'utf8' });
  return r.status === 0 ? '' : 'python3-unicorn not installed (apt-get install python3-unicorn)';
}

const why = unicornMissing() || (haveCompiler() ? '' : 'arm-none-eabi-gcc not installed (apt-get install gcc-arm-none-eabi)');
if (why && process.env.CI) throw new Error('native-walk: ' + why);

interface Run {
  n: number;
  lo: number;
  hi: number;
  rest: number[];
  sp: boolean;
  insns: number;
}

/** Runs the shipped machine code on the emulated core for each case. */
export function runThumb(cases: { st: Int32Array; steps: number }[], base = 0x1000, count = false): Run[] {
  const input = JSON.stringify({ code: Buffer.from(tokenWalkThumb(), 'latin1').toString('base64'), base, count, cases: cases.map((c) => ({ st: Array.from(c.st), steps: c.steps })) });
  const r = spawnSync(PYTHON, [HARNESS], { input, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error('thumb-walk.py: ' + r.stderr);
  return JSON.parse(r.stdout);
}

/** What the JavaScript walker makes of the same case. */
function runJs(c: { st: Int32Array; steps: number }): { n: number; lo: number; hi: number } {
  const st = new Int32Array(c.st);
  const n = walkChain(st, c.steps);
  return { n, lo: st[8] >>> 0, hi: st[9] >>> 0 };
}

describe.skipIf(why !== '')('token chain in machine code' + (why ? ' (' + why + ')' : ''), () => {
  it('the committed code is a fresh build of the C source', () => {
    for (const r of ROUTINES) expect(fs.readFileSync(path.join(__dirname, '../..', r.output), 'utf8')).toBe(render(r, compile(r)));
  });

  it('walks every official vector to its count, like the JavaScript walker, on 4- and 2-byte boundaries', () => {
    const cases = vectors.map((v) => {
      const p = parseToken(v.token);
      if (!p.ok) throw new Error(v.token);
      const w = startSearch({ key: keyFromHex(v.key)!, startingCode: v.starting_code }, p.value, v.count, 0);
      const st = new Int32Array(w.st);
      st[8] = w.code % 4294967296 | 0;
      st[9] = Math.floor(w.code / 4294967296);
      return { st, steps: w.max };
    });
    for (const base of [0x1000, 0x1002]) {
      const runs = runThumb(cases, base);
      runs.forEach((r, i) => {
        const v = vectors[i];
        const js = runJs(cases[i]);
        expect({ n: r.n, lo: r.lo, hi: r.hi }, v.token).toEqual(js);
        // The first match on the chain is at the vector's count, or below it for an older token.
        expect(r.n, v.token).toBeLessThanOrEqual(v.new_count);
        expect(r.sp).toBe(true);
        expect(r.rest, 'key state and target untouched').toEqual(Array.from(cases[i].st.subarray(0, 8)).concat(Array.from(cases[i].st.subarray(10))).map((x) => x >>> 0));
      });
    }
  });

  it('random keys, codes and walk lengths, both chains: the same links as the JavaScript walker', () => {
    const cases = fc.sample(
      fc.record({
        key: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        ext: fc.boolean(),
        code: fc.integer({ min: 0, max: 999999999 }),
        codeHi: fc.integer({ min: 0, max: 232 }),
        target: fc.integer({ min: 0, max: 999 }),
        steps: fc.integer({ min: 1, max: 40 }),
      }),
      { numRuns: 300, seed: 20261123 },
    ).map((o) => {
      const st = new Int32Array(14);
      sipKey(o.key, st);
      st[8] = o.code;
      st[9] = o.ext ? o.codeHi : 0;
      // a matching window the walk is unlikely to reach: the vectors cover the matches
      st[10] = o.target * 1000000;
      st[11] = 0;
      st[12] = o.ext ? 1000000 : 1000;
      st[13] = o.ext ? 1 : 0;
      return { st, steps: o.steps };
    });
    const runs = runThumb(cases, 0x1002);
    runs.forEach((r, i) => expect({ n: r.n, lo: r.lo, hi: r.hi }).toEqual(runJs(cases[i])));
  });

  it('a walk that finds its window stops right after it', () => {
    const v = vectors[0];
    const p = parseToken(v.token);
    if (!p.ok) throw new Error(v.token);
    const w = startSearch({ key: keyFromHex(v.key)!, startingCode: v.starting_code }, p.value, 0, 0);
    const st = new Int32Array(w.st);
    st[8] = w.code;
    const [r] = runThumb([{ st, steps: 1000 }]);
    expect(r.n).toBe(v.new_count);
    expect(r.lo - (r.lo % 1000)).toBe(w.target);
  });
});

describe('the machine-code walker is checked once and dropped for good when it fails', () => {
  function store(init?: string) {
    const files: { [k: string]: string } = {};
    if (init !== undefined) files.tw = init;
    const writes: string[] = [];
    return { files, writes, read: (n: string) => files[n], write: (n: string, d: string) => ((files[n] = d), writes.push(d), true) };
  }

  it('a walker that agrees is checked at the first boot only', () => {
    const s = store();
    let made = 0;
    const make = () => (made++, walkChain);
    expect(checkedWalker(s, 'tw', make)).toBe(walkChain);
    expect(s.writes).toEqual(['try', 'ok']);
    expect(checkedWalker(s, 'tw', make)).toBe(walkChain);
    expect(s.writes).toEqual(['try', 'ok']);
    expect(made).toBe(2);
  });

  it('a walker that disagrees, or throws, is refused and never built again', () => {
    const off: ChainWalker = (st, steps) => {
      const n = walkChain(st, steps);
      st[8] ^= 1;
      return n;
    };
    const throws: ChainWalker = () => {
      throw new Error('bad');
    };
    for (const w of [off, throws]) {
      const s = store();
      expect(checkedWalker(s, 'tw', () => w)).toBe(null);
      expect(s.files.tw).toBe('bad');
      let made = 0;
      expect(checkedWalker(s, 'tw', () => (made++, walkChain))).toBe(null);
      expect(made).toBe(0);
    }
  });

  it('a check that crashed the board (the file still says try) is not run again', () => {
    const s = store('try');
    let made = 0;
    expect(checkedWalker(s, 'tw', () => (made++, walkChain))).toBe(null);
    expect(made).toBe(0);
    expect(s.files.tw).toBe('bad');
  });

  it('sameWalk tells the JavaScript walker from a wrong one', () => {
    expect(sameWalk(walkChain)).toBe(true);
    expect(sameWalk((st, steps) => walkChain(st, steps) + 1)).toBe(false);
  });
});
