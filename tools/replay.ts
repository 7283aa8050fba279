// Replays golden traces and prints the decisions: `npm run replay -- tests/vectors/overload.json`.
// With --check, compares with each step's "expect" and exits 1 on a difference; with --state,
// prints every account's and meter's state and the ledger after each trace. A file holds one
// trace or a list of them. dist/lua/replay.lua prints the same bytes (tools/replay-text.ts).
import { Command } from 'commander';
import * as fs from 'fs';
import { replayText } from './replay-text';

const program = new Command();
program
  .name('replay')
  .argument('<trace...>', 'trace JSON files')
  .option('--check', 'compare with the expected decisions')
  .option('--state', 'print the accounts, meters and ledger after each trace')
  .action((files: string[], opts: { check?: boolean; state?: boolean }) => {
    let bad = 0;
    for (const f of files) {
      const r = replayText(f, fs.readFileSync(f, 'utf8'), opts);
      for (const l of r.lines) console.log(l);
      bad += r.differ;
    }
    if (opts.check) console.log(bad ? bad + ' step(s) differ' : 'all steps as expected');
    process.exit(opts.check && bad ? 1 : 0);
  });
program.parse();
