// Runs every bench/*.ts in alphabetical order, each in its own ts-node process so that one
// benchmark's state or failure cannot colour another's figures; prints their output as it comes.
//   npm run bench             npm run bench -- bundle-size tokens   (only those)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const BENCH = path.join(ROOT, 'bench');

/** The benchmark scripts, alphabetically, optionally only those named. */
export function benchFiles(only: string[] = []): string[] {
  return fs
    .readdirSync(BENCH)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .filter((f) => only.length === 0 || only.indexOf(f.slice(0, -3)) >= 0)
    .sort();
}

function main(): void {
  const files = benchFiles(process.argv.slice(2));
  if (files.length === 0) {
    console.error('bench: no benchmark matched');
    process.exit(2);
  }
  const tsNode = require.resolve('ts-node/dist/bin.js');
  let failed = 0;
  for (const f of files) {
    console.log('== bench/' + f);
    const started = Date.now();
    const r = spawnSync(process.execPath, [tsNode, path.join(BENCH, f)], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) {
      failed++;
      console.log('   bench/' + f + ' FAILED (exit ' + r.status + ')');
    }
    console.log('   (' + ((Date.now() - started) / 1000).toFixed(1) + ' s)');
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) main();
