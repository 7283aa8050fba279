// The uplink's programs as an operator runs them (the head-end's CLI, the fleet's), for the tests.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** A program (the head-end's CLI by default) as an operator runs it: lines it printed, lines typed to it. */
export class HeadendProcess {
  out: string[] = [];
  p: ChildProcess;
  constructor(args: string[], program = path.join('tools', 'headend', 'cli.ts')) {
    this.p = spawn(process.execPath, [path.join(ROOT, 'node_modules', '.bin', 'ts-node'), path.join(ROOT, program), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    const take = (d: Buffer) => {
      buf += d.toString();
      const l = buf.split('\n');
      buf = l.pop()!;
      this.out.push(...l);
    };
    this.p.stdout!.on('data', take);
    this.p.stderr!.on('data', take);
  }
  type(line: string): void {
    this.p.stdin!.write(line + '\n');
  }
  async until(test: (l: string) => boolean, ms = 20000): Promise<string> {
    const t0 = Date.now();
    for (;;) {
      const l = this.out.find(test);
      if (l) return l;
      if (Date.now() - t0 > ms) throw new Error('not printed in ' + ms + ' ms; printed:\n' + this.out.join('\n'));
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  count(re: RegExp): number {
    return this.out.filter((l) => re.test(l)).length;
  }
}

