// Writes a run's report folder: report.html, the CSV files, and summary.txt (the terminal
// summary). The folder is created if needed; files of an earlier report are replaced.
import * as fs from 'fs';
import * as path from 'path';
import { csvFiles, UnitRecord } from './report-csv';
import { reportData, reportHtml } from './report-html';
import { formatSummary } from './report';

/** Writes every file of the report into dir and returns their names. */
export function writeReport(dir: string, title: string, description: string, units: UnitRecord[]): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: { [name: string]: string } = { 'report.html': reportHtml(reportData(title, description, units)), ...csvFiles(units) };
  files['summary.txt'] = units.map((u) => (u.unit ? '== unit ' + u.unit + '\n' : '') + formatSummary(u.record.summary)).join('\n');
  for (const name of Object.keys(files)) fs.writeFileSync(path.join(dir, name), files[name]);
  return Object.keys(files);
}
