// Golden-trace replay: a trace (config + steps of events) in, one text line per decision
// out. Pure, so the same traces run under Node, on the board's interpreter and later on Lua.
import { Core, CoreEvent, formatDecision, modeNames } from './core';
import { parseConfig } from './config';
import { secondsFromCivil } from '../hal/calendar';
import { nameIndex } from './tables';

/** One step of a trace: an event as written in the JSON file. */
export interface TraceEvent {
  t: string;
  /** UTC time as "YYYY-MM-DD HH:MM[:SS]" or seconds. */
  at: string | number;
  meter?: string;
  account?: string;
  from?: string;
  to?: string;
  importWh?: number;
  exportWh?: number;
  powerW?: number;
  amount?: number;
  seq?: number;
  mode?: string;
  finalImportWh?: number;
  finalExportWh?: number;
  newImportWh?: number;
  newExportWh?: number;
  valid?: boolean;
}

/** Seconds from "YYYY-MM-DD HH:MM[:SS]" (UTC), or -1. */
export function parseStamp(at: string | number): number {
  if (typeof at === 'number') return at;
  const n = (i: number, len: number): number => {
    const x = parseInt(at.substr(i, len), 10);
    return x >= 0 ? x : -1;
  };
  if (at.length < 16) return -1;
  return secondsFromCivil(n(0, 4), n(5, 2), n(8, 2), n(11, 2), n(14, 2), at.length >= 19 ? n(17, 2) : 0);
}

function find(list: { names: string }, name: string | undefined): number {
  return name === undefined ? -1 : nameIndex(list.names, name);
}

/** Turns a trace event into a core event; 'start' is returned as null (boot). */
export function toCoreEvent(core: Core, e: TraceEvent): CoreEvent | null {
  const time = parseStamp(e.at);
  const acc = core.cfg.accounts;
  const a = find(acc, e.account);
  if (e.t === 'start') return null;
  if (e.t === 'reading') {
    return { t: 'reading', time: time, meter: find(core.cfg.meters, e.meter), importWh: e.importWh as number, exportWh: e.exportWh || 0, powerW: e.powerW };
  }
  if (e.t === 'topup' || e.t === 'refund') return { t: e.t, time: time, account: a, amountMilli: e.amount as number };
  if (e.t === 'correct') return { t: 'correct', time: time, seq: e.seq as number };
  if (e.t === 'transfer') return { t: 'transfer', time: time, from: find(acc, e.from), to: find(acc, e.to) };
  if (e.t === 'swap') {
    return {
      t: 'swap', time: time, meter: find(core.cfg.meters, e.meter),
      finalImportWh: e.finalImportWh as number, finalExportWh: e.finalExportWh || 0, newImportWh: e.newImportWh as number, newExportWh: e.newExportWh || 0,
    };
  }
  if (e.t === 'mode') return { t: 'mode', time: time, account: a, mode: modeNames().indexOf(e.mode as string) };
  if (e.t === 'overload-reset') return { t: 'overload-reset', time: time, account: a };
  if (e.t === 'clock') return { t: 'clock', time: time, valid: e.valid === true };
  return { t: 'tick', time: time };
}

/** Runs a trace; returns, per step, the decision lines (or one "error ..." line). */
export function replay(config: unknown, events: TraceEvent[]): string[][] {
  const parsed = parseConfig(config);
  if (!parsed.ok) return [['error ' + parsed.error]];
  const core = new Core(parsed.value);
  const out: string[][] = [];
  for (let i = 0; i < events.length; i++) {
    const ev = toCoreEvent(core, events[i]);
    const ds = ev ? core.handle(ev) : core.start(parseStamp(events[i].at));
    const lines: string[] = [];
    for (let j = 0; j < ds.length; j++) lines.push(formatDecision(ds[j]));
    out.push(lines);
  }
  return out;
}
