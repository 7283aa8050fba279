// The billing core compiled to Lua (tools/lua/build.ts) against the same core on Node, byte for
// byte, on the real interpreters: Lua 5.1, LuaJIT 2.1 and Lua 5.4 (.ci/run installs them).
// Golden traces, a few thousand random event streams, JSON and number text, and the worked
// example of docs/lua.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'child_process';
import fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildLua } from '../../tools/lua/build';
import { Trace, replayText } from '../../tools/replay-text';
import { mutatedConfigTraces, randomTraces } from './streams';

const ROOT = path.join(__dirname, '..', '..');
const VECTORS = path.join(ROOT, 'tests', 'vectors');
const LUAS = ['lua5.1', 'luajit', 'lua5.4'];
/** Random streams per run, each fed to Node and to every interpreter (LUA_STREAMS overrides),
 *  and traces with mutated configurations. */
const STREAMS = Number(process.env.LUA_STREAMS) || 3000;
const MUTATED = Math.ceil(STREAMS / 3);
const SEED = Number(process.env.LUA_SEED) || 20260105;

let dir = '';

/** Runs a Lua program; its standard output, or an error with its standard error. */
function lua(bin: string, args: string[], cwd = dir): string {
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LUA_PATH: path.join(dir, '?.lua') + ';;' } });
  if (r.error) throw new Error(bin + ': ' + r.error.message + ' (.ci/run installs lua5.1, luajit and lua5.4)');
  if (r.status !== 0) throw new Error(bin + ' ' + args.join(' ') + ' exited ' + r.status + ':\n' + r.stderr);
  return r.stdout;
}

/** Node's replay of trace files, as `npm run replay` prints it. */
function nodeReplay(files: string[], check: boolean, state: boolean): string {
  const lines: string[] = [];
  let bad = 0;
  for (const f of files) {
    const r = replayText(f, fs.readFileSync(f, 'utf8'), { check, state });
    lines.push(...r.lines);
    bad += r.differ;
  }
  if (check) lines.push(bad ? bad + ' step(s) differ' : 'all steps as expected');
  return lines.join('\n') + '\n';
}

/** The first trace block (from a "# " line) where two replays differ, for the message. */
function firstDifference(a: string, b: string): string {
  const blocks = (s: string) => s.split(/\n(?=# )/);
  const x = blocks(a);
  const y = blocks(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return 'Node:\n' + x[i] + '\nLua:\n' + y[i];
  return '';
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-core-'));
  buildLua(dir);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the billing core in Lua', () => {
  it('is built into one module with the replay program beside it', () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['billing.lua', 'replay.lua']);
    const code = fs.readFileSync(path.join(dir, 'billing.lua'), 'utf8');
    // The rules are compiled, not written by hand: the core's own names are in the module.
    for (const name of ['____exports.Core', 'carryOver', 'parseConfig', 'civilFromSeconds', '____truthy']) expect(code).toContain(name);
    const versions = LUAS.map((l) => spawnSync(l, ['-v'], { encoding: 'utf8' })).map((r) => (r.stdout + r.stderr).trim());
    expect(versions[0]).toMatch(/^Lua 5\.1/);
    expect(versions[1]).toMatch(/^LuaJIT 2\.1/);
    expect(versions[2]).toMatch(/^Lua 5\.4/);
  });

  const vectors = fs.readdirSync(VECTORS).filter((f) => f.endsWith('.json')).map((f) => path.join('tests', 'vectors', f));
  for (const l of LUAS) {
    it(l + ': the golden traces give the same bytes as on Node (decisions, state, ledger) and as expected', () => {
      const want = nodeReplay(vectors.map((f) => path.join(ROOT, f)), true, true).split(ROOT + path.sep).join('');
      expect(want).toContain('all steps as expected');
      const got = lua(l, [path.join(dir, 'replay.lua'), '--check', '--state', ...vectors], ROOT);
      expect(got.length).toBeGreaterThan(10_000);
      expect(got === want, firstDifference(want, got)).toBe(true);
    });
  }

  it(STREAMS + ' random event streams give the same decisions, state and ledger on Node and on each Lua, ' + MUTATED + ' mutated configurations the same messages', () => {
    const mutated = mutatedConfigTraces(MUTATED, SEED);
    const traces = randomTraces(STREAMS, SEED).concat(mutated);
    const file = path.join(dir, 'streams.json');
    fs.writeFileSync(file, JSON.stringify(traces));
    const want = replayText('streams.json', JSON.stringify(traces), { state: true }).lines.join('\n') + '\n';
    // The streams reach the rules: every kind of decision is there, in numbers.
    const count = (s: string) => want.split('\n').filter((l) => l.startsWith('  ' + s)).length;
    for (const [kind, least] of [['ledger', STREAMS * 3], ['relay', STREAMS], ['alarm', STREAMS / 5], ['clear', STREAMS / 20], ['event', STREAMS * 2], ['refused', STREAMS / 2]] as [string, number][]) {
      expect(count(kind), kind).toBeGreaterThan(least);
    }
    const refused = want.split('\n').filter((l) => l.startsWith('  error ')).length;
    expect(refused).toBeGreaterThan(MUTATED / 2);
    expect(refused).toBeLessThan(MUTATED);
    for (const code of ['charge', 'correction', 'transfer', 'refund', 'register-rebased', 'overload-trip', 'cut-deferred', 'new-cycle', 'meter-swapped', 'time-invalid', 'hoarding']) expect(want).toContain(' ' + code);
    // One interpreter at a time: the test keeps to its one core of the suite's two.
    for (const l of LUAS) {
      const got = lua(l, ['replay.lua', '--state', 'streams.json']);
      if (got !== want) {
        const keep = path.join(os.tmpdir(), 'lua-streams-' + SEED + '.json');
        fs.copyFileSync(file, keep);
        expect.fail(l + ' differs from Node (the streams are in ' + keep + ')\n' + firstDifference(want, got));
      }
    }
  });

  it('reads and writes JSON as JavaScript does, numbers printed as String() prints them', () => {
    const key = fc.oneof(fc.string({ maxLength: 6 }), fc.tuple(fc.nat(99_999), fc.nat(99_999)).map(([a, b]) => String(a * 100_000 + b)), fc.constantFrom('__proto__', 'toString', '01', '4294967294', '4294967295'));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.constantFrom(0.1, 1e21, 1e-7, 123e-20, 2 ** 53, -(2 ** 60), 5e-324, 1.7976931348623157e308, 0.30000000000000004),
        fc.string({ unit: 'grapheme', maxLength: 8 }),
        fc.string({ unit: 'binary-ascii', maxLength: 8 }),
        fc.boolean(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 4 }),
      ),
    }));
    const texts = fc.sample(value, { numRuns: 3000, seed: SEED }).map((v, i) => JSON.stringify(v, null, i % 3));
    const file = path.join(dir, 'json.txt');
    fs.writeFileSync(file, texts.map((t) => JSON.stringify(t)).join('\n') + '\n');
    const want = texts.map((t) => JSON.stringify(JSON.parse(t))).join('\n') + '\n';
    const prog = 'local b = require("billing")\nfor line in io.lines("json.txt") do\n  local text = b.decode(line)\n  local v, err = b.decode(text)\n  if err then error(err) end\n  io.write(b.encode(v), "\\n")\nend\n';
    fs.writeFileSync(path.join(dir, 'json.lua'), prog);
    expect(want).toMatch(/e-\d/);
    for (const l of LUAS) {
      const got = lua(l, ['json.lua']);
      expect(got === want, l + '\n' + got.split('\n').find((g, i) => g !== want.split('\n')[i])).toBe(true);
    }
    // Not JSON: nil and a message, as JSON.parse would throw.
    fs.writeFileSync(path.join(dir, 'bad.lua'), 'local b = require("billing")\nfor _, t in ipairs({ "[1,", "{\\"a\\" 1}", "01", "tru", "\\"x", "[1] 2" }) do\n  local v, err = b.decode(t)\n  io.write(tostring(v), " ", err and "error" or "ok", "\\n")\nend\n');
    for (const l of LUAS) expect(lua(l, ['bad.lua'])).toBe('nil error\n'.repeat(6));
  });

  it('runs the worked example of docs/lua.md and prints what the page says', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'lua.md'), 'utf8');
    const code = /```lua\n([\s\S]*?)```/.exec(doc);
    const printed = /It prints:\n\n```text\n([\s\S]*?)```/.exec(doc);
    expect(code && printed).toBeTruthy();
    fs.writeFileSync(path.join(dir, 'example.lua'), code![1]);
    for (const l of LUAS) expect(lua(l, ['example.lua']), l).toBe(printed![1]);
  });

  it('is what `npm run build -- --lua` writes into dist/lua', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), 'tools/build.ts', '--lua'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toContain('dist/lua/billing.lua');
    for (const f of ['billing.lua', 'replay.lua']) expect(fs.readFileSync(path.join(ROOT, 'dist', 'lua', f), 'utf8')).toBe(fs.readFileSync(path.join(dir, f), 'utf8'));
    const one = lua('lua5.4', ['dist/lua/replay.lua', 'tests/vectors/overload.json'], ROOT);
    expect(one).toBe(nodeReplay([path.join(ROOT, 'tests/vectors/overload.json')], false, false).split(ROOT + path.sep).join(''));
  });
});
