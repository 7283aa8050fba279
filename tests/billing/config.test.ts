import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../firmware/config';

const good = {
  plans: { flat: { price: 500 } },
  accounts: [{ name: 'R1', plan: 'flat' }],
  meters: [{ name: 'M1', account: 'R1' }],
};

function err(patch: (c: any) => void): string {
  const c = JSON.parse(JSON.stringify(good));
  patch(c);
  const r = parseConfig(c);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('config parser', () => {
  it('accepts a minimal config with defaults', () => {
    const r = parseConfig(good);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Array.from(r.value.accounts.alarm)).toEqual([30000, 20000, 10000]);
    expect(r.value.calendar.weekendMask).toBe((1 << 0) | (1 << 6));
    expect(r.value.meters.plan[0]).toBe(-1);
  });
  it('names the field of every mistake', () => {
    expect(err((c) => (c.accounts[0].plan = 'nope'))).toBe('accounts[0].plan: unknown plan "nope" (known: flat)');
    expect(err((c) => (c.meters[0].account = 'R2'))).toBe('meters[0].account: unknown account "R2" (known: R1)');
    expect(err((c) => (c.plans.flat.price = 1.5))).toBe('plans.flat.price: expected a whole number, got 1.5');
    expect(err((c) => (c.accounts[0].alarmLevels = [100, 200]))).toBe('accounts[0].alarmLevels: levels must decrease');
    expect(err((c) => (c.accounts.push({ name: 'R1', plan: 'flat' })))).toBe('accounts[1].name: duplicate name "R1"');
    expect(err((c) => (c.plans.tou = { prices: { peak: 1 }, workday: [['01:00', 'peak']] }))).toBe('plans.tou.workday[0]: the first period must start at 00:00');
    expect(err((c) => (c.plans.tou = { prices: { peak: 1 }, workday: [['00:00', 'peek']] }))).toMatch(/^plans.tou.workday\[0\]\[1\]: unknown period "peek"/);
    expect(err((c) => (c.plans.tou = { prices: { peak: 1 }, workday: [['00:00', 'peak'], ['25:00', 'peak']] }))).toBe('plans.tou.workday[1][0]: expected a time HH:MM, got "25:00"');
    expect(err((c) => (c.holidays = ['2026-13-01']))).toBe('holidays[0]: expected a date YYYY-MM-DD, got "2026-13-01"');
    expect(err((c) => (c.billingDay = 31))).toBe('billingDay: must be between 1 and 28, got 31');
    expect(err((c) => (c.accounts[0].mode = 'maybe'))).toMatch(/^accounts\[0\].mode: unknown relay mode "maybe"/);
    expect(err((c) => (c.plans.flat.tiers = [{ uptoWh: 100 }, { uptoWh: 200 }]))).toBe('plans.flat.tiers[1].uptoWh: the last tier has no upper limit');
    expect(err((c) => delete c.meters)).toBe('meters: expected a list');
    expect(err((c) => (c.plans = {}))).toBe('plans: needs at least one price plan');
    expect(parseConfig(null)).toEqual({ ok: false, error: 'config: expected an object' });
  });
});

import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { ConfigBuilder } from '../../firmware/config';
import { exportConfig } from '../../firmware/config-export';
import { decodeConfig, encodeConfig } from '../../firmware/config-store';
import { ConfigReader } from '../../firmware/config-stream';

const scenarios = ['dormitory-floor.json', 'mixed-bus-week.json'].map((f) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'sim', 'scenarios', f), 'utf8')).config);

function parsed(raw: unknown) {
  const r = parseConfig(raw);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** Reads text through the streaming reader, cut into pieces of the given sizes. */
function streamed(text: string, cuts: number[]) {
  const b = new ConfigBuilder();
  const r = new ConfigReader(b);
  let at = 0;
  for (let i = 0; at < text.length; i++) {
    const n = cuts.length ? cuts[i % cuts.length] : text.length;
    const e = r.feed(text.substr(at, n));
    if (e) return { ok: false as const, error: e };
    at += n;
  }
  const e = r.end();
  return e ? { ok: false as const, error: e } : b.finish();
}

describe('one schema for every path', () => {
  it('export, binary storage and the streaming reader all give the configuration back', () => {
    for (const raw of scenarios) {
      const c = parsed(raw);
      const text = JSON.stringify(exportConfig(c));
      expect(JSON.stringify(exportConfig(parsed(JSON.parse(text))))).toBe(text);
      expect(JSON.stringify(exportConfig(decodeConfig(encodeConfig(c))!))).toBe(text);
      const s = streamed(JSON.stringify(raw, null, 2), [7, 76, 1, 300]);
      expect(s.ok && JSON.stringify(exportConfig(s.value))).toBe(text);
      // the binary form is less than half the text
      expect(encodeConfig(c).length * 2).toBeLessThan(text.length);
    }
  });

  it('random configurations round-trip through export, storage and the reader', () => {
    const account = fc.record({
      creditLimit: fc.integer({ min: 0, max: 1e9 }),
      maxBalance: fc.integer({ min: 0, max: 1e9 }),
      alarmLevels: fc.uniqueArray(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 8 }).map((a) => a.sort((x, y) => y - x)),
      friendly: fc.array(fc.tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1440 })), { maxLength: 3 }),
      mode: fc.constantFrom('auto', 'on', 'off'),
      importOnly: fc.boolean(),
      relay: fc.integer({ min: -1, max: 15 }),
      maxPowerW: fc.integer({ min: 0, max: 1e7 }),
      token: fc.option(fc.record({ key: fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 32, maxLength: 32 }).map((d) => d.map((x) => x.toString(16)).join('')), start: fc.integer({ min: 0, max: 999999999 }) }), { nil: undefined }),
    });
    const hhmm = (m: number) => String(Math.floor(m / 60)).padStart(2, '0') + ':' + String(m % 60).padStart(2, '0');
    fc.assert(
      fc.property(fc.array(account, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 28 }), fc.array(fc.constantFrom(undefined, 'dlt645', 'modbus', 'pulse'), { maxLength: 6 }), (accts, billingDay, protos) => {
        const raw = {
          billingDay,
          plans: { flat: { price: 600 }, tou: { prices: { peak: 900, valley: 300 }, workday: [['00:00', 'valley'], ['08:00', 'peak']], tiers: [{ uptoWh: 1000, add: 0 }, { add: 50 }] } },
          accounts: accts.map((a, i) => ({
            name: 'A' + i, plan: i % 2 ? 'tou' : 'flat', creditLimit: a.creditLimit, reconnect: 0, maxBalance: a.maxBalance, alarmLevels: a.alarmLevels,
            friendly: a.friendly.map(([s, e]) => [hhmm(s), hhmm(e)]), mode: a.mode, importOnly: a.importOnly, relay: a.relay,
            overload: { maxPowerW: a.maxPowerW, holdS: 5, waitS: 10, windowS: 60, maxTrips: 2 }, ...(a.token ? { token: a.token } : {}),
          })),
          meters: protos.map((p, i) => ({ name: 'M' + i, account: 'A0', ...(p ? { proto: p, addr: p === 'dlt645' ? String(100000000000 + i) : String(i + 1) } : {}) })),
        };
        const c = parsed(raw);
        const text = JSON.stringify(exportConfig(c));
        expect(JSON.stringify(exportConfig(parsed(JSON.parse(text))))).toBe(text);
        expect(JSON.stringify(exportConfig(decodeConfig(encodeConfig(c))!))).toBe(text);
        const s = streamed(JSON.stringify(raw), [13]);
        expect(s.ok && JSON.stringify(exportConfig(s.value))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses mistakes that used to slip through (issue 11), naming the field', () => {
    expect(err((c) => (c.accounts[0].crediLimit = 5))).toBe('accounts[0].crediLimit: unknown key (did you mean "creditLimit"?)');
    expect(err((c) => (c.colour = 'red'))).toMatch(/^colour: unknown key \(known: /);
    expect(err((c) => (c.holidays = ['2026-02-30']))).toBe('holidays[0]: no such date: "2026-02-30"');
    expect(err((c) => (c.accounts[0].token = { key: 'zz'.repeat(16), start: 1 }))).toBe('accounts[0].token.key: expected 32 hexadecimal digits');
    expect(err((c) => (c.console = { pins: { technician: '' } }))).toBe('console.pins.technician: a PIN is 4 to 12 digits, got ""');
    expect(err((c) => (c.console = { pins: { technician: '7' } }))).toBe('console.pins.technician: a PIN is 4 to 12 digits, got "7"');
    expect(err((c) => (c.console = { pins: { read: '4444', technician: '4444' } }))).toBe('console.pins.technician: the same PIN as read: every role needs its own');
    expect(err((c) => Object.assign(c.meters[0], { proto: 'dlt645', addr: '12' }))).toMatch(/^meters\[0\]\.addr: a DL\/T 645 address is 12 digits/);
    expect(err((c) => Object.assign(c.meters[0], { proto: 'modbus', addr: '0' }))).toBe('meters[0].addr: a Modbus slave id is 1 to 247, got "0"');
    expect(err((c) => Object.assign(c.meters[0], { proto: 'modbus', addr: '300' }))).toBe('meters[0].addr: a Modbus slave id is 1 to 247, got "300"');
    expect(err((c) => Object.assign(c.meters[0], { proto: 'modbus', addr: '5', profile: 'abc' }))).toMatch(/^meters\[0\]\.profile: unknown profile "abc"/);
    expect(err((c) => Object.assign(c.meters[0], { proto: 'rs232', addr: '5' }))).toMatch(/^meters\[0\]\.proto: unknown protocol "rs232"/);
    expect(err((c) => {
      Object.assign(c.meters[0], { proto: 'modbus', addr: '5' });
      c.meters.push({ name: 'M2', account: 'R1', proto: 'modbus', addr: '5' });
    })).toBe("meters[1].addr: address 5 is already meter M1's");
  });
});
