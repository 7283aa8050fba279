// The poller and relay control over the real bus, a fake port and fake meters.
import { describe, expect, it } from 'vitest';
import { MeterBus, PROTO_DLT645 } from '../../firmware/metering/bus';
import { Poller, Reading } from '../../firmware/metering/poller';
import { RelayControl } from '../../firmware/metering/relay-control';
import { RELAY_CLOSE_ALLOWED } from '../../firmware/metering/dlt645';
import { LineSettings } from '../../hal/serial';
import { FakeClock, FakePort, busMeters, startPolling } from './fakes';
import { FakeDlt, FakeModbus, responder, setF32, setU32 } from './meters';

const LINE: LineSettings = { baud: 2400, dataBits: 8, parity: 'even', stopBits: 1 };

function setup(extra: { intervalMs?: number; detailEvery?: number } = {}) {
  const clock = new FakeClock();
  let port!: FakePort;
  const d1: FakeDlt = { addr: '000000000161', importCkwh: 26, exportCkwh: 126, powerDw: 12075 };
  const d2: FakeDlt = { addr: '000000000001', importCkwh: 1234567, exportCkwh: 0, powerDw: -5, noExport: true };
  const sdm: FakeModbus = { id: 1, regs: new Uint16Array(0x160), writes: 0 };
  setF32(sdm.regs, 0x48, 1200);
  setF32(sdm.regs, 0x4a, 34.56);
  setF32(sdm.regs, 0x0c, 1207.5);
  setF32(sdm.regs, 0x00, 230.1);
  setF32(sdm.regs, 0x06, 5.25);
  const dds: FakeModbus = { id: 2, regs: new Uint16Array(0x20), writes: 0 };
  setU32(dds.regs, 0x0a, 123456);
  setU32(dds.regs, 0x08, 123);
  dds.regs[0x0c] = 2301;
  dds.regs[0x0d] = 525;
  dds.regs[0x0e] = 0x10000 - 200; // -200 W
  dds.regs[0x1a] = 1;
  const { meters, profiles } = busMeters([
    { protocol: 'dlt645', address: '000000000161' },
    { protocol: 'dlt645', address: '000000000001' },
    { protocol: 'modbus', id: 1, profile: 'sdm120' },
    { protocol: 'modbus', id: 2, profile: 'dds238' },
  ]);
  const bus = new MeterBus({ clock, line: LINE, meters: meters.n, open: (o) => (port = new FakePort(clock, o)), retries: 1, backoffMs: 30000 });
  port.responder = responder([d1, d2], [sdm, dds]);
  const readings: Reading[] = [];
  const events: string[] = [];
  const poller = new Poller({
    bus,
    clock,
    meters,
    profiles,
    detailEvery: extra.detailEvery || 5,
    onReading: (r) => readings.push(r),
    onEvent: (k, m, d) => events.push(k + ':' + m + (d ? ':' + d : '')),
  });
  const start = () => startPolling(poller, clock, extra.intervalMs || 60000);
  return { clock, port: () => port, bus, poller, start, readings, events, d1, d2, sdm, dds, meters, profiles };
}

describe('poller', () => {
  it('reads every meter: energy each cycle, details every Nth cycle', () => {
    const s = setup({ detailEvery: 2 });
    s.start();
    s.clock.advance(59000);
    expect(s.readings.map((r) => [r.meterIndex, r.importWh, r.exportWh, r.powerW])).toEqual([
      [0, 260, 1260, 1208],
      [1, 12345670, 0, -1], // -0.5 W rounds away from zero
      [2, 1200000, 34560, 1208],
      [3, 1234560, 1230, -200],
    ]);
    expect(Array.from(s.poller.s.voltageDv)).toEqual([2301, 2301, 2301, 2301]);
    expect(Array.from(s.poller.s.currentMa)).toEqual([5250, 5250, 5250, 5250]);
    expect(s.poller.s.status[3]).toBe(1); // DDS238 relay register
    expect(s.poller.s.status[0]).toBe(0); // status word 3
    s.readings.length = 0;
    s.d1.importCkwh = 27;
    s.clock.advance(60000);
    expect(s.readings.map((r) => [r.meterIndex, r.importWh, 'powerW' in r])).toEqual([
      [0, 270, false],
      [1, 12345670, false],
      [2, 1200000, false],
      [3, 1234560, false],
    ]);
    expect(s.port().overlaps).toBe(0);
    expect(s.events).toEqual([]);
  });
  it('a dead meter never stalls the rest; lost after 3 failed polls, found when it answers', () => {
    const s = setup();
    s.d1.dead = true;
    s.start();
    const cycleEnds: number[] = [];
    for (let c = 0; c < 12; c++) {
      s.readings.length = 0;
      s.clock.advance(60000);
      expect(s.readings.map((r) => r.meterIndex)).toEqual([1, 2, 3]);
      cycleEnds.push(s.readings[2].timeMs - (c + 1) * 60000);
    }
    expect(s.events.filter((e) => e === 'lost:0').length).toBe(1);
    expect(s.poller.s.lost[0]).toBe(1);
    // a poll of the dead meter costs at most 2 attempts x (500 ms + reply wire time)
    expect(Math.max(...cycleEnds)).toBeLessThan(2 * 2 * (500 + 24 * (11 / 2.4)) + 20 * 1000);
    // back-off: far fewer attempts than 12 cycles x 2 attempts
    expect(s.bus.s.requests[0]).toBeLessThan(8);
    s.d1.dead = false;
    s.clock.advance(20 * 60000);
    expect(s.events).toEqual(['lost:0', 'found:0']);
    expect(s.poller.s.lost[0]).toBe(0);
    expect(s.port().overlaps).toBe(0);
  });
  it('a cycle still running when the next is due is reported, not doubled', () => {
    const s = setup({ intervalMs: 1000 });
    s.start();
    s.clock.advance(1500);
    expect(s.events[0]).toMatch(/^overrun/);
  });

  it('meter read: one meter\'s energy now, after the cycle under way; a cycle due meanwhile waits for it', () => {
    const s = setup();
    const got: unknown[] = [];
    // No cycle running: the read starts at once and only that meter is read.
    s.poller.read(3, (err, imp, exp) => got.push([err, imp, exp]));
    expect(s.poller.busy()).toBe(true);
    s.clock.advance(2000);
    expect(got).toEqual([[null, 1234560, 1230]]);
    expect(s.readings.map((r) => [r.meterIndex, r.importWh, 'powerW' in r])).toEqual([[3, 1234560, false]]);
    expect(s.poller.busy()).toBe(false);
    expect(s.poller.s.cycle).toBe(0); // a read is not a cycle
    // During a cycle: the read waits for its end; a cycle asked for during a read follows it.
    s.readings.length = 0;
    s.poller.pollNow();
    s.poller.read(1, (err, imp) => {
      got.push([err, imp]);
      s.poller.pollNow(); // due while the read runs: after it, not an overrun
    });
    s.clock.advance(10000);
    expect(s.readings.map((r) => r.meterIndex)).toEqual([0, 1, 2, 3, 1, 0, 1, 2, 3]);
    expect(got[1]).toEqual([null, 12345670]);
    expect(s.events).toEqual([]);
    expect(s.poller.s.cycle).toBe(2);
    // A cycle falling due while a read runs starts as the read ends: the read's answer is its own.
    s.poller.read(3, (err, imp, exp) => got.push([err, imp, exp]));
    s.poller.pollNow();
    s.clock.advance(10000);
    expect(got[2]).toEqual([null, 1234560, 1230]);
    expect(s.poller.s.cycle).toBe(3);
    expect(s.port().overlaps).toBe(0);
  });

  it('meter read: a silent meter answers with the bus error, a resting one says so, neither counts as a failed poll', () => {
    const s = setup();
    s.d1.dead = true;
    const got: unknown[] = [];
    s.poller.read(0, (err) => got.push(err));
    s.clock.advance(5000);
    expect(got).toEqual(['did not answer: timeout']);
    expect(s.poller.s.pollFails[0]).toBe(0);
    // the failed request put it in the bus's back-off: a read then does not wait on the wire
    const sent = s.bus.s.requests[0];
    s.poller.read(0, (err) => got.push(err));
    expect(got[1]).toBe('resting');
    expect(s.bus.s.requests[0]).toBe(sent);
    expect(s.events).toEqual([]);
    // cut(): reads under way or waiting are dropped unanswered, the next cycle starts afresh
    s.d1.dead = false;
    s.poller.read(2, (err) => got.push(err));
    s.poller.read(3, (err) => got.push(err));
    s.poller.cut();
    expect(s.poller.busy()).toBe(false);
    s.clock.advance(5000);
    expect(got.length).toBe(2);
  });
});

describe('relay control', () => {
  // Relays by meter index: 0 DL/T 645 000000000161, 2 SDM120 (no relay), 3 DDS238.
  function relays(s: ReturnType<typeof setup>, extra = {}) {
    const ev: string[] = [];
    const rc = new RelayControl({
      bus: s.bus,
      clock: s.clock,
      meters: s.meters,
      profiles: s.profiles,
      onEvent: (k, i, d) => ev.push(k + ':' + i + ':' + d),
      ...extra,
    });
    return { rc, ev };
  }
  it('DL/T 645 trip and close, confirmed by status word 3', () => {
    const s = setup();
    const { rc, ev } = relays(s);
    rc.set(0, false);
    s.clock.advance(5000);
    expect(s.d1.relayOpen).toBe(true);
    expect(ev).toEqual(['relay:0:open']);
    rc.set(0, true);
    s.clock.advance(5000);
    expect(ev).toEqual(['relay:0:open', 'relay:0:closed']);
    expect(rc.s.state[0]).toBe(1);
  });
  it('1BH close-allowed is confirmed by the trip command being lifted', () => {
    const s = setup();
    const { rc, ev } = relays(s, { closeCode: RELAY_CLOSE_ALLOWED });
    s.d1.relayOpen = s.d1.trip = true;
    rc.set(0, true);
    s.clock.advance(5000);
    expect(ev).toEqual(['relay:0:closed']);
    expect(s.d1.relayOpen).toBe(true); // the customer has not pressed the button yet
  });
  it('a refused or disobeying meter relay raises an alarm after N tries', () => {
    const s = setup();
    s.d1.refuseRelay = true;
    const { rc, ev } = relays(s, { tries: 3 });
    rc.set(0, false);
    s.clock.advance(20000);
    expect(ev).toEqual(['relay-alarm:0:unauthorised']);
    expect(s.port().writes.filter((w) => w.bytes[12] === 0x1c).length).toBe(3);
    s.d1.refuseRelay = false;
    s.d1.stuck = true;
    rc.set(0, false);
    s.clock.advance(20000);
    expect(ev[1]).toBe('relay-alarm:0:reads 0');
  });
  it('DDS238 relay register written with function 10 and read back; SDM has no relay', () => {
    const s = setup();
    const { rc, ev } = relays(s);
    rc.set(3, false);
    rc.set(2, false);
    s.clock.advance(10000);
    expect(s.dds.regs[0x1a]).toBe(0);
    expect(s.dds.writes).toBe(1);
    expect(s.port().writes.some((w) => w.bytes[0] === 2 && w.bytes[1] === 6)).toBe(false);
    expect(ev).toEqual(['relay:3:open', 'relay-alarm:2:no-relay']);
  });
});

// Keep the import used when only types are needed.
void PROTO_DLT645;
