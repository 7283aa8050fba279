// The token-walk machine code placed the way the board places it, on the real Espruino
// interpreter (its Linux build): a native function over a flat string holding the exact bytes,
// code and state on 4-byte boundaries at the addresses handed to the code, and words written at
// any byte offset of a flat string landing byte for byte. The code itself runs in
// tests/tokens/native-walk.test.ts on an emulated Cortex-M core: Linux is not one.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { bundleEntry } from '../../tools/build';
import { espruinoBinary } from '../../tools/espruino-check';

const binary = espruinoBinary();

describe.skipIf(!binary)('token-walk code placed on the Espruino interpreter', () => {
  it('places the code and its state', async () => {
    const code = await bundleEntry('hal/espruino/native-check-main.ts', '');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'native-'));
    fs.writeFileSync(path.join(tmp, 'run.js'), code);
    let out = '';
    try {
      out = execFileSync(binary!, ['run.js'], { cwd: tmp, encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    const lines = out.split(/\r?\n/).map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^>+/, ''));
    const place = lines.filter((l) => l.startsWith('PLACE '));
    expect(place.length, out).toBe(4);
    for (const l of place) expect(l).toMatch(/^PLACE function [0-3] 0 412 code-at state-at same 44332211 -1$/);
    expect(lines.filter((l) => l.startsWith('SKEW '))).toEqual(['SKEW 1 004433221100000000000000', 'SKEW 2 000044332211000000000000', 'SKEW 3 000000443322110000000000']);
  });
});
