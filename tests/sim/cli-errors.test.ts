// Simulator start-up mistakes give one line, not a stack trace, and a foreign EEPROM file is
// refused and left untouched unless --format-eeprom is given (issue 11).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { checkLiveOptions, runLive } from '../../sim/live';
import { Simulation } from '../../sim/runner';
import { StartError } from '../../sim/start-error';
import { DEFAULT_PART, PARTS } from '../../sim/storage-rig';
import { example, exampleScenario } from './example';

const ROOT = path.join(__dirname, '../..');

/** The CLI on a short scenario: exit code and output. */
function cli(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
  const file = path.join(dir, 'sc.json');
  fs.writeFileSync(file, JSON.stringify({ ...example, durationHours: 1 }));
  const r = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), path.join(ROOT, 'sim/cli.ts'), file, '--no-progress', ...args], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0];
}

describe('simulator start-up errors', () => {
  it('a wrong-size, a foreign and a non-numeric --tcp: one line each, exit 2; the foreign file untouched', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ee-'));
    const small = path.join(dir, 'small.bin');
    fs.writeFileSync(small, Buffer.alloc(1000, 7));
    let r = cli(['--eeprom', small]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('error: the EEPROM file ' + small + " holds 1000 bytes, but this scenario's AT24CM01 holds 131072: give the file of a unit with that part, or a new file name");
    const foreign = path.join(dir, 'foreign.bin');
    const bytes = Buffer.alloc(PARTS[DEFAULT_PART].size);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
    fs.writeFileSync(foreign, bytes);
    r = cli(['--eeprom', foreign]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: the EEPROM file .*foreign\.bin is not a unit's EEPROM image .* it was left untouched\. Pass --format-eeprom/);
    expect(fs.readFileSync(foreign).equals(bytes)).toBe(true);
    r = cli(['--live', '--tcp', 'abc']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('error: --tcp needs a whole number 0..65535, got "abc"');
  }, 120000);

  it('a busy --tcp port: one line, exit 2', async () => {
    const busy = net.createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = cli(['--live', '--tcp', String(port)]);
      expect(r.status).toBe(2);
      expect(oneLine(r.stderr)).toBe('error: TCP port ' + port + ' is in use: pick another with --tcp (0: any free port)');
    } finally {
      busy.close();
    }
  }, 120000);

  it('--format-eeprom formats a foreign file on purpose; the next run boots from it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ee-'));
    const file = path.join(dir, 'foreign.bin');
    fs.writeFileSync(file, Buffer.alloc(PARTS[DEFAULT_PART].size, 0x5a));
    expect(() => new Simulation(exampleScenario(1), () => undefined, undefined, { eepromFile: file })).toThrow(StartError);
    const sim = new Simulation(exampleScenario(1), () => undefined, undefined, { eepromFile: file, formatEeprom: true });
    sim.run();
    expect(sim.log.some((e) => e.kind === 'boot' && /EEPROM header unreadable: formatted/.test(e.text))).toBe(true);
    const out: string[] = [];
    new Simulation(exampleScenario(1), (l) => out.push(l), undefined, { eepromFile: file });
    expect(out.some((l) => /restored 33 of 33 accounts/.test(l))).toBe(true);
  });

  it('--pty without socat on PATH, --pty or --tcp without --live: one line each, exit 2', () => {
    const noSocat = fs.mkdtempSync(path.join(os.tmpdir(), 'nopath-'));
    const pty = path.join(noSocat, 'tty');
    let r = cli(['--live', '--pty', pty], { ...process.env, PATH: noSocat });
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('error: --pty needs socat, which was not found on PATH (Debian: apt-get install socat)');
    r = cli(['--pty', pty]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('error: --pty serves the live console: add --live');
    r = cli(['--tcp', '4000']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('error: --tcp serves the live console: add --live');
  }, 120000);

  it('an --eeprom or --pty path in a missing folder, and a --pty path that is a file: one line before the run, exit 2; the file untouched', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paths-'));
    const missing = path.join(dir, 'no-such-folder', 'x');
    let r = cli(['--eeprom', missing]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe(''); // refused before the run, not after it
    expect(oneLine(r.stderr)).toBe('error: cannot keep the EEPROM in ' + missing + ': the folder ' + path.dirname(missing) + ' does not exist');
    r = cli(['--live', '--pty', missing]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('error: cannot make the pseudo-terminal ' + missing + ': the folder ' + path.dirname(missing) + ' does not exist');
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'keep me');
    r = cli(['--live', '--pty', file]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('error: --pty ' + file + ' exists and is not a link socat made: give a new path (socat would delete it)');
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  }, 120000);

  it('--pty without socat on PATH, and a port out of range, are refused before anything starts', () => {
    const saved = process.env.PATH;
    process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), 'nopath-'));
    try {
      expect(() => checkLiveOptions({ speed: 60, terminal: false, echo: false, tcpPort: 0, ptyPath: '/tmp/x' })).toThrow('--pty needs socat, which was not found on PATH (Debian: apt-get install socat)');
    } finally {
      process.env.PATH = saved;
    }
    expect(() => checkLiveOptions({ speed: 60, terminal: false, echo: false, tcpPort: 70000 })).toThrow('--tcp needs a port number 0..65535 (0: any free port)');
    expect(() => runLive(exampleScenario(1), { speed: 60, terminal: false, echo: false, tcpPort: -1 })).toThrow(StartError);
  });
});
