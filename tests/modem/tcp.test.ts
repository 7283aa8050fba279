// The uplink's link over the GSM modem's TCP (hal/modem-tcp.ts) against the virtual SIM800
// (sim/virtual-modem.ts) bridged to real sockets, in real time: every byte value both ways to an
// echo server, the AT dialogue it speaks, each fault ending the connection with one closed() and
// the module usable again after it; then the unit's MQTT client (firmware/uplink/client.ts) over
// it to a real mosquitto: connected, subscribed, a QoS 1 message acknowledged, a command received,
// a dropped connection and a refused one survived, the message in flight sent again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'net';
import { Client, publish, startBroker } from '../uplink/broker';
import { CONNACK, PUBLISH, SUBACK, mqttConnect, mqttPublish, mqttSubscribe } from '../../firmware/uplink/mqtt';
import { MqttClient } from '../../firmware/uplink/client';
import { modemTcp } from '../../hal/modem-tcp';
import type { Link } from '../../hal/link';
import type { Broker } from '../../sim/mosquitto';
import { realClock } from '../../sim/real-clock';
import { VirtualClock } from '../../sim/virtual-clock';
import { ModemOptions, VirtualModem, virtualModemLine } from '../../sim/virtual-modem';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(test: () => boolean, ms = 10000, what: () => string = () => ''): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error('not within ' + ms + ' ms ' + what());
    await sleep(20);
  }
}

/** Every byte value, and what a careless reader would take for the module's words. */
const ALL = (() => {
  let s = '';
  for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
  return s + '\r\nCLOSED\r\n+IPD,5:hello\r\n> \r\nSEND OK\r\n+PDP: DEACT\r\nERROR\r\n>';
})();

/** A local TCP server echoing what it gets; the connections it had and those that ended. */
async function echoServer() {
  const conns: net.Socket[] = [];
  let ended = 0;
  const srv = net.createServer((s) => {
    conns.push(s);
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
    s.on('close', () => ended++);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    conns,
    ended: () => ended,
    stop: () => {
      conns.forEach((c) => c.destroy());
      srv.close();
    },
  };
}

/** A virtual SIM800 on the real clock, started, its line logging the unit's commands, and the
 *  link to port. `sliced`: the module's output reaches the link a few bytes at a time. */
async function rig(port: number, o: ModemOptions = {}, sliced = false) {
  const clock = realClock();
  const vm = new VirtualModem(clock, { on: true, startupMs: 200, bearerMs: 100, faults: { replyDelayMs: 5 }, ...o });
  const line = virtualModemLine(vm);
  const cmds: string[] = [];
  /** What went each way (the start of it), for a failure's message. */
  const trace: string[] = [];
  const write = line.write;
  let dataLeft = 0;
  line.write = (s) => {
    // the unit's command lines, not the data after a prompt
    if (dataLeft > 0) dataLeft -= s.length;
    else {
      cmds.push(s.replace(/\r$/, ''));
      const m = /^AT\+CIPSEND=(\d+)/.exec(s);
      if (m) dataLeft = +m[1];
    }
    trace.push((Date.now() % 100000) + ' >> ' + JSON.stringify(s.substr(0, 60)));
    write(s);
  };
  {
    const listen = line.listen;
    line.listen = (fn) => listen(fn && ((s) => (trace.push((Date.now() % 100000) + ' << ' + JSON.stringify(s.substr(0, 60))), fn(s))));
  }
  if (sliced) {
    const listen = line.listen;
    line.listen = (fn) =>
      listen(
        fn &&
          ((s) => {
            for (let i = 0, n = 1; i < s.length; i += n, n = (n % 7) + 1) fn(s.substr(i, n));
          }),
      );
  }
  let gone = 0;
  const open = modemTcp({ line, clock, apn: 'internet', host: '127.0.0.1', port, gone: () => gone++ });
  const got: string[] = [];
  let closed = 0;
  let link: Link | null = null;
  const r = {
    vm,
    clock,
    open,
    cmds,
    trace,
    got: () => got.join(''),
    closed: () => closed,
    /** Times the driver said it holds nothing (the module closed, nothing out). */
    gone: () => gone,
    link: () => link as Link,
    connect(): void {
      got.length = 0;
      link = open(
        (s) => got.push(s),
        () => closed++,
      );
    },
    stop: () => {
      vm.setPower(false);
      clock.stop();
    },
  };
  await until(() => vm.ready, 2000, () => 'started');
  return r;
}

const OPENING = ['AT', 'ATE0', 'AT+CIPSHUT', 'AT+CIPMUX=0', 'AT+CIPHEAD=1', 'AT+CSTT="internet","",""', 'AT+CIICR', 'AT+CIFSR'];

describe('the virtual SIM800\'s TCP/IP commands', () => {
  it('answer as the module does: SHUT OK, the address alone, OK then CONNECT FAIL, ERROR out of turn', () => {
    const clock = new VirtualClock();
    const m = new VirtualModem(clock, { on: true, faults: { connectFail: true } });
    let out = '';
    m.onData = (b) => (out += String.fromCharCode(...b));
    clock.advance(3000);
    const at = (cmd: string, ms = 100) => {
      out = '';
      m.write(Uint8Array.from(cmd + '\r', (c) => c.charCodeAt(0)));
      clock.advance(ms);
      return out;
    };
    at('ATE0');
    expect(at('AT+CIPSEND=5')).toBe('\r\nERROR\r\n');
    expect(at('AT+CIPSHUT')).toBe('\r\nSHUT OK\r\n');
    expect(at('AT+CIPMUX=1')).toBe('\r\nERROR\r\n');
    expect(at('AT+CIPMUX=0')).toBe('\r\nOK\r\n');
    expect(at('AT+CIPHEAD=1')).toBe('\r\nOK\r\n');
    expect(at('AT+CIFSR')).toBe('\r\nERROR\r\n');
    expect(at('AT+CSTT="internet"')).toBe('\r\nOK\r\n');
    expect(at('AT+CSTT="internet"')).toBe('\r\nERROR\r\n');
    expect(at('AT+CIICR', 1000)).toBe('\r\nOK\r\n');
    expect(at('AT+CIPSTATUS')).toBe('\r\nOK\r\n\r\nSTATE: IP GPRSACT\r\n');
    expect(at('AT+CIFSR')).toBe('\r\n10.64.12.7\r\n');
    expect(at('AT+CIPSTART="TCP","127.0.0.1","1"')).toBe('\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n');
    expect(at('AT+CIPCLOSE=1')).toBe('\r\nERROR\r\n');
    expect(m.tcpState).toBe('TCP CLOSED');
    // settings and the bearer die with a restart
    m.reboot();
    clock.advance(3000);
    out = '';
    expect(at('AT+CIPHEAD?')).toBe('AT+CIPHEAD?\r\r\n+CIPHEAD: 0\r\n\r\nOK\r\n');
    expect(m.tcpState).toBe('IP INITIAL');
    // another APN than the network's: the bearer does not come up
    const n = new VirtualModem(clock, { on: true, apn: 'cmnet' });
    let o2 = '';
    n.onData = (b) => (o2 += String.fromCharCode(...b));
    clock.advance(3000);
    for (const c of ['ATE0', 'AT+CSTT="internet"', 'AT+CIICR']) {
      o2 = '';
      n.write(Uint8Array.from(c + '\r', (x) => x.charCodeAt(0)));
      clock.advance(1000);
    }
    expect(o2).toBe('\r\nERROR\r\n');
    expect(n.tcpState).toBe('PDP DEACT');
  });
});

describe('the modem\'s TCP as the uplink\'s link', () => {
  const servers: Awaited<ReturnType<typeof echoServer>>[] = [];
  afterAll(() => servers.forEach((e) => e.stop()));
  /** An echo server of the test's own. */
  async function server() {
    const e = await echoServer();
    servers.push(e);
    return e;
  }

  it('carries every byte value both ways, in order, in pieces, and speaks the SIM800\'s dialogue', async () => {
    const echo = await server();
    const r = await rig(echo.port, {}, true);
    try {
      r.connect();
      // written before the connection is up, and again before the last SEND OK: all queued
      r.link().write(ALL);
      r.link().write(ALL.substr(0, 100));
      await until(() => r.vm.tcpState === 'CONNECT OK');
      expect(r.cmds.slice(0, 9)).toEqual(OPENING.concat(['AT+CIPSTART="TCP","127.0.0.1","' + echo.port + '"']));
      const big = new Array(9).join(ALL); // 8 x 309 bytes: three AT+CIPSEND
      r.link().write(big);
      r.link().write('end');
      const want = ALL + ALL.substr(0, 100) + big + 'end';
      await until(() => r.got().length >= want.length);
      expect(r.got() === want).toBe(true);
      const sends = r.cmds.filter((c) => c.indexOf('AT+CIPSEND=') === 0).map((c) => +c.substr(11));
      expect(sends.reduce((a, b) => a + b, 0)).toBe(want.length);
      expect(Math.max(...sends)).toBe(1024);
      expect(r.vm.tcpSent).toBe(want.length);
      expect(r.vm.tcpReceived).toBe(want.length);
      // the unit closes: the module is told, the host sees the end, closed() is not called
      const before = r.cmds.length;
      r.link().close();
      await until(() => echo.ended() === 1);
      await until(() => r.vm.tcpState === 'IP INITIAL');
      expect(r.cmds.slice(before)).toEqual(['AT+CIPCLOSE=1', 'AT+CIPSHUT']);
      r.link().write('after');
      await sleep(200);
      expect(r.closed()).toBe(0);
      expect(r.cmds.length).toBe(before + 2);
    } finally {
      r.stop();
    }
  });

  /** Connected, one piece sent and echoed. */
  async function up(r: Awaited<ReturnType<typeof rig>>): Promise<void> {
    r.connect();
    r.link().write('ping');
    await until(() => r.got() === 'ping', 5000, () => 'ping echoed\n' + r.trace.join('\n'));
  }

  /** After the link said closed, the next connection works (the module is usable again). */
  async function again(r: Awaited<ReturnType<typeof rig>>, ms = 5000): Promise<void> {
    r.connect();
    r.link().write(ALL);
    await until(() => r.got() === ALL, ms, () => 'connected again\n' + r.trace.join('\n'));
  }

  it('a connection opened while the last is closing goes on with the same driver, which says it holds nothing once the module has closed the last', async () => {
    const echo = await server();
    const r = await rig(echo.port);
    try {
      await up(r);
      r.link().close();
      // (CIPCLOSE is out: the new one starts once the module has shut)
      r.connect();
      r.link().write('again');
      await until(() => r.got() === 'again', 10000, () => 'connected again\n' + r.trace.join('\n'));
      expect(r.gone()).toBe(0);
      expect(r.cmds.filter((c) => c === 'AT+CIPCLOSE=1').length).toBe(1);
      r.link().close();
      await until(() => r.gone() === 1);
      expect(r.vm.tcpState).toBe('IP INITIAL');
      expect(echo.ended()).toBe(2);
      await sleep(100);
      expect(r.gone()).toBe(1);
      expect(r.closed()).toBe(0);
    } finally {
      r.stop();
      echo.stop();
    }
  });

  describe.concurrent('faults: closed() once, the module closed, then usable again', () => {
    it('CIPSTART fails (CONNECT FAIL)', async () => {
      const echo = await server();
      const r = await rig(echo.port, { faults: { replyDelayMs: 5, connectFail: true } });
      try {
        r.connect();
        await until(() => r.closed() === 1);
        await until(() => r.cmds[r.cmds.length - 1] === 'AT+CIPSHUT');
        expect(r.cmds.slice(-3)).toEqual(['AT+CIPSTART="TCP","127.0.0.1","' + echo.port + '"', 'AT+CIPCLOSE=1', 'AT+CIPSHUT']);
        r.vm.faults.connectFail = false;
        await again(r);
        expect(r.closed()).toBe(1);
      } finally {
        r.stop();
      }
    });

    it('the host refuses the connection', async () => {
      const r = await rig(1);
      try {
        r.connect();
        await until(() => r.closed() === 1);
      } finally {
        r.stop();
      }
    });

    it('the network drops the connection (CLOSED), and the bearer (+PDP: DEACT)', async () => {
      const echo = await server();
      const r = await rig(echo.port);
      try {
        await up(r);
        r.vm.dropTcp();
        await until(() => r.closed() === 1);
        await again(r);
        r.vm.deactivatePdp();
        await until(() => r.closed() === 2);
        await again(r);
        // the host closes
        echo.conns[echo.conns.length - 1].end();
        await until(() => r.closed() === 3);
        await sleep(100);
        expect(r.closed()).toBe(3);
      } finally {
        r.stop();
      }
    });

    it('a module that restarts by itself (RDY)', async () => {
      const echo = await server();
      const r = await rig(echo.port);
      try {
        await up(r);
        r.vm.reboot();
        await until(() => r.closed() === 1);
        await again(r, 10000);
        expect(r.closed()).toBe(1);
      } finally {
        r.stop();
      }
    }, 15000);

    it('SEND FAIL, and a drop while a piece is being sent', async () => {
      const echo = await server();
      const r = await rig(echo.port);
      try {
        await up(r);
        r.vm.faults.sendFail = true;
        r.link().write('lost');
        await until(() => r.closed() === 1);
        await again(r);
        r.link().write('x');
        r.vm.dropTcp();
        await until(() => r.closed() === 2);
        await again(r);
      } finally {
        r.stop();
      }
    });

    it('a slow prompt is waited for; one beyond 5 s ends the connection, and the module recovers', async () => {
      const echo = await server();
      const r = await rig(echo.port, { faults: { replyDelayMs: 5, promptDelayMs: 1500 } });
      try {
        r.connect();
        r.link().write(ALL);
        await until(() => r.got() === ALL, 10000, () => r.trace.join('\n'));
        expect(r.closed()).toBe(0);
        r.vm.faults.promptDelayMs = 6000;
        const t0 = Date.now();
        r.link().write('late');
        await until(() => r.closed() === 1, 8000);
        expect(Date.now() - t0).toBeGreaterThan(4900);
        r.vm.faults.promptDelayMs = 0;
        await again(r, 15000);
      } finally {
        r.stop();
      }
    }, 30000);

    it('a silent module: closed after three AT tries', async () => {
      const echo = await server();
      const r = await rig(echo.port);
      try {
        r.vm.faults.hang = true;
        const t0 = Date.now();
        r.connect();
        await until(() => r.closed() === 1, 8000);
        expect(Date.now() - t0).toBeGreaterThan(5900);
        expect(r.cmds.slice(0, 3)).toEqual(['AT', 'AT', 'AT']);
      } finally {
        r.stop();
      }
    });
  });
});

describe('the MQTT client over the modem\'s TCP, with mosquitto', () => {
  let broker: Broker;
  let r: Awaited<ReturnType<typeof rig>>;
  let client: MqttClient;
  const states: string[] = [];
  const commands: string[] = [];
  let opens = 0;
  beforeAll(async () => {
    broker = await startBroker();
    r = await rig(broker.port);
    client = new MqttClient({
      clock: r.clock,
      open: (data, closed) => {
        opens++;
        return r.open(data, closed);
      },
      clientId: 'u1',
      keepAliveS: 20,
      will: { topic: 'unit/u1/state', payload: 'offline', qos: 1, retain: false },
      commands: 'unit/u1/cmd',
      onCommand: (p) => commands.push(p),
      onState: (s) => states.push(s),
    });
  });
  afterAll(async () => {
    client.stop();
    r.stop();
    await broker.stop();
  });

  /** An observer on the unit's topics, speaking the firmware's packets. */
  async function observer(): Promise<Client> {
    const c = new Client(broker.port);
    c.send(mqttConnect({ clientId: 'obs' + Math.random().toString(36).slice(2, 8), keepAliveS: 60 }));
    expect((await c.next(CONNACK)).code).toBe(0);
    c.send(mqttSubscribe(1, 'unit/u1/+', 1));
    await c.next(SUBACK);
    return c;
  }

  it('connects and subscribes, publishes at QoS 1 (PUBACK), takes commands, binary both ways', async () => {
    await until(() => client.state === 2);
    const obs = await observer();
    let done = false;
    expect(client.publish('unit/u1/up', ALL, () => (done = true))).toBe(true);
    await until(() => done);
    const p = await obs.next(PUBLISH);
    expect(p.topic).toBe('unit/u1/up');
    expect(p.payload === ALL).toBe(true);
    expect(publish(broker.port, 'unit/u1/cmd', 'topup R301 5000')).toBe(0);
    await until(() => commands.length === 1);
    expect(commands[0]).toBe('topup R301 5000');
    obs.send(mqttPublish('unit/u1/cmd', ALL, 1, 9));
    await until(() => commands.length === 2);
    expect(commands[1] === ALL).toBe(true);
    expect(opens).toBe(1);
    obs.sock.destroy();
  });

  it('survives a dropped connection: reconnects and sends the message in flight again', async () => {
    const obs = await observer();
    let done = false;
    expect(client.publish('unit/u1/up', 'in flight', () => (done = true))).toBe(true);
    // (the PUBLISH is on its way through the module: the connection drops under it)
    r.vm.dropTcp();
    await until(() => done, 15000);
    expect(states).toEqual(['up', 'down', 'up']);
    expect(opens).toBe(2);
    const got: string[] = [];
    for (;;) {
      const p = await obs.next(PUBLISH);
      got.push(p.topic + ' ' + p.payload);
      if (p.payload === 'in flight') break;
    }
    // the broker gave the unit's will when the connection dropped
    expect(got).toContain('unit/u1/state offline');
    obs.sock.destroy();
  }, 20000);

  it('survives CIPSTART failing: closed, tried again after its wait, then connected', async () => {
    r.vm.faults.connectFail = true;
    const from = r.cmds.length;
    const starts = () => r.cmds.slice(from).filter((c) => c.indexOf('AT+CIPSTART=') === 0).length;
    r.vm.dropTcp();
    // the first attempt refused (CONNECT FAIL) and the module closed; the next one let through
    await until(() => starts() === 1 && r.cmds[r.cmds.length - 1] === 'AT+CIPSHUT', 10000);
    expect(client.state).toBe(0);
    r.vm.faults.connectFail = false;
    await until(() => client.state === 2, 15000);
    expect(starts()).toBe(2);
    expect(states).toEqual(['up', 'down', 'up', 'down', 'up']);
    expect(opens).toBe(4);
    let done = false;
    client.publish('unit/u1/up', 'after', () => (done = true));
    await until(() => done);
  }, 30000);
});
