import { describe, expect, it } from 'vitest';
import { DDS238, ModbusMeterOptions, ModbusProfile, SDM120, VirtualModbusMeter } from '../../sim/virtual-modbus-meter';
import { Load } from '../../sim/load-profile';
import { mulberry32 } from '../../sim/prng';
import { crc16 } from '../../firmware/lib/crc16';
import { h, hx, L8N1_9600, listen, setup } from './helpers';

function rig(profile: ModbusProfile, opts: ModbusMeterOptions = {}) {
  const { clock, bus } = setup();
  const master = listen(clock, bus, L8N1_9600);
  const meter = new VirtualModbusMeter(clock, bus, profile, Object.assign({ line: L8N1_9600 }, opts));
  const ask = (req: string | Uint8Array, waitMs = 500): string => {
    master.take();
    if (req !== '') expect(master.port.write(typeof req === 'string' ? h(req) : req)).toBe(true);
    clock.advance(waitMs);
    return hx(master.take());
  };
  return { clock, bus, master, meter, ask };
}

function withCrc(s: string): Uint8Array {
  const b = h(s);
  const out = new Uint8Array(b.length + 2);
  out.set(b);
  const c = crc16(b, 0, b.length);
  out[b.length] = c & 0xff;
  out[b.length + 1] = c >> 8;
  return out;
}

function sdm() {
  const r = rig(SDM120);
  const m = r.meter.model;
  m.voltageV = 230.1;
  m.currentOverrideA = 5.25;
  m.setPowerW(1207.5);
  m.setEnergy(120000, 3456);
  return r;
}

describe('virtual SDM120 answers the shared vectors byte for byte', () => {
  it('voltage, current, power, import, export, total', () => {
    const { ask, clock, meter } = sdm();
    meter.model.stop();
    expect(ask('01 04 00 00 00 02 71 CB')).toBe('01 04 04 43 66 19 9A 85 E4');
    expect(ask('01 04 00 06 00 02 91 CA')).toBe('01 04 04 40 A8 00 00 6F A4');
    expect(ask('01 04 00 0C 00 02 B1 C8')).toBe('01 04 04 44 96 F0 00 4B 58');
    meter.model.setPowerW(0); // freeze the energy registers for the exact vectors
    meter.model.setEnergy(120000, 3456);
    meter.model.setPowerW(0);
    expect(ask('01 04 00 48 00 02 F1 DD')).toBe('01 04 04 44 96 00 00 0F 58');
    expect(ask('01 04 00 4A 00 02 50 1D')).toBe('01 04 04 42 0A 3D 71 1F 4A');
    meter.model.setEnergy(120000, 3456);
    expect(ask('01 04 01 56 00 02 90 27')).toBe('01 04 04 44 9A 51 EC F3 46'); // 1200 + 34.56
    meter.model.setEnergy(123456, 0);
    expect(ask('01 04 01 56 00 02 90 27')).toBe('01 04 04 44 9A 51 EC F3 46');
    expect(clock.now()).toBeGreaterThan(0);
  });

  it('block V..P (14 registers) and exceptions 01/02/03', () => {
    const { ask } = sdm();
    const block = ask('01 04 00 00 00 0E 71 CE');
    const z8 = ' 00 00 00 00 00 00 00 00';
    expect(block).toBe(hx(withCrc('01 04 1C 43 66 19 9A' + z8 + ' 40 A8 00 00' + z8 + ' 44 96 F0 00')));
    expect(ask(withCrc('01 04 02 00 00 02'))).toBe('01 84 02 C2 C1');
    expect(ask(withCrc('01 04 00 01 00 02'))).toBe(hx(withCrc('01 84 02'))); // half a float
    expect(ask(withCrc('01 04 00 00 00 52'))).toBe(hx(withCrc('01 84 03'))); // 82 > 80 registers
    expect(ask(withCrc('01 02 00 00 00 02'))).toBe(hx(withCrc('01 82 01')));
  });

  it('holding registers: id as a float, written with function 10, effective after the reply', () => {
    const { ask, meter } = sdm();
    expect(ask(withCrc('01 03 00 14 00 02'))).toBe(hx(withCrc('01 03 04 3F 80 00 00')));
    expect(ask(withCrc('01 10 00 14 00 02 04 40 00 00 00'))).toBe(hx(withCrc('01 10 00 14 00 02')));
    expect(meter.id).toBe(2);
    expect(ask(withCrc('01 03 00 14 00 02'))).toBe('');
    expect(ask(withCrc('02 03 00 14 00 02'))).toBe(hx(withCrc('02 03 04 40 00 00 00')));
    expect(ask(withCrc('02 10 00 14 00 02 04 43 FA 00 00'))).toBe(hx(withCrc('02 90 03'))); // 500 is no id
    expect(meter.id).toBe(2);
  });

  it('bad CRC and another id: silence; broadcast writes are done without a reply', () => {
    const { ask, meter, bus } = sdm();
    expect(ask('01 04 00 00 00 02 71 CC')).toBe('');
    expect(ask('02 04 00 00 00 02 71 F8')).toBe('');
    expect(meter.crcErrors).toBe(1);
    expect(ask(withCrc('00 10 00 14 00 02 04 40 A0 00 00'))).toBe('');
    expect(meter.id).toBe(5);
    expect(bus.wire.length).toBe(3);
  });

  it('frames: a gap over 1.5 characters breaks a request; under it, the request stands', () => {
    const { master, clock, meter } = sdm();
    const charMs = (10 * 1000) / 9600;
    master.port.write(h('01 04 00 00'));
    clock.advance(4 * charMs + 2 * charMs); // 2 characters of silence
    master.port.write(h('00 02 71 CB'));
    clock.advance(200);
    expect(meter.brokenFrames).toBe(1);
    expect(master.take().length).toBe(0);
    master.port.write(h('01 04 00 00'));
    clock.advance(4 * charMs + 1.2 * charMs);
    master.port.write(h('00 02 71 CB'));
    clock.advance(200);
    expect(hx(master.take())).toBe('01 04 04 43 66 19 9A 85 E4');
  });

  it('replies after the configured turnaround, never before 3.5 characters', () => {
    const { ask, bus, meter } = sdm();
    meter.turnaroundMs = 47;
    ask('01 04 00 00 00 02 71 CB');
    expect(bus.wire[1].t - bus.wire[0].end).toBeCloseTo(47, 6);
    meter.turnaroundMs = 0;
    ask('01 04 00 00 00 02 71 CB');
    expect(bus.wire[3].t - bus.wire[2].end).toBeCloseTo((3.5 * 10 * 1000) / 9600, 6);
  });
});

describe('virtual DDS238-2', () => {
  it('energies as uint32 x 0.01 kWh, V/A/W/Hz scaled', () => {
    const { ask, meter } = rig(DDS238, { model: { importCkwh: 123456, exportCkwh: 789 } });
    meter.model.setPowerW(0);
    meter.model.voltageV = 231.4;
    meter.model.currentOverrideA = 4.56;
    meter.model.frequencyHz = 49.98;
    expect(ask(withCrc('01 03 00 00 00 02'))).toBe(hx(withCrc('01 03 04 00 01 E5 55'))); // 124245
    expect(ask(withCrc('01 03 00 08 00 04'))).toBe(hx(withCrc('01 03 08 00 00 03 15 00 01 E2 40')));
    expect(ask(withCrc('01 03 00 0C 00 06'))).toBe(hx(withCrc('01 03 0C 09 0A 01 C8 00 00 00 00 03 E8 13 86')));
    expect(ask(withCrc('01 04 00 00 00 02'))).toBe(hx(withCrc('01 84 01')));
  });

  it('relay vectors with function 10; function 06 is answered but ignored', () => {
    const { ask, meter } = rig(DDS238);
    expect(ask('01 10 00 1A 00 01 02 00 00 A4 6A')).toBe('01 10 00 1A 00 01 20 0E');
    expect(meter.model.relayOpen).toBe(true);
    expect(ask(withCrc('01 03 00 1A 00 01'))).toBe(hx(withCrc('01 03 02 00 00')));
    expect(ask(withCrc('01 06 00 1A 00 01'))).toBe(hx(withCrc('01 06 00 1A 00 01')));
    expect(meter.model.relayOpen).toBe(true);
    expect(ask('01 10 00 1A 00 01 02 00 01 65 AA')).toBe('01 10 00 1A 00 01 20 0E');
    expect(meter.model.relayOpen).toBe(false);
    expect(ask('01 10 00 1A 00 02 04 00 00 00 00 72 DC')).toBe('01 10 00 1A 00 02 60 0F');
    expect(meter.model.relayOpen).toBe(true);
    expect(ask(withCrc('01 10 00 1A 00 01 02 00 07'))).toBe(hx(withCrc('01 90 03')));
    expect(ask(withCrc('01 10 00 0C 00 01 02 00 07'))).toBe(hx(withCrc('01 90 02')));
  });

  it('the relay cuts the load: energy stops, pulses stop', () => {
    const { clock } = setup();
    const pulses: number[] = [];
    const load = new Load({ profile: 'constant', powerW: 3600 }, mulberry32(7));
    const meter = new VirtualModbusMeter(clock, null, DDS238, { model: { load: load, impPerKwh: 1000, onPulse: (t) => pulses.push(t) } });
    clock.advance(10000);
    expect(pulses).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
    expect(meter.model.importCkwh()).toBe(1);
    expect(meter.respond(h('01 10 00 1A 00 01 02 00 00 A4 6A'))).not.toBeNull();
    clock.advance(10000);
    expect(pulses.length).toBe(10);
    expect(meter.model.importCkwh()).toBe(1);
    meter.model.stop();
  });
});

describe('Modbus meter faults on the wire', () => {
  const REQ = '01 04 00 00 00 02 71 CB';
  const GOOD = '01 04 04 43 66 19 9A 85 E4';

  it('silent, slow, bad CRC, wrong address, garbage', () => {
    const { ask, meter, bus } = sdm();
    meter.faults.silent = true;
    expect(ask(REQ)).toBe('');
    meter.faults.silent = false;
    meter.faults.slowMs = 1200;
    expect(ask(REQ, 1000)).toBe('');
    expect(ask('', 500)).toBe(GOOD);
    expect(bus.wire[2].t - bus.wire[1].end).toBeCloseTo(1200, 6);
    meter.faults.slowMs = 0;
    meter.faults.badChecksum = true;
    expect(ask(REQ)).toBe('01 04 04 43 66 19 9A 7A E4');
    meter.faults.badChecksum = false;
    meter.faults.wrongAddress = true;
    expect(ask(REQ)).toBe(hx(withCrc('02 04 04 43 66 19 9A')));
    meter.faults.wrongAddress = false;
    meter.faults.garbageBefore = [0x00, 0xff];
    meter.faults.garbageAfter = [0x55];
    expect(ask(REQ)).toBe('00 FF ' + GOOD + ' 55');
  });

  it('split reply with a gap over 1.5 characters: a Modbus receiver would see a broken frame', () => {
    const { ask, meter, bus } = sdm();
    meter.faults.splitReply = { bytes: 4, gapMs: 2.5 }; // between t1.5 (1.56 ms) and t3.5 (3.65 ms)
    expect(ask(REQ)).toBe(GOOD); // the bytes all arrive ...
    const parts = bus.wire.slice(1);
    expect(parts.map((w) => w.bytes.length)).toEqual([4, 4, 1]);
    const t15 = (1.5 * 10 * 1000) / 9600;
    expect(parts[1].t - parts[0].end).toBeGreaterThan(t15); // ... but with a frame-breaking silence
    // another virtual Modbus device on the bus hears it as a broken frame
    const { clock, bus: bus2 } = setup();
    const peer = new VirtualModbusMeter(clock, bus2, SDM120, { id: 1, line: L8N1_9600, faults: { splitReply: { bytes: 4, gapMs: 2.5 } } });
    const listener = new VirtualModbusMeter(clock, bus2, SDM120, { id: 9, line: L8N1_9600 });
    const master = listen(clock, bus2, L8N1_9600);
    master.port.write(h(REQ));
    clock.advance(300);
    expect(peer.replies).toBe(1);
    expect(listener.brokenFrames).toBe(1);
    // past 3.5 characters each slice is a frame of its own: two bad CRCs and a 1-byte runt
    peer.faults.splitReply = { bytes: 4, gapMs: 5 };
    master.port.write(h(REQ));
    clock.advance(300);
    expect(listener.crcErrors).toBe(2);
  });

  it('register reset: the replaced meter reads from zero', () => {
    const { ask, meter } = sdm();
    meter.model.setPowerW(0);
    meter.faults.registerReset = true;
    expect(ask('01 04 00 48 00 02 F1 DD')).toBe(hx(withCrc('01 04 04 00 00 00 00')));
    expect(meter.model.resets).toBe(1);
  });
});
