// The WiFi's link (hal/espruino/wifi-uplink.ts, module wtc) against stand-ins for the Espruino
// WiFi firmware's `Wifi` module and `net` sockets: it joins the network the configuration names
// (spaces given back), queues what the client writes until the broker is reached, ends once with
// the socket's end, and leaves the WiFi however the connection ended (a failed join, the time
// up, a join that came too late). The real path runs on espruino-wifi against mosquitto in
// tests/build/floor-uplink-wifi.test.ts.
import Module from 'module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock';
import { wifiUplink } from '../../hal/espruino/wifi-uplink';

type Handler = (x?: string) => void;

describe('the WiFi as the uplink\'s link', () => {
  let log: string[];
  let joined: ((err: string | null) => void) | null;
  let reached: (() => void) | null;
  let on: { [event: string]: Handler };
  // (the link's own require of Espruino's modules answered here; every other require as it was)
  const load = (Module as unknown as { _load: (r: string, parent: { filename?: string } | null, main: boolean) => unknown })._load;
  beforeEach(() => {
    log = [];
    joined = reached = null;
    on = {};
    const fake = (name: string) => {
      if (name === 'Wifi')
        return {
          connect: (ssid: string, o: { password: string }, cb: (err: string | null) => void) => {
            log.push('join ' + ssid + ' / ' + o.password);
            joined = cb;
          },
          disconnect: () => log.push('off'),
        };
      if (name === 'net')
        return {
          connect: (o: { host: string; port: number }, cb: () => void) => {
            log.push('connect ' + o.host + ':' + o.port);
            reached = cb;
            return { write: (s: string) => log.push('write ' + s), end: () => log.push('end'), on: (e: string, f: Handler) => (on[e] = f) };
          },
        };
      return null;
    };
    (Module as unknown as { _load: typeof load })._load = function (r, parent, main) {
      const f = parent && parent.filename && /wifi-uplink\.ts$/.test(parent.filename) ? fake(r) : null;
      return f || load.call(this, r, parent, main);
    };
  });
  afterEach(() => {
    (Module as unknown as { _load: typeof load })._load = load;
  });

  const open = (clock: VirtualClock) => {
    const gone: string[] = [];
    const got: string[] = [];
    const closed: string[] = [];
    const link = wifiUplink({ clock, gone: () => gone.push('gone') })('broker.example:1883 Dorm\x7fB\x7f3 open\x7fsesame\x7f42')(
      (s) => got.push(s),
      () => closed.push('closed'),
    );
    return { link: link!, gone, got, closed };
  };

  it('joins, queues what is written until the broker is reached, passes data both ways, ends once', () => {
    const clock = new VirtualClock();
    const c = open(clock);
    c.link.write('CONNECT');
    expect(log).toEqual(['join Dorm B 3 / open sesame 42']);
    joined!(null);
    expect(log.slice(1)).toEqual(['connect broker.example:1883']);
    c.link.write('+MORE');
    reached!();
    c.link.write('PUBLISH');
    on.data('CONNACK');
    expect(log.slice(2)).toEqual(['write CONNECT+MORE', 'write PUBLISH']);
    expect(c.got).toEqual(['CONNACK']);
    // (the time limit is off once the broker is reached)
    clock.advance(120000);
    expect(c.closed).toEqual([]);
    on.close();
    on.error();
    c.link.close();
    expect(log.slice(4)).toEqual(['end', 'off']);
    expect(c.closed).toEqual(['closed']);
    expect(c.gone).toEqual(['gone']);
  });

  it('a failed join, or the time up before the broker is reached, ends it and leaves the WiFi', () => {
    const clock = new VirtualClock();
    const a = open(clock);
    joined!('bad password');
    expect(log).toEqual(['join Dorm B 3 / open sesame 42', 'off']);
    expect(a.closed).toEqual(['closed']);
    log = [];
    const b = open(clock);
    clock.advance(59000);
    expect(b.closed).toEqual([]);
    clock.advance(1000);
    expect(b.closed).toEqual(['closed']);
    expect(b.gone).toEqual(['gone']);
    expect(log).toEqual(['join Dorm B 3 / open sesame 42', 'off']);
    // a join that comes after that is left at once, no connection tried
    joined!(null);
    expect(log).toEqual(['join Dorm B 3 / open sesame 42', 'off', 'off']);
  });
});
