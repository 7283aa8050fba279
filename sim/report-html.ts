// The HTML report: one self-contained file (uPlot and its stylesheet inlined, the run's
// figures as JSON) that opens offline in any browser. Charts: balances, daily energy, the
// load curve, a timeline of alarms, cuts and reconnections, top-ups accepted and refused,
// per-meter bus health; tables: the summary with totals, the ledger check, warnings, a unit's
// text messages when it has a modem. A site report has the site's load and daily energy per
// unit, and a unit picker. Same run, same bytes.
import * as fs from 'fs';
import { RunRecord, RunSummary, localStamp, smsRows } from './record';
import { UnitRecord } from './report-csv';

/** What the page draws for one unit. Money in currency units, energy in kWh. */
export interface UnitData {
  name: string;
  accounts: string[];
  balance: { t: number[]; values: number[][] };
  daily: { t: number[]; days: string[]; kwh: number[][] };
  load: { t: number[]; watts: number[] };
  /** [time, account row, kind, label] */
  timeline: [number, number, string, string][];
  /** [time, account row, amount, accepted 1/0, reason] */
  topups: [number, number, number, number, string][];
  meters: { name: string; account: string; bus: boolean; readings: number; requests: number; retries: number; good: number; bad: number; unanswered: number; lostMinutes: number; importKwh: number; exportKwh: number }[];
  /** A unit with a modem: [time, 'in' | 'out' | 'modem', number, text], in time order; else null. */
  sms: [number, string, string, string][] | null;
  summary: RunSummary;
  start: string;
  end: string;
}

/** Everything the page needs. */
export interface ReportData {
  title: string;
  description: string;
  utcOffsetS: number;
  units: UnitData[];
  /** Site: load of all units together, and each unit's energy per day. */
  site: { load: { t: number[]; watts: number[] }; daily: { t: number[]; kwh: number[][] } } | null;
}

const K = (milli: number): number => milli / 1000;

/** The figures of one unit's record, shaped for the charts. */
export function unitData(name: string, r: RunRecord): UnitData {
  const row = new Map(r.accounts.map((a, i) => [a, i]));
  const days: string[] = [];
  for (const d of r.accountDays) if (days[days.length - 1] !== d.day) days.push(d.day);
  const dayIndex = new Map(days.map((d, i) => [d, i]));
  const kwh = r.accounts.map(() => days.map(() => 0));
  for (const d of r.accountDays) kwh[row.get(d.account)!][dayIndex.get(d.day)!] = K(d.energyWh);
  const meters = r.meters.map((m) => ({ name: m.name, account: m.account, bus: m.bus, readings: 0, requests: 0, retries: 0, good: 0, bad: 0, unanswered: 0, lostMinutes: 0, importKwh: 0, exportKwh: 0 }));
  const mi = new Map(r.meters.map((m, i) => [m.name, i]));
  for (const d of r.meterDays) {
    const m = meters[mi.get(d.meter)!];
    m.readings += d.readings;
    m.requests += d.requests;
    m.retries += d.retries;
    m.good += d.goodReplies;
    m.bad += d.badReplies;
    m.unanswered += d.unanswered;
    m.lostMinutes += d.lostMinutes;
    m.importKwh += d.importWh;
    m.exportKwh += d.exportWh;
  }
  for (const m of meters) {
    m.importKwh = K(m.importKwh);
    m.exportKwh = K(m.exportKwh);
  }
  return {
    name,
    accounts: r.accounts,
    balance: { t: r.balances.t, values: r.balances.milli.map((s) => s.map(K)) },
    daily: { t: days.map((d) => Date.parse(d + 'T00:00:00Z') / 1000 - r.utcOffsetS), days, kwh },
    load: { t: r.load.t, watts: r.load.watts },
    timeline: r.timeline.map((e) => [e.time, row.has(e.account) ? row.get(e.account)! : -1, e.kind, e.kind === 'meter' ? e.code : e.kind + ' ' + e.code] as [number, number, string, string]),
    topups: r.topups.map((t) => [t.time, row.get(t.account)!, K(t.amountMilli), t.accepted ? 1 : 0, t.reason] as [number, number, number, number, string]),
    meters,
    sms: r.sms ? smsRows(r.sms).map((x) => [x.time, x.direction, x.number, x.text] as [number, string, string, string]) : null,
    summary: r.summary,
    start: localStamp(r.start, r.utcOffsetS),
    end: localStamp(r.end, r.utcOffsetS),
  };
}

/** The page's data for one run or the units of a site. */
export function reportData(title: string, description: string, units: UnitRecord[]): ReportData {
  const us = units.map((u) => unitData(u.unit, u.record));
  let site: ReportData['site'] = null;
  if (us.length > 1) {
    const load = { t: us[0].load.t, watts: us[0].load.t.map((_, i) => us.reduce((s, u) => s + (u.load.watts[i] || 0), 0)) };
    const daily = { t: us[0].daily.t, kwh: us.map((u) => u.daily.t.map((_, i) => Math.round(u.daily.kwh.reduce((s, a) => s + a[i], 0) * 1000) / 1000)) };
    site = { load, daily };
  }
  return { title, description, utcOffsetS: units[0].record.utcOffsetS, units: us, site };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

let uplotJs = '';
let uplotCss = '';

/** The whole page. */
export function reportHtml(data: ReportData): string {
  if (!uplotJs) {
    const dir = require.resolve('uplot/dist/uPlot.iife.min.js').replace(/uPlot\.iife\.min\.js$/, '');
    uplotJs = fs.readFileSync(dir + 'uPlot.iife.min.js', 'utf8');
    uplotCss = fs.readFileSync(dir + 'uPlot.min.css', 'utf8');
  }
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${uplotCss}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<p class="desc">${escapeHtml(data.description)}</p>
<div id="site"></div>
<div id="picker"></div>
<div id="unit"></div>
<script type="application/json" id="report-data">${json}</script>
<script>${uplotJs}</script>
<script>${PAGE_JS}</script>
</body>
</html>
`;
}

const PAGE_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
.desc { color: #555; } .note { color: #555; font-size: 12px; }
table { border-collapse: collapse; font-size: 12px; margin: .5em 0; } td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: right; }
td:first-child, th:first-child { text-align: left; } tr.total td { font-weight: bold; border-top: 1px solid #888; }
.warn { color: #a40; } .bad { color: #c00; font-weight: bold; } .ok { color: #070; }
.chart { margin: .5em 0 1em; } select { font-size: 14px; }
#sms td, #sms th { text-align: left; } #sms td:first-child { white-space: nowrap; }
`;

// Runs in the browser: draws every chart from the JSON above. window.reportCharts holds each
// chart's series labels and data (tests compare them with the run's figures).
const PAGE_JS = `
(function () {
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var charts = {};
  window.reportCharts = charts;
  var W = Math.min(1150, document.body.clientWidth - 20);
  var PALETTE = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
  function colour(i) { return PALETTE[i % PALETTE.length]; }
  function el(tag, parent, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; parent.appendChild(e); return e; }
  function money(v) { return (Math.round(v * 1000) / 1000).toFixed(3); }
  var off = D.utcOffsetS;
  // uPlot shows times in the browser's zone: shift them so that the axis reads the unit's local time.
  function tz(ts) { var o = new Date(0).getTimezoneOffset() * 60; return ts.map(function (t) { return t + off + o; }); }
  function chart(id, parent, title, opts, data) {
    el('h3', parent, title);
    var box = el('div', parent, undefined, 'chart');
    box.id = id;
    opts.width = W; opts.height = opts.height || 280; opts.title = undefined;
    var u = new uPlot(opts, data, box);
    charts[id] = { labels: opts.series.slice(1).map(function (s) { return s.label; }), data: data, canvas: u.ctx.canvas };
    return u;
  }
  function lines(labels, unit) {
    var s = [{}];
    labels.forEach(function (l, i) { s.push({ label: l, stroke: colour(i), width: 1, value: function (u, v) { return v == null ? '-' : v.toFixed(3) + (unit || ''); } }); });
    return s;
  }
  function table(parent, head, rows, cls) {
    var t = el('table', parent);
    var tr = el('tr', t); head.forEach(function (h) { el('th', tr, h); });
    rows.forEach(function (r, i) { var x = el('tr', t); if (cls) x.className = cls(r, i) || ''; r.forEach(function (c) { el('td', x, String(c)); }); });
    return t;
  }
  function summaryTable(parent, s) {
    var rows = s.accounts.concat([s.totals]).map(function (a) {
      return [a.name, money(a.energyWh / 1000), money(a.chargedMilli / 1000), money(a.topupsMilli / 1000), a.refusedTopups, money(a.openingMilli / 1000), money(a.balanceMilli / 1000), a.alarms, a.cutoffs, a.trips, Math.round(a.minutesOff)];
    });
    table(parent, ['account', 'energy kWh', 'charged', 'top-ups', 'refused', 'opening', 'balance', 'alarms', 'cuts', 'trips', 'min off'], rows, function (r, i) { return i === rows.length - 1 ? 'total' : ''; });
    var l = s.ledger;
    var p = el('p', parent, 'Ledger check: ' + (l.consistent ? 'balances = opening + sum of entries; every registered Wh billed' + (l.notes.length ? ', except:' : '') : 'INCONSISTENT'), l.consistent ? 'ok' : 'bad');
    p.id = 'ledger-check';
    var ul = el('ul', parent);
    l.problems.forEach(function (x) { el('li', ul, x, 'bad'); });
    l.notes.forEach(function (x) { el('li', ul, x); });
    if (s.warnings.length) {
      el('h3', parent, 'Warnings');
      var w = el('ul', parent); w.id = 'warnings';
      s.warnings.forEach(function (x) { el('li', w, x, 'warn'); });
    }
  }
  // Drawn in this order: cuts last, on top of the reconnection that follows them hours later.
  var KINDS = [['alarm', '#e6a100'], ['overload', '#9467bd'], ['reconnect', '#2ca02c'], ['off', '#7f7f7f'], ['refused', '#000000'], ['meter', '#1f77b4'], ['modem', '#17becf'], ['cut', '#d62728']];
  function drawUnit(u) {
    var root = document.getElementById('unit');
    root.innerHTML = '';
    for (var k in charts) if (k.indexOf('site-') !== 0) delete charts[k];
    el('h2', root, (u.name ? 'Unit ' + u.name + ': ' : '') + u.start + ' to ' + u.end + ' (local time)');
    summaryTable(root, u.summary);
    var names = u.accounts;
    chart('balance', root, 'Balance per account (currency units)', { series: lines(names), axes: [{}, { size: 60 }], legend: { show: names.length <= 40 } }, [tz(u.balance.t)].concat(u.balance.values));
    chart('daily-energy', root, 'Energy per account per day (kWh)', { series: lines(names, ' kWh'), axes: [{}, { size: 60 }], legend: { show: names.length <= 40 } }, [tz(u.daily.t)].concat(u.daily.kwh));
    chart('load', root, 'Load of all meters (W, average per ' + Math.round((u.load.t[1] - u.load.t[0]) / 60 || 0) + ' min)', { series: [{}, { label: 'load W', stroke: '#1f77b4', fill: 'rgba(31,119,180,0.1)', width: 1 }], axes: [{}, { size: 60 }] }, [tz(u.load.t), u.load.watts]);
    // Timeline: one row per account; a point per alarm, cut, reconnection, trip, refused top-up, meter event.
    var tl = [tz(u.timeline.map(function (e) { return e[0]; }))];
    var seen = {};
    var xs = tl[0].map(function (t) { var k = String(t); seen[k] = (seen[k] || 0) + 1; return t + seen[k] - 1; });
    tl[0] = xs;
    var tseries = [{}];
    KINDS.forEach(function (k) {
      tl.push(u.timeline.map(function (e) { return e[2] === k[0] ? e[1] : null; }));
      tseries.push({ label: k[0], stroke: k[1], width: 0, paths: function () { return null; }, points: { show: true, size: 7, fill: k[1] } });
    });
    var order = xs.map(function (x, i) { return i; }).sort(function (a, b) { return xs[a] - xs[b]; });
    tl = tl.map(function (col) { return order.map(function (i) { return col[i]; }); });
    chart('timeline', root, 'Alarms, cuts and reconnections (one row per account)', { height: Math.max(200, 14 * names.length + 60), series: tseries, scales: { y: { range: [-1, names.length] } }, axes: [{}, { size: 70, splits: function () { return names.map(function (n, i) { return i; }).concat(u.timeline.some(function (e) { return e[1] < 0; }) ? [-1] : []); }, values: function (p, sp) { return sp.map(function (i) { return i < 0 ? 'unit' : names[i]; }); } }] }, tl);
    // Top-ups: accepted and refused, by account row, size by amount.
    var tu = u.topups.slice().sort(function (a, b) { return a[0] - b[0]; });
    var tx = tz(tu.map(function (t) { return t[0]; }));
    var seen2 = {};
    tx = tx.map(function (t) { var k = String(t); seen2[k] = (seen2[k] || 0) + 1; return t + seen2[k] - 1; });
    var acc = tu.map(function (t) { return t[3] ? t[2] : null; });
    var ref = tu.map(function (t) { return t[3] ? null : t[2]; });
    chart('topups', root, 'Top-ups (amount; refused ones in red)', { series: [{}, { label: 'accepted', stroke: '#2ca02c', paths: function () { return null; }, points: { show: true, size: 7, fill: '#2ca02c' } }, { label: 'refused', stroke: '#d62728', paths: function () { return null; }, points: { show: true, size: 9, fill: '#d62728' } }], axes: [{}, { size: 60 }] }, [tx, acc, ref]);
    var refused = u.topups.filter(function (t) { return !t[3]; });
    if (refused.length) {
      el('h3', root, 'Refused top-ups');
      table(root, ['time', 'account', 'amount', 'reason'], refused.map(function (t) { return [new Date((t[0] + off) * 1000).toISOString().slice(0, 16).replace('T', ' '), names[t[1]], money(t[2]), t[4]]; }));
    }
    if (u.sms) {
      var ins = u.sms.filter(function (m) { return m[1] === 'in'; }).length;
      var outs = u.sms.filter(function (m) { return m[1] === 'out'; }).length;
      el('h3', root, 'Text messages');
      el('p', root, ins + ' to the unit, ' + outs + ' from it; modem events (faults, restarts, switched off and on by the unit) in between', 'note');
      var st = table(root, ['time', '', 'number', 'text'], u.sms.map(function (m) { return [new Date((m[0] + off) * 1000).toISOString().slice(0, 16).replace('T', ' '), m[1], m[2], m[3]]; }));
      st.id = 'sms';
    }
    var bus = u.meters.filter(function (m) { return m.bus; });
    if (bus.length) {
      var ix = bus.map(function (m, i) { return i; });
      var bars = uPlot.paths.bars({ size: [0.2, 20] });
      var cols = [['requests', 'requests', '#1f77b4'], ['retries', 'retries', '#ff7f0e'], ['unanswered', 'timeouts (unanswered)', '#d62728'], ['bad', 'checksum / address errors', '#9467bd'], ['lostMinutes', 'minutes lost', '#7f7f7f']];
      chart('bus', root, 'Bus health per meter (as seen on the wire; lost = the unit\\'s own judgement)', {
        series: [{ label: 'meter', value: function (p, v) { return v == null ? '-' : bus[v] ? bus[v].name : ''; } }].concat(cols.map(function (c, k) { return { label: c[1], stroke: c[2], fill: c[2], paths: bars, points: { show: false }, scale: c[0] === 'requests' ? 'r' : 'y' }; })),
        scales: { x: { time: false, range: [-0.5, bus.length - 0.5] } },
        axes: [{ splits: function () { return ix; }, values: function (p, sp) { return sp.map(function (i) { return bus[i] ? bus[i].name : ''; }); }, rotate: -60, size: 60 }, { scale: 'y', size: 60 }, { scale: 'r', side: 1, size: 60, grid: { show: false } }],
      }, [ix].concat(cols.map(function (c) { return bus.map(function (m) { return m[c[0]]; }); })));
    }
    el('h3', root, 'Meters');
    table(root, ['meter', 'account', 'readings', 'import kWh', 'export kWh', 'bus requests', 'retries', 'good replies', 'bad replies', 'unanswered', 'minutes lost'], u.meters.map(function (m) { return [m.name, m.account, m.readings, money(m.importKwh), money(m.exportKwh), m.bus ? m.requests : '-', m.bus ? m.retries : '-', m.bus ? m.good : '-', m.bus ? m.bad : '-', m.bus ? m.unanswered : '-', m.lostMinutes]; }));
  }
  if (D.site) {
    var site = document.getElementById('site');
    el('h2', site, 'Site: ' + D.units.length + ' units');
    var unitNames = D.units.map(function (u) { return u.name; });
    var rows = D.units.map(function (u) { var t = u.summary.totals; return [u.name, u.summary.accounts.length, money(t.energyWh / 1000), money(t.chargedMilli / 1000), money(t.topupsMilli / 1000), t.refusedTopups, money(t.balanceMilli / 1000), t.alarms, t.cutoffs, u.summary.readings, u.summary.ledgerConsistent ? 'ok' : 'INCONSISTENT', u.summary.warnings.length]; });
    table(site, ['unit', 'accounts', 'energy kWh', 'charged', 'top-ups', 'refused', 'balance', 'alarms', 'cuts', 'readings', 'ledger', 'warnings'], rows);
    chart('site-load', site, 'Load of the whole site (W)', { series: [{}, { label: 'site load W', stroke: '#1f77b4', fill: 'rgba(31,119,180,0.1)', width: 1 }], axes: [{}, { size: 70 }] }, [tz(D.site.load.t), D.site.load.watts]);
    chart('site-daily', site, 'Energy per unit per day (kWh)', { series: lines(unitNames, ' kWh'), axes: [{}, { size: 60 }] }, [tz(D.site.daily.t)].concat(D.site.daily.kwh));
    var pk = document.getElementById('picker');
    el('span', pk, 'Unit: ');
    var sel = el('select', pk);
    sel.id = 'unit-picker';
    unitNames.forEach(function (n, i) { var o = el('option', sel, n); o.value = String(i); });
    sel.addEventListener('change', function () { drawUnit(D.units[Number(sel.value)]); });
  }
  drawUnit(D.units[0]);
  window.reportReady = true;
})();
`;
