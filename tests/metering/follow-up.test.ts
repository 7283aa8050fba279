// DL/T 645 follow-up frames: a meter that sends a value in several frames (B1H, then 92H/B2H
// asked for with 12H) is read whole by the poller, also when a follow-up frame is lost.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock';
import { VirtualBus } from '../../sim/virtual-bus';
import { VirtualDlt645Meter } from '../../sim/virtual-dlt645-meter';
import { MeterBus } from '../../firmware/metering/bus';
import { Poller, Reading } from '../../firmware/metering/poller';
import { busMeters, startPolling } from './fakes';
import { LineSettings } from '../../hal/serial';

const LINE: LineSettings = { baud: 2400, dataBits: 8, parity: 'even', stopBits: 1 };


function rig(frameDataMax: number) {
  const clock = new VirtualClock();
  const vbus = new VirtualBus(clock);
  const split = new VirtualDlt645Meter(clock, vbus, { address: '000000000161', frameDataMax, model: { importCkwh: 1234567, exportCkwh: 126 } });
  const plain = new VirtualDlt645Meter(clock, vbus, { address: '000000000001', model: { importCkwh: 42 } });
  split.model.setPowerW(1207.5);
  const { meters, profiles } = busMeters([{ protocol: 'dlt645', address: '000000000161' }, { protocol: 'dlt645', address: '000000000001' }]);
  const bus = new MeterBus({ clock, line: LINE, meters: 2, open: (o) => vbus.attach(o), retries: 2 });
  const readings: Reading[] = [];
  const events: string[] = [];
  const poller = new Poller({ bus, clock, meters, profiles, detailEvery: 1, onReading: (r) => readings.push(r), onEvent: (k, m, d) => events.push(k + ':' + m + (d ? ':' + d : '')) });
  return { clock, vbus, split, plain, bus, poller, readings, events };
}

describe('DL/T 645 follow-up frames in the poller', () => {
  it('values sent one byte per frame are read whole: energy, power, status', () => {
    const r = rig(1);
    startPolling(r.poller, r.clock);
    r.clock.advance(30000);
    expect(r.readings.map((x) => x.meterIndex)).toEqual([0, 1]);
    expect(r.readings[0].importWh).toBe(12345670);
    expect(r.readings[0].exportWh).toBe(1260);
    expect(r.readings[0].powerW).toBe(1208);
    expect(r.readings[1].importWh).toBe(420);
    // 4-byte energy: B1H + 3 follow-ups, twice; power 3 bytes: 2; voltage 2: 1; current 3: 2; status 2: 1
    expect(r.split.followUps).toBe(3 + 3 + 2 + 1 + 2 + 1);
    expect(r.poller.s.status[0]).toBe(0);
    expect(r.events).toEqual([]);
    expect(r.vbus.collisions).toBe(0);
  });

  it('two bytes per frame, every cycle of an hour', () => {
    const r = rig(2);
    startPolling(r.poller, r.clock);
    r.clock.advance(3600000);
    expect(r.readings.filter((x) => x.meterIndex === 0).length).toBe(60);
    const last = r.readings.filter((x) => x.meterIndex === 0).pop() as Reading;
    expect(last.importWh).toBeGreaterThanOrEqual(12345670);
    expect(r.events).toEqual([]);
  });

  it('a lost follow-up frame is asked for again with the same SEQ', () => {
    const r = rig(1);
    let n = 0;
    const respond = r.split.respond.bind(r.split);
    // the second follow-up reply of the first read is lost once
    r.split.respond = (req: Uint8Array) => {
      const out = respond(req);
      let i = 0;
      while (req[i] === 0xfe) i++;
      if (req[i + 8] === 0x12 && ++n === 2) return null;
      return out;
    };
    startPolling(r.poller, r.clock);
    r.clock.advance(30000);
    expect(r.readings[0].importWh).toBe(12345670);
    expect(r.bus.s.retries[0]).toBe(1);
    expect(r.events).toEqual([]);
  });

  it('a meter that keeps saying "more" fails the poll after 8 follow-ups instead of holding the bus', () => {
    const r = rig(1);
    const respond = r.split.respond.bind(r.split);
    let asked = 0;
    r.split.respond = (req: Uint8Array) => {
      if (req[8] !== 0x12) return respond(req);
      asked++;
      // B2H: the DI, one more byte, the SEQ asked for; never the last frame
      const body = [0x68, 0x61, 0x01, 0, 0, 0, 0, 0x68, 0xb2, 6].concat(Array.prototype.slice.call(req, 10, 14), [0x33, req[14]]);
      let cs = 0;
      for (const b of body) cs = (cs + b) & 0xff;
      return new Uint8Array(body.concat([cs, 0x16]));
    };
    startPolling(r.poller, r.clock);
    r.clock.advance(30000);
    expect(r.readings.map((x) => x.meterIndex)).toEqual([1]);
    expect(asked).toBe(8);
    expect(r.bus.s.crcErrors[0] + r.bus.s.timeouts[0]).toBe(0);
    r.clock.advance(2 * 60000);
    expect(r.events).toEqual(['lost:0']);
    expect(r.readings.filter((x) => x.meterIndex === 1).length).toBe(3);
  });
});
