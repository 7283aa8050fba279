// Poll cycle of 32 meters in the simulator, through the firmware's own MeterBus and Poller on
// the virtual RS485 bus, beside its lower bound: for every transaction of the cycle,
// (request + reply bytes) x bits per character / baud + the meter's turnaround, + 3.5
// characters of silence for Modbus. Printed as a ratio (target <= 1.10).
//   npx ts-node bench/poll-cycle.ts
import { MeterBus } from '../firmware/metering/bus';
import { Poller } from '../firmware/metering/poller';
import { LineSettings, bitsPerChar } from '../hal/serial';
import { VirtualBus } from '../sim/virtual-bus';
import { VirtualClock } from '../sim/virtual-clock';
import { VirtualDlt645Meter } from '../sim/virtual-dlt645-meter';
import { DDS238, SDM120, VirtualModbusMeter } from '../sim/virtual-modbus-meter';
import { DLT645_LINE, MODBUS_LINE } from '../sim/bus-rig';
import { busMeters } from '../tests/metering/fakes';

const N = 32;
const DLT_TD_MS = 60;
const MODBUS_TURN_MS = 20;

interface Figures {
  cycleMs: number;
  boundMs: number;
  transactions: number;
}

/** Runs cycles 0 (energy + details) and 1 (energy only) and measures cycle `which`. */
function measure(proto: 'dlt645' | 'modbus', line: LineSettings, sliceBytes: number, which: number): Figures {
  const clock = new VirtualClock();
  const vbus = new VirtualBus(clock, { sliceBytes, flushIdleChars: 1 });
  const specs: { [k: string]: unknown }[] = [];
  for (let i = 1; i <= N; i++) {
    if (proto === 'dlt645') {
      const addr = String(i).padStart(12, '0');
      new VirtualDlt645Meter(clock, vbus, { address: addr, turnaroundMs: DLT_TD_MS, model: { importCkwh: 1000 * i } });
      specs.push({ protocol: 'dlt645', address: addr });
    } else {
      const dds = i % 2 === 0;
      new VirtualModbusMeter(clock, vbus, dds ? DDS238 : SDM120, { id: i, line, turnaroundMs: MODBUS_TURN_MS, model: { importCkwh: 1000 * i } });
      specs.push({ protocol: 'modbus', id: i, profile: dds ? 'dds238' : 'sdm120' });
    }
  }
  const { meters, profiles } = busMeters(specs as any);
  const bus = new MeterBus({ clock, line, meters: N, open: (o) => vbus.attach({ ...o, name: 'master' }) });
  const intervalMs = 60000;
  let last = 0;
  let readings = 0;
  const poller = new Poller({ bus, clock, meters, profiles, intervalMs, onReading: (r) => { last = r.timeMs; readings++; }, onEvent: (k, m) => { throw new Error(k + ' ' + m); } });
  poller.start();
  clock.advanceTo(intervalMs * (which + 1) - 1);
  if (readings !== N * (which + 1)) throw new Error('missing readings: ' + readings);
  const start = intervalMs * which;
  const wire = vbus.wire.filter((w) => w.t >= start);
  const bpc = bitsPerChar(line);
  const charMs = (bpc * 1000) / line.baud;
  let bound = 0;
  let tx = 0;
  for (let i = 0; i < wire.length; i += 2) {
    const req = wire[i];
    const rep = wire[i + 1];
    if (req.from !== 'master' || !rep || rep.from === 'master') throw new Error('unexpected wire order');
    bound += ((req.bytes.length + rep.bytes.length) * bpc * 1000) / line.baud;
    bound += proto === 'dlt645' ? DLT_TD_MS : MODBUS_TURN_MS + 3.5 * charMs;
    tx++;
  }
  return { cycleMs: last - start, boundMs: bound, transactions: tx };
}

function row(label: string, f: Figures): string {
  return label.padEnd(58) + (f.transactions + ' txns').padStart(9) + (f.cycleMs.toFixed(1) + ' ms').padStart(12) + (f.boundMs.toFixed(1) + ' ms').padStart(12) + ('x' + (f.cycleMs / f.boundMs).toFixed(3)).padStart(8);
}

function main(): void {
  console.log('poll cycle of 32 meters (firmware MeterBus + Poller on the virtual bus); bound = wire + turnaround (+3.5 chars Modbus)');
  console.log('setting'.padEnd(58) + 'txns'.padStart(9) + 'cycle'.padStart(12) + 'bound'.padStart(12) + 'ratio'.padStart(8));
  const cases: [string, 'dlt645' | 'modbus', LineSettings][] = [
    ['DL/T 645 2400 8E1, Td 60 ms', 'dlt645', DLT645_LINE],
    ['Modbus 9600 8N1 SDM120+DDS238, 20 ms', 'modbus', MODBUS_LINE],
  ];
  for (const [label, proto, line] of cases) {
    for (const slice of [1, 256]) {
      const how = slice === 1 ? 'bytes' : 'idle-line';
      console.log(row(label + ', energy, ' + how, measure(proto, line, slice, 1)));
      console.log(row(label + ', energy+details, ' + how, measure(proto, line, slice, 5)));
    }
  }
  console.log('bytes: each byte handed over at its stop bit; idle-line: each burst one character after it ends (UART idle interrupt)');
  console.log('the cycle ends at the last reading, so the last 3.5-character gap is in the bound only (Modbus can show < 1)');
}

main();
