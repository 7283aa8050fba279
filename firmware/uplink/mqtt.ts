// MQTT 3.1.1 (OASIS standard, 2014) as the unit speaks it to a head-end's broker (issue 13):
// the packets a small client needs, made and read as byte strings (a character a byte, 0..255),
// which is what a TCP socket or an AT modem's CIPSEND takes and gives on the board. The client
// connects with a keep-alive and a last will, publishes at QoS 0 or 1, subscribes to its command
// topic at QoS 1, acknowledges what it receives at QoS 1, pings and disconnects. QoS 2, retained
// subscriptions and several topics in one SUBSCRIBE are not used by the unit and not made.
// Reading is incremental (a packet may come in any slices, several in one) and every packet is
// checked: a malformed one is an error, never a guess.
import { Result, fail, ok } from '../../hal/result';

/** Packet types (the high four bits of the first byte). */
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

/** A packet read: its type, and what the unit uses of it. */
export interface MqttPacket {
  type: number;
  /** PUBLISH: its QoS, retain and dup flags; its topic and payload (byte strings). */
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  topic?: string;
  payload?: string;
  /** PUBLISH at QoS 1, PUBACK, SUBACK: the packet identifier. */
  id?: number;
  /** CONNACK: the return code (0 accepted) and session present; SUBACK: the granted QoS (128: refused). */
  code?: number;
  session?: boolean;
}

/** A last will: published by the broker when the unit goes without a DISCONNECT. */
export interface MqttWill {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

export interface MqttConnectOptions {
  clientId: string;
  /** Seconds; the broker drops a client silent for one and a half times this. */
  keepAliveS: number;
  will?: MqttWill;
  user?: string;
  password?: string;
  /** A clean session (default true): the broker keeps no subscription or queued message. */
  clean?: boolean;
}

/** A 16-bit big-endian number. */
function u16(n: number): string {
  return String.fromCharCode((n >> 8) & 255, n & 255);
}

/** A length-prefixed string (topic, client id, ...). */
function lstr(s: string): string {
  return u16(s.length) + s;
}

/** A packet: first byte, the remaining length (7 bits a byte, low first), the rest. */
function packet(first: number, rest: string): string {
  let n = rest.length;
  let len = '';
  do {
    let d = n & 127;
    n = Math.floor(n / 128);
    if (n > 0) d |= 128;
    len += String.fromCharCode(d);
  } while (n > 0);
  return String.fromCharCode(first) + len + rest;
}

/** CONNECT. */
export function mqttConnect(o: MqttConnectOptions): string {
  const w = o.will;
  let flags = o.clean === false ? 0 : 2;
  if (w) flags |= 4 | (w.qos << 3) | (w.retain ? 32 : 0);
  if (o.password !== undefined) flags |= 64;
  if (o.user !== undefined) flags |= 128;
  let body = lstr('MQTT') + '\x04' + String.fromCharCode(flags) + u16(o.keepAliveS) + lstr(o.clientId);
  if (w) body += lstr(w.topic) + lstr(w.payload);
  if (o.user !== undefined) body += lstr(o.user);
  if (o.password !== undefined) body += lstr(o.password);
  return packet(CONNECT << 4, body);
}

/** PUBLISH of payload (a byte string) on topic; id for QoS 1. */
export function mqttPublish(topic: string, payload: string, qos: number, id: number, retain?: boolean, dup?: boolean): string {
  return packet((PUBLISH << 4) | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0), lstr(topic) + (qos ? u16(id) : '') + payload);
}

/** PUBACK of packet id. */
export function mqttPubAck(id: number): string {
  return packet(PUBACK << 4, u16(id));
}

/** SUBSCRIBE to one topic filter at qos. */
export function mqttSubscribe(id: number, filter: string, qos: number): string {
  return packet((SUBSCRIBE << 4) | 2, u16(id) + lstr(filter) + String.fromCharCode(qos));
}

/** PINGREQ. */
export function mqttPing(): string {
  return packet(PINGREQ << 4, '');
}

/** DISCONNECT. */
export function mqttDisconnect(): string {
  return packet(DISCONNECT << 4, '');
}

/** Reads packets from the bytes a connection brings, in any slices. `max`: the longest packet
 *  taken (its remaining length); a longer one, or one that breaks the standard, is an error,
 *  after which the connection must be dropped (the reader takes nothing more). */
export class MqttReader {
  private buf = '';
  private bad = '';
  constructor(private max: number) {}

  /** Adds bytes; each whole packet goes to fn, or the first error (then nothing more). */
  feed(s: string, fn: (p: Result<MqttPacket>) => void): void {
    if (this.bad) return;
    this.buf += s;
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      let n = 0;
      let mul = 1;
      let i = 1;
      for (;;) {
        if (i >= b.length) return;
        const d = b.charCodeAt(i++);
        n += (d & 127) * mul;
        if (!(d & 128)) break;
        mul *= 128;
        if (i > 4) return this.fail(fn, 'remaining length longer than four bytes');
      }
      if (n > this.max) return this.fail(fn, 'packet of ' + n + ' bytes, more than ' + this.max);
      if (b.length < i + n) return;
      this.buf = b.substr(i + n);
      const p = readPacket(b.charCodeAt(0), b.substr(i, n));
      if (!p.ok) return this.fail(fn, p.error);
      fn(p);
    }
  }

  private fail(fn: (p: Result<MqttPacket>) => void, why: string): void {
    this.bad = why;
    this.buf = '';
    fn(fail(why));
  }
}

/** A packet from its first byte and body, checked as the standard says for the packets a
 *  client receives (and PUBLISH, which both sides send). */
export function readPacket(first: number, body: string): Result<MqttPacket> {
  const type = first >> 4;
  const flags = first & 15;
  const num = function (at: number): number {
    return (body.charCodeAt(at) << 8) | body.charCodeAt(at + 1);
  };
  if (type === PUBLISH) {
    const qos = (flags >> 1) & 3;
    if (qos > 2) return fail('PUBLISH with QoS 3');
    if (body.length < 2) return fail('PUBLISH without a topic');
    const tl = num(0);
    const at = 2 + tl + (qos ? 2 : 0);
    if (body.length < at) return fail('PUBLISH shorter than its topic');
    const p: MqttPacket = { type: type, qos: qos, retain: !!(flags & 1), dup: !!(flags & 8), topic: body.substr(2, tl), payload: body.substr(at) };
    if (qos) p.id = num(2 + tl);
    if (qos && !p.id) return fail('PUBLISH with packet identifier 0');
    return ok(p);
  }
  // every other packet a client receives has fixed flags
  const want = type === SUBSCRIBE ? 2 : 0;
  if (flags !== want) return fail('packet type ' + type + ' with flags ' + flags);
  if (type === CONNACK) {
    if (body.length !== 2 || body.charCodeAt(0) > 1) return fail('malformed CONNACK');
    return ok({ type: type, session: body.charCodeAt(0) === 1, code: body.charCodeAt(1) });
  }
  if (type === PUBACK) {
    if (body.length !== 2) return fail('malformed PUBACK');
    return ok({ type: type, id: num(0) });
  }
  if (type === SUBACK) {
    if (body.length !== 3) return fail('malformed SUBACK');
    const c = body.charCodeAt(2);
    if (c > 2 && c !== 128) return fail('SUBACK with return code ' + c);
    return ok({ type: type, id: num(0), code: c });
  }
  if (type === PINGRESP) {
    if (body.length) return fail('malformed PINGRESP');
    return ok({ type: type });
  }
  return fail('packet type ' + type + ' is not one a client receives');
}
