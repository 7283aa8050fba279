// A progress bar for long runs (cli-progress) on stderr: simulated time, meter readings per
// wall second and the time left. Only on a terminal: piped or redirected output stays clean.
import { SingleBar } from 'cli-progress';

/** What a run reports as it goes. */
export interface Progress {
  /** Simulated seconds done (of the total) and meter readings so far. */
  update(doneS: number, readings: number): void;
  stop(): void;
}

/** Simulated time as "12 d 04 h" / "3 h 20 min". */
export function simTime(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? d + ' d ' + String(h).padStart(2, '0') + ' h' : h + ' h ' + String(m).padStart(2, '0') + ' min';
}

/** A bar on stream (default stderr) when it is a terminal and `on` allows, else one that does nothing. */
export function progressBar(totalS: number, on: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!on || !stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const started = Date.now();
  const bar = new SingleBar({
    stream,
    format: '{bar} {percentage}% | {sim} of {total_sim} simulated | {rate} readings/s | {eta_formatted} left',
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
    fps: 5,
  });
  bar.start(totalS, 0, { sim: simTime(0), total_sim: simTime(totalS), rate: '0' });
  return {
    update(doneS: number, readings: number) {
      const wall = (Date.now() - started) / 1000;
      bar.update(doneS, { sim: simTime(doneS), rate: wall > 0 ? Math.round(readings / wall).toLocaleString('en-US') : '0' });
    },
    stop() {
      bar.stop();
    },
  };
}
