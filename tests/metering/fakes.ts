// A tiny fake clock and a fake half-duplex serial port for the meter bus tests.
import { Clock } from '../../hal/clock';
import { SerialOptions, SerialPort, bitsPerChar } from '../../hal/serial';
import type { Poller } from '../../firmware/metering/poller';

/** Bytes from a hex string like '68 61 01'. */
export function h(s: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.substr(2 * i, 2), 16);
  return out;
}

/** Upper-case hex, space separated. */
export function hx(b: ArrayLike<number>): string {
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) out.push((b[i] < 16 ? '0' : '') + b[i].toString(16).toUpperCase());
  return out.join(' ');
}

/** Drops a leading 4 x FE preamble. */
export function noPre(b: Uint8Array): Uint8Array {
  let i = 0;
  while (b[i] === 0xfe) i++;
  return b.subarray(i);
}

interface Timer {
  id: number;
  at: number;
  every: number;
  fn: () => void;
}

/** Timers fire in time order (then creation order) when the test advances time. */
export class FakeClock implements Clock {
  t = 0;
  private timers: Timer[] = [];
  private nextId = 1;
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): number {
    this.timers.push({ id: this.nextId, at: this.t + ms, every: 0, fn });
    return this.nextId++;
  }
  every(ms: number, fn: () => void): number {
    this.timers.push({ id: this.nextId, at: this.t + ms, every: ms, fn });
    return this.nextId++;
  }
  cancel(id: number): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let best: Timer | null = null;
      for (const x of this.timers) if (x.at <= end && (!best || x.at < best.at || (x.at === best.at && x.id < best.id))) best = x;
      if (!best) break;
      this.t = best.at;
      if (best.every) best.at += best.every;
      else this.cancel(best.id);
      best.fn();
    }
    this.t = end;
  }
}

/** How a fake device answers a request: bytes in slices after a delay, or nothing. */
export type Responder = (req: Uint8Array) => { delayMs: number; bytes: Uint8Array; slice?: number } | null;

/** A port with real half-duplex semantics: done after the wire time, refuses overlapping writes,
 *  and checks that no write starts while a reply is still arriving. */
export class FakePort implements SerialPort {
  writes: { t: number; bytes: Uint8Array }[] = [];
  overlaps = 0;
  busyUntil = -1;
  rxUntil = -1;
  responder: Responder | null = null;
  opts: SerialOptions;
  closed = false;
  constructor(private clock: FakeClock, opts: SerialOptions) {
    this.opts = opts;
  }
  bitsPerChar(): number {
    return bitsPerChar(this.opts);
  }
  charMs(): number {
    return (this.bitsPerChar() * 1000) / this.opts.baud;
  }
  write(bytes: Uint8Array, done?: () => void): boolean {
    const now = this.clock.now();
    if (now < this.busyUntil) {
      this.overlaps++;
      return false;
    }
    if (now < this.rxUntil) this.overlaps++;
    this.writes.push({ t: now, bytes: new Uint8Array(bytes) });
    const end = now + bytes.length * this.charMs();
    this.busyUntil = end;
    this.clock.after(end - now, () => {
      if (done) done();
      const r = this.responder ? this.responder(new Uint8Array(bytes)) : null;
      if (r) this.send(r.bytes, r.delayMs, r.slice || 1);
    });
    return true;
  }
  /** Delivers bytes after delayMs, slice by slice at wire speed. */
  send(bytes: Uint8Array, delayMs: number, slice: number): void {
    const c = this.charMs();
    const start = this.clock.now() + delayMs;
    this.rxUntil = Math.max(this.rxUntil, start + bytes.length * c);
    for (let i = 0; i < bytes.length; i += slice) {
      const part = bytes.slice(i, i + slice);
      const at = start + (i + part.length) * c;
      this.clock.after(at - this.clock.now(), () => this.opts.onData(part));
    }
  }
  close(): void {
    this.closed = true;
  }
}

import { parseConfig } from '../../firmware/config';
import { MeterTable } from '../../firmware/tables';
import { ModbusProfile } from '../../firmware/metering/meter-profiles';

/** Bus meters as the configuration gives them: { protocol: 'dlt645', address } or
 *  { protocol: 'modbus', id, profile } (a name or a register map), in order. */
export function busMeters(list: ({ protocol: string; address?: string; id?: number; profile?: unknown })[]): { meters: MeterTable; profiles: ModbusProfile[] } {
  const meters = list.map((o, i) => {
    const m: { [k: string]: unknown } = { name: 'M' + i, account: 'A', proto: o.protocol, addr: o.protocol === 'dlt645' ? o.address : String(o.id) };
    if (o.protocol === 'modbus' && o.profile !== undefined) m.profile = o.profile;
    return m;
  });
  const r = parseConfig({ plans: { p: { price: 1 } }, accounts: [{ name: 'A', plan: 'p' }], meters });
  if (!r.ok) throw new Error(r.error);
  return { meters: r.value.meters, profiles: r.value.profiles };
}

/** Polls now and then every ms (the unit's wiring does this through its own timer); returns a
 *  function that stops the polling. */
export function startPolling(p: Poller, clock: Clock, ms = 60000): () => void {
  const h = clock.every(ms, () => p.pollNow());
  p.pollNow();
  return () => clock.cancel(h);
}
