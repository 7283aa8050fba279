// The golden traces replayed by the real Espruino interpreter (its Linux build with a
// Pico-sized heap), when one is built beside the project or named by $ESPRUINO. The bundle
// runs pretokenised from Storage, as a board runs its image (tools/image.ts).
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { bundleEntry } from '../../tools/build';
import { espruinoBinary, runOnEspruino } from '../../tools/espruino-check';
import { pretokenise } from '../../tools/image';

const binary = espruinoBinary();
const dir = path.join(__dirname, '..', 'vectors');

describe('golden traces on the Espruino interpreter', () => {
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    it(f, async () => {
      const t = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      const traces = [{ name: f, config: t.config, events: t.steps.map((s: { event: unknown }) => s.event) }];
      const code = await bundleEntry('firmware/replay-main.ts', 'var TRACES = ' + JSON.stringify(traces) + ';\n');
      const lines = runOnEspruino(pretokenise(code), binary!, 'latin1');
      const out = lines.join('\n');
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
