// The operator's view (issue 13's "done when"): `npm run headend -- serve` on a real broker and a
// simulated fleet (`npm run fleet`) sending to it; the head-end then shows every unit's accounts'
// balances and events, from its database too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startBroker } from './broker';
import type { Broker } from '../../sim/mosquitto';
import { HeadendProcess } from './processes';

const ROOT = path.join(__dirname, '..', '..');
const tsNode = path.join(ROOT, 'node_modules', '.bin', 'ts-node');

describe('npm run headend with a simulated fleet', () => {
  let broker: Broker;
  let dir: string;
  beforeAll(async () => {
    broker = await startBroker();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-cli-'));
  });
  afterAll(async () => {
    if (broker) await broker.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the balances and events of the fleet\'s units', async () => {
    const units = spawnSync(process.execPath, [tsNode, 'tools/fleet.ts', 'units', '--floors', '2', '--seed', '3'], { cwd: ROOT, encoding: 'utf8' });
    expect(units.status).toBe(0);
    fs.writeFileSync(path.join(dir, 'units.json'), units.stdout);
    const db = path.join(dir, 'h.sqlite');
    const he = new HeadendProcess(['serve', '--broker', 'mqtt://127.0.0.1:' + broker.port, '--units', path.join(dir, 'units.json'), '--db', db]);
    try {
      await he.until((l) => /^subscribed/.test(l));
      const fleet = new HeadendProcess(['run', '--broker', 'mqtt://127.0.0.1:' + broker.port, '--floors', '2', '--days', '1', '--seed', '3'], 'tools/fleet.ts');
      await fleet.until((l) => /^done: /.test(l), 60000);
      await he.until((l) => /^state floor02 offline/.test(l) || /^state floor01 offline/.test(l));
      he.type('balances floor02');
      await he.until((l) => /floor02 R332 /.test(l));
      const acct = he.out.filter((l) => /^(balance )?floor02 R3\d\d /.test(l) || /floor02 COMMON/.test(l));
      expect(acct.length).toBeGreaterThanOrEqual(33);
      he.type('units');
      const u1 = await he.until((l) => /^unit floor01 /.test(l));
      expect(u1).toMatch(/stored [1-9]\d+/);
      he.type('quit');
      await new Promise((r) => he.p.on('exit', r));
      // the database file: events and ledger entries of both units
      const ev = spawnSync(process.execPath, [tsNode, 'tools/headend/cli.ts', 'export', '--kind', 'events', '--units', path.join(dir, 'units.json'), '--db', db], { cwd: ROOT, encoding: 'utf8' });
      expect(ev.status).toBe(0);
      const lines = ev.stdout.trim().split(/\r?\n/);
      expect(lines.filter((l) => /^floor01,/.test(l)).length).toBeGreaterThan(5);
      expect(lines.filter((l) => /^floor02,/.test(l)).length).toBeGreaterThan(5);
      const bal = spawnSync(process.execPath, [tsNode, 'tools/headend/cli.ts', 'balances', '--units', path.join(dir, 'units.json'), '--db', db], { cwd: ROOT, encoding: 'utf8' });
      expect(bal.stdout.split('\n').filter((l) => /floor0[12] /.test(l)).length).toBe(66);
    } finally {
      he.p.kill();
    }
  }, 120000);
});
