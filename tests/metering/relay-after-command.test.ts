// On a board (its heap measured) a console command closes the meter session, and a relay it
// switches on a bus meter opens a new one a turn later, once the command's module has returned:
// the two modules are never in the heap together (docs/memory.md). In Node without a heap
// figure the session opens at once, as before.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, UnitHal } from '../../firmware/unit';
import { busMetering } from '../../firmware/metering/wiring';
import { VirtualClock } from '../../sim/virtual-clock';
import { SerialPort } from '../../hal/serial';

const config = {
  plans: { flat: { price: 600 } },
  accounts: [{ name: 'R1', plan: 'flat' }],
  meters: [{ name: 'M1', account: 'R1', proto: 'dlt645', addr: '000000000001' }],
  console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
};

function rig(board: boolean) {
  const clock = new VirtualClock();
  const loads: string[] = [];
  let inModule = '';
  const writes: { t: number; during: string; ctrl: number }[] = [];
  const port = (): SerialPort => ({
    setLine: () => undefined,
    write: (b: Uint8Array, done?: () => void) => {
      // the control code of a DL/T 645 frame (after any FE preamble)
      const at = Array.from(b).indexOf(0x68);
      writes.push({ t: clock.now(), during: inModule, ctrl: b[at + 8] });
      if (done) clock.after(1, done);
      return true;
    },
    bitsPerChar: () => 11,
    close: () => undefined,
  });
  const load = ((name: string) => {
    loads.push(name + (inModule ? ' in ' + inModule : ''));
    const entry = (nodeModules as unknown as (n: string) => (...a: unknown[]) => unknown)(name);
    if (name === 'met') return entry;
    return (...a: unknown[]) => {
      const was = inModule;
      inModule = name;
      try {
        return entry(...a);
      } finally {
        inModule = was;
      }
    };
  }) as unknown as UnitHal['load'];
  const hal: Partial<UnitHal> = { openMeterBus: () => port() };
  if (board) hal.freeVars = () => 4000;
  const out: string[] = [];
  const unit = startUnit({ load, clock, print: (l) => out.push(l), ...hal }, JSON.parse(JSON.stringify(config)), { metering: busMetering });
  clock.advance(60000);
  unit.input('login 3000\r\n');
  loads.length = 0;
  writes.length = 0;
  return { clock, unit, loads, writes, out };
}

describe('a relay switched from the console on a bus meter', () => {
  it('on a board: the meter session loads after the command has returned, and the relay frame goes out', () => {
    const r = rig(true);
    r.unit.input('relay R1 off\r\n');
    expect(r.loads).toEqual(['cmd']);
    r.clock.advance(5000);
    expect(r.loads).toEqual(['cmd', 'met']);
    // the relay control frame (1C), sent outside any console module
    const relay = r.writes.filter((w) => w.ctrl === 0x1c);
    expect(relay.length).toBeGreaterThan(0);
    expect(relay.every((w) => w.during === '')).toBe(true);
  });

  it('in Node without a heap figure: the session opens inside the command, as before', () => {
    const r = rig(false);
    r.unit.input('relay R1 off\r\n');
    expect(r.loads[0]).toBe('cmd');
    r.clock.advance(5000);
    expect(r.writes.filter((w) => w.ctrl === 0x1c).length).toBeGreaterThan(0);
  });
});
