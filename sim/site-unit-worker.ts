// One worker thread of a site run: takes a unit's scenario, runs it, sends its record back.
import { parentPort } from 'worker_threads';
import { parseScenario } from './scenario';
import { Simulation } from './runner';
import { WorkerMessage } from './site';

const port = parentPort!;
port.on('message', (m: { index: number; raw: unknown }) => {
  const send = (msg: WorkerMessage): void => port.postMessage(msg);
  try {
    const sc = parseScenario(m.raw);
    if (!sc.ok) return send({ type: 'error', index: m.index, message: sc.errors.join('; ') });
    const sim = new Simulation(sc.value, () => undefined);
    sim.run((s) => send({ type: 'progress', index: m.index, doneS: s.now - sc.value.start, readings: s.readings }));
    send({ type: 'done', index: m.index, record: sim.record() });
  } catch (e) {
    send({ type: 'error', index: m.index, message: (e as Error).message });
  }
});
