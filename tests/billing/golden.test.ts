import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { replay } from '../../firmware/replay';

const dir = path.join(__dirname, '..', 'vectors');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('golden traces (hand-worked, tests/vectors)', () => {
  it('has a trace for every rule', () => {
    for (const f of ['flat-alarms-cut-reconnect', 'emergency-credit', 'time-of-use', 'tiered-billing-day', 'tiered-time-of-use',
      'friendly-hours', 'relay-modes', 'overload', 'register-anomalies', 'export-energy', 'money-operations', 'meter-swap', 'time-not-valid']) {
      expect(files).toContain(f + '.json');
    }
  });
  for (const f of files) {
    it(f, () => {
      const trace = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      expect(trace.explains.length).toBeGreaterThan(0);
      const got = replay(trace.config, trace.steps.map((s: { event: unknown }) => s.event));
      trace.steps.forEach((s: { event: unknown; expect: string[] }, i: number) => {
        expect(got[i], 'step ' + i + ' ' + JSON.stringify(s.event)).toEqual(s.expect);
      });
    });
  }
});
