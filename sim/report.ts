// Text and JSON reports of a run; the text fits an 80-column terminal.
import { RunSummary, totalsOf } from './record';
import { milli } from './money';
import { UnitRecord } from './report-csv';

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
  const t = s.sms;
  if (t) lines.push(...wrap('text messages: ' + t.received + ' to the unit (' + t.read + ' read), ' + t.sent + ' from it; at the end the network holds ' + t.waiting + ' and the SIM ' + t.stored));
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

/** A site's summary: one row per unit with the site's totals, the ledger check of every unit,
 *  and the warnings. */
export function formatSiteSummary(name: string, units: UnitRecord[]): string {
  const w = [8, 5, 11, 11, 11, 11, 6, 5];
  const lines: string[] = [];
  lines.push(...wrap(name));
  const s0 = units[0].record.summary;
  const accounts = units.reduce((n, u) => n + u.record.summary.accounts.length, 0);
  const readings = units.reduce((n, u) => n + u.record.summary.readings, 0);
  lines.push(units.length + ' units, ' + accounts + ' accounts, ' + s0.hours + ' h simulated, ' + readings + ' readings');
  lines.push('');
  lines.push(row(['unit', 'accts', 'energy kWh', 'charged', 'top-ups', 'balance', 'alarms', 'cuts'], w));
  const all = units.map((u) => ({ ...u.record.summary.totals, name: u.unit }));
  for (const t of all.concat([{ ...totalsOf(all), name: 'total' }])) {
    const n = t.name === 'total' ? accounts : units.find((u) => u.unit === t.name)!.record.summary.accounts.length;
    lines.push(row([t.name, String(n), milli(t.energyWh), milli(t.chargedMilli), milli(t.topupsMilli), milli(t.balanceMilli), String(t.alarms), String(t.cutoffs)], w));
  }
  lines.push('');
  lines.push('money in currency units (3 decimals = milli), energy in kWh');
  const bad = units.filter((u) => !u.record.summary.ledgerConsistent).map((u) => u.unit);
  lines.push(...wrap('ledger check: ' + (bad.length ? 'INCONSISTENT in ' + bad.join(', ') : 'balances = opening + sum of entries; every registered Wh billed, in every unit')));
  for (const u of units) for (const x of u.record.summary.ledger.problems.concat(u.record.summary.ledger.notes)) lines.push(...wrap('  ' + u.unit + ': ' + x, 80, '    '));
  const warnings = units.reduce((n, u) => n + u.record.summary.warnings.length, 0);
  if (warnings) {
    lines.push('');
    lines.push('warnings (' + warnings + '):');
    let shown = 0;
    for (const u of units) {
      for (const x of u.record.summary.warnings) {
        if (shown++ < 20) lines.push(...wrap('  ' + u.unit + ': ' + x, 80, '    '));
      }
    }
    if (warnings > 20) lines.push('  ... and ' + (warnings - 20) + ' more in the report');
  }
  return lines.join('\n') + '\n';
}

/** A site's summary as one JSON object: every unit's summary and the site's totals. */
export function siteJson(name: string, units: UnitRecord[]): unknown {
  const totals = totalsOf(units.map((u) => u.record.summary.totals));
  totals.name = 'total';
  return { name, units: units.map((u) => ({ unit: u.unit, summary: u.record.summary })), totals, readings: units.reduce((n, u) => n + u.record.summary.readings, 0), ledgerConsistent: units.every((u) => u.record.summary.ledgerConsistent) };
}
