// The unit's MQTT client (issue 13): one connection to the head-end's broker over whatever link
// the board has (a TCP socket, the modem's TCP), kept up with a keep-alive and brought back with
// a growing wait when it drops (or, for one session, `once`: a persistent MQTT session that ends
// with the connection); one message in flight at a time at QoS 1, sent again (marked as
// a copy) until the broker acknowledges it, across reconnections; commands received on the
// unit's topic at QoS 1 and acknowledged. One in flight is all store-and-forward needs (it sends
// the next batch when the last is acknowledged) and keeps the heap small. Every step is a timer
// or an answer: nothing waits.
import type { Clock } from '../../hal/clock';
import type { Link, OpenLink } from '../../hal/link';
import { CONNACK, MqttReader, MqttWill, PINGRESP, PUBACK, PUBLISH, SUBACK, mqttConnect, mqttPing, mqttPubAck, mqttPublish, mqttSubscribe } from './mqtt';

/** A connection the board opened (hal/link.ts). */
export type MqttLink = Link;

export interface MqttClientOptions {
  clock: Clock;
  /** Opens a connection to the broker (hal/link.ts). */
  open: OpenLink;
  clientId: string;
  keepAliveS: number;
  will: MqttWill;
  /** Topic of the unit's commands (subscribed at QoS 1). */
  commands: string;
  /** A command's payload (a byte string). */
  onCommand: (payload: string) => void;
  /** 'up' once connected and subscribed, 'down' when the connection is lost ('end' with `once`:
   *  the connection failed, was lost or stopped). */
  onState?: (s: string) => void;
  /** One connection, not brought back: a session of the unit's (the broker keeps its MQTT session,
   *  and the commands sent to it, while it is away). */
  once?: boolean;
  /** The longest packet taken (default 1024). */
  maxPacket?: number;
  /** How long the answer to CONNECT may take, ms (default 30 s): over a modem's TCP the link
   *  brings its bearer up first (AT+CIICR alone may take 85 s). */
  connectMs?: number;
}

/** Waits before reconnecting: 1 s, doubling to 5 minutes. */
const FIRST_WAIT_MS = 1000;
const LONGEST_WAIT_MS = 300000;
/** A message not acknowledged in this long is sent again; an answer to CONNECT or a ping waits
 *  this long (a GPRS module's TCP can take seconds a round trip). */
const ANSWER_MS = 30000;

export class MqttClient {
  /** 0 down, 1 connecting, 2 up (connected and subscribed). */
  state = 0;
  private link: MqttLink | null = null;
  /** The connection's number: callbacks of an older one are ignored. */
  private gen = 0;
  private reader: MqttReader | null = null;
  private wait = FIRST_WAIT_MS;
  private timer = -1;
  private id = 0;
  /** The message in flight: its packet id, its PUBLISH packet, and what to call when
   *  acknowledged. (Only the packet is kept: on a board the heap holds a message once while it
   *  flies, the link sending that same string.) */
  private fly: { id: number; p: string; done: () => void } | null = null;
  private sentAt = 0;
  private heardAt = 0;
  private pinged = false;
  private stopped = false;

  constructor(private o: MqttClientOptions) {
    this.connect();
  }

  /** Publishes payload on topic at QoS 1; done() once the broker has it. One at a time. */
  publish(topic: string, payload: string, done: () => void): boolean {
    if (this.fly) return false;
    this.id = (this.id % 65535) + 1;
    this.fly = { id: this.id, p: mqttPublish(topic, payload, 1, this.id), done: done };
    if (this.state === 2) this.sendFly(false);
    return true;
  }

  /** Whether an answer is awaited: to CONNECT or SUBSCRIBE, a ping, the message in flight (a
   *  simulator running the unit's clock fast waits for it before the clock moves on). */
  awaiting(): boolean {
    return !!this.link && (this.state === 1 || this.pinged || (this.state === 2 && !!this.fly));
  }

  /** Closes the connection for good (the will is published: the unit goes without a word). */
  stop(): void {
    this.stopped = true;
    this.drop();
  }

  private connect(): void {
    const self = this;
    const o = this.o;
    this.timer = -1;
    if (this.stopped) return;
    this.reader = new MqttReader(o.maxPacket || 1024);
    this.state = 1;
    const gen = ++this.gen;
    const link = o.open(
      function (s: string) {
        if (self.gen === gen) self.data(s);
      },
      function () {
        if (self.gen === gen) self.lost();
      },
    );
    // (a link that failed as it opened has called closed already)
    if (this.gen !== gen || this.state !== 1) return;
    this.link = link;
    if (!link) return this.lost();
    link.write(mqttConnect({ clientId: o.clientId, keepAliveS: o.keepAliveS, will: o.will, clean: !o.once }));
    this.heardAt = o.clock.now();
    this.tick();
  }

  /** The keep-alive and the answers' time limits, every second while connected. */
  private tick(): void {
    const self = this;
    this.timer = this.o.clock.after(1000, function () {
      self.timer = -1;
      const now = self.o.clock.now();
      // no answer to CONNECT, SUBSCRIBE or a ping in time: the connection is gone
      if ((self.state === 1 || self.pinged) && now - self.heardAt > (self.state === 1 ? self.o.connectMs || ANSWER_MS : ANSWER_MS)) return self.lost();
      if (self.state === 2) {
        if (self.fly && now - self.sentAt > ANSWER_MS) self.sendFly(true);
        if (!self.pinged && now - self.heardAt > self.o.keepAliveS * 500) {
          self.pinged = true;
          self.heardAt = now;
          self.write(mqttPing());
        }
      }
      self.tick();
    });
  }

  private data(s: string): void {
    const self = this;
    (this.reader as MqttReader).feed(s, function (r) {
      if (!r.ok) return self.lost();
      const p = r.value;
      const o = self.o;
      self.heardAt = o.clock.now();
      if (p.type === CONNACK) {
        if (p.code) return self.lost();
        self.write(mqttSubscribe(1, o.commands, 1));
      } else if (p.type === SUBACK) {
        if (p.code === 128) return self.lost();
        self.state = 2;
        self.wait = FIRST_WAIT_MS;
        if (self.fly) self.sendFly(true);
        if (o.onState) o.onState('up');
      } else if (p.type === PUBACK) {
        const f = self.fly;
        if (f && f.id === p.id) {
          self.fly = null;
          f.done();
        }
      } else if (p.type === PUBLISH) {
        if (p.qos) self.write(mqttPubAck(p.id as number));
        if (p.topic === o.commands) o.onCommand(p.payload as string);
      } else if (p.type === PINGRESP) self.pinged = false;
    });
  }

  /** Sends the message in flight; again, flagged as a copy (DUP, the first byte's bit 3). */
  private sendFly(dup: boolean): void {
    const f = this.fly as { p: string };
    this.sentAt = this.o.clock.now();
    if (dup && !(f.p.charCodeAt(0) & 8)) f.p = String.fromCharCode(f.p.charCodeAt(0) | 8) + f.p.substr(1);
    this.write(f.p);
  }

  private write(s: string): void {
    if (this.link) this.link.write(s);
  }

  /** Drops the connection; the message in flight stays for the next. */
  private drop(): void {
    const l = this.link;
    this.gen++;
    this.link = null;
    this.reader = null;
    this.pinged = false;
    if (this.timer >= 0) this.o.clock.cancel(this.timer);
    this.timer = -1;
    const was = this.state;
    this.state = 0;
    if (l) l.close();
    const on = this.o.onState;
    if (on && this.o.once) {
      this.stopped = true;
      if (was) on('end');
    } else if (was === 2 && on) on('down');
  }

  /** The connection is lost: a new one after the wait, which doubles each time. */
  private lost(): void {
    const self = this;
    this.drop();
    if (this.stopped) return;
    const w = this.wait;
    this.wait = Math.min(w * 2, LONGEST_WAIT_MS);
    this.timer = this.o.clock.after(w, function () {
      self.connect();
    });
  }
}
