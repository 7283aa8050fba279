// The transaction layer over a fake port and a fake clock: framing, timeouts, retries,
// back-off, statistics, and never two transactions on the line at once.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MeterBus, PROTO_DLT645, PROTO_MODBUS, BusOptions } from '../../firmware/metering/bus';
import * as dlt from '../../firmware/metering/dlt645';
import * as mb from '../../firmware/metering/modbus';
import { crc16 } from '../../firmware/lib/crc16';
import { LineSettings } from '../../hal/serial';
import { FakeClock, FakePort, Responder, h } from './fakes';

const L2400E: LineSettings = { baud: 2400, dataBits: 8, parity: 'even', stopBits: 1 };
const L9600N: LineSettings = { baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
const M1 = h('01 00 00 00 00 00');

function rig(line: LineSettings, extra: Partial<BusOptions> = {}) {
  const clock = new FakeClock();
  let port!: FakePort;
  const bus = new MeterBus({
    clock,
    line,
    meters: 4,
    open: (o) => (port = new FakePort(clock, o)),
    ...extra,
  });
  const results: { err: string | null; reply: any; tag: number; t: number }[] = [];
  const cb = (err: string | null, reply: any, tag: number) => results.push({ err, reply, tag, t: clock.now() });
  return { clock, port, bus, results, cb };
}

const IMPORT_REPLY = h('FE FE 68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16');
const GOOD_PW = h('68 01 00 00 00 00 00 68 91 07 33 33 36 35 A8 53 34 69 16');

describe('DL/T 645 transactions', () => {
  it('a reply in one-byte slices after Td, with FE preamble, completes the read', () => {
    const r = rig(L2400E);
    r.port.responder = () => ({ delayMs: 60, bytes: GOOD_PW, slice: 1 });
    expect(r.bus.request(0, PROTO_DLT645, dlt.readRequest(M1, dlt.DI_POWER), 19, r.cb, 7)).toBe(true);
    r.clock.advance(2000);
    expect(r.results.length).toBe(1);
    expect(r.results[0].err).toBe(null);
    expect(r.results[0].tag).toBe(7);
    expect(dlt.decodeRead(r.results[0].reply, dlt.DI_POWER)).toEqual({ ok: true, value: [1208] });
    const wire = (20 + 19) * (11 / 2.4); // request + reply at 2400 8E1
    expect(r.results[0].t).toBeCloseTo(wire + 60, 6);
    expect([r.bus.s.requests[0], r.bus.s.successes[0], r.bus.s.retries[0], r.bus.s.timeouts[0]]).toEqual([1, 1, 0, 0]);
    expect([r.bus.s.busFails[0], r.bus.s.hold[0]]).toEqual([0, 0]);
    expect(r.port.overlaps).toBe(0);
  });
  it('no reply: timeout >= 500 ms + reply wire time, retries, then back-off that doubles', () => {
    const r = rig(L2400E, { retries: 2, backoffMs: 10000 });
    r.bus.request(1, PROTO_DLT645, dlt.readRequest(M1, dlt.DI_IMPORT), 20, r.cb, 0);
    r.clock.advance(5000);
    expect(r.results.map((x) => x.err)).toEqual(['timeout']);
    expect(r.port.writes.length).toBe(3);
    const req = 20 * (11 / 2.4);
    const gap = r.port.writes[1].t - r.port.writes[0].t;
    expect(gap).toBeGreaterThanOrEqual(req + 500 + 20 * (11 / 2.4));
    expect(gap).toBeLessThan(req + 500 + 24 * (11 / 2.4) + 20);
    expect([r.bus.s.requests[1], r.bus.s.retries[1], r.bus.s.timeouts[1], r.bus.s.busFails[1]]).toEqual([1, 2, 3, 1]);
    // back-off: refused without a callback, nothing on the wire
    expect(r.bus.ready(1)).toBe(false);
    expect(r.bus.request(1, PROTO_DLT645, dlt.readRequest(M1, dlt.DI_IMPORT), 20, r.cb, 0)).toBe(false);
    expect(r.bus.ready(0)).toBe(true);
    const t1 = r.results[0].t;
    r.clock.advance(t1 + 10000 - r.clock.now() - 1);
    expect(r.bus.ready(1)).toBe(false);
    r.clock.advance(1);
    expect(r.bus.ready(1)).toBe(true);
    r.bus.request(1, PROTO_DLT645, dlt.readRequest(M1, dlt.DI_IMPORT), 20, r.cb, 0);
    r.clock.advance(5000);
    const t2 = r.results[1].t;
    expect(r.clock.now() < t2 + 20000).toBe(true);
    r.clock.advance(t2 + 20000 - r.clock.now() - 1);
    expect(r.bus.ready(1)).toBe(false); // second failure in a row: 20 s
    r.clock.advance(1);
    expect(r.bus.ready(1)).toBe(true);
  });
  it('a bad checksum is retried at once and counted; the good retry succeeds and clears back-off', () => {
    const r = rig(L2400E);
    let n = 0;
    const bad = h('68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D2 16');
    const good = IMPORT_REPLY;
    r.port.responder = () => ({ delayMs: 30, bytes: n++ === 0 ? bad : good, slice: 3 });
    r.bus.request(0, PROTO_DLT645, dlt.readRequest(M1, dlt.DI_IMPORT), 20, r.cb, 0);
    r.clock.advance(3000);
    expect(r.results.map((x) => x.err)).toEqual([null]);
    expect([r.bus.s.crcErrors[0], r.bus.s.retries[0], r.bus.s.successes[0], r.bus.s.timeouts[0]]).toEqual([1, 1, 1, 0]);
    expect(r.results[0].t).toBeLessThan(800); // no waiting for a timeout
  });
  it('an abnormal reply is an answer: its error name, no retry, no back-off', () => {
    const r = rig(L2400E);
    r.port.responder = () => ({ delayMs: 30, bytes: h('68 01 00 00 00 00 00 68 D1 01 35 D8 16') });
    r.bus.request(0, PROTO_DLT645, dlt.readRequest(M1, dlt.DI_MONEY), 20, r.cb, 0);
    r.clock.advance(3000);
    expect(r.results.map((x) => x.err)).toEqual(['no-data']);
    expect(r.port.writes.length).toBe(1);
    expect(r.bus.ready(0)).toBe(true);
  });
  it('frames from another address or requests (echo) are ignored', () => {
    const r = rig(L2400E);
    const other = h('68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16');
    const echo = dlt.readRequest(M1, dlt.DI_POWER);
    r.port.responder = () => ({ delayMs: 30, bytes: new Uint8Array([...echo, ...other, ...GOOD_PW]), slice: 5 });
    r.bus.request(0, PROTO_DLT645, dlt.readRequest(M1, dlt.DI_POWER), 19, r.cb, 0);
    r.clock.advance(3000);
    expect(r.results.map((x) => x.err)).toEqual([null]);
    expect(r.results[0].reply.ctrl).toBe(0x91);
  });
  it('a broadcast expects no reply and completes when sent', () => {
    const r = rig(L2400E);
    r.bus.request(-1, PROTO_DLT645, dlt.timeSyncRequest(0), 0, r.cb, 0);
    r.clock.advance(200);
    expect(r.results.map((x) => x.err)).toEqual([null]);
    expect(r.results[0].t).toBeCloseTo(22 * (11 / 2.4), 6);
  });
});

describe('closing a bus', () => {
  it('drops the transaction on the line and those queued, cancels every timer, sends nothing more', () => {
    const r = rig(L2400E);
    const read = dlt.readRequest(M1, dlt.DI_IMPORT);
    expect(r.bus.request(0, PROTO_DLT645, read, 20, r.cb, 1)).toBe(true);
    expect(r.bus.request(1, PROTO_DLT645, read, 20, r.cb, 2)).toBe(true);
    expect(r.bus.request(2, PROTO_DLT645, read, 20, r.cb, 3)).toBe(true);
    r.clock.advance(50); // the first request is on the wire
    expect(r.port.writes.length).toBe(1);
    r.bus.close();
    expect(r.port.closed).toBe(true);
    r.clock.advance(60000);
    expect(r.port.writes.length).toBe(1);
    expect(r.results).toEqual([]);
    expect(r.clock.pending()).toBe(0);
    expect(r.bus.request(0, PROTO_DLT645, read, 20, r.cb, 4)).toBe(false);
    expect(r.bus.readDlt(0, M1, dlt.DI_IMPORT, 4, () => undefined)).toBe(false);
  });
});

describe('closing a bus with an answer not yet handed over', () => {
  it('cancels the hand-over too: no timer keeps the closed bus (and the session its callbacks reach) alive', () => {
    const r = rig(L2400E);
    expect(r.bus.request(0, PROTO_DLT645, dlt.readRequest(M1, dlt.DI_POWER), 19, r.cb, 1)).toBe(true);
    r.clock.advance(200); // the request has left the wire
    r.port.opts.onData(GOOD_PW); // the whole reply at once: the transaction is finished
    expect(r.clock.pending()).toBe(1); // its hand-over, from a timer of its own
    r.bus.close();
    expect(r.clock.pending()).toBe(0);
    r.clock.advance(1000);
    expect(r.results).toEqual([]);
  });
});

describe('Modbus transactions', () => {
  const t35 = 3.5 * (10 / 9.6);
  it('ends on the expected length, before any silence', () => {
    const r = rig(L9600N);
    r.port.responder = () => ({ delayMs: 20, bytes: h('01 04 04 43 66 19 9A 85 E4'), slice: 2 });
    r.bus.request(0, PROTO_MODBUS, mb.readRequest(1, 4, 0, 2), 9, r.cb, 0);
    r.clock.advance(1000);
    expect(r.results.map((x) => x.err)).toEqual([null]);
    expect(r.results[0].t).toBeCloseTo((8 + 9) * (10 / 9.6) + 20, 6);
    expect(mb.f32Scaled(r.results[0].reply, 0, 10, 1)).toBe(2301);
  });
  it('an exception ends after 5 bytes and is not retried', () => {
    const r = rig(L9600N);
    r.port.responder = () => ({ delayMs: 20, bytes: h('01 84 02 C2 C1') });
    r.bus.request(0, PROTO_MODBUS, mb.readRequest(1, 4, 0x48, 2), 9, r.cb, 0);
    r.clock.advance(1000);
    expect(r.results.map((x) => x.err)).toEqual(['illegal-address']);
    expect(r.port.writes.length).toBe(1);
  });
  it('a short reply that falls silent fails at the deadline as a CRC error and is retried', () => {
    const r = rig(L9600N, { retries: 1, turnaroundMs: 100 });
    r.port.responder = () => ({ delayMs: 20, bytes: h('01 04 04 43 66 19') });
    r.bus.request(2, PROTO_MODBUS, mb.readRequest(1, 4, 0, 2), 9, r.cb, 0);
    r.clock.advance(1000);
    expect(r.results.map((x) => x.err)).toEqual(['crc']);
    expect([r.bus.s.crcErrors[2], r.bus.s.retries[2], r.bus.s.timeouts[2]]).toEqual([2, 1, 0]);
    const deadline = 8 * (10 / 9.6) + 100 + 9 * (10 / 9.6) + t35;
    expect(r.port.writes[1].t).toBeCloseTo(deadline + t35, 6);
  });
  it('a whole frame shorter than expected ends on 3.5-character silence', () => {
    const r = rig(L9600N, { retries: 0 });
    const one = h('01 04 02 00 07 00 00'); // one register instead of two
    const c = crc16(one, 0, 5);
    one[5] = c & 255;
    one[6] = c >> 8;
    r.port.responder = () => ({ delayMs: 20, bytes: one });
    r.bus.request(0, PROTO_MODBUS, mb.readRequest(1, 4, 0, 2), 9, r.cb, 0);
    r.clock.advance(1000);
    expect(r.results.map((x) => x.err)).toEqual(['unexpected']);
    expect(r.results[0].t).toBeCloseTo((8 + 7) * (10 / 9.6) + 20 + t35, 6);
  });
  it('timeout = turnaround + reply wire time + 3.5 chars', () => {
    const r = rig(L9600N, { retries: 0, turnaroundMs: 100 });
    r.bus.request(0, PROTO_MODBUS, mb.readRequest(1, 4, 0, 2), 9, r.cb, 0);
    r.clock.advance(1000);
    expect(r.results[0].t).toBeCloseTo(8 * (10 / 9.6) + 100 + 9 * (10 / 9.6) + t35, 6);
    expect(r.results[0].err).toBe('timeout');
  });
  it('waits 3.5 characters after a reply before the next request', () => {
    const r = rig(L9600N);
    r.port.responder = () => ({ delayMs: 20, bytes: h('01 10 00 1A 00 01 20 0E') });
    r.bus.request(0, PROTO_MODBUS, mb.writeRequest(1, 0x1a, [1]), 8, r.cb, 0);
    r.bus.request(1, PROTO_MODBUS, mb.writeRequest(1, 0x1a, [1]), 8, r.cb, 1);
    r.clock.advance(1000);
    expect(r.results.map((x) => x.tag)).toEqual([0, 1]);
    expect(r.port.writes[1].t - r.results[0].t).toBeCloseTo(t35, 6);
  });
});

describe('queue property', () => {
  it('never two transactions on the line; every request completes once, in order, in bounded time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ meter: fc.integer({ min: 0, max: 3 }), modbus: fc.boolean(), behaviour: fc.integer({ min: 0, max: 3 }), at: fc.integer({ min: 0, max: 3000 }) }), { minLength: 1, maxLength: 25 }),
        (reqs) => {
          const r = rig(L9600N, { retries: 1, backoffMs: 1 });
          const behaviours = new Map<string, number>();
          const responder: Responder = (req) => {
            const b = behaviours.get(Array.from(req).join(',')) ?? 0;
            if (b === 1) return null; // dead
            if (req[1] === 4) return { delayMs: b === 2 ? 150 : 15, bytes: h('01 04 04 43 66 19 9A 85 E4'), slice: 3 };
            if (b === 3) return { delayMs: 15, bytes: h('68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16') };
            return { delayMs: 40, bytes: h('68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D2 16'), slice: 4 };
          };
          r.port.responder = responder;
          let accepted = 0;
          const order: number[] = [];
          reqs.sort((a, b) => a.at - b.at);
          reqs.forEach((q, i) => {
            r.clock.advance(q.at - r.clock.now());
            const req = q.modbus ? mb.readRequest(1, 4, i, 2) : dlt.readRequest(M1, dlt.DI_IMPORT + i);
            behaviours.set(Array.from(req).join(','), q.behaviour);
            if (r.bus.request(q.meter, q.modbus ? PROTO_MODBUS : PROTO_DLT645, req, 9, (e, _x, tag) => order.push(tag), i)) accepted++;
          });
          r.clock.advance(25 * 2 * 1000);
          expect(order.length).toBe(accepted);
          expect(order).toEqual([...order].sort((a, b) => a - b));
          expect(r.port.overlaps).toBe(0);
          // nothing queued or on the line
          expect([(r.bus as unknown as { cur: unknown }).cur, (r.bus as unknown as { q: unknown[] }).q.length]).toEqual([null, 0]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
