// Random golden-trace-shaped streams for the Lua property test: a configuration (plans with
// time of use and tiers, a calendar, accounts with alarms, emergency credit, friendly hours and
// overload protection, meters) and a stream of events of every kind, including bad ones
// (unknown names, readings that jump or go back, fractional amounts and powers, bad modes).
// Amounts stay far below 2^53, as the core requires (../shared/DESIGN.md).
import fc from 'fast-check';
import { Trace } from '../../tools/replay-text';
import { mutatedJson } from '../fuzz/mutate';

const PERIODS = ['sharp', 'peak', 'flat', 'valley'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MODES = ['auto', 'on', 'off'];

function two(n: number): string {
  return (n < 10 ? '0' : '') + n;
}

function hhmm(minute: number): string {
  return two(Math.floor(minute / 60)) + ':' + two(minute % 60);
}

/** "YYYY-MM-DD HH:MM:SS" of UTC seconds. */
export function stampOf(s: number): string {
  const d = new Date(s * 1000);
  return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate()) + ' ' + two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + ':' + two(d.getUTCSeconds());
}

const schedule = fc
  .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 1439 }), { maxLength: 5 }), fc.array(fc.constantFrom(...PERIODS), { minLength: 6, maxLength: 6 }))
  .map(([starts, periods]) => [0].concat(starts.sort((a, b) => a - b)).map((m, i) => [hhmm(m), periods[i]]));

const tiers = fc
  .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 3 }), fc.array(fc.integer({ min: -200, max: 2000 }), { minLength: 4, maxLength: 4 }))
  .map(([upto, adds]) => {
    const t: { uptoWh?: number; add: number }[] = upto.sort((a, b) => a - b).map((u, i) => ({ uptoWh: u, add: adds[i] }));
    t.push({ add: adds[t.length] });
    return t;
  });

const price = fc.integer({ min: 0, max: 3000 });

const plan = fc.oneof(
  fc.record({ price }),
  fc.record(
    {
      prices: fc.record({ sharp: price, peak: price, flat: price, valley: price }, { requiredKeys: ['flat'] }),
      workday: schedule,
      weekend: schedule,
      tiers,
      safePrice: price,
    },
    { requiredKeys: ['prices', 'workday'] },
  ),
  fc.record({ price, tiers }),
);

const account = fc.record(
  {
    alarmLevels: fc.uniqueArray(fc.integer({ min: -5000, max: 60_000 }), { maxLength: 3 }).map((l) => l.sort((a, b) => b - a)),
    creditLimit: fc.integer({ min: 0, max: 20_000 }),
    reconnectAbove: fc.integer({ min: 0, max: 30_000 }),
    maxBalance: fc.oneof(fc.constant(0), fc.integer({ min: 50_000, max: 3_000_000 })),
    friendly: fc.array(fc.tuple(fc.integer({ min: 0, max: 1440 }), fc.integer({ min: 0, max: 1440 })).map(([a, b]) => [hhmm(a), hhmm(b)]), { maxLength: 2 }),
    friendlyRestDays: fc.boolean(),
    mode: fc.constantFrom(...MODES),
    importOnly: fc.boolean(),
    overload: fc.record({
      maxPowerW: fc.integer({ min: 0, max: 20_000 }),
      holdS: fc.integer({ min: 0, max: 600 }),
      waitS: fc.integer({ min: 0, max: 3600 }),
      windowS: fc.integer({ min: 0, max: 86_400 }),
      maxTrips: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { requiredKeys: [] },
);

const config = fc
  .record({
    utcOffsetMinutes: fc.integer({ min: -48, max: 56 }).map((q) => q * 15),
    weekend: fc.subarray(DAYS),
    holidays: fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 }),
    billingDay: fc.integer({ min: 1, max: 28 }),
    plans: fc.array(plan, { minLength: 1, maxLength: 3 }),
    accounts: fc.array(fc.tuple(account, fc.nat()), { minLength: 1, maxLength: 4 }),
    meters: fc.array(fc.record({ account: fc.nat(), plan: fc.nat(), ownPlan: fc.boolean(), maxPowerW: fc.option(fc.integer({ min: 500, max: 40_000 })) }), { minLength: 1, maxLength: 5 }),
  })
  .map((c) => {
    const plans: { [name: string]: unknown } = {};
    c.plans.forEach((p, i) => (plans['p' + i] = p));
    const accounts = c.accounts.map(([a, p], i) => {
      const o: { [k: string]: unknown } = { name: 'A' + i, plan: 'p' + (p % c.plans.length) };
      for (const k of Object.keys(a)) if (k !== 'reconnectAbove') o[k] = (a as { [k: string]: unknown })[k];
      if (a.reconnectAbove !== undefined) o.reconnect = a.reconnectAbove - (a.creditLimit || 0);
      return o;
    });
    const meters = c.meters.map((m, i) => {
      const o: { [k: string]: unknown } = { name: 'M' + i, account: 'A' + (m.account % accounts.length) };
      if (m.ownPlan) o.plan = 'p' + (m.plan % c.plans.length);
      if (m.maxPowerW !== null) o.maxPowerW = m.maxPowerW;
      return o;
    });
    const holidays = c.holidays.map((d) => stampOf(1_735_689_600 + d * 86_400).slice(0, 10));
    return { utcOffsetMinutes: c.utcOffsetMinutes, weekend: c.weekend, holidays, billingDay: c.billingDay, plans, accounts, meters };
  });

/** One event's random choices; streamOf turns them into an event with the stream's registers. */
const rawEvent = fc.record({
  kind: fc.integer({ min: 0, max: 99 }),
  gap: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 900 }) }, { weight: 3, arbitrary: fc.integer({ min: 900, max: 86_400 }) }, { weight: 1, arbitrary: fc.integer({ min: 86_400, max: 40 * 86_400 }) }),
  who: fc.nat(),
  x: fc.nat({ max: 1_000_000 }),
  y: fc.nat({ max: 1_000_000 }),
  odd: fc.integer({ min: 0, max: 19 }),
  numeric: fc.boolean(),
});

const stream = fc.record({ config, start: fc.integer({ min: 0, max: 800 * 86_400 }), events: fc.array(rawEvent, { minLength: 5, maxLength: 60 }) });

type Stream = typeof stream extends fc.Arbitrary<infer T> ? T : never;

function streamOf(s: Stream, title: string): Trace {
  const cfg = s.config;
  const na = cfg.accounts.length;
  const nm = cfg.meters.length;
  let time = 1_735_689_600 + s.start;
  const imp = cfg.meters.map((_, i) => (i * 7919) % 100_000);
  const exp = cfg.meters.map(() => 0);
  let seq = 0;
  const steps: Trace['steps'] = [];
  const push = (e: { [k: string]: unknown }, numeric: boolean) => {
    e.at = numeric ? time : stampOf(time);
    steps.push({ event: e as unknown as Trace['steps'][0]['event'] });
  };
  push({ t: 'start' }, false);
  for (const r of s.events) {
    time += r.gap;
    const acc = r.odd === 0 ? 'nobody' : 'A' + (r.who % na);
    const m = r.who % nm;
    const meter = r.odd === 1 ? 'M99' : 'M' + m;
    const k = r.kind;
    if (k < 45) {
      // A reading: most rise plausibly, some jump, go back, or carry fractions and a power.
      const maxW = (cfg.meters[m].maxPowerW as number | undefined) || 13_800;
      let d = Math.floor((r.x / 1_000_000) * ((maxW * Math.max(r.gap, 1)) / 3600));
      if (r.odd === 2) d = r.x * 50;
      if (r.odd === 3) d = -Math.min(imp[m], r.x % 5000);
      imp[m] += d;
      if (r.odd === 4) imp[m] += 0.1;
      if (r.y % 3 === 0) exp[m] += r.y % 200;
      const e: { [k: string]: unknown } = { t: 'reading', meter, importWh: imp[m], exportWh: exp[m] };
      if (r.y % 4 === 0) e.powerW = r.odd === 5 ? (r.y % 30_000) + 0.5 : r.y % 30_000;
      push(e, r.numeric);
    } else if (k < 55) {
      const amount = r.odd === 6 ? 12.5 : r.odd === 7 ? 0 : r.odd === 8 ? -100 : 1000 + (r.x % 60_000);
      push({ t: 'topup', account: acc, amount }, r.numeric);
      seq++;
    } else if (k < 60) push({ t: 'refund', account: acc, amount: 1 + (r.x % 30_000) }, r.numeric);
    else if (k < 64) push({ t: 'correct', seq: 1 + (r.x % (seq + 3)) }, r.numeric);
    else if (k < 67) push({ t: 'transfer', from: acc, to: 'A' + (r.y % na) }, r.numeric);
    else if (k < 70) {
      const fin = r.odd === 9 ? imp[m] - 1 : imp[m] + (r.x % 500);
      imp[m] = r.y % 2000;
      exp[m] = 0;
      push({ t: 'swap', meter, finalImportWh: fin, finalExportWh: exp[m], newImportWh: imp[m], newExportWh: 0 }, r.numeric);
    } else if (k < 76) push({ t: 'mode', account: acc, mode: r.odd === 10 ? 'sideways' : MODES[r.x % 3] }, r.numeric);
    else if (k < 79) push({ t: 'overload-reset', account: acc }, r.numeric);
    else if (k < 83) push({ t: 'clock', valid: r.x % 3 !== 0 }, r.numeric);
    else if (k < 85) push({ t: 'start' }, r.numeric);
    else push({ t: 'tick' }, r.numeric);
  }
  return { title, config: cfg, steps };
}

/** n random traces from a seed (the same seed gives the same traces). */
export function randomTraces(n: number, seed: number): Trace[] {
  return fc.sample(stream, { numRuns: n, seed }).map((s, i) => streamOf(s, 'random stream ' + i + ' of seed ' + seed));
}

/** n traces whose configuration is a random one edited (tests/fuzz/mutate.ts), most of them
 *  refused: the parser's messages must be the same text on Node and on Lua. Left out: documents
 *  with a null, with text beyond ASCII, or with a "__proto__" key, which the Lua build reads
 *  differently (docs/lua.md). */
export function mutatedConfigTraces(n: number, seed: number): Trace[] {
  const out: Trace[] = [];
  for (const doc of fc.sample(mutatedJson(config, 3), { numRuns: n * 3, seed })) {
    const text = JSON.stringify(doc);
    if (text === undefined || /null|[^\x00-\x7f]|\\u[dD][89a-fA-F]|"__proto__"/.test(text)) continue;
    const steps = [
      { t: 'start', at: '2026-01-05 00:00' },
      { t: 'topup', at: '2026-01-05 00:00', account: 'A0', amount: 5000 },
      { t: 'reading', at: '2026-01-05 00:00', meter: 'M0', importWh: 100 },
      { t: 'reading', at: '2026-01-05 06:00', meter: 'M0', importWh: 2600 },
    ];
    out.push({ title: 'mutated configuration ' + out.length, config: doc, steps: steps.map((e) => ({ event: e as unknown as Trace['steps'][0]['event'] })) });
    if (out.length === n) break;
  }
  return out;
}
