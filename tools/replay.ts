// Replays golden traces and prints the decisions: `npm run replay -- tests/vectors/overload.json`.
// With --check, compares with each step's "expect" and exits 1 on a difference.
import { Command } from 'commander';
import * as fs from 'fs';
import { replay } from '../firmware/replay';

const program = new Command();
program
  .name('replay')
  .argument('<trace...>', 'trace JSON files')
  .option('--check', 'compare with the expected decisions')
  .action((files: string[], opts: { check?: boolean }) => {
    let bad = 0;
    for (const f of files) {
      const t = JSON.parse(fs.readFileSync(f, 'utf8'));
      const steps: { event: { t: string; at: string }; expect: string[] }[] = t.steps;
      const out = replay(t.config, steps.map((s) => s.event));
      console.log('# ' + f + ': ' + t.title);
      steps.forEach((s, i) => {
        const lines = out[i] || [];
        const same = JSON.stringify(lines) === JSON.stringify(s.expect);
        if (!same) bad++;
        console.log(s.event.at + ' ' + s.event.t + (opts.check && !same ? '   <-- differs' : ''));
        for (const l of lines) console.log('  ' + l);
        if (opts.check && !same) for (const l of s.expect) console.log('  expected: ' + l);
      });
    }
    if (opts.check) console.log(bad ? bad + ' step(s) differ' : 'all steps as expected');
    process.exit(opts.check && bad ? 1 : 0);
  });
program.parse();
