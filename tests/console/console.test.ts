import { beforeEach, describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { secondsFromCivil } from '../../hal/calendar';
import { about } from '../../firmware/console/about';
import { commandNames } from '../../firmware/console/commands';
import { logKinds } from '../../firmware/console/log-commands';

const config = {
  utcOffsetMinutes: 480,
  plans: { flat: { price: 600 } },
  accounts: [{ name: 'R1', plan: 'flat', alarmLevels: [5000] }],
  meters: [{ name: 'M1', account: 'R1' }],
  console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
};

let clock: VirtualClock;
let out: string[];
let unit: Unit;

function say(line: string): string[] {
  out.length = 0;
  unit.input(line + '\r\n');
  return out.slice();
}

beforeEach(() => {
  clock = new VirtualClock();
  out = [];
  unit = startUnit({ load: nodeModules, clock, print: (l) => out.push(l) }, JSON.parse(JSON.stringify(config)));
});

describe('technician console', () => {
  it('needs sign-in, enforces roles and explains itself', () => {
    expect(say('status')).toEqual(['error: status needs the read role, sign in with: login <pin>']);
    expect(say('frobnicate')).toEqual(['error: unknown command "frobnicate", type help']);
    expect(say('help')[0]).toMatch(/^help \[command\]/);
    expect(say('help topup')).toEqual(['usage: topup <account> <amount>', 'Adds credit and prints a receipt.', 'role: operator']);
    expect(say('login 1000')).toEqual(['signed in as read']);
    expect(say('topup R1 10')).toEqual(['error: topup needs the operator role']);
    expect(say('login 3000')).toEqual(['signed in as technician']);
    expect(say('status')[1]).toBe('accounts 1, supplied 1, in alarm 0, balances 0.000');
  });

  // The commands are run by four modules (firmware/unit.ts moduleFor): every command and
  // sub-command a technician can type must reach the module that has it.
  it('every command and sub-command reaches a module that runs it', () => {
    say('login 3000');
    const lines = commandNames().concat(['acct R1', 'acct open R9 plan=flat', 'acct set R9 limit=1', 'acct close R9', 'meter M1', 'meter read M1', 'meter add M9 acct=R1', 'meter set M9 maxw=1000', 'meter rm M9',
      'tariff flat', 'tariff set flat price=0.7', 'config export', 'config import', 'log n=1', 'freeze day', 'time set 2026-03-01 08:30', 'topup R1 1', 'refund R1 1', 'correct 1', 'relay R1 auto', 'json off', 'token R1 123456789', 'help log']);
    for (const line of lines) {
      if (line === 'reboot' || line === 'logout') continue;
      const said = say(line);
      expect(said.join('\n'), line).not.toMatch(/unknown command|not run here|please report/);
      if (line === 'config import') say('END CONFIG');
    }
    // each command's usage, help and role in one table
    for (const n of commandNames()) expect(about(n)!.length === 3 || about(n)!.length === 6, n).toBe(true);
    // log's help names the kinds `log kind=` takes
    expect(about('log')![1]).toContain('kinds: ' + logKinds().join(' ') + '.');
  });

  it('locks after 5 wrong PINs for a growing time', () => {
    for (let i = 1; i <= 3; i++) expect(say('login 9')).toEqual(['error: wrong PIN (' + (5 - i) + ' tries left before a lock-out)']);
    expect(say('login 9')).toEqual(['error: wrong PIN (1 try left before a lock-out)']);
    expect(say('login 9')).toEqual(['error: wrong PIN; console locked for 30 s']);
    expect(say('login 3000')).toEqual(['error: locked after wrong PINs, try again in 30 s']);
    clock.advance(30000);
    for (let i = 1; i <= 4; i++) say('login 9');
    expect(say('login 9')).toEqual(['error: wrong PIN; console locked for 60 s']);
    clock.advance(60000);
    expect(say('login 3000')).toEqual(['signed in as technician']);
  });

  it('signs out after 5 idle minutes', () => {
    say('login 2000');
    clock.advance(301000);
    expect(say('acct')).toEqual(['error: session timed out, sign in again', 'error: acct needs the read role, sign in with: login <pin>']);
  });

  it('tops up with a receipt, refunds, corrects, and logs who did it', () => {
    say('login 3000');
    say('time set 2026-03-01 08:30');
    say('login 2000');
    expect(say('topup R1 12.5')).toEqual(['RECEIPT #1 2026-03-01 08:30:00 R1 topup 12.500 balance 12.500 by operator']);
    expect(say('refund R1 2')).toEqual(['RECEIPT #2 2026-03-01 08:30:00 R1 refund -2.000 balance 10.500 by operator']);
    expect(say('refund R1 20')).toEqual(['error: refused: a refund cannot exceed the balance']);
    expect(say('correct 2')).toEqual(['RECEIPT #3 2026-03-01 08:30:00 R1 correction 2.000 balance 12.500 by operator']);
    expect(say('correct 2')).toEqual(['error: refused: that entry was already corrected']);
    expect(say('topup R1 -3')).toEqual(['error: amount must be an amount like 25 or 12.50 (at most 3 decimals), got "-3"']);
    expect(say('topup R1 1.2345')).toEqual(['error: amount must be an amount like 25 or 12.50 (at most 3 decimals), got "1.2345"']);
    expect(say('topup R9 1')).toEqual(['error: no account "R9" (see: acct)']);
    expect(say('topup R1')).toEqual(['error: usage: topup <account> <amount>']);
    expect(say('correct x')).toEqual(['error: receipt number must be a whole number, got "x"']);
    const log = say('log acct=R1');
    expect(log).toContain('2026-03-01 08:30:00 ledger #1 R1 topup 12.500 balance 12.500');
    expect(say('log kind=command n=2')).toEqual(['2026-03-01 08:30:00 operator: correct 2', '2026-03-01 08:30:00 operator: refund R1 2']);
    expect(say('log colour=red')).toEqual(['error: unknown option "colour" (keys: acct, kind, from, to, n)']);
  });

  it('opens an account, assigns meters, sets a time-of-use plan, forces the relay, closes the account', () => {
    say('login 3000');
    expect(say('tariff set tou peak=0.85 valley=0.3 workday=00:00/valley,08:00/peak,22:00/valley')).toEqual(['plan tou set']);
    expect(say('tariff set tou workday=00:00/noon')).toEqual(['error: plans.tou.workday[0][1]: unknown period "noon" (known: sharp, peak, flat, valley)']);
    expect(say('tariff set tou peak=abc')).toEqual(['error: peak must be an amount like 25 or 12.50 (at most 3 decimals), got "abc"']);
    expect(say('acct open R2 plan=tou alarms=30,20,10 limit=2 friendly=22:00-07:00')).toEqual(['account R2 opened']);
    expect(say('acct open R2 plan=tou')).toEqual(['error: account "R2" exists already']);
    expect(say('acct open R3 plan=nope')).toEqual(['error: account R3 plan: unknown plan "nope" (known: flat, tou)']);
    expect(say('acct open R3')).toEqual(['error: give the price plan: acct open R3 plan=<plan>']);
    expect(say('meter add M2 acct=R2 proto=dlt645 addr=000000000161')).toEqual(['meter M2 added to R2']);
    expect(say('meter add M3 acct=R2 proto=modbus addr=1 profile=sdm120')).toEqual(['meter M3 added to R2']);
    expect(say('meter add M4 acct=R2 proto=rs232')).toEqual(['error: proto must be dlt645, modbus or pulse']);
    expect(say('acct R2')[1]).toMatch(/^R2\s+0\.000 on  auto -\s+0\.000 M2,M3$/);
    expect(say('relay R2 off')).toEqual(['event R2 mode-off', 'relay R2 off (mode-off)', 'R2 relay off, mode off']);
    expect(say('relay R2 sideways')).toEqual(['error: usage: relay <account> on|off|auto|reset']);
    say('topup R1 5');
    expect(say('acct close R1')[0]).toMatch(/^CLOSED R1 /);
    expect(say('acct')).toHaveLength(2);
    expect(say('meter')).toHaveLength(3);
    // In JSON one line per row as it is made, then the answer with the count.
    say('json on');
    const ms = say('meter').map((l) => JSON.parse(l));
    expect(ms.map((o) => o.meter && o.meter.name)).toEqual(['M2', 'M3', undefined]);
    expect(ms[2]).toEqual({ ok: true, cmd: 'meter', meters: 2 });
    expect(ms[1]).toMatchObject({ ok: true, cmd: 'meter', meter: { name: 'M3', account: 'R2', proto: 'modbus', addr: '1' } });
    expect(say('acct').map((l) => JSON.parse(l))).toEqual([
      { ok: true, cmd: 'acct', account: { name: 'R2', balance: 0, relay: 0, mode: 'off', energyWh: 0 } },
      { ok: true, cmd: 'acct', accounts: 1 },
    ]);
    say('json off');
  });

  it('exports and imports the configuration as text, and refuses bad text without change', () => {
    say('login 3000');
    const text = say('config export');
    expect(text[0]).toBe('BEGIN CONFIG');
    for (const l of text) expect(l.length).toBeLessThanOrEqual(80);
    expect(say('config import')).toEqual(['paste the configuration, then a line END CONFIG']);
    const json = text.slice(1, -1).join('').split('"R1"').join('"R9"');
    for (let i = 0; i < json.length; i += 70) unit.input(json.substr(i, 70) + '\n');
    expect(say('END CONFIG')).toEqual(['configuration imported']);
    expect(say('acct')[1]).toMatch(/^R9 /);
    say('config import');
    unit.input('{"plans": {}\n');
    expect(say('END CONFIG')).toEqual(['error: the configuration ends before its closing }']);
    say('config import');
    unit.input('{"plans": {"flat": {"price": 1}}, "accounts": [{"name": "R1", "plan": "flat",]}\n');
    expect(say('END CONFIG')[0]).toMatch(/^error: accounts\[0\]: not valid JSON/);
    say('config import');
    unit.input('{"plans": {}, "accounts": [], "meters": []}\n');
    expect(say('END CONFIG')).toEqual(['error: plans: needs at least one price plan']);
    expect(say('acct')[1]).toMatch(/^R9 /);
  });

  it('answers as one JSON line per command for scripts', () => {
    say('json on');
    say('login 2000');
    const a = JSON.parse(say('topup R1 3')[0]);
    expect(a).toMatchObject({ ok: true, cmd: 'topup', seq: 1, account: 'R1', entry: 'topup', amount: 3000, balance: 3000 });
    expect(JSON.parse(say('topup R1 x')[0])).toEqual({ ok: false, cmd: 'topup', error: 'amount must be an amount like 25 or 12.50 (at most 3 decimals), got "x"' });
  });

  it('keeps every text line within 80 columns', () => {
    say('login 3000');
    const all = ['help', 'status', 'acct', 'acct R1', 'meter', 'meter M1', 'tariff', 'tariff flat', 'time', 'log'].flatMap((c) => say(c));
    for (const l of all) expect(l.length, l).toBeLessThanOrEqual(80);
    void secondsFromCivil;
  });
});

describe('field hardening of the console (issue 11)', () => {
  it('a command that answers at once through its later path leaves the console free', () => {
    say('login 3000');
    // M1 has no bus or pulse input: meter read answers at once, the console stays usable
    expect(say('meter read M1')[0]).toMatch(/^error: /);
    expect(say('status')[0]).toMatch(/^time /);
    expect(say('login 3000')).toEqual(['signed in as technician']);
  });

  it('meter read waits for its answer through the resident shell, not through the command module', () => {
    say('login 3000');
    // On a board the module that ran the command leaves the heap when it returns; what waits
    // for the meter's answer must not be a function of it (it would keep the module loaded).
    const got: unknown[] = [];
    unit.metering = { ...unit.metering!, read: (m, to) => got.push(m, to) };
    expect(say('meter read M1')).toEqual([]);
    expect(got).toEqual([0, unit.shell]);
    expect(say('status')).toEqual(['error: busy with the previous command']);
    out.length = 0;
    unit.shell.end({ ok: true, lines: ['meter M1 import 1.000 kWh, export 0.000 kWh'] }, 'meter');
    expect(out).toEqual(['meter M1 import 1.000 kWh, export 0.000 kWh']);
    expect(say('status')[0]).toMatch(/^time /);
    // in JSON the answer names its command, whatever was typed while it was awaited
    say('json on');
    say('meter read M1');
    say('status');
    out.length = 0;
    unit.shell.end({ ok: true, lines: [], data: { importWh: 1 } }, 'meter');
    expect(out).toEqual(['{"ok":true,"cmd":"meter","importWh":1}']);
  });

  it('a configuration import ends with its session, and logout cancels it', () => {
    say('login 3000');
    expect(say('config import')).toEqual(['paste the configuration, then a line END CONFIG']);
    clock.advance(301000);
    expect(say('{"plans":{"flat":{"price":1}},"accounts":[{"name":"X","plan":"flat"}],"meters":[],"console":{"pins":{"technician":"9999"}}}')[0]).toBe('error: session timed out, sign in again');
    expect(say('END CONFIG')).toEqual(['error: unknown command "end", type help']);
    expect(say('login 9999')[0]).toMatch(/^error: wrong PIN/);
    say('login 3000');
    say('config import');
    expect(say('logout')).toEqual(['error: configuration import cancelled; signed out']);
    expect(say('acct')).toEqual(['error: acct needs the read role, sign in with: login <pin>']);
  });

  it('Ctrl-C drops the line, escape sequences are swallowed, a too long line is refused whole', () => {
    say('login 3000');
    out.length = 0;
    unit.input('topup R1 5\x03\r\n');
    expect(out).toEqual(['^C']);
    expect(say('acct R1')[1]).toMatch(/^R1 +0\.000 /);
    expect(say('\x1b[A\x1b[Dstatus\x1b[0m')[0]).toMatch(/^time /);
    expect(say('topup R1' + ' '.repeat(240) + '15')).toEqual(['error: line longer than 240 characters: ignored, nothing was run']);
    expect(say('acct R1')[1]).toMatch(/^R1 +0\.000 /);
  });
});
