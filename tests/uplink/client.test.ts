// The unit's MQTT client (firmware/uplink/client.ts) over a real TCP connection to a real broker
// (mosquitto, started here): connected and subscribed, messages published one at a time at QoS 1,
// a command received, the keep-alive holding an idle connection, and a broker restart: the client
// reconnects after its wait and sends the message that was in flight, none lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'net';
import { Client, publish, startBroker } from './broker';
import { CONNACK, PUBLISH, SUBACK, mqttConnect, mqttSubscribe } from '../../firmware/uplink/mqtt';
import { MqttClient } from '../../firmware/uplink/client';
import { realClock } from '../../sim/real-clock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(test: () => boolean, ms = 15000): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error('not within ' + ms + ' ms');
    await sleep(50);
  }
}

/** An observer on the unit's up topic, speaking the firmware's packets. */
async function observer(port: number): Promise<Client> {
  const c = new Client(port);
  c.send(mqttConnect({ clientId: 'obs' + Math.random().toString(36).slice(2, 8), keepAliveS: 60 }));
  expect((await c.next(CONNACK)).code).toBe(0);
  c.send(mqttSubscribe(1, 'unit/u1/up', 1));
  await c.next(SUBACK);
  return c;
}

describe('the unit\'s MQTT client with mosquitto', () => {
  let broker: { port: number; stop: () => void };
  const clock = realClock();
  const states: string[] = [];
  const commands: string[] = [];
  let client: MqttClient;
  let opens = 0;
  beforeAll(async () => {
    broker = await startBroker();
    client = new MqttClient({
      clock,
      open: (data, closed) => {
        opens++;
        const s = net.connect(broker.port, '127.0.0.1');
        s.on('data', (d) => data(d.toString('latin1')));
        s.on('close', () => closed());
        s.on('error', () => undefined);
        return { write: (x) => s.write(Buffer.from(x, 'latin1')), close: () => s.destroy() };
      },
      clientId: 'u1',
      keepAliveS: 2,
      will: { topic: 'unit/u1/state', payload: 'offline', qos: 1, retain: false },
      commands: 'unit/u1/cmd',
      onCommand: (p) => commands.push(p),
      onState: (s) => states.push(s),
    });
  }, 20000);
  afterAll(() => {
    client.stop();
    clock.stop();
    broker.stop();
  });

  it('publishes one message at a time, takes commands, and keeps an idle connection with pings', async () => {
    await until(() => client.state === 2);
    const obs = await observer(broker.port);
    for (let i = 1; i <= 5; i++) {
      let done = false;
      expect(client.publish('unit/u1/up', 'm' + i, () => (done = true))).toBe(true);
      // (one in flight: a second is refused until the first is acknowledged)
      expect(client.publish('unit/u1/up', 'extra', () => undefined)).toBe(false);
      await until(() => done);
    }
    for (let i = 1; i <= 5; i++) expect((await obs.next(PUBLISH)).payload).toBe('m' + i);
    expect(publish(broker.port, 'unit/u1/cmd', 'topup R301 5000')).toBe(0);
    await until(() => commands.length === 1);
    expect(commands).toEqual(['topup R301 5000']);
    // idle for three keep-alive periods: the broker would drop a client silent for 3 s
    await sleep(6000);
    expect(client.state).toBe(2);
    expect(opens).toBe(1);
    obs.sock.destroy();
  }, 30000);

  it('reconnects after a broker restart and sends the message in flight', async () => {
    broker.stop();
    await until(() => client.state !== 2);
    expect(states).toEqual(['up', 'down']);
    let done = false;
    expect(client.publish('unit/u1/up', 'while down', () => (done = true))).toBe(true);
    await sleep(1500);
    broker = await startBroker(broker.port);
    const obs = await observer(broker.port);
    await until(() => done, 20000);
    expect((await obs.next(PUBLISH)).payload).toBe('while down');
    expect(states).toEqual(['up', 'down', 'up']);
    expect(opens).toBeGreaterThan(2);
    obs.sock.destroy();
  }, 40000);
});
