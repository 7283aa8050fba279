// Issue 11, item 4 (configuration mistakes pass silently) and item 3 (meters that are never
// read), for configuration documents: every path a document takes (parseConfig, the streaming
// reader of `config import`, the configuration module's document entry used at boot for the
// EEPROM's older JSON text and the factory configuration, the simulator's scenario file) refuses
// the same mistakes with the same message, and a refused document changes nothing.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ConfigBuilder, parseConfig } from '../../firmware/config';
import { ConfigReader } from '../../firmware/config-stream';
import { exportConfig } from '../../firmware/config-export';
import { runConfigCommand } from '../../firmware/console/config-commands';
import { startUnit } from '../../firmware/unit';
import { nodeModules } from '../../sim/modules';
import { VirtualClock } from '../../sim/virtual-clock';
import { parseScenario } from '../../sim/scenario';

const KEY = '00112233445566778899aabbccddeeff';

/** A valid document with a bit of everything: four accounts, bus and pulse meters, PINs, a token. */
function good(): any {
  return {
    utcOffsetMinutes: 480,
    weekend: ['sat', 'sun'],
    holidays: ['2026-10-01', '2028-02-29'],
    billingDay: 1,
    console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
    bus: { pollSeconds: 30, dlt645: { baud: 2400, parity: 'even', stopBits: 1 }, modbus: { baud: 9600 } },
    plans: {
      flat: { price: 600 },
      tou: { prices: { peak: 850, valley: 300 }, workday: [['00:00', 'valley'], ['08:00', 'peak']], tiers: [{ uptoWh: 200000, add: 0 }, { add: 50 }] },
    },
    accounts: [
      { name: 'R1', plan: 'flat' },
      { name: 'R2', plan: 'tou', creditLimit: 2000, overload: { maxPowerW: 4400 } },
      { name: 'R3', plan: 'flat', token: { key: KEY, start: 10, unit: 1000 } },
      { name: 'R4', plan: 'flat', creditLimit: 5000 },
    ],
    meters: [
      { name: 'M1', account: 'R1' },
      { name: 'M2', account: 'R2', proto: 'dlt645', addr: '000000000161' },
      { name: 'M3', account: 'R3', proto: 'modbus', addr: '7', profile: 'dds238' },
      { name: 'M4', account: 'R4', proto: 'pulse', addr: 0, impPerKwh: 1600 },
      { name: 'M5', account: 'R4', proto: 'modbus', addr: '8', profile: { name: 'custom', import: { reg: 10, fn: 3, type: 'u32', scale: 0.01, unit: 'kWh' }, relay: { reg: 26, on: 1, off: 0 } } },
    ],
  };
}

/** The document, changed by patch. */
function doc(patch: (c: any) => void): any {
  const c = good();
  patch(c);
  return c;
}

/** What the streaming reader (`config import`) answers for a document's text. */
function streamed(text: string): string | null {
  const b = new ConfigBuilder();
  const r = new ConfigReader(b);
  for (let i = 0; i < text.length; i += 50) {
    const e = r.feed(text.substr(i, 50));
    if (e) return e;
  }
  const e = r.end();
  if (e) return e;
  const f = b.finish();
  return f.ok ? null : f.error;
}

/** A unit (no accounts) that the document is handed to as the configuration module's document
 *  entry takes it at boot: its error, and whether the unit's configuration stayed the same. */
function asBootText(text: string): { error: string | null; same: boolean } {
  const u = startUnit({ load: nodeModules, clock: new VirtualClock(), print: () => undefined }, good());
  const before = JSON.stringify(exportConfig(u.cfg));
  const cfg = u.cfg;
  const error = runConfigCommand(u, null, text);
  return { error, same: u.cfg === cfg && JSON.stringify(exportConfig(u.cfg)) === before };
}

/** The error a scenario file with this configuration gets. */
function asScenario(config: any): string[] | null {
  const loads: { [m: string]: unknown } = {};
  for (const m of config.meters) loads[m.name] = { profile: 'constant', powerW: 100 };
  const r = parseScenario({ name: 't', start: '2026-03-01 00:00', durationHours: 1, config, loads });
  return r.ok ? null : r.errors;
}

/** The error every path gives (they must agree), checked against the expected one. */
function refused(patch: (c: any) => void): string {
  const d = doc(patch);
  const text = JSON.stringify(d);
  const before = JSON.stringify(d);
  const r = parseConfig(d);
  expect(JSON.stringify(d)).toBe(before); // the parser leaves its input alone
  if (r.ok) throw new Error('accepted: ' + text);
  expect(streamed(text)).toBe(r.error);
  expect(streamed(JSON.stringify(d, null, 2))).toBe(r.error);
  const boot = asBootText(text);
  expect(boot.error).toBe(r.error);
  expect(boot.same).toBe(true);
  const sc = asScenario(d);
  expect(sc).not.toBeNull();
  expect(sc![0]).toBe('scenario.config.' + r.error);
  return r.error;
}

describe('configuration documents (issue 11, item 4)', () => {
  it('the example document is valid on every path', () => {
    const r = parseConfig(good());
    expect(r.ok ? 'ok' : r.error).toBe('ok');
    expect(streamed(JSON.stringify(good()))).toBeNull();
    expect(asBootText(JSON.stringify(good())).error).toBeNull();
    expect(asScenario(good())).toBeNull();
  });

  it('refuses unknown and misspelled keys at every level, with the nearest valid name', () => {
    expect(refused((c) => (c.accounts[3].crediLimit = 5000))).toBe('accounts[3].crediLimit: unknown key (did you mean "creditLimit"?)');
    expect(refused((c) => (c.billingday = 2))).toBe('billingday: unknown key (did you mean "billingDay"?)');
    expect(refused((c) => (c.holiday = []))).toBe('holiday: unknown key (did you mean "holidays"?)');
    expect(refused((c) => (c.colour = 'red'))).toBe('colour: unknown key (known: utcOffsetMinutes, weekend, holidays, billingDay, console, bus, sms, uplink, plans, accounts, meters)');
    expect(refused((c) => (c.console.pin = c.console.pins))).toBe('console.pin: unknown key (did you mean "pins"?)');
    expect(refused((c) => (c.console.pins.technican = '4444'))).toBe('console.pins.technican: unknown key (did you mean "technician"?)');
    expect(refused((c) => (c.bus.pollSecond = 10))).toBe('bus.pollSecond: unknown key (did you mean "pollSeconds"?)');
    expect(refused((c) => (c.bus.modbus.bauds = 19200))).toBe('bus.modbus.bauds: unknown key (did you mean "baud"?)');
    expect(refused((c) => (c.plans.flat.prise = 600))).toBe('plans.flat.prise: unknown key (did you mean "price"?)');
    expect(refused((c) => (c.plans.tou.tiers[0].upToWh = 1))).toBe('plans.tou.tiers[0].upToWh: unknown key (did you mean "uptoWh"?)');
    expect(refused((c) => (c.accounts[1].overload.maxPower = 1))).toBe('accounts[1].overload.maxPower: unknown key (did you mean "maxPowerW"?)');
    expect(refused((c) => (c.accounts[2].token.kye = KEY))).toBe('accounts[2].token.kye: unknown key (did you mean "key"?)');
    expect(refused((c) => (c.meters[1].address = '000000000161'))).toBe('meters[1].address: unknown key (did you mean "addr"?)');
    // a Modbus register map of the configuration's own, its quantities and its relay
    expect(refused((c) => (c.meters[4].profile.improt = c.meters[4].profile.import))).toBe('meters[4].profile.improt: unknown key (did you mean "import"?)');
    expect(refused((c) => (c.meters[4].profile.import.regs = 10))).toBe('meters[4].profile.import.regs: unknown key (did you mean "reg"?)');
    expect(refused((c) => (c.meters[4].profile.relay.Off = 0))).toBe('meters[4].profile.relay.Off: unknown key (did you mean "off"?)');
  });

  it('the misspelled emergency credit no longer becomes 0', () => {
    const r = parseConfig(doc((c) => (c.accounts[3] = { name: 'R4', plan: 'flat', creditLimit: 5000 })));
    expect(r.ok && r.value.accounts.creditLimit[3]).toBe(5000);
  });

  it('checks dates: a holiday must exist', () => {
    expect(refused((c) => c.holidays.push('2026-02-30'))).toBe('holidays[2]: no such date: "2026-02-30"');
    expect(refused((c) => (c.holidays = ['2027-02-29']))).toBe('holidays[0]: no such date: "2027-02-29"');
    expect(refused((c) => (c.holidays = ['2026-04-31']))).toBe('holidays[0]: no such date: "2026-04-31"');
    expect(refused((c) => (c.holidays = ['2026-1-5']))).toBe('holidays[0]: expected a date YYYY-MM-DD, got "2026-1-5"');
    expect(refused((c) => (c.holidays = [20261001]))).toBe('holidays[0]: expected a non-empty string');
    expect(parseConfig(doc((c) => (c.holidays = ['2028-02-29', '2000-02-29', '2026-12-31']))).ok).toBe(true);
  });

  it('token keys are 32 hexadecimal digits', () => {
    expect(refused((c) => (c.accounts[2].token.key = 'zz'.repeat(16)))).toBe('accounts[2].token.key: expected 32 hexadecimal digits');
    expect(refused((c) => (c.accounts[2].token.key = KEY.substr(1)))).toBe('accounts[2].token.key: expected 32 hexadecimal digits');
    expect(refused((c) => (c.accounts[2].token.key = KEY + '0'))).toBe('accounts[2].token.key: expected 32 hexadecimal digits');
    expect(refused((c) => (c.accounts[2].token.key = KEY.substr(0, 31) + 'g'))).toBe('accounts[2].token.key: expected 32 hexadecimal digits');
    expect(refused((c) => delete c.accounts[2].token.key)).toBe('accounts[2].token.key: expected 32 hexadecimal digits');
    expect(refused((c) => delete c.accounts[2].token.start)).toBe('accounts[2].token.start: missing');
    expect(refused((c) => (c.accounts[2].token.unit = 0))).toBe('accounts[2].token.unit: must be between 1 and 1000000000, got 0');
    const r = parseConfig(doc((c) => (c.accounts[2].token.key = KEY.toUpperCase())));
    expect(r.ok && Array.from(r.value.accounts.tokenKey).slice(32, 48)).toEqual([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
  });

  it('console PINs: at least 4 digits, one per role, and the technician cannot be locked out', () => {
    expect(refused((c) => (c.console.pins.technician = ''))).toBe('console.pins.technician: a PIN is 4 to 12 digits, got ""');
    expect(refused((c) => (c.console.pins.technician = null))).toBe('console.pins.technician: a PIN is 4 to 12 digits, got null');
    expect(refused((c) => (c.console.pins.technician = '7'))).toBe('console.pins.technician: a PIN is 4 to 12 digits, got "7"');
    expect(refused((c) => (c.console.pins.read = '123'))).toBe('console.pins.read: a PIN is 4 to 12 digits, got "123"');
    expect(refused((c) => (c.console.pins.operator = '12a4'))).toBe('console.pins.operator: a PIN is 4 to 12 digits, got "12a4"');
    expect(refused((c) => (c.console.pins.operator = 2000))).toBe('console.pins.operator: a PIN is 4 to 12 digits, got 2000');
    expect(refused((c) => (c.console.pins.operator = '1234567890123'))).toBe('console.pins.operator: a PIN is 4 to 12 digits, got "1234567890123"');
    expect(refused((c) => (c.console.pins.technician = '1000'))).toBe('console.pins.technician: the same PIN as read: every role needs its own');
    expect(refused((c) => (c.console.pins.operator = '3000'))).toBe('console.pins.technician: the same PIN as operator: every role needs its own');
    // a role left out keeps its factory PIN, which must differ too
    expect(refused((c) => (c.console.pins = { technician: '2222' }))).toBe('console.pins.technician: the same PIN as operator: every role needs its own');
    expect(refused((c) => (c.console = {}))).toBe('console.pins: expected an object');
    const r = parseConfig(doc((c) => (c.console.pins = { technician: '987654' })));
    expect(r.ok && r.value.pins).toEqual(['', '1111', '2222', '987654']);
  });
});

describe('meters in a configuration document (issue 11, item 3)', () => {
  it('the protocol must be known', () => {
    expect(refused((c) => (c.meters[1].proto = 'rs232'))).toBe('meters[1].proto: unknown protocol "rs232" (known: none, dlt645, modbus, pulse)');
    expect(refused((c) => (c.meters[1].proto = 'DLT645'))).toBe('meters[1].proto: unknown protocol "DLT645" (known: none, dlt645, modbus, pulse)');
    expect(refused((c) => (c.meters[1].proto = 'none'))).toBe('meters[1].proto: give dlt645, modbus or pulse, or leave it out');
    expect(refused((c) => (c.meters[0].addr = '5'))).toBe('meters[0].addr: give the meter a proto (dlt645, modbus, pulse) for its address');
  });

  it('a DL/T 645 address is 12 BCD digits, one meter each', () => {
    expect(refused((c) => (c.meters[1].addr = '12'))).toBe('meters[1].addr: a DL/T 645 address is 12 digits (printed on the meter), got "12"');
    expect(refused((c) => (c.meters[1].addr = '0000000001612'))).toBe('meters[1].addr: a DL/T 645 address is 12 digits (printed on the meter), got "0000000001612"');
    expect(refused((c) => (c.meters[1].addr = '00000000016a'))).toBe('meters[1].addr: a DL/T 645 address is 12 digits (printed on the meter), got "00000000016a"');
    expect(refused((c) => delete c.meters[1].addr)).toBe('meters[1].addr: a DL/T 645 address is 12 digits (printed on the meter), got ""');
    expect(refused((c) => (c.meters[1].addr = '999999999999'))).toBe('meters[1].addr: the broadcast and wildcard addresses read no single meter');
    expect(refused((c) => c.meters.push({ name: 'M6', account: 'R1', proto: 'dlt645', addr: '000000000161' }))).toBe("meters[5].addr: address 000000000161 is already meter M2's");
  });

  it('a Modbus slave id is 1 to 247, one meter each, with a known profile', () => {
    for (const id of ['0', '248', '300', '-1', '1.5', 'x', '', '0007']) {
      expect(refused((c) => (c.meters[2].addr = id))).toBe('meters[2].addr: a Modbus slave id is 1 to 247, got ' + JSON.stringify(id));
    }
    expect(refused((c) => (c.meters[2].addr = 0))).toBe('meters[2].addr: a Modbus slave id is 1 to 247, got 0');
    expect(refused((c) => (c.meters[2].profile = 'sdm999'))).toBe('meters[2].profile: unknown profile "sdm999" (known: sdm120, sdm230, dds238)');
    expect(refused((c) => (c.meters[2].profile = { name: 'x' }))).toMatch(/^meters\[2\]\.profile: register map: /);
    expect(refused((c) => (c.meters[1].profile = 'sdm120'))).toBe('meters[1].profile: only Modbus meters have a profile');
    expect(refused((c) => (c.meters[4].addr = '7'))).toBe("meters[4].addr: address 7 is already meter M3's");
    // one address per line: a DL/T 645 meter and a Modbus meter may share a number
    expect(parseConfig(doc((c) => c.meters.push({ name: 'M6', account: 'R1', proto: 'dlt645', addr: '000000000007' }))).ok).toBe(true);
    for (const id of ['1', '247', 247]) expect(parseConfig(doc((c) => (c.meters[2].addr = id))).ok).toBe(true);
  });

  it('a pulse meter needs an input of its own', () => {
    expect(refused((c) => (c.meters[3].addr = 16))).toBe('meters[3].addr: a pulse input is 0 to 15, got 16');
    expect(refused((c) => (c.meters[3].addr = -1))).toBe('meters[3].addr: a pulse input is 0 to 15, got -1');
    expect(refused((c) => c.meters.push({ name: 'M6', account: 'R1', proto: 'pulse', addr: 0 }))).toBe("meters[5].addr: pulse input 0 is already meter M4's");
    // without an address: the next input after those taken, which may be taken too
    expect(refused((c) => c.meters.push({ name: 'M6', account: 'R1', proto: 'pulse', addr: 2 }, { name: 'M7', account: 'R1', proto: 'pulse' }))).toBe("meters[6].addr: pulse input 2 is already meter M6's");
    expect(refused((c) => (c.meters[3].impPerKwh = 0))).toBe('meters[3].impPerKwh: must be between 1 and 100000, got 0');
  });

  it('a builder told the board has 4 pulse inputs refuses the others', () => {
    const b = new ConfigBuilder();
    b.pulseInputs = 4;
    expect(b.meter({ name: 'P1', account: 'R1', proto: 'pulse', addr: 3 })).toBeNull();
    expect(b.meter({ name: 'P2', account: 'R1', proto: 'pulse', addr: 4 })).toBe('meters[1].addr: a pulse input is 0 to 3 on this unit, got 4');
    const none = new ConfigBuilder();
    none.pulseInputs = 0;
    expect(none.meter({ name: 'P1', account: 'R1', proto: 'pulse', addr: 0 })).toBe('meters[0].addr: this unit has no pulse inputs');
  });
});

describe('docs/configuration.md', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');

  it('documents every key the parser knows', () => {
    // the key lists the parser checks documents against (firmware/config.ts, known(...))
    const src = fs.readFileSync(path.join(__dirname, '..', '..', 'firmware', 'config.ts'), 'utf8');
    const keys = new Set<string>(['pins']);
    for (const line of src.split('\n')) {
      if (line.indexOf('known(') < 0) continue;
      for (const m of line.matchAll(/'([A-Za-z0-9]+(?: [A-Za-z0-9]+)+)'/g)) for (const k of m[1].split(' ')) keys.add(k);
    }
    expect(keys.size).toBeGreaterThan(50);
    const missing = [...keys].filter((k) => !new RegExp('[`."]' + k + '[`"]').test(doc));
    expect(missing).toEqual([]);
  });

  it('its example is a valid configuration', () => {
    const example = doc.split('```json')[1].split('```')[0];
    const r = parseConfig(JSON.parse(example));
    expect(r.ok ? 'ok' : r.error).toBe('ok');
  });
});
