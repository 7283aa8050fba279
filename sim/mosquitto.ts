// A real MQTT broker for the uplink's tests and benchmark: Debian's mosquitto, started on a free
// local port (127.0.0.1 only). With a directory it keeps its persistence there (queued messages
// and sessions written when it stops, read when it starts again at the same port): a restart
// then loses nothing the head-end's persistent session has not yet taken.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => spawnSync(p, ['-h']).error === undefined);

/** A free local TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A running broker: its port, and stop() (resolves once it has exited, its persistence written). */
export interface Broker {
  port: number;
  stop: () => Promise<void>;
}

/** Starts mosquitto on a free port (or `at`), with its persistence in `dir` when given; resolves
 *  once it takes connections. */
export async function startBroker(at?: number, dir?: string): Promise<Broker> {
  if (!MOSQUITTO) throw new Error('mosquitto is not installed (apt-get install mosquitto mosquitto-clients; .ci/run installs it)');
  const port = at || (await freePort());
  let args = ['-p', String(port)];
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    // (started by root, mosquitto runs as its own user: it must be able to write there)
    fs.chmodSync(dir, 0o777);
    const conf = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(conf, ['listener ' + port + ' 127.0.0.1', 'allow_anonymous true', 'persistence true', 'persistence_location ' + dir + '/', 'max_queued_messages 100000', ''].join('\n'));
    args = ['-c', conf];
  }
  const p: ChildProcess = spawn(MOSQUITTO, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<void>((r) => p.on('exit', () => r()));
  const stop = (): Promise<void> => {
    p.kill();
    return exited;
  };
  for (let i = 0; i < 50; i++) {
    const up = await new Promise<boolean>((res) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (up) return { port, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('mosquitto did not start');
}
