// The golden-trace replay's printed form, one source for `npm run replay` (Node) and
// dist/lua/replay.lua (the same code compiled to Lua), so both print the same bytes.
// Pure: no Node API, no I/O (JSON.parse is JavaScript's, or the Lua prelude's).
import { Core, accountState, formatDecision, meterState } from '../firmware/core';
import { parseConfig } from '../firmware/config';
import { saveLedger } from '../firmware/billing/ledger';
import { TraceEvent, parseStamp, toCoreEvent } from '../firmware/replay';
import { nameAt } from '../firmware/tables';

/** A golden trace as in tests/vectors/*.json. */
export interface Trace {
  title?: string;
  config: unknown;
  steps: { event: TraceEvent; expect?: string[] }[];
}

/** What to print besides each step's decisions. */
export interface ReplayOptions {
  /** Compare with each step's `expect` and mark the steps that differ. */
  check?: boolean;
  /** After each trace, every account's and meter's state and the ledger (core.ts accountState,
   *  meterState; ledger.ts saveLedger), as numbers. */
  state?: boolean;
}

/** The printed lines of a file's traces, and how many steps differ from their expectation. */
export interface ReplayText {
  lines: string[];
  differ: number;
}

function numbers(v: number[]): string {
  let s = '';
  for (let i = 0; i < v.length; i++) s += (i ? ' ' : '') + String(v[i]);
  return s;
}

/** The state lines of a core: `account <name> <numbers>`, `meter <name> <numbers>`, `ledger <numbers>`. */
export function stateLines(core: Core): string[] {
  const lines: string[] = [];
  const a = core.cfg.accounts;
  for (let i = 0; i < a.n; i++) lines.push('account ' + nameAt(a.names, i) + ' ' + numbers(accountState(core, i)));
  const m = core.cfg.meters;
  for (let i = 0; i < m.n; i++) lines.push('meter ' + nameAt(m.names, i) + ' ' + numbers(meterState(core, i)));
  lines.push('ledger ' + numbers(saveLedger(core.ledger)));
  return lines;
}

function same(a: string[], b: string[] | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Replays one trace into out; returns how many steps differ from their expectation. */
export function replayTrace(name: string, trace: Trace, opts: ReplayOptions, out: string[]): number {
  out.push('# ' + name + ': ' + trace.title);
  const parsed = parseConfig(trace.config);
  const core = parsed.ok ? new Core(parsed.value) : null;
  let differ = 0;
  for (let i = 0; i < trace.steps.length; i++) {
    const s = trace.steps[i];
    const lines: string[] = [];
    if (!parsed.ok) {
      if (i === 0) lines.push('error ' + parsed.error);
    } else if (core) {
      const ev = toCoreEvent(core, s.event);
      const ds = ev ? core.handle(ev) : core.start(parseStamp(s.event.at));
      for (let j = 0; j < ds.length; j++) lines.push(formatDecision(ds[j]));
    }
    const ok = same(lines, s.expect);
    if (!ok) differ++;
    out.push(String(s.event.at) + ' ' + s.event.t + (opts.check && !ok ? '   <-- differs' : ''));
    for (let j = 0; j < lines.length; j++) out.push('  ' + lines[j]);
    if (opts.check && !ok && s.expect) for (let j = 0; j < s.expect.length; j++) out.push('  expected: ' + s.expect[j]);
  }
  if (opts.state && core) {
    const st = stateLines(core);
    for (let j = 0; j < st.length; j++) out.push('  ' + st[j]);
  }
  return differ;
}

/** Replays the JSON text of a trace file: one trace, or a list of traces (named file[i]). */
export function replayText(file: string, text: string, opts: ReplayOptions): ReplayText {
  const out: string[] = [];
  let differ = 0;
  const t = JSON.parse(text) as Trace | Trace[];
  if (t instanceof Array) for (let i = 0; i < t.length; i++) differ += replayTrace(file + '[' + i + ']', t[i], opts, out);
  else differ += replayTrace(file, t, opts, out);
  return { lines: out, differ: differ };
}
