import { describe, expect, it } from 'vitest';
import { VirtualDlt645Meter, Dlt645MeterOptions } from '../../sim/virtual-dlt645-meter';
import { Load } from '../../sim/load-profile';
import { mulberry32 } from '../../sim/prng';
import { GARBAGE } from '../../sim/meter-faults';
import { dltClose, h, hx, L8E1_2400, listen, setup } from './helpers';

function rig(opts: Dlt645MeterOptions) {
  const { clock, bus } = setup();
  const master = listen(clock, bus, L8E1_2400);
  const meter = new VirtualDlt645Meter(clock, bus, opts);
  /** Sends a request, waits, returns what the master heard. */
  const ask = (req: Uint8Array | string, waitMs = 1500): string => {
    master.take();
    expect(master.port.write(typeof req === 'string' ? h(req) : req)).toBe(true);
    clock.advance(waitMs);
    return hx(master.take());
  };
  return { clock, bus, master, meter, ask };
}

/** A read request for meter address bytes (low first) and DI (as written in the table, high first). */
function readReq(addr: number[], di: number[]): Uint8Array {
  return dltClose([0x68].concat(addr, [0x68, 0x11, 0x04], di.slice().reverse().map((b) => (b + 0x33) & 0xff)));
}

const TRIP_2099 = 'FE FE FE FE 68 01 00 00 00 00 00 68 1C 10 35 33 33 33 33 33 33 33 4D 33 8C 8C 56 64 45 CC FA 16';

describe('virtual DL/T 645 meter answers the shared vectors byte for byte', () => {
  it('read address on the wildcard', () => {
    const { ask } = rig({ address: '000000000001' });
    expect(ask('FE FE FE FE 68 AA AA AA AA AA AA 68 13 00 DF 16')).toBe('68 01 00 00 00 00 00 68 93 06 34 33 33 33 33 33 9D 16');
  });

  it('meter 000000000161: forward 0.26 kWh, reverse 1.26 kWh, voltage 100.1 V, current with preamble', () => {
    const { ask, meter } = rig({ address: '000000000161', model: { importCkwh: 26, exportCkwh: 126, voltageV: 100.1 } });
    expect(meter.model.importCkwh()).toBe(26);
    expect(ask('68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16')).toBe('68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16');
    expect(ask('68 61 01 00 00 00 00 68 11 04 33 33 35 33 15 16')).toBe('68 61 01 00 00 00 00 68 91 08 33 33 35 33 59 34 33 33 8C 16');
    expect(ask('68 61 01 00 00 00 00 68 11 04 33 34 34 35 17 16')).toBe('68 61 01 00 00 00 00 68 91 06 33 34 34 35 34 43 10 16');
    meter.model.currentOverrideA = 5.25;
    expect(ask('FE FE FE FE 68 61 01 00 00 00 00 68 11 04 33 34 35 35 18 16')).toMatch(/^68 61 01 00 00 00 00 68 91 07 33 34 35 35 83 85 33 [0-9A-F]{2} 16$/);
  });

  it('a value longer than a frame goes as B1H and follow-ups read with 12H (checksums worked by hand)', () => {
    const { ask, meter } = rig({ address: '000000000161', frameDataMax: 2, model: { importCkwh: 26 } });
    expect(ask('68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16')).toBe('68 61 01 00 00 00 00 68 B1 06 33 33 34 33 59 33 42 16');
    // 12H with SEQ 1: the next two bytes and the SEQ, 92H as nothing more follows; asked again, the same frame
    expect(ask('68 61 01 00 00 00 00 68 12 05 33 33 34 33 34 4A 16')).toBe('68 61 01 00 00 00 00 68 92 07 33 33 34 33 33 33 34 32 16');
    expect(ask('68 61 01 00 00 00 00 68 12 05 33 33 34 33 34 4A 16')).toBe('68 61 01 00 00 00 00 68 92 07 33 33 34 33 33 33 34 32 16');
    // SEQ 2 is past the end: ERR 02 (no data)
    expect(ask('68 61 01 00 00 00 00 68 12 05 33 33 34 33 35 4B 16')).toBe('68 61 01 00 00 00 00 68 D2 01 35 3A 16');
    expect(meter.followUps).toBe(2);
  });

  it('meter 218231000114 answers 0.06 kWh with its full address', () => {
    const { ask } = rig({ address: '218231000114', model: { importCkwh: 6 } });
    expect(ask(readReq([0x14, 0x01, 0x00, 0x31, 0x82, 0x21], [0x00, 0x01, 0x00, 0x00]))).toBe('68 14 01 00 31 82 21 68 91 08 33 33 34 33 39 33 33 33 F1 16');
    // real low bytes with AA high bytes also reach it
    expect(ask(readReq([0x14, 0x01, 0xaa, 0xaa, 0xaa, 0xaa], [0x00, 0x01, 0x00, 0x00]))).toBe('68 14 01 00 31 82 21 68 91 08 33 33 34 33 39 33 33 33 F1 16');
  });

  it('meter 000000000001: combined, forward, power, current, unknown DI', () => {
    const { ask, meter } = rig({ address: '000000000001', model: { importCkwh: 1234567 } });
    meter.model.setPowerW(1207.5);
    meter.model.currentOverrideA = 5.25;
    expect(ask('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 33 33 B2 16')).toBe('68 01 00 00 00 00 00 68 91 08 33 33 33 33 9A 78 56 34 D2 16');
    expect(ask('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16')).toMatch(/^68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 /);
    expect(ask('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 36 35 B7 16')).toBe('68 01 00 00 00 00 00 68 91 07 33 33 36 35 A8 53 34 69 16');
    expect(ask('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 34 35 35 B7 16')).toBe('68 01 00 00 00 00 00 68 91 07 33 34 35 35 83 85 33 75 16');
    expect(ask(readReq([1, 0, 0, 0, 0, 0], [0x01, 0x02, 0x03, 0x04]))).toBe('68 01 00 00 00 00 00 68 D1 01 35 D8 16');
  });

  it('trip: 9CH, then status word 3 reads 0x0050 (relay open, trip commanded); refused with ERR 04 when plaintext is refused', () => {
    const { ask, meter } = rig({ address: '000000000001' });
    expect(ask(TRIP_2099)).toBe('68 01 00 00 00 00 00 68 9C 00 6D 16');
    expect(meter.model.relayOpen).toBe(true);
    expect(ask('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 36 38 33 37 BE 16')).toBe('68 01 00 00 00 00 00 68 91 06 36 38 33 37 83 33 F6 16');
    meter.faults.refusePlaintextRelay = true;
    expect(ask(TRIP_2099)).toBe('68 01 00 00 00 00 00 68 DC 01 37 E5 16');
  });

  it('relay command acknowledged by meter 260305510009', () => {
    const { ask } = rig({ address: '260305510009' });
    const d = [0x02, 0, 0, 0, 0, 0, 0, 0, 0x1a, 0x00, 0x59, 0x59, 0x23, 0x31, 0x12, 0x99].map((b) => (b + 0x33) & 0xff);
    const req = dltClose([0x68, 0x09, 0x00, 0x51, 0x05, 0x03, 0x26, 0x68, 0x1c, 0x10].concat(d));
    expect(ask(req)).toBe('68 09 00 51 05 03 26 68 9C 00 F4 16');
  });

  it('relay: wrong password, expired validity and the encrypted path are ERR 04; close and keep power work', () => {
    const { ask, meter } = rig({ address: '000000000001', password: '123456', timeS: Date.UTC(2025, 5, 1) / 1000 });
    const cmd = (pa: number, pw: number[], n1: number, until: number[]) =>
      dltClose([0x68, 1, 0, 0, 0, 0, 0, 0x68, 0x1c, 0x10].concat([pa].concat(pw, [0, 0, 0, 0, n1, 0], until).map((b) => (b + 0x33) & 0xff)));
    const far = [0x59, 0x59, 0x23, 0x31, 0x12, 0x99];
    const err04 = '68 01 00 00 00 00 00 68 DC 01 37 E5 16';
    const ok = '68 01 00 00 00 00 00 68 9C 00 6D 16';
    expect(ask(cmd(0x02, [0, 0, 0], 0x1a, far))).toBe(err04);
    expect(ask(cmd(0x98, [0x56, 0x34, 0x12], 0x1a, far))).toBe(err04);
    expect(ask(cmd(0x02, [0x56, 0x34, 0x12], 0x1a, [0, 0, 0, 1, 1, 0x25]))).toBe(err04); // expired 2025-01-01
    expect(meter.model.relayOpen).toBe(false);
    expect(ask(cmd(0x04, [0x56, 0x34, 0x12], 0x3a, far))).toBe(ok); // keep power
    expect(ask(cmd(0x04, [0x56, 0x34, 0x12], 0x1a, far))).toBe(ok);
    expect(meter.model.relayOpen).toBe(false); // kept on
    expect(ask(cmd(0x04, [0x56, 0x34, 0x12], 0x3b, far))).toBe(ok);
    expect(meter.model.relayOpen).toBe(true); // the pending trip now acts
    expect(ask(cmd(0x04, [0x56, 0x34, 0x12], 0x1c, far))).toBe(ok);
    expect(meter.model.relayOpen).toBe(false);
    expect(ask(cmd(0x04, [0x56, 0x34, 0x12], 0x77, far))).toBe('68 01 00 00 00 00 00 68 DC 01 34 E2 16'); // ERR 01
  });

  it('relay: N2 = 01 as some head-ends send it is taken and recorded; a date that does not exist is ERR 01', () => {
    const { ask, meter } = rig({ address: '000000000001', timeS: Date.UTC(2025, 5, 1) / 1000 });
    const cmd = (n2: number, until: number[]) =>
      dltClose([0x68, 1, 0, 0, 0, 0, 0, 0x68, 0x1c, 0x10].concat([2, 0, 0, 0, 0, 0, 0, 0, 0x1a, n2].concat(until).map((b) => (b + 0x33) & 0xff)));
    expect(ask(cmd(0x01, [0x59, 0x59, 0x23, 0x31, 0x12, 0x99]))).toBe('68 01 00 00 00 00 00 68 9C 00 6D 16');
    expect(meter.lastN2).toBe(1);
    expect(meter.model.relayOpen).toBe(true);
    expect(ask(cmd(0x00, [0, 0, 0, 0x31, 0x02, 0x99]))).toBe('68 01 00 00 00 00 00 68 DC 01 34 E2 16'); // 31 February
    expect(meter.lastN2).toBe(1);
  });

  it('broadcast time: no reply, the clock is set; seconds first, and year first when lenient', () => {
    const { ask, meter, bus } = rig({ address: '000000000001' });
    expect(ask('FE FE FE FE 68 99 99 99 99 99 99 68 08 06 38 37 36 35 34 58 DA 16')).toBe('');
    expect(bus.wire.length).toBe(1);
    expect(meter.timeS()).toBe(Date.UTC(2025, 0, 2, 3, 4, 5) / 1000 + 1);
    expect(ask('68 99 99 99 99 99 99 68 08 06 84 55 43 38 39 4A 4B 16')).toBe('');
    expect(meter.timeS()).toBe(Date.UTC(2017, 5, 5, 10, 22, 51) / 1000 + 1);
    // 2025-01-02 03:04:05 year first: 25 01 02 03 04 05
    const yf = dltClose([0x68, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x68, 0x08, 0x06].concat([0x25, 0x01, 0x02, 0x03, 0x04, 0x05].map((b) => b + 0x33)));
    meter.setTimeS(Date.UTC(2025, 0, 1) / 1000);
    ask(yf);
    expect(meter.timeS()).toBe(Date.UTC(2005, 3, 3, 2, 1, 25) / 1000 + 1); // strict: read seconds first
    meter.lenientTimeOrder = true;
    meter.setTimeS(Date.UTC(2025, 0, 1) / 1000);
    ask(yf);
    expect(meter.timeS()).toBe(Date.UTC(2025, 0, 2, 3, 4, 5) / 1000 + 1);
  });

  it('replies Td after the request has left, with the configured FE preamble', () => {
    const { ask, bus, meter } = rig({ address: '000000000001', turnaroundMs: 137, preamble: 3 });
    expect(ask('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16')).toMatch(/^FE FE FE 68 01 00 00 00 00 00 68 91 08 /);
    const [req, rep] = bus.wire;
    expect(rep.t - req.end).toBeCloseTo(137, 6);
    expect(rep.end - rep.t).toBeCloseTo((23 * 11 * 1000) / 2400, 6);
    expect(meter.replies).toBe(1);
    expect(() => new VirtualDlt645Meter(bus as never, null, { address: '000000000001', turnaroundMs: 10 })).toThrow();
  });

  it('another address and a bad checksum get no reply; a request split with pauses under 500 ms is still answered', () => {
    const { ask, clock, master } = rig({ address: '000000000001' });
    expect(ask('68 02 00 00 00 00 00 68 11 04 33 33 34 33 B4 16')).toBe('');
    expect(ask('68 01 00 00 00 00 00 68 11 04 33 33 34 33 B4 16')).toBe('');
    master.port.write(h('FE FE 68 01 00 00 00 00 00 68'));
    clock.advance(300);
    master.port.write(h('11 04 33 33 34 33 B3 16'));
    clock.advance(1000);
    expect(hx(master.take())).toMatch(/^68 01 00 00 00 00 00 68 91 08 /);
  });

  it('registers integrate a load in 0.01 kWh steps and the relay cuts it', () => {
    const { clock } = setup();
    const load = new Load({ profile: 'constant', powerW: 3600 }, mulberry32(1));
    const meter = new VirtualDlt645Meter(clock, null, { address: '000000000001', model: { load: load, stepS: 1 } });
    clock.advance(9999);
    expect(meter.model.importCkwh()).toBe(0);
    clock.advance(1);
    expect(meter.model.importCkwh()).toBe(1); // 3600 W x 10 s = 0.01 kWh
    clock.advance(3600 * 1000 - 10000);
    expect(meter.model.importCkwh()).toBe(360);
    const trip = h(TRIP_2099);
    expect(meter.respond(trip)).not.toBeNull();
    clock.advance(3600 * 1000);
    expect(meter.model.importCkwh()).toBe(360);
    expect(meter.model.powerW()).toBe(0);
    meter.model.stop();
  });
});

describe('DL/T 645 meter faults on the wire', () => {
  const READ = 'FE FE FE FE 68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16';
  const GOOD = '68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16';
  const mk = () => rig({ address: '000000000161', model: { importCkwh: 26 } });

  it('silent: nothing comes back', () => {
    const { ask, meter, bus } = mk();
    meter.faults.silent = true;
    expect(ask(READ)).toBe('');
    expect(bus.wire.length).toBe(1);
    meter.faults.silent = false;
    expect(ask(READ)).toBe(GOOD);
  });

  it('slow: the reply starts after the slow delay instead of Td', () => {
    const { ask, meter, bus } = mk();
    meter.faults.slowMs = 900;
    expect(ask(READ, 800)).toBe('');
    expect(ask('', 1000)).toBe(GOOD);
    expect(bus.wire[1].t - bus.wire[0].end).toBeCloseTo(900, 6);
  });

  it('bad checksum, wrong address, garbage around', () => {
    const { ask, meter } = mk();
    meter.faults.badChecksum = true;
    expect(ask(READ)).toBe('68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8B 16');
    meter.faults.badChecksum = false;
    meter.faults.wrongAddress = true;
    expect(ask(READ)).toBe('68 62 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8B 16');
    meter.faults.wrongAddress = false;
    meter.faults.garbageBefore = GARBAGE;
    meter.faults.garbageAfter = [0x13];
    expect(ask(READ)).toBe('00 FF 55 AA ' + GOOD + ' 13');
  });

  it('split reply: slices with silent gaps between them', () => {
    const { ask, meter, bus } = mk();
    meter.faults.splitReply = { bytes: 7, gapMs: 120 };
    expect(ask(READ)).toBe(GOOD);
    const parts = bus.wire.slice(1);
    expect(parts.map((w) => w.bytes.length)).toEqual([7, 7, 6]);
    expect(parts[1].t - parts[0].end).toBeCloseTo(120, 6);
  });

  it('register reset: the replaced meter reads from zero', () => {
    const { ask, meter } = mk();
    meter.faults.registerReset = true;
    expect(ask(READ)).toBe('68 61 01 00 00 00 00 68 91 08 33 33 34 33 33 33 33 33 64 16');
    expect(meter.faults.registerReset).toBe(false);
    expect(meter.model.resets).toBe(1);
  });

  it('meters ignore each other: a wrong-address reply does not wake the meter it names', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400);
    const m161 = new VirtualDlt645Meter(clock, bus, { address: '000000000161', model: { importCkwh: 26 }, faults: { wrongAddress: true } });
    const m162 = new VirtualDlt645Meter(clock, bus, { address: '000000000162' });
    master.port.write(h(READ));
    clock.advance(2000);
    expect(bus.wire.length).toBe(2);
    expect(m161.replies).toBe(1);
    expect(m162.replies).toBe(0);
  });
});
