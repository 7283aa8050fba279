// The bundled example scenario (the dormitory floor), for tests that need a whole unit to run.
import * as fs from 'fs';
import * as path from 'path';
import { parseScenario, Scenario } from '../../sim/scenario';

/** sim/scenarios/dormitory-floor.json as JSON. */
export const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios/dormitory-floor.json'), 'utf8'));

/** The example, parsed, running for `hours`. */
export function exampleScenario(hours: number): Scenario {
  const s = JSON.parse(JSON.stringify(example));
  s.durationHours = hours;
  const r = parseScenario(s);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}
