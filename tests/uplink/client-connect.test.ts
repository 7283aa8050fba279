// The client's time limit for CONNECT's answer: over a modem's TCP the link brings its bearer up
// before CONNECT reaches the broker (AT+CIICR alone may take 85 s), so a link that slow is given
// a longer limit (connectMs) than a ping's answer. On the virtual clock, a scripted broker.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock';
import { MqttClient } from '../../firmware/uplink/client';

const CONNACK = '\x20\x02\x00\x00';
const SUBACK = '\x90\x03\x00\x01\x01';

/** A link whose broker answers CONNECT after `slowMs`; the client's opens are counted. */
function run(slowMs: number, connectMs?: number) {
  const clock = new VirtualClock();
  let opens = 0;
  const c = new MqttClient({
    clock,
    open: (data) => {
      const n = ++opens;
      return {
        write: (s) => {
          if (s.charCodeAt(0) === 0x10) clock.after(slowMs, () => n === opens && data(CONNACK));
          if (s.charCodeAt(0) === 0x82) data(SUBACK);
        },
        close: () => undefined,
      };
    },
    clientId: 'u1',
    keepAliveS: 600,
    will: { topic: 'unit/u1/state', payload: 'offline', qos: 1, retain: false },
    commands: 'unit/u1/cmd',
    onCommand: () => undefined,
    connectMs,
  });
  clock.advance(slowMs + 5000);
  return { state: c.state, opens };
}

describe('the time CONNECT may take', () => {
  it('30 s by default: a broker 40 s away is dropped and tried again', () => {
    expect(run(40000)).toEqual({ state: 1, opens: 2 });
    expect(run(20000)).toEqual({ state: 2, opens: 1 });
  });
  it('longer when the link says so: the same broker taken at the first try', () => {
    expect(run(40000, 120000)).toEqual({ state: 2, opens: 1 });
  });
});
