// Issue 11, item 7: what the console says. Each case was reproduced before its fix.
import { beforeEach, describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit, UnitHal } from '../../firmware/unit';
import { busMetering } from '../../firmware/metering/wiring';
import { VirtualClock } from '../../sim/virtual-clock';
import { SerialPort } from '../../hal/serial';

const KEY = 'bc41ec9530f6dac86b1a29ab82edc5fb';
const config = {
  utcOffsetMinutes: 480,
  plans: { flat: { price: 600 } },
  accounts: [
    { name: 'R1', plan: 'flat', alarmLevels: [5000], maxBalance: 100000 },
    { name: 'R301', plan: 'flat', token: { key: KEY, start: 516959010, unit: 1000 } },
  ],
  meters: [{ name: 'M1', account: 'R1' }],
  console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
};

let clock: VirtualClock;
let out: string[];
let unit: Unit;

function start(hal: Partial<UnitHal> = {}, cfg: unknown = config, metering = false): void {
  clock = new VirtualClock();
  out = [];
  unit = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), ...hal }, JSON.parse(JSON.stringify(cfg)), metering ? { metering: busMetering } : undefined);
}

function say(line: string): string[] {
  out.length = 0;
  unit.input(line + '\r\n');
  return out.slice();
}

/** A trace line of the core: account or meter by number, money in milli-units. */
const TRACE = /^(\S+ )?(ledger #\d+ a\d|relay a\d|event (a|m)\d|alarm a\d|clear a\d|refused (a|m)\d)|\bbal \d/;

beforeEach(() => start());

describe('console messages (issue 11, item 7)', () => {
  it('says money entries, relays, alarms and events in account names and currency units, in answers and in the log', () => {
    say('login 3000');
    say('time set 2026-03-01 08:30');
    // a reading, a jump, a top-up that clears nothing, a correction that raises the alarm
    unit.handle({ t: 'reading', time: unit.time(), meter: 0, importWh: 1000, exportWh: 0 });
    expect(say('topup R1 20')).toEqual(['RECEIPT #1 2026-03-01 08:30:00 R1 topup 20.000 balance 20.000 by technician']);
    expect(say('correct 1')).toEqual(['RECEIPT #2 2026-03-01 08:30:00 R1 correction -20.000 balance 0.000 by technician', 'alarm R1 L1 low credit, balance 0.000']);
    expect(say('topup R1 10')).toEqual(['RECEIPT #3 2026-03-01 08:30:00 R1 topup 10.000 balance 10.000 by technician', 'alarm R1 L1 cleared, balance 10.000']);
    expect(say('relay R301 off')).toEqual(['event R301 mode-off', 'relay R301 off (mode-off)', 'R301 relay off, mode off']);
    expect(say('relay R301 on')).toEqual(['event R301 mode-on', 'relay R301 on (mode-on)', 'R301 relay on, mode on']);
    say('topup R1 1000');
    const log = say('log n=50');
    for (const l of log) expect(l, l).not.toMatch(TRACE);
    for (const l of log) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(log).toContain('2026-03-01 08:30:00 ledger #1 R1 topup 20.000 balance 20.000');
    expect(log).toContain('2026-03-01 08:30:00 ledger #2 R1 correction -20.000 balance 0.000 corrects #1');
    expect(log).toContain('2026-03-01 08:30:00 relay R301 on (mode-on)');
    expect(log).toContain('2026-03-01 08:30:00 event R1 meter M1 baseline 1.000 kWh');
    expect(log).toContain('2026-03-01 08:30:00 alarm R1 L1 low credit, balance 0.000');
    expect(log).toContain('2026-03-01 08:30:00 R1 refused: the balance would exceed the hoarding limit');
    expect(log).toContain('1970-01-01 08:00:00 relay R1 on (boot)');
    expect(log).toContain('1970-01-01 08:00:00 event unit time-invalid');
    // A money entry recovered at boot is logged without its account, its index from the
    // configuration of its time: never guessed at (it may name another account today).
    unit.log(-1, 'refund', 'ledger #9 a1 refund -17148 bal 0');
    expect(say('log kind=refund')).toEqual(['2026-03-01 08:30:00 ledger #9 a1 refund -17.148 balance 0.000']);
  });

  it('calls a wrong-length token a token once, not "token token"', () => {
    say('login 1000');
    expect(say('token R301 12345')).toEqual(['error: token: 5 digits; expected 9 or 12 (or 15 or 20 on a 1-4 keypad)']);
    expect(say('token R301 12ab')[0]).not.toMatch(/token token/);
  });

  it('names the log kinds for an unknown one, and still says "(no entries)" for a known kind without any', () => {
    say('login 1000');
    const a = say('log kind=bogus');
    expect(a[0]).toBe('error: no log kind "bogus"; the kinds are:');
    expect(a.join(' ')).toMatch(/\btopup\b.*\brefund\b.*\brelay\b.*\bcommand\b/);
    for (const l of a) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(say('log kind=transfer')).toEqual(['(no entries)']);
    expect(say('log kind=boot')).toEqual(['1970-01-01 08:00:00 boot']);
    expect(say('help log')[1]).toMatch(/kinds: topup refund correction transfer token alarm clear relay/);
  });

  it('lists for each role only what it may run', () => {
    const helpFor = (pin: string): string => {
      if (pin) say('login ' + pin);
      return say('help').join('\n');
    };
    const none = helpFor('');
    expect(none).toMatch(/^acct \[name\] +\(sign in\)$/m);
    expect(none).not.toMatch(/open\|set\|close|add\||tariff \[plan \| set|time \[set/);
    const read = helpFor('1000');
    expect(read).toMatch(/^acct \[name\] *$/m);
    expect(read).toMatch(/^meter \[name \| read <name>\] *$/m);
    expect(read).toMatch(/^tariff \[plan\] *$/m);
    expect(read).toMatch(/^time *$/m);
    expect(read).not.toMatch(/open\|set\|close|add\||\| set|time \[set|^topup|^config|^reboot/m);
    expect(say('help acct')).toEqual(['usage: acct [name]', 'acct: list; acct R1: details.', 'role: read']);
    const op = helpFor('2000');
    expect(op).toMatch(/^acct \[name \| open\|set\|close <name> \.\.\.\] *$/m);
    expect(op).toMatch(/^meter \[name \| read <name>\] *$/m);
    expect(op).toMatch(/^topup /m);
    expect(op).not.toMatch(/^config|^reboot|add\|/m);
    const tech = helpFor('3000');
    expect(tech).toMatch(/^meter \[name \| read\|add\|set\|rm <name> \.\.\.\] *$/m);
    expect(tech).toMatch(/^time \[set YYYY-MM-DD HH:MM\[:SS\]\] *$/m);
    expect(tech).toMatch(/^factory-reset yes *$/m);
    expect(say('help acct')[2]).toBe('role: read for acct [name], operator for the rest');
    expect(say('help acct')[1]).toMatch(/^acct: list; acct R1: details; acct open R1 plan=P/);
    for (const l of tech.split('\n')) expect(l.length, l).toBeLessThanOrEqual(80);
  });

  it('calls a too large amount too large, with the limit, and a refused one with the hoarding limit', () => {
    say('login 2000');
    expect(say('topup R1 99999999999')).toEqual(['error: amount is too large: at most 999999999.999, got 99999999999']);
    expect(say('topup R1 1000000000')).toEqual(['error: amount is too large: at most 999999999.999, got 1000000000']);
    expect(say('topup R1 12,5')[0]).toMatch(/^error: amount must be an amount like 25/);
    expect(say('topup R1 30')[0]).toMatch(/^RECEIPT #1 /);
    expect(say('topup R1 80')).toEqual(['error: refused: the balance would exceed the hoarding limit of 100.000 (at most 70.000 more)']);
  });

  it('says "1 try left"', () => {
    for (let i = 4; i >= 2; i--) expect(say('login 9')).toEqual(['error: wrong PIN (' + i + ' tries left before a lock-out)']);
    expect(say('login 9')).toEqual(['error: wrong PIN (1 try left before a lock-out)']);
  });

  it('status shows what help status promises: the meter bus figures (and memory where the board measures it)', () => {
    // one DL/T 645 meter on a bus where nothing answers
    const written: number[] = [];
    const port = (): SerialPort => ({
      write: (b: Uint8Array, done?: () => void) => {
        written.push(b.length);
        if (done) clock.after(1, done);
        return true;
      },
      bitsPerChar: () => 11,
      close: () => undefined,
    });
    start({ openMeterBus: () => port(), freeVars: () => 1234 }, { ...config, meters: [{ name: 'M1', account: 'R1', proto: 'dlt645', addr: '000000000001' }] }, true);
    clock.advance(10 * 60000);
    say('login 1000');
    expect(say('help status')[1]).toMatch(/meter bus/);
    const st = say('status');
    const bus = st.filter((l) => l.indexOf('BUS ') === 0);
    expect(bus).toHaveLength(2);
    expect(bus[0]).toMatch(/^BUS +requests [1-9]\d*, answered 0, retries \d+$/);
    expect(bus[1]).toMatch(/^BUS +timeouts [1-9]\d*, bad replies 0, meters lost 1$/);
    for (const l of st) expect(l.length, l).toBeLessThanOrEqual(80);
    say('json on');
    const j = JSON.parse(say('status')[0]);
    expect(j.cmd).toBe('status');
    expect(j.bus).toHaveLength(6);
    expect(j.bus[0]).toBeGreaterThan(0);
    expect(j.free).toBe(1234);
    expect(written.length).toBeGreaterThan(0);
    // without bus meters it says so
    start();
    say('login 1000');
    expect(say('status')).toContain('BUS      no meter on the RS485 bus');
  });

  it('names the command in every JSON answer, and gives log entries as objects', () => {
    say('json on');
    expect(JSON.parse(say('status')[0])).toEqual({ ok: false, cmd: 'status', error: 'status needs the read role, sign in with: login <pin>' });
    expect(JSON.parse(say('frob x')[0])).toMatchObject({ ok: false, cmd: 'frob' });
    expect(JSON.parse(say('Login 9')[0])).toMatchObject({ ok: false, cmd: 'login' });
    expect(JSON.parse(say('login 2000')[0])).toEqual({ ok: true, cmd: 'login', role: 'operator' });
    expect(JSON.parse(say('logout')[0])).toMatchObject({ ok: true, cmd: 'logout' });
    say('login 2000');
    clock.advance(301000);
    const timedOut = say('acct').map((l) => JSON.parse(l));
    expect(timedOut).toEqual([
      { ok: false, cmd: 'acct', lines: ['error: session timed out, sign in again'] },
      { ok: false, cmd: 'acct', error: 'acct needs the read role, sign in with: login <pin>' },
    ]);
    expect(JSON.parse(say('topup R1 5' + ' '.repeat(240))[0])).toMatchObject({ ok: false, cmd: 'topup' });
    say('login 2000');
    say('topup R1 12.5');
    // one JSON line per entry as it is read (as config export: the Pico never holds a long log
    // whole), then the answer with the count
    expect(say('log kind=topup').map((l) => JSON.parse(l))).toEqual([
      { ok: true, cmd: 'log', entry: { time: expect.any(Number), account: 'R1', kind: 'topup', seq: 1, amount: 12500, balance: 12500, text: 'ledger #1 R1 topup 12.500 balance 12.500' } },
      { ok: true, cmd: 'log', entries: 1, overwritten: 0, moneyOverwritten: 0, toppedUp: 12500, charged: 0, other: 0, balance: 12500 },
    ]);
    const all = say('log').map((l) => JSON.parse(l));
    expect(all.length).toBeGreaterThan(4);
    expect(all.pop()).toEqual({ ok: true, cmd: 'log', entries: all.length, overwritten: 0, moneyOverwritten: 0, toppedUp: 12500, charged: 0, other: 0, balance: 12500 });
    for (const { entry: e } of all) expect(typeof e === 'object' && typeof e.text === 'string' && typeof e.kind === 'string' && typeof e.time === 'number').toBe(true);
    expect(say('log kind=transfer').map((l) => JSON.parse(l))).toEqual([{ ok: true, cmd: 'log', entries: 0, overwritten: 0, moneyOverwritten: 0, toppedUp: 12500, charged: 0, other: 0, balance: 12500 }]);
    expect(JSON.parse(say('log kind=bogus')[0])).toMatchObject({ ok: false, cmd: 'log', error: 'no log kind "bogus"', kinds: expect.arrayContaining(['topup', 'command', 'relay-alarm']) });
  });
});
