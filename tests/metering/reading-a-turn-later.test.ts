// A poll cycle's reading is handed to the unit a turn after the meter's reply (Unit.soon), so
// that on a board the reply's handling has left the heap when the reading's commit comes
// (docs/memory.md, step 15). A console line can come in that turn: a change that rebuilt the
// configuration numbers the meters anew, and the waiting reading must not be billed to the
// meter that now has its number (it is left to the next poll: registers are cumulative).
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { busMetering } from '../../firmware/metering/wiring';
import { VirtualClock } from '../../sim/virtual-clock';
import { VirtualBus } from '../../sim/virtual-bus';
import { VirtualDlt645Meter } from '../../sim/virtual-dlt645-meter';
import { CoreEvent } from '../../firmware/core';

const config = {
  plans: { flat: { price: 600 } },
  accounts: [
    { name: 'R1', plan: 'flat' },
    { name: 'R2', plan: 'flat' },
  ],
  meters: [
    { name: 'M1', account: 'R1', proto: 'dlt645', addr: '000000000161' },
    { name: 'M2', account: 'R2', proto: 'dlt645', addr: '000000000001' },
  ],
  console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
};

function floor() {
  const clock = new VirtualClock();
  const vbus = new VirtualBus(clock, { sliceBytes: 8 });
  // registers that do not move, M2's 20 Wh above M1's (a step the core takes as consumption):
  // any charge is a reading billed to the wrong meter
  const m1 = new VirtualDlt645Meter(clock, vbus, { address: '000000000161', model: { importCkwh: 10000 } });
  const m2 = new VirtualDlt645Meter(clock, vbus, { address: '000000000001', model: { importCkwh: 10002 } });
  const out: string[] = [];
  const unit = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), openMeterBus: (o) => vbus.attach(o) }, JSON.parse(JSON.stringify(config)), { metering: busMetering });
  // a trusted time: readings are billed
  unit.input('login 3000\r\n');
  unit.input('time set 2026-03-02 10:00\r\n');
  return { clock, unit, out, m1, m2 };
}

function lastImport(unit: Unit, meter: string): number {
  return unit.core.lastImp[unit.cfg.meters.names.split(' ').indexOf(meter)];
}

describe('a reading handed to the unit a turn after its reply', () => {
  it('is billed then: each meter its own register', () => {
    const { clock, unit } = floor();
    const handled: number[] = [];
    const soon = unit.soon.bind(unit);
    unit.soon = (x) => {
      const before = unit.core.has.slice();
      soon(x);
      // not yet: the reply's handling is still under way
      if (!(x instanceof Array)) expect(Array.from(unit.core.has)).toEqual(Array.from(before));
      if (!(x instanceof Array)) handled.push((x as Extract<CoreEvent, { t: 'reading' }>).meter);
    };
    clock.advance(130000);
    expect(handled.length).toBeGreaterThanOrEqual(4);
    expect(lastImport(unit, 'M1')).toBe(100000);
    expect(lastImport(unit, 'M2')).toBe(100020);
    expect(Array.from(unit.core.energyWh)).toEqual([0, 0]);
  });

  it('is dropped when a change numbered the meters anew in that turn, never billed to another meter', () => {
    const { clock, unit, out } = floor();
    const soon = unit.soon.bind(unit);
    let raced = false;
    unit.soon = (x) => {
      if (raced || x instanceof Array || (x as Extract<CoreEvent, { t: 'reading' }>).meter !== 0) return soon(x);
      raced = true;
      // M1's reading waits for its turn; the technician removes M1 first (M2 becomes meter 0)
      const after = clock.after.bind(clock);
      let waiting = (): void => undefined;
      clock.after = ((ms: number, f: () => void) => {
        waiting = f;
        return -1;
      }) as typeof clock.after;
      soon(x);
      clock.after = after;
      after(0, () => {
        unit.input('meter rm M1\r\n');
        waiting();
      });
    };
    clock.advance(200000);
    expect(raced).toBe(true);
    expect(out).toContain('meter M1 removed');
    expect(unit.cfg.meters.n).toBe(1);
    // M2 billed from its own register only: nothing charged, its register as the meter has it
    expect(lastImport(unit, 'M2')).toBe(100020);
    expect(unit.core.energyWh[1]).toBe(0);
    expect(unit.core.balance[1]).toBe(0);
  });
});
