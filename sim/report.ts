// Text and JSON reports of a run; the text fits an 80-column terminal.
import { RunSummary } from './record';
import { milli } from './money';

export { milli } from './money';

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' ');
}

/** Words of text in lines of at most `width` characters, continuation lines indented. */
export function wrap(text: string, width = 80, indent = '  '): string[] {
  const lead = /^ */.exec(text)![0];
  const out: string[] = [];
  let line = lead;
  for (const w of text.slice(lead.length).split(' ')) {
    if (line.trim() && line.length + 1 + w.length > width) {
      out.push(line);
      line = indent + w;
    } else line = line.trim() ? line + ' ' + w : line + w;
  }
  if (line.trim()) out.push(line);
  return out;
}

/** The per-account summary table with its totals row, the ledger check and the warnings. */
export function formatSummary(s: RunSummary): string {
  const w = [8, 10, 10, 10, 11, 6, 4, 5, 8];
  const lines: string[] = [];
  lines.push(...wrap(s.name));
  lines.push(s.hours + ' h simulated, ' + s.readings + ' readings, ' + s.ledgerEntries + ' ledger entries, ' + s.decisions + ' decisions');
  lines.push('');
  lines.push(row(['account', 'energy kWh', 'charged', 'top-ups', 'balance', 'alarms', 'cuts', 'trips', 'min off'], w));
  for (const a of s.accounts.concat([s.totals])) {
    lines.push(row([a.name, milli(a.energyWh), milli(a.chargedMilli), milli(a.topupsMilli), milli(a.balanceMilli), String(a.alarms), String(a.cutoffs), String(a.trips), String(Math.round(a.minutesOff))], w));
  }
  lines.push('');
  lines.push('money in currency units (3 decimals = milli), energy in kWh');
  const l = s.ledger;
  lines.push(...wrap('ledger check: ' + (l.consistent ? 'balances = opening + sum of entries; every registered Wh billed' + (l.notes.length ? ', except:' : '') : 'INCONSISTENT')));
  for (const p of l.problems) lines.push(...wrap('  ' + p, 80, '    '));
  for (const n of l.notes) lines.push(...wrap('  ' + n, 80, '    '));
  if (s.warnings.length) {
    lines.push('');
    lines.push('warnings:');
    for (const x of s.warnings) lines.push(...wrap('  ' + x, 80, '    '));
  }
  return lines.join('\n') + '\n';
}
