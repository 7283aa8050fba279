// Golden traces on the board's interpreter: a test build puts the traces in the global TRACES
// and this entry prints, per step, "STEP <trace> <step>" and then one line per decision.
import { replay, TraceEvent } from './replay';

declare const TRACES: { name: string; config: unknown; events: TraceEvent[] }[];

for (let i = 0; i < TRACES.length; i++) {
  const out = replay(TRACES[i].config, TRACES[i].events);
  for (let s = 0; s < out.length; s++) {
    console.log('STEP ' + TRACES[i].name + ' ' + s);
    for (let k = 0; k < out[s].length; k++) console.log(out[s][k]);
  }
}
