// What the Lua build's plugin and prelude promise (tools/lua/plugin.ts, prelude.lua), case by
// case on Node and on Lua 5.1, LuaJIT 2.1 and Lua 5.4: truth of numbers and strings, &&/||
// values, %, bit operators, typed-array stores, number text, in, instanceof Array, for-in order
// and JSON (tests/lua/semantics.ts). The core itself is compared in lua.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compileLua } from '../../tools/lua/build';
import { cases } from './semantics';

const LUAS = ['lua5.1', 'luajit', 'lua5.4'];
let dir = '';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-semantics-'));
  compileLua(path.join(__dirname, 'semantics.ts'), dir, 'semantics.lua');
  fs.writeFileSync(path.join(dir, 'run.lua'), 'local m = dofile("semantics.lua")\nio.write(table.concat(m.cases(), "\\n"), "\\n")\n');
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the Lua build keeps JavaScript's meaning", () => {
  const want = cases();
  it('has the cases on Node', () => {
    expect(want.length).toBeGreaterThan(30);
    expect(want).toContain("0 || 5 = 5");
    expect(want).toContain('n++ || n++ = 1 then n 2');
    expect(want).toContain('% = -1 1 -1.5 NaN 0 0 2');
  });
  for (const l of LUAS) {
    it(l, () => {
      const r = spawnSync(l, ['run.lua'], { cwd: dir, encoding: 'utf8' });
      if (r.error) throw new Error(l + ': ' + r.error.message + ' (.ci/run installs lua5.1, luajit and lua5.4)');
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n').slice(0, -1)).toEqual(want);
    });
  }
});
