// A technician session over a pseudo-terminal, as picocom would do it: the simulator serves
// the console on TCP and socat makes the pty; the test talks to the pty with node-serialport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SerialPort } from 'serialport';
import { parseScenario } from '../../sim/scenario';
import { runLive } from '../../sim/live';
import { vendToken } from '../../tools/vend';

const KEY = 'bc41ec9530f6dac86b1a29ab82edc5fb';
const START = 516959010;

const hasSocat = (() => {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unit-pty-'));
const ptyPath = path.join(dir, 'console');
let stop: () => void = () => undefined;
let port: SerialPort;
let received = '';

async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('timed out; console said:\n' + received.slice(-2000));
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends one line and returns the answer lines (everything until the console goes quiet). */
async function ask(line: string): Promise<string[]> {
  const from = received.length;
  port.write(line + '\r');
  await waitFor(() => received.length > from + line.length + 2);
  let last = -1;
  while (received.length !== last) {
    last = received.length;
    await new Promise((r) => setTimeout(r, 60));
  }
  return received
    .slice(from)
    .split(/\r?\n/)
    // The greeting socat's connection brings may arrive at any moment (late on a busy machine).
    .filter((l) => l !== '' && l !== line && l.indexOf('prepaid unit simulator: ') !== 0 && l !== 'type help');
}

describe.skipIf(!hasSocat)('technician session over a pty', () => {
  beforeAll(async () => {
    const sc = parseScenario(JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/commissioning.json'), 'utf8')));
    if (!sc.ok) throw new Error(sc.errors.join('\n'));
    await new Promise<void>((resolve) => {
      stop = runLive(sc.value, { speed: 600, terminal: false, tcpPort: 0, ptyPath, echo: true, onReady: () => resolve() });
    });
    await waitFor(() => fs.existsSync(ptyPath));
    port = new SerialPort({ path: ptyPath, baudRate: 115200 });
    port.setEncoding('utf8');
    port.on('data', (d: string) => (received += d));
    await new Promise((r) => port.on('open', r));
  });

  afterAll(async () => {
    if (port && port.isOpen) await new Promise((r) => port.close(r));
    stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commissions an account end to end, with a clear message for every bad input', async () => {
    expect(await ask('acct')).toEqual(['error: acct needs the read role, sign in with: login <pin>']);
    expect(await ask('login 9999')).toEqual(['error: wrong PIN (4 tries left before a lock-out)']);
    expect(await ask('login 3000')).toEqual(['signed in as technician']);
    expect(await ask('tariff set tou peak=0.85 flat=0.55 valley=0.30 workday=00:00/valley,08:00/flat,18:00/peak,22:00/valley')).toEqual(['plan tou set']);
    expect(await ask('tariff set tou workday=08:00/peak')).toEqual(['error: plans.tou.workday[0]: the first period must start at 00:00']);
    expect(await ask('acct open R2 plan=tuo')).toEqual(['error: account R2 plan: unknown plan "tuo" (known: flat, tou)']);
    expect(await ask('acct open R2 plan=tou alarms=20,10,5 limit=2 friendly=22:00-07:00')).toEqual(['account R2 opened']);
    // the token identity is part of the account's configuration (set at commissioning)
    const cfg = (await ask('config export')).filter((l) => l !== 'BEGIN CONFIG' && l !== 'END CONFIG').join('');
    const raw = JSON.parse(cfg);
    raw.accounts[1].token = { key: KEY, start: START, unit: 1000 };
    expect(await ask('config import')).toEqual(['paste the configuration, then a line END CONFIG']);
    const text = JSON.stringify(raw);
    for (let i = 0; i < text.length; i += 70) port.write(text.substr(i, 70) + '\r');
    expect((await ask('END CONFIG')).slice(-1)).toEqual(['configuration imported']);
    expect(await ask('meter add M2 acct=R2 proto=dlt645 addr=000000000161')).toEqual(['meter M2 added to R2']);
    expect(await ask('meter add M3 acct=R2 proto=modbus addr=2 profile=sdm120')).toEqual(['meter M3 added to R2']);
    expect(await ask('meter add M4 acct=R9')).toEqual(['error: no account "R9" (see: acct)']);
    expect((await ask('acct R2'))[1]).toMatch(/^R2 .* M2,M3$/);
    expect(await ask('topup R2 12,50')).toEqual(['error: amount must be an amount like 25 or 12.50 (at most 3 decimals), got "12,50"']);
    const receipt = await ask('topup R2 50');
    expect(receipt[0]).toMatch(/^RECEIPT #\d+ 2026-03-02 \d\d:\d\d:\d\d R2 topup 50\.000 balance 50\.000 by technician$/);
    const t = vendToken({ key: KEY, startingCode: START, count: 1, type: 'add', value: 20 });
    if (!t.ok) throw new Error(t.error);
    const tok = await ask('token R2 ' + t.token.substr(0, 3) + ' ' + t.token.substr(3, 3) + ' ' + t.token.substr(6));
    expect(tok[0]).toBe('TOKEN R2 add 20.000 count ' + t.count);
    expect(tok[1]).toMatch(/^RECEIPT #\d+ .* R2 topup 20\.000 balance 70\.000 by token$/);
    expect(await ask('token R2 ' + t.token)).toEqual(['error: token already used']);
    const short = await ask('token R2 12345678');
    expect(short).toHaveLength(1);
    expect(short[0]).toMatch(/^error: token: 8 digits; expected 9/);
    expect(await ask('token R2 123456789')).toEqual(['error: token invalid (1 more before a lock-out)']);
    expect((await ask('acct R2'))[1]).toMatch(/^R2\s+70\.000 /);
    expect(await ask('relay R2 on')).toEqual(['event R2 mode-on', 'R2 relay on, mode on']);
    expect(await ask('relay R2 maybe')).toEqual(['error: usage: relay <account> on|off|auto|reset']);
    const log = await ask('log acct=R2');
    expect(log.some((l) => / ledger #\d+ R2 topup 50\.000 balance 50\.000$/.test(l))).toBe(true);
    expect(log.some((l) => / event R2 mode-on$/.test(l))).toBe(true);
    const cmds = await ask('log kind=command');
    expect(cmds.some((l) => /technician: acct open R2 plan=tou/.test(l))).toBe(true);
  });
});
