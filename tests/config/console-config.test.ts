// Issue 11, items 3 and 4 at the console: `meter add`/`meter set` refuse a meter the unit would
// never read, and `config import` refuses a document with a mistake; either way nothing changes
// (the configuration, the balances, the PINs, and what the EEPROM gives back after a reboot).
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MODULE_ENTRIES, nodeModules } from '../../sim/modules';
import { startUnit, Unit, UnitHal } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { StorageRig } from '../../sim/storage-rig';
import { exportConfig } from '../../firmware/config-export';
import { parseConfig } from '../../firmware/config';
import { putAccount } from '../../firmware/console/put';
import { apply } from '../../firmware/console/config-commands';

const T0 = 1772325000; // 2026-03-01 08:30 local (UTC+8), as UTC seconds

const config = {
  utcOffsetMinutes: 480,
  plans: { flat: { price: 600 } },
  accounts: [
    { name: 'R301', plan: 'flat', creditLimit: 2000 },
    { name: 'R302', plan: 'flat' },
  ],
  meters: [
    { name: 'M301', account: 'R301', proto: 'dlt645', addr: '000000000301' },
    { name: 'M302', account: 'R302', proto: 'modbus', addr: '2', profile: 'sdm120' },
    { name: 'M303', account: 'R302', proto: 'pulse', addr: 0 },
  ],
  console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
};

let clock: VirtualClock;
let out: string[];
let unit: Unit;
let rig: StorageRig;

function boot(extra?: Partial<UnitHal>): Unit {
  out = [];
  return startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: rig.eeprom, rtc: rig.rtc, ...extra }, JSON.parse(JSON.stringify(config)));
}

function say(line: string): string[] {
  out.length = 0;
  unit.input(line + '\r\n');
  return out.slice();
}

/** Pastes a configuration document after `config import`; the answer to END CONFIG. */
function importing(doc: unknown): string[] {
  expect(say('config import')).toEqual(['paste the configuration, then a line END CONFIG']);
  const text = JSON.stringify(doc, null, 1);
  for (const line of text.split('\n')) expect(say(line)).toEqual([]);
  return say('END CONFIG');
}

/** What a refusal must leave alone: the configuration, balances, credit and token state. */
function state(u: Unit): string {
  return JSON.stringify({ cfg: exportConfig(u.cfg), pins: u.cfg.pins, balance: Array.from(u.core.balance), mode: Array.from(u.core.mode), tokens: u.tokens });
}

beforeEach(() => {
  clock = new VirtualClock();
  rig = new StorageRig({ now: () => clock.now(), startEpoch: T0 });
  unit = boot({ pulseInputs: 4 });
  expect(say('login 3000')).toEqual(['signed in as technician']);
  expect(say('topup R301 25')[0]).toMatch(/^RECEIPT #1 .* R301 topup 25\.000 balance 25\.000 by technician$/);
});

describe('meter add and meter set (issue 11, item 3)', () => {
  it('refuses a meter that would never be read, with a clear message, and changes nothing', () => {
    const before = state(unit);
    const meters = say('meter');
    // the line: an account that does not exist, and a short address
    expect(say('meter add M397 acct=R399 proto=dlt645 addr=12')).toEqual(['error: no account "R399" (see: acct)']);
    expect(say('meter add M397 acct=R399 proto=dlt645 addr=000000000397')).toEqual(['error: no account "R399" (see: acct)']);
    expect(say('meter add M397 acct=R301 proto=dlt645 addr=12')).toEqual(['error: meter M397 addr: a DL/T 645 address is 12 digits (printed on the meter), got "12"']);
    expect(say('meter add M397 acct=R301 proto=dlt645 addr=0000000003971')).toEqual(['error: meter M397 addr: a DL/T 645 address is 12 digits (printed on the meter), got "0000000003971"']);
    expect(say('meter add M397 acct=R301 proto=dlt645')).toEqual(['error: meter M397 addr: a DL/T 645 address is 12 digits (printed on the meter), got ""']);
    expect(say('meter add M397 acct=R301 proto=dlt645 addr=999999999999')).toEqual(['error: meter M397 addr: the broadcast and wildcard addresses read no single meter']);
    expect(say('meter add M397 acct=R301 proto=dlt645 addr=000000000301')).toEqual(["error: meter M397 addr: address 000000000301 is already meter M301's"]);
    // Modbus: ids 1 to 247, a known profile, one meter per id
    expect(say('meter add M397 acct=R301 proto=modbus addr=0')).toEqual(['error: meter M397 addr: a Modbus slave id is 1 to 247, got "0"']);
    expect(say('meter add M397 acct=R301 proto=modbus addr=300')).toEqual(['error: meter M397 addr: a Modbus slave id is 1 to 247, got "300"']);
    expect(say('meter add M397 acct=R301 proto=modbus addr=2')).toEqual(["error: meter M397 addr: address 2 is already meter M302's"]);
    expect(say('meter add M397 acct=R301 proto=modbus addr=5 profile=sdm999')).toEqual(['error: meter M397 profile: unknown profile "sdm999" (known: sdm120, sdm230, dds238)']);
    // protocols: the known ones only
    expect(say('meter add M397 acct=R301 proto=rs232 addr=5')).toEqual(['error: proto must be dlt645, modbus or pulse']);
    expect(say('meter add M397 acct=R301 addr=5')).toEqual(['error: meter M397 addr: give the meter a proto (dlt645, modbus, pulse) for its address']);
    // pulse: an input this board has (4 here), one meter each
    expect(say('meter add M397 acct=R301 proto=pulse addr=4')).toEqual(['error: meter M397 addr: a pulse input is 0 to 3 on this unit, got "4"']);
    expect(say('meter add M397 acct=R301 proto=pulse addr=0')).toEqual(["error: meter M397 addr: pulse input 0 is already meter M303's"]);
    // a plan that does not exist
    expect(say('meter add M397 acct=R301 plan=nope')).toEqual(['error: meter M397 plan: unknown plan "nope" (known: flat)']);
    // meter set: the same rules, for the meter changed
    expect(say('meter set M302 addr=248')).toEqual(['error: meter M302 addr: a Modbus slave id is 1 to 247, got "248"']);
    expect(say('meter set M302 proto=dlt645')).toEqual(['error: meter M302 addr: a DL/T 645 address is 12 digits (printed on the meter), got ""']);
    expect(say('meter set M303 addr=9')).toEqual(['error: meter M303 addr: a pulse input is 0 to 3 on this unit, got "9"']);
    expect(say('meter set M301 acct=R399')).toEqual(['error: no account "R399" (see: acct)']);
    expect(say('meter')).toEqual(meters);
    expect(state(unit)).toBe(before);
    // and the good ones are taken
    expect(say('meter add M397 acct=R301 proto=dlt645 addr=000000000397')).toEqual(['meter M397 added to R301']);
    expect(say('meter add M398 acct=R301 proto=modbus addr=247 profile=dds238')).toEqual(['meter M398 added to R301']);
    expect(say('meter add M399 acct=R302 proto=pulse addr=3')).toEqual(['meter M399 added to R302']);
    expect(say('meter set M302 addr=3')).toEqual(['meter M302 set, account R302']);
  });

  it('without a pulse input count from the board, inputs 0 to 15 are taken', () => {
    unit = boot();
    say('login 3000');
    expect(say('meter add M397 acct=R301 proto=pulse addr=15')).toEqual(['meter M397 added to R301']);
    expect(say('meter add M398 acct=R301 proto=pulse addr=16')).toEqual(['error: meter M398 addr: a pulse input is 0 to 15, got "16"']);
  });

  it('account changes name the account', () => {
    expect(say('acct open R303 plan=nope')).toEqual(['error: account R303 plan: unknown plan "nope" (known: flat)']);
    expect(say('acct set R302 mode=sideways')).toEqual(['error: account R302 mode: unknown relay mode "sideways" (known: auto, on, off)']);
  });
});

describe('config import (issue 11, item 4)', () => {
  const mistakes: [string, (c: any) => void, string][] = [
    ['a misspelled key', (c) => (c.accounts[0].crediLimit = 5000), 'accounts[0].crediLimit: unknown key (did you mean "creditLimit"?)'],
    ['an unknown key', (c) => (c.colour = 'red'), 'colour: unknown key (known: utcOffsetMinutes, weekend, holidays, billingDay, console, bus, sms, uplink, plans, accounts, meters)'],
    ['a holiday that does not exist', (c) => (c.holidays = ['2026-02-30']), 'holidays[0]: no such date: "2026-02-30"'],
    ['a token key that is not hexadecimal', (c) => (c.accounts[1].token = { key: 'zz'.repeat(16), start: 1 }), 'accounts[1].token.key: expected 32 hexadecimal digits'],
    ['an empty technician PIN', (c) => (c.console.pins.technician = ''), 'console.pins.technician: a PIN is 4 to 12 digits, got ""'],
    ['a one-digit PIN', (c) => (c.console.pins.read = '7'), 'console.pins.read: a PIN is 4 to 12 digits, got "7"'],
    ['a read PIN equal to the technician\'s', (c) => (c.console.pins.read = '3000'), 'console.pins.technician: the same PIN as read: every role needs its own'],
    ['a short DL/T 645 address', (c) => (c.meters[0].addr = '12'), 'meters[0].addr: a DL/T 645 address is 12 digits (printed on the meter), got "12"'],
    ['Modbus id 0', (c) => (c.meters[1].addr = '0'), 'meters[1].addr: a Modbus slave id is 1 to 247, got "0"'],
    ['two meters on one DL/T 645 address', (c) => c.meters.push({ name: 'M304', account: 'R302', proto: 'dlt645', addr: '000000000301' }), "meters[3].addr: address 000000000301 is already meter M301's"],
    ['a pulse input the board lacks', (c) => (c.meters[2].addr = 7), 'meters[2].addr: a pulse input is 0 to 3 on this unit, got 7'],
  ];

  it('refuses each mistake, naming it, and changes nothing, also after a reboot', () => {
    const before = state(unit);
    for (const [what, patch, error] of mistakes) {
      const doc = JSON.parse(JSON.stringify(config));
      patch(doc);
      expect(importing(doc), what).toEqual(['error: ' + error]);
      expect(state(unit), what).toBe(before);
    }
    // the technician still signs in with the old PIN, the others never got in
    expect(say('logout')).toEqual(['signed out']);
    expect(say('login 3000')).toEqual(['signed in as technician']);
    // what the EEPROM holds is what was there: a reboot brings the same unit back
    unit = boot({ pulseInputs: 4 });
    expect(state(unit)).toBe(before);
    expect(say('login 3000')).toEqual(['signed in as technician']);
  });

  it('takes the corrected document, new PINs included', () => {
    const doc = JSON.parse(JSON.stringify(config));
    doc.accounts[0].creditLimit = 5000;
    doc.console.pins = { read: '1001', operator: '2002', technician: '3003' };
    expect(importing(doc)).toEqual(['configuration imported']);
    expect(unit.cfg.accounts.creditLimit[0]).toBe(5000);
    expect(Array.from(unit.core.balance)).toEqual([25000, 0]);
    say('logout');
    expect(say('login 3000')[0]).toMatch(/^error: wrong PIN/);
    expect(say('login 3003')).toEqual(['signed in as technician']);
  });
});

describe('acct set and tariff set change the configuration in force in place', () => {
  // Three accounts whose alarm levels and friendly windows differ in number: a change of one
  // account's lists lays out every account's anew.
  const three = {
    ...config,
    plans: { flat: { price: 600 }, dear: { price: 900 } },
    accounts: [
      { name: 'R301', plan: 'flat', creditLimit: 2000, alarmLevels: [9000, 5000], friendly: [['22:00', '07:00']] },
      { name: 'R302', plan: 'flat', alarmLevels: [], friendly: [['12:00', '14:00'], ['22:00', '06:00']] },
      { name: 'R303', plan: 'dear', alarmLevels: [20000, 10000, 5000] },
    ],
  };
  const money = (milli: number) => (milli / 1000).toFixed(3);
  const clockText = (m: number) => String(100 + Math.floor(m / 60)).slice(1) + ':' + String(100 + (m % 60)).slice(1);

  it('gives the configuration a rebuild would, keeps it over a reboot, and leaves the other accounts alone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 4 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 1439 })), { maxLength: 3 }),
        fc.constantFrom('flat', 'dear'),
        fc.integer({ min: 0, max: 50 }),
        (a, levels, windows, plan, limit) => {
          unit = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), pulseInputs: 4 }, JSON.parse(JSON.stringify(three)));
          say('login 3000');
          const lv = levels.sort((x, y) => y - x).map((x) => x * 100);
          const ws = windows.filter((w) => w[0] !== w[1]);
          const name = 'R30' + (a + 1);
          const line = 'acct set ' + name + ' plan=' + plan + ' limit=' + limit + ' alarms=' + (lv.length ? lv.map(money).join(',') : 'none') + ' friendly=' + (ws.length ? ws.map((w) => clockText(w[0]) + '-' + clockText(w[1])).join(',') : 'none');
          const want = exportConfig(unit.cfg) as { accounts: { [k: string]: unknown }[] };
          const acc = want.accounts[a];
          acc.plan = plan;
          acc.creditLimit = limit * 1000;
          acc.alarmLevels = lv;
          if (ws.length) acc.friendly = ws.map((w) => [clockText(w[0]), clockText(w[1])]);
          else delete acc.friendly;
          expect(say(line), line).toEqual(["account " + name + " changed"]);
          // the export leaves out what equals the defaults: compare both through a fresh parse
          const again = startUnit({ load: nodeModules, clock, print: () => undefined, pulseInputs: 4 }, want);
          expect(exportConfig(unit.cfg)).toEqual(exportConfig(again.cfg));
        },
      ),
      { numRuns: 60 },
    );
  });

  /** Two units of the three accounts, each with a pulse meter and 20.000 of credit: the line
   *  typed on the first (answered `answer`: changed in place), the same change made to the
   *  second's exported configuration and applied by a rebuild; both end with the same
   *  configuration. */
  function twins(line: string, answer: string, change: (doc: { plans: { [k: string]: unknown }; accounts: { [k: string]: unknown }[] }) => void): Unit[] {
    const withMeters = { ...three, meters: three.accounts.map((x, k) => ({ name: 'M' + k, account: x.name, proto: 'pulse', addr: k })) };
    const lines: string[] = [];
    const units = [0, 1].map((k) => {
      const u = startUnit({ load: nodeModules, clock, print: (l) => k === 0 && lines.push(l), pulseInputs: 4 }, JSON.parse(JSON.stringify(withMeters)));
      u.input('login 3000\r\n');
      for (let a = 0; a < 3; a++) u.input('topup R30' + (a + 1) + ' 20\r\n');
      return u;
    });
    lines.length = 0;
    units[0].input(line + '\r\n');
    expect(lines, line).toEqual([answer]);
    const doc = exportConfig(units[1].cfg) as unknown as { plans: { [k: string]: unknown }; accounts: { [k: string]: unknown }[] };
    change(doc);
    const parsed = parseConfig(doc);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(apply(units[1], parsed.value)).toBeNull();
    expect(exportConfig(units[0].cfg)).toEqual(exportConfig(units[1].cfg));
    return units;
  }

  /** The same readings of meters `meters` (rising by each step, `dt` seconds apart) to both
   *  units: the same decisions, balances and alarms. */
  function sameBilling(units: Unit[], meters: number[], steps: number[], dt: number): void {
    const wh = [0, 0, 0];
    let t = T0 + 60;
    for (const st of steps) {
      t += dt;
      for (const m of meters) {
        wh[m] += st;
        const ds = units.map((u) => JSON.stringify(u.handle({ t: 'reading', time: t, meter: m, importWh: wh[m], exportWh: 0 })));
        expect(ds[0]).toBe(ds[1]);
      }
    }
    expect(Array.from(units[0].core.balance)).toEqual(Array.from(units[1].core.balance));
    expect(Array.from(units[0].core.alarmMask)).toEqual(Array.from(units[1].core.alarmMask));
  }

  it('bills, warns and switches afterwards as the same change made by rebuilding the configuration does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom('flat', 'dear'),
        fc.integer({ min: 0, max: 30 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 8 }),
        (a, plan, limit, levels, steps) => {
          const name = 'R30' + (a + 1);
          const lv = levels.sort((x, y) => y - x);
          const line = 'acct set ' + name + ' plan=' + plan + ' limit=' + limit + ' alarms=' + (lv.length ? lv.join(',') : 'none');
          const units = twins(line, 'account ' + name + ' changed', (doc) => Object.assign(doc.accounts[a], { plan, creditLimit: limit * 1000, alarmLevels: lv.map((x) => x * 1000) }));
          sameBilling(units, [a], steps, 600);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('tariff set of a plan in force: bills afterwards as the same change made by rebuilding does, and is saved', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('flat', 'dear'),
        fc.integer({ min: 1, max: 5000 }),
        fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 6 }),
        (plan, milli, peak, steps) => {
          // a flat price, or time-of-use prices (peak and the others)
          const line = 'tariff set ' + plan + (peak === undefined ? ' price=' + money(milli) : ' sharp=' + money(peak) + ' peak=' + money(peak) + ' flat=' + money(milli) + ' valley=' + money(milli) + ' workday=00:00/valley,08:00/peak,20:00/flat');
          const tou = { prices: { sharp: peak, peak, flat: milli, valley: milli }, workday: [['00:00', 'valley'], ['08:00', 'peak'], ['20:00', 'flat']] };
          const units = twins(line, 'plan ' + plan + ' set', (doc) => (doc.plans[plan] = peak === undefined ? { price: milli } : tou));
          sameBilling(units, [0, 1, 2], steps, 3 * 3600);
        },
      ),
      { numRuns: 40 },
    );
    // saved: the EEPROM gives it back after a reboot
    expect(say('tariff set flat price=0.75')).toEqual(['plan flat set']);
    const now = exportConfig(unit.cfg);
    unit = boot({ pulseInputs: 4 });
    expect(exportConfig(unit.cfg)).toEqual(now);
    expect((now as unknown as { plans: { flat: { price?: number } } }).plans.flat.price).toBe(750);
    // a mistake changes nothing
    const before = state(unit);
    say('login 3000');
    expect(say('tariff set flat workday=99:00-sharp')[0]).toMatch(/^error: /);
    expect(state(unit)).toBe(before);
  });

  it('is saved: the EEPROM gives it back after a reboot', () => {
    expect(say('acct set R302 limit=7 alarms=3,1 friendly=23:00-06:30')).toEqual(['account R302 changed']);
    const now = exportConfig(unit.cfg);
    unit = boot({ pulseInputs: 4 });
    expect(exportConfig(unit.cfg)).toEqual(now);
    expect((now as { accounts: { creditLimit?: number }[] }).accounts[1].creditLimit).toBe(7000);
  });

  it('undoes itself exactly (what a failed save does), lists laid out anew or changed in their place', () => {
    unit = startUnit({ load: nodeModules, clock, print: () => undefined, pulseInputs: 4 }, JSON.parse(JSON.stringify(three)));
    const before = JSON.stringify(exportConfig(unit.cfg));
    const one = (alarmLevels: number[], friendly: string[][]) =>
      startUnit({ load: nodeModules, clock, print: () => undefined, pulseInputs: 4 }, { ...config, accounts: [{ name: 'R302', plan: 'flat', alarmLevels, friendly }], meters: [] }).cfg.accounts;
    // R302 has no alarm levels and two friendly windows: more levels, as many windows
    for (const b of [one([1, 0], [['01:00', '02:00'], ['03:00', '04:00']]), one([], [['05:00', '06:00']]), one([], [['05:00', '06:00'], ['07:00', '08:00']])]) {
      const undo = putAccount(unit.cfg.accounts, 1, b);
      expect(JSON.stringify(exportConfig(unit.cfg))).not.toBe(before);
      undo();
      expect(JSON.stringify(exportConfig(unit.cfg))).toBe(before);
    }
  });

  it('is put in place by a module of its own, loaded once the configuration module has returned', () => {
    const seen: string[] = [];
    let inCfg = false;
    const load = ((name: keyof typeof MODULE_ENTRIES) => {
      const f = nodeModules(name) as unknown as (...a: unknown[]) => unknown;
      return (...a: unknown[]) => {
        seen.push(name + (inCfg ? ' inside cfg' : ''));
        if (name === 'cfg') inCfg = true;
        try {
          return f(...a);
        } finally {
          if (name === 'cfg') inCfg = false;
        }
      };
    }) as unknown as UnitHal['load'];
    unit = boot({ load, pulseInputs: 4 });
    say('login 3000');
    for (const [line, ok] of [
      ['acct set R302 limit=7', 'account R302 changed'],
      ['tariff set flat price=0.75', 'plan flat set'],
    ]) {
      seen.length = 0;
      expect(say(line)).toEqual([ok]);
      expect(seen).toEqual(['cfg', 'put']);
    }
    // a change refused by the check never loads it, and leaves nothing waiting
    seen.length = 0;
    expect(say('acct set R302 limit=x')[0]).toMatch(/^error: /);
    expect(say('tariff set flat peak=x')[0]).toMatch(/^error: /);
    expect(seen).toEqual(['cfg', 'cfg']);
    expect(unit.put).toBeUndefined();
  });

  it('is undone when the EEPROM loses the save: the answer says so, the command is not logged, the next try goes through', () => {
    unit = boot({ pulseInputs: 4 });
    say('login 3000');
    const before = state(unit);
    for (const [line, ok] of [
      ['acct set R302 limit=7 alarms=3,1 friendly=23:00-06:30', 'account R302 changed'],
      ['tariff set flat price=0.75', 'plan flat set'],
    ]) {
      rig.chip.failNextWrite();
      const a = say(line);
      // the storage's own line first (as for every failed write), then the answer
      expect(a.length).toBe(2);
      expect(a[0]).toMatch(/^STORAGE saving the configuration failed: /);
      expect(a[1]).toMatch(/^error: not applied: saving the configuration failed: /);
      expect(state(unit)).toBe(before);
      const log = say('log n=20');
      expect(log.length).toBeGreaterThan(0);
      expect(log.filter((l) => l.indexOf(line) >= 0)).toEqual([]);
      // the unit as it was, after a reboot too
      unit = boot({ pulseInputs: 4 });
      expect(state(unit)).toBe(before);
      say('login 3000');
    }
    expect(say('acct set R302 limit=7 alarms=3,1 friendly=23:00-06:30')).toEqual(['account R302 changed']);
    expect(say('tariff set flat price=0.75')).toEqual(['plan flat set']);
    expect(state(unit)).not.toBe(before);
    unit = boot({ pulseInputs: 4 });
    expect((exportConfig(unit.cfg) as { accounts: { creditLimit?: number }[] }).accounts[1].creditLimit).toBe(7000);
  });

  it('refuses a change the unit has no room for, before anything changes', () => {
    unit = boot({ pulseInputs: 4, freeVars: () => 200 });
    say('login 3000');
    const before = state(unit);
    expect(say('acct set R301 limit=3')[0]).toMatch(/^error: not applied: too little memory for this change \(needs about \d+ variables, 200 free\)$/);
    expect(state(unit)).toBe(before);
  });
});
