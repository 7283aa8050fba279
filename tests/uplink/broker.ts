// A real MQTT broker for the uplink tests: Debian's mosquitto started on a free local port (it
// listens on localhost only), its own clients as peers, and a connection speaking the unit's
// packets (firmware/uplink/mqtt.ts).
import { spawn, spawnSync } from 'child_process';
import * as net from 'net';
import { CONNACK, MqttPacket, MqttReader, SUBACK, mqttConnect, mqttPublish, mqttSubscribe } from '../../firmware/uplink/mqtt';

export { freePort, startBroker } from '../../sim/mosquitto';

/** A connection speaking the unit's packets: what it reads, in order. */
export class Client {
  sock: net.Socket;
  got: MqttPacket[] = [];
  errors: string[] = [];
  private reader = new MqttReader(4096);
  private waiters: (() => void)[] = [];
  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (d) =>
      this.reader.feed(d.toString('latin1'), (p) => {
        if (p.ok) this.got.push(p.value);
        else this.errors.push(p.error);
        this.waiters.splice(0).forEach((w) => w());
      }),
    );
    this.sock.on('error', () => undefined);
  }
  send(s: string): void {
    this.sock.write(Buffer.from(s, 'latin1'));
  }
  /** The first packet read (from now or before) of the type, waiting up to ms. */
  async next(type: number, ms = 5000): Promise<MqttPacket> {
    const t0 = Date.now();
    for (;;) {
      const i = this.got.findIndex((p) => p.type === type);
      if (i >= 0) return this.got.splice(i, 1)[0];
      if (Date.now() - t0 > ms) throw new Error('no packet of type ' + type + ' within ' + ms + ' ms; errors: ' + this.errors.join('; '));
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
}

/** mosquitto_sub for `count` messages on topic; `ready` once subscribed, `lines` the messages. */
export function subscribe(port: number, topic: string, count: number): { ready: Promise<void>; lines: Promise<string[]> } {
  // (line-buffered: piped, mosquitto_sub would hold its lines until it exits)
  const p = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-t', topic, '-q', '1', '-C', String(count), '-d'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let ready: () => void;
  const r = new Promise<void>((res) => (ready = res));
  p.stdout.on('data', (d) => {
    out += d.toString();
    // (-d prints the client's own traffic: SUBACK means subscribed)
    if (/SUBACK/.test(out)) ready();
  });
  const lines = new Promise<string[]>((res) => p.on('close', () => res(out.split('\n').filter((l) => l && !/^Client |^Subscribed/.test(l)))));
  return { ready: r, lines };
}

/** mosquitto_pub of text on topic at QoS 1; its exit status. */
export function publish(port: number, topic: string, text: string): number | null {
  return spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-q', '1', '-m', text]).status;
}

/** A unit's connection as the firmware makes it: connected with its will, subscribed to its
 *  commands, 'online' said. */
export async function unitConnection(port: number, id: string): Promise<Client> {
  const c = new Client(port);
  c.send(mqttConnect({ clientId: id, keepAliveS: 30, will: { topic: 'unit/' + id + '/state', payload: 'offline', qos: 1, retain: false } }));
  if ((await c.next(CONNACK)).code !== 0) throw new Error('CONNECT refused');
  c.send(mqttSubscribe(1, 'unit/' + id + '/cmd', 1));
  if ((await c.next(SUBACK)).code !== 1) throw new Error('SUBSCRIBE refused');
  c.send(mqttPublish('unit/' + id + '/state', 'online', 0, 0));
  return c;
}
