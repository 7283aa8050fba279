// Espruino counts the locks on an object in four bits: an object locked 15 times at once (each
// method call nested on it takes two: the call's parent and its `this`) stays locked for good,
// and the garbage collector never frees it, nor anything it reaches (measured on
// ../shared/espruino/espruino-pico: `a.f(20)`, nesting f twenty deep, then `a = undefined`
// frees nothing; docs/memory.md). A meter bus, poller or relay control that is replaced (a
// configuration change) or loaded for a while must never get there, nor an SMS session's modem
// session and AT channel. This runs the bundled RS485 and SMS scenarios with every method of
// those classes counting how deep calls nest on one object, and fails when any nests more than
// MAX_NESTING deep. (The uplink's modem link is a record and functions: hal/modem-tcp.ts; every
// run on the interpreter looks for a variable locked for good at its end: tools/espruino-rig.ts.)
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { MeterBus } from '../../firmware/metering/bus';
import { Poller } from '../../firmware/metering/poller';
import { RelayControl } from '../../firmware/metering/relay-control';
import { Dlt645Framer } from '../../firmware/metering/dlt645';
import { ModemSession } from '../../hal/modem';
import { AtChannel } from '../../hal/at';
import { runScenario } from '../../sim/runner';
import { parseScenario } from '../../sim/scenario';
import { slowIfEmulated } from '../../tools/espruino-check';

/** At most this many method calls nested on one object: 2 x 5 = 10 locks, 5 to spare for the
 *  closures and argument lookups that also lock it for a moment. */
const MAX_NESTING = 5;

type Cls = { prototype: { [k: string]: unknown }; name: string };

/** Wraps every method of the classes to count nesting per object; returns the deepest seen per class. */
function instrument(classes: Cls[]): { deepest: { [cls: string]: number }; where: { [cls: string]: string }; restore: () => void } {
  const depth = new Map<object, number>();
  const deepest: { [cls: string]: number } = {};
  const where: { [cls: string]: string } = {};
  const saved: [Cls, string, unknown][] = [];
  for (const c of classes) {
    deepest[c.name] = 0;
    for (const k of Object.getOwnPropertyNames(c.prototype)) {
      const f = c.prototype[k];
      if (k === 'constructor' || typeof f !== 'function') continue;
      saved.push([c, k, f]);
      c.prototype[k] = function (this: object, ...a: unknown[]) {
        const d = (depth.get(this) || 0) + 1;
        depth.set(this, d);
        if (d > deepest[c.name]) {
          deepest[c.name] = d;
          where[c.name] = (new Error().stack || '').split('\n').slice(2, 14).join('\n');
        }
        try {
          return (f as (...x: unknown[]) => unknown).apply(this, a);
        } finally {
          depth.set(this, d - 1);
        }
      };
    }
  }
  return { deepest, where, restore: () => saved.forEach(([c, k, f]) => (c.prototype[k] = f)) };
}

function run(file: string, hours: number): void {
  // hours 0: the scenario's own length
  const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '../../sim/scenarios', file), 'utf8'));
  if (hours) raw.durationHours = hours;
  const p = parseScenario(raw);
  if (!p.ok) throw new Error(p.errors.join('; '));
  runScenario(p.value);
}

/** Runs a scenario with the classes instrumented; checks that none nests deeper than
 *  MAX_NESTING, and that each class of `ran` really ran (its methods nested at least twice). */
function nestsWithin(classes: Cls[], file: string, hours: number, ran: string[]): void {
  const m = instrument(classes);
  try {
    run(file, hours);
  } finally {
    m.restore();
  }
  for (const c of Object.keys(m.deepest)) {
    console.log(c + ' nests at most ' + m.deepest[c]);
    if (m.deepest[c] > MAX_NESTING) console.log(c + ' nests ' + m.deepest[c] + ' deep:\n' + m.where[c]);
    expect(m.deepest[c], c).toBeLessThanOrEqual(MAX_NESTING);
  }
  for (const c of ran) expect(m.deepest[c], c).toBeGreaterThan(1);
}

describe('calls never nest deep enough on one meter-reading or SMS object to lock it for good on Espruino', () => {
  for (const [file, hours] of [
    ['dormitory-floor-rs485.json', 6],
    ['mixed-bus-week.json', 0],
  ] as [string, number][]) {
    it(file + (hours ? ' (' + hours + ' h)' : '') + ': replies, timeouts, corrupt frames, relays', () => {
      nestsWithin([MeterBus, Poller, RelayControl, Dlt645Framer] as unknown as Cls[], file, hours, ['MeterBus']);
    }, slowIfEmulated(120000));
  }

  // An SMS session's objects are made for the session and let go after it (hal/modem.ts).
  it('dormitory-floor-sms.json: the SMS sessions\' modem session and AT channel', () => {
    nestsWithin([ModemSession, AtChannel] as unknown as Cls[], 'dormitory-floor-sms.json', 0, ['ModemSession', 'AtChannel']);
  }, slowIfEmulated(120000));
});
