// CSV files of a run (or of every unit of a site): per account per day, per meter per day,
// the ledger, the top-ups tried, the timeline, and a unit's text messages when it has a modem.
// Money in currency units with three decimals, energy in kWh with three; times local
// "YYYY-MM-DD HH:MM". Same run, same bytes.
import { RunRecord, localStamp, smsRows } from './record';
import { milli } from './money';
import { PERIOD_NAMES } from './unit-view';

/** A record with the name of the unit it came from ('' for a single-unit run). */
export interface UnitRecord {
  unit: string;
  record: RunRecord;
}

/** One CSV field, quoted when it holds a comma, a quote or a line break. */
export function csvField(v: string | number | boolean): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function table(header: string[], rows: (string | number | boolean)[][]): string {
  const out = [header.join(',')];
  for (const r of rows) out.push(r.map(csvField).join(','));
  return out.join('\n') + '\n';
}

/** The CSV files by file name. A site's files lead with a `unit` column. */
export function csvFiles(units: UnitRecord[]): { [file: string]: string } {
  const site = units.length > 1 || (units.length === 1 && units[0].unit !== '');
  const lead = (u: UnitRecord): string[] => (site ? [u.unit] : []);
  const head = (cols: string[]): string[] => (site ? ['unit'].concat(cols) : cols);
  const accounts: (string | number)[][] = [];
  const meters: (string | number)[][] = [];
  const ledger: (string | number)[][] = [];
  const topups: (string | number | boolean)[][] = [];
  const events: (string | number)[][] = [];
  const sms: (string | number)[][] = [];
  let hasSms = false;
  for (const u of units) {
    const r = u.record;
    const off = r.utcOffsetS;
    for (const d of r.accountDays) {
      accounts.push([...lead(u), d.day, d.account, milli(d.energyWh), ...d.periodWh.map(milli), milli(d.chargedMilli), milli(d.topupsMilli), d.topupCount, d.refusedTopups, milli(d.balanceMilli), d.minutesOff, d.alarms, d.cuts]);
    }
    for (const d of r.meterDays) {
      meters.push([...lead(u), d.day, d.meter, d.account, d.readings, milli(d.importWh), milli(d.exportWh), d.requests, d.retries, d.goodReplies, d.badReplies, d.unanswered, d.lostMinutes]);
    }
    const rows = r.ledger.slice().sort((a, b) => a.time - b.time || Number(a.seq.split('-')[0]) - Number(b.seq.split('-')[0]));
    for (const l of rows) ledger.push([...lead(u), l.seq, localStamp(l.time, off), l.account, l.kind, l.entries, milli(l.amountMilli), milli(l.balanceMilli), l.ref]);
    for (const t of r.topups) topups.push([...lead(u), localStamp(t.time, off), t.account, milli(t.amountMilli), t.source, t.accepted ? 'yes' : 'no', t.reason, milli(t.balanceMilli)]);
    for (const e of r.timeline) events.push([...lead(u), localStamp(e.time, off), e.account, e.kind, e.code, e.kind === 'alarm' || e.kind === 'cut' || e.kind === 'reconnect' || e.kind === 'off' || e.kind === 'refused' ? milli(e.value) : e.value]);
    if (r.sms) {
      hasSms = true;
      for (const x of smsRows(r.sms)) sms.push([...lead(u), localStamp(x.time, off), x.direction, x.number, x.text, x.made, x.direction !== 'in' ? '' : x.readAt >= 0 ? localStamp(x.readAt, off) : 'never']);
    }
  }
  return {
    'accounts-daily.csv': table(head(['day', 'account', 'energy_kwh'].concat(PERIOD_NAMES.map((p) => p.replace('-', '_') + '_kwh'), ['charged', 'topups', 'topup_count', 'refused_topups', 'balance', 'minutes_off', 'alarms', 'cuts'])), accounts),
    'meters-daily.csv': table(head(['day', 'meter', 'account', 'readings', 'import_kwh', 'export_kwh', 'bus_requests', 'bus_retries', 'bus_good_replies', 'bus_bad_replies', 'bus_unanswered', 'lost_minutes']), meters),
    'ledger.csv': table(head(['entry', 'time', 'account', 'kind', 'entries', 'amount', 'balance', 'ref']), ledger),
    'topups.csv': table(head(['time', 'account', 'amount', 'source', 'accepted', 'reason', 'balance']), topups),
    'events.csv': table(head(['time', 'account', 'kind', 'code', 'value']), events),
    ...(hasSms ? { 'sms.csv': table(head(['time', 'direction', 'number', 'text', 'made', 'read']), sms) } : {}),
  };
}
