// Text and JSON reports of a run; the text fits an 80-column terminal.
import { RunSummary } from './runner';

/** Milli-units as a decimal string with three places, exact for integers ("-1.005"). */
export function milli(v: number): string {
  const neg = v < 0;
  const a = Math.abs(v);
  const s = Math.floor(a / 1000) + '.' + String(a % 1000).padStart(3, '0');
  return neg ? '-' + s : s;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' ');
}

/** The per-account summary table. */
export function formatSummary(s: RunSummary): string {
  const w = [8, 10, 10, 10, 11, 6, 4, 5, 8];
  const lines: string[] = [];
  lines.push(s.name);
  lines.push(s.hours + ' h simulated, ' + s.readings + ' readings, ' + s.ledgerEntries + ' ledger entries, ' + s.decisions + ' decisions');
  lines.push('');
  lines.push(row(['account', 'energy kWh', 'charged', 'top-ups', 'balance', 'alarms', 'cuts', 'trips', 'min off'], w));
  const tot = { e: 0, c: 0, t: 0, b: 0, al: 0, cut: 0, tr: 0, off: 0 };
  for (const a of s.accounts) {
    lines.push(row([a.name, milli(a.energyWh), milli(a.chargedMilli), milli(a.topupsMilli), milli(a.balanceMilli), String(a.alarms), String(a.cutoffs), String(a.trips), String(Math.round(a.minutesOff))], w));
    tot.e += a.energyWh; tot.c += a.chargedMilli; tot.t += a.topupsMilli; tot.b += a.balanceMilli;
    tot.al += a.alarms; tot.cut += a.cutoffs; tot.tr += a.trips; tot.off += a.minutesOff;
  }
  lines.push(row(['total', milli(tot.e), milli(tot.c), milli(tot.t), milli(tot.b), String(tot.al), String(tot.cut), String(tot.tr), String(Math.round(tot.off))], w));
  lines.push('');
  lines.push('money in currency units (3 decimals = milli), energy in kWh');
  lines.push('ledger check: ' + (s.ledgerConsistent ? 'balances = sum of entries; every registered Wh billed' : 'INCONSISTENT'));
  return lines.join('\n') + '\n';
}
