// The golden traces replayed by the real Espruino interpreter (its Linux build with a
// Pico-sized heap), when one is built beside the project or named by $ESPRUINO.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundleEntry } from '../../tools/build';
import { espruinoBinary } from '../../tools/espruino-check';

const binary = espruinoBinary();
const dir = path.join(__dirname, '..', 'vectors');

describe.skipIf(!binary)('golden traces on the Espruino interpreter', () => {
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    it(f, async () => {
      const t = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      const traces = [{ name: f, config: t.config, events: t.steps.map((s: { event: unknown }) => s.event) }];
      const code = await bundleEntry('firmware/replay-main.ts', 'var TRACES = ' + JSON.stringify(traces) + ';\n');
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trace-'));
      fs.writeFileSync(path.join(tmp, 'run.js'), code);
      let out = '';
      try {
        out = execFileSync(binary!, ['run.js'], { cwd: tmp, encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      const lines = out.split(/\r?\n/).map((l) => l.slice(l.lastIndexOf('\r') + 1).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/^>+/, ''));
      const steps: string[][] = [];
      let started = false;
      for (const l of lines) {
        if (l.startsWith('STEP ')) {
          steps.push([]);
          started = true;
        } else if (started && /^(ledger|relay|alarm|clear|event|refused|error) /.test(l)) steps[steps.length - 1].push(l);
      }
      expect(steps.length, out.slice(-2000)).toBe(t.steps.length);
      t.steps.forEach((s: { expect: string[] }, i: number) => expect(steps[i], 'step ' + i).toEqual(s.expect));
    });
  }
});
