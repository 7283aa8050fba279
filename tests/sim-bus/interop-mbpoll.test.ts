// Interop: an independent Modbus master (mbpoll) reads our virtual SDM120 and drives our virtual
// DDS238-2 over a socat pty pair, in real time. Needs socat and mbpoll (Debian packages; .ci/run
// installs them). Every child is bounded by `timeout` and only our own children are stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openPtyBridge, PtyBridge, realClock } from '../../sim/pty-bridge';
import { DDS238, SDM120, VirtualModbusMeter } from '../../sim/virtual-modbus-meter';

function has(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// .ci/run installs socat and mbpoll; elsewhere the suite skips when they are missing, in CI it fails.
function missingTools(): string {
  const still = ['socat', 'mbpoll'].filter((t) => !has(t));
  return still.length ? 'skipped: ' + still.join(' and ') + ' missing (apt-get install -y socat mbpoll)' : '';
}

const why = missingTools();
if (why && process.env.CI) throw new Error('interop-mbpoll ' + why);
if (why) console.warn('interop-mbpoll ' + why);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-bus-pty-'));
const A = path.join(dir, 'bridge');
const B = path.join(dir, 'master');
let socat: ChildProcess | null = null;
let bridge: PtyBridge | null = null;
const clock = realClock();
const sdm = new VirtualModbusMeter(clock, null, SDM120, { id: 1, turnaroundMs: 5 });
const dds = new VirtualModbusMeter(clock, null, DDS238, { id: 2, turnaroundMs: 5 });

/** Runs mbpoll once against the master end; resolves with its output and exit code. */
function mbpoll(args: string[], writeValues: string[] = []): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('timeout', ['15', 'mbpoll', '-m', 'rtu', '-b', '9600', '-P', 'none', '-o', '0.5', '-1', ...args, B, ...writeValues], (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code: code, out: stdout + stderr });
    });
  });
}

/** The values mbpoll printed, by reference. */
function values(out: string): { [ref: number]: number } {
  const v: { [ref: number]: number } = {};
  for (const m of out.matchAll(/^\[(\d+)\]:\s+(-?[\d.e+-]+)/gm)) v[Number(m[1])] = Number(m[2]);
  return v;
}

describe.skipIf(why !== '')('interop: mbpoll against the virtual meters over a pty', () => {
  beforeAll(async () => {
    socat = spawn('timeout', ['120', 'socat', '-d', '-d', 'pty,raw,echo=0,link=' + A, 'pty,raw,echo=0,link=' + B], { stdio: 'ignore' });
    const t0 = Date.now();
    while (!(fs.existsSync(A) && fs.existsSync(B))) {
      if (Date.now() - t0 > 5000) throw new Error('socat made no pty pair in 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    sdm.model.voltageV = 230.1;
    sdm.model.currentOverrideA = 5.25;
    sdm.model.setEnergy(120000, 3456);
    dds.model.setEnergy(123456, 789);
    bridge = await openPtyBridge({ path: A, meters: [sdm, dds] });
  });

  afterAll(async () => {
    if (bridge) await bridge.close();
    clock.stop();
    if (socat && socat.exitCode === null) socat.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the SDM120 import and export energies (input registers, big-endian floats)', async () => {
    const r = await mbpoll(['-a', '1', '-t', '3:float', '-B', '-0', '-r', '72', '-c', '2']);
    expect(r.code, r.out).toBe(0);
    expect(values(r.out)).toEqual({ 72: 1200, 74: 34.56 });
  });

  it('reads voltage, current and power as the meter holds them, and the total', async () => {
    sdm.model.setPowerW(1207.5);
    const r = await mbpoll(['-a', '1', '-t', '3:float', '-B', '-0', '-r', '0', '-c', '7']);
    sdm.model.setPowerW(0);
    expect(r.code, r.out).toBe(0);
    const v = values(r.out);
    expect(v[0]).toBeCloseTo(230.1, 4);
    expect(v[6]).toBe(5.25);
    expect(v[12]).toBe(1207.5);
    const t = await mbpoll(['-a', '1', '-t', '3:float', '-B', '-0', '-r', '342', '-c', '1']);
    expect(values(t.out)[342]).toBeCloseTo((sdm.model.importCkwh() + sdm.model.exportTotalCkwh()) / 100, 2);
  });

  it('DDS238-2: energies as uint32 holding registers; the relay obeys function 16, not function 06', async () => {
    const r = await mbpoll(['-a', '2', '-t', '4:int', '-B', '-0', '-r', '0', '-c', '1']);
    expect(r.code, r.out).toBe(0);
    expect(values(r.out)[0]).toBe(123456 + 789);
    expect(dds.model.relayOpen).toBe(false);
    const w06 = await mbpoll(['-a', '2', '-t', '4', '-0', '-r', '26'], ['0']); // one value: function 06
    expect(w06.code, w06.out).toBe(0);
    expect(w06.out).toMatch(/Written 1 references/);
    expect(dds.model.relayOpen).toBe(false); // answered, ignored
    const w16 = await mbpoll(['-a', '2', '-t', '4', '-0', '-r', '26'], ['0', '0']); // two values: function 16
    expect(w16.code, w16.out).toBe(0);
    expect(dds.model.relayOpen).toBe(true);
    const on = await mbpoll(['-a', '2', '-t', '4', '-0', '-r', '26'], ['1', '0']);
    expect(on.code, on.out).toBe(0);
    expect(dds.model.relayOpen).toBe(false);
  });

  it('faults show to an independent master: bad CRC and silence are timeouts/errors, an unknown register an exception', async () => {
    sdm.faults.badChecksum = true;
    const bad = await mbpoll(['-a', '1', '-t', '3:float', '-B', '-0', '-r', '72', '-c', '1']);
    sdm.faults.badChecksum = false;
    expect(values(bad.out)[72]).toBeUndefined();
    sdm.faults.silent = true;
    const silent = await mbpoll(['-a', '1', '-t', '3:float', '-B', '-0', '-r', '72', '-c', '1']);
    sdm.faults.silent = false;
    expect(silent.out).toMatch(/timed out/i);
    const ex = await mbpoll(['-a', '1', '-t', '3:float', '-B', '-0', '-r', '512', '-c', '1']);
    expect(ex.out).toMatch(/Illegal data address/i);
    const ok = await mbpoll(['-a', '1', '-t', '3:float', '-B', '-0', '-r', '72', '-c', '1']);
    expect(values(ok.out)[72]).toBe(1200);
  });
});
