import { describe, expect, it } from 'vitest';
import { VirtualDlt645Meter } from '../../sim/virtual-dlt645-meter';
import { VirtualModbusMeter, SDM120 } from '../../sim/virtual-modbus-meter';
import { dltClose, hx, L8E1_2400, listen, setup } from './helpers';

function readForward(addr: string): Uint8Array {
  const a: number[] = [];
  for (let i = 0; i < 6; i++) a.push(parseInt(addr.substr(10 - 2 * i, 2), 16));
  return dltClose([0x68].concat(a, [0x68, 0x11, 0x04, 0x33, 0x33, 0x34, 0x33]));
}

describe('a poll cycle over several meters on one bus', () => {
  it('36 DL/T 645 meters at 2400 8E1, Td 60 ms: each answers once, no collision, cycle = wire time + Td', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400);
    const meters: VirtualDlt645Meter[] = [];
    for (let i = 1; i <= 36; i++) {
      const addr = ('000000000000' + i).slice(-12);
      meters.push(new VirtualDlt645Meter(clock, bus, { address: addr, model: { importCkwh: i * 100 }, turnaroundMs: 60 }));
    }
    let k = 0;
    const answers: string[] = [];
    const next = (): void => {
      if (k >= meters.length) return;
      const addr = ('000000000000' + (k + 1)).slice(-12);
      k++;
      master.port.write(readForward(addr), () => clock.after(60 + (20 * 11 * 1000) / 2400 + 1, () => {
        answers.push(hx(master.take()));
        next();
      }));
    };
    next();
    clock.advance(60000);
    expect(answers.length).toBe(36);
    expect(bus.collisions).toBe(0);
    expect(meters.every((m) => m.replies === 1)).toBe(true);
    expect(answers[35]).toMatch(/^68 36 00 00 00 00 00 68 91 08 33 33 34 33 33 69 33 33 /); // 36.00 kWh
    // 16-byte requests and 20-byte replies at 11 bits, 2400 baud, plus Td and the 1 ms margin
    const cycle = bus.wire[bus.wire.length - 1].end;
    expect(cycle).toBeCloseTo(36 * (((16 + 20) * 11 * 1000) / 2400 + 60) + 35 * 1, 3);
  });

  it('a Modbus meter at other settings on the same bus hears DL/T 645 traffic as garbage and stays silent', () => {
    const { clock, bus } = setup();
    const master = listen(clock, bus, L8E1_2400);
    const dlt = new VirtualDlt645Meter(clock, bus, { address: '000000000001' });
    const sdm = new VirtualModbusMeter(clock, bus, SDM120, { id: 0x68 });
    master.port.write(readForward('000000000001'));
    clock.advance(1000);
    expect(dlt.replies).toBe(1);
    expect(sdm.replies).toBe(0);
    expect(bus.wire.length).toBe(2);
  });
});
