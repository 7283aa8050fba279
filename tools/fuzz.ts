// Long fuzz runs: `npm run fuzz -- N` runs every fuzzer of tests/fuzz/fuzzers.ts (the ones the
// test suite runs with a fixed seed) N times, each time with a random seed, and prints the
// seed and, for a failure, the shrunk counterexample and how to replay it.
//
//   npm run fuzz -- 20                         every fuzzer 20 times
//   npm run fuzz -- 5 --only console,scenario  only these fuzzers
//   npm run fuzz -- 5 --runs 2000              2000 inputs per seed instead of each fuzzer's own count
//   npm run fuzz -- --only config-binary --seed 123 --path 4:1:0    replay one failure
//   npm run fuzz -- 5 --strict                 also fail on the known bugs the suite skips
import { randomInt } from 'crypto';
import fc from 'fast-check';
import { excused, fuzzers, KNOWN_BUGS } from '../tests/fuzz/fuzzers';

function usage(msg: string): never {
  console.error('error: ' + msg);
  console.error('usage: npm run fuzz -- [N] [--only a,b] [--runs R] [--seed S [--path P]] [--strict]');
  console.error('fuzzers: ' + fuzzers.map((f) => f.name).join(', '));
  process.exit(2);
}

const args = process.argv.slice(2);
let times = 1;
let only: string[] | null = null;
let runs = 0;
let seed: number | null = null;
let replayPath: string | undefined;
let strict = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const next = (): string => {
    if (i + 1 >= args.length) usage(a + ' needs a value');
    return args[++i];
  };
  if (a === '--only') only = next().split(',');
  else if (a === '--runs') runs = Number(next());
  else if (a === '--seed') seed = Number(next());
  else if (a === '--path') replayPath = next();
  else if (a === '--strict') strict = true;
  else if (/^\d+$/.test(a)) times = Number(a);
  else usage('unknown argument "' + a + '"');
}
if (!(times >= 1)) usage('N must be 1 or more');
if (runs && !(runs >= 1 && Number.isInteger(runs))) usage('--runs needs a whole number');
if (seed !== null && !Number.isInteger(seed)) usage('--seed needs a whole number');
if (replayPath !== undefined && seed === null) usage('--path needs --seed');
const chosen = only ? fuzzers.filter((f) => only!.indexOf(f.name) >= 0) : fuzzers;
if (only) for (const n of only) if (!fuzzers.some((f) => f.name === n)) usage('no fuzzer "' + n + '"');

let failures = 0;
const started = Date.now();
for (let t = 1; t <= times; t++) {
  for (const f of chosen) {
    const s = seed !== null ? seed : randomInt(-2147483648, 2147483647);
    const numRuns = runs || f.runs;
    const t0 = Date.now();
    // Every property is synchronous: check gives its details at once.
    const d = fc.check(f.property({ strict }), { seed: s, numRuns, path: replayPath, endOnFailure: replayPath !== undefined }) as fc.RunDetails<unknown>;
    const ms = Date.now() - t0;
    const head = f.name.padEnd(16) + ' ' + (t + '/' + times).padStart(7) + '  seed ' + String(s).padStart(11);
    if (!d.failed) {
      console.log(head + '  ok: ' + d.numRuns + ' inputs' + (d.numSkips ? ' (' + d.numSkips + ' skipped)' : '') + ' in ' + ms + ' ms');
      continue;
    }
    failures++;
    console.log(head + '  FAILED after ' + d.numRuns + ' inputs');
    console.log(fc.defaultReportMessage(d));
    const e = d.errorInstance;
    console.log('error: ' + (e instanceof Error ? e.message : String(e)));
    console.log('replay: npm run fuzz -- --only ' + f.name + ' --seed ' + s + ' --path ' + d.counterexamplePath + (strict ? ' --strict' : ''));
  }
}
for (const b of KNOWN_BUGS) {
  if (excused[b.id]) console.log('known bug ' + b.id + ' (' + b.fuzzer + '): ' + excused[b.id] + ' input(s) skipped: ' + b.summary);
}
console.log((failures ? failures + ' failed' : 'no failures') + ' in ' + times * chosen.length + ' fuzzer runs, ' + Math.round((Date.now() - started) / 1000) + ' s');
process.exit(failures ? 1 : 0);
