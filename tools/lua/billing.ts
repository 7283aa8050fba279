/** @noSelfInFile */
// The billing and credit-control core as a Lua module (dist/lua/billing.lua, built by
// tools/lua/build.ts): load a configuration, feed it events, read its decisions, the accounts'
// and meters' state and the ledger. The rules are firmware/core.ts's, compiled from the same
// source; docs/lua.md shows the module in use. Lua-only (it returns several values), so the
// Node side of the tests uses tools/replay-text.ts, which this module also exports.
import { Core, Decision, MODE_AUTO, formatDecision, modeNames } from '../../firmware/core';
import { parseConfig } from '../../firmware/config';
import { RING, entryName } from '../../firmware/billing/ledger';
import { hasFlag } from '../../firmware/lib/bits';
import { TraceEvent, parseStamp, toCoreEvent } from '../../firmware/replay';
import { ReplayOptions, replayText as replayTextOf, stateLines } from '../replay-text';
import { nameAt, nameIndex, nameList } from '../../firmware/tables';

/** typescript-to-lua's multiple return values (its language extensions, recognised by these
 *  brands; declared here so that no other file sees them). */
type LuaMultiReturn<T extends unknown[]> = T & { readonly __tstlMultiReturn: unknown };
declare const $multi: (<T extends unknown[]>(...values: T) => LuaMultiReturn<T>) & { readonly __tstlExtension: 'MultiFunction' };

/** One decision of the core, with the account and meter by name and its text as the golden
 *  traces print it. */
export interface LuaDecision {
  /** 'ledger' | 'relay' | 'alarm' | 'clear' | 'event' | 'refused' */
  kind: string;
  account?: string;
  meter?: string;
  /** Entry kind, relay reason, event name or refusal reason. */
  code: string;
  /** Amount, alarm level (1-based), relay state (1 closed), or event value. */
  value: number;
  /** The account's balance after the decision (milli-currency). */
  balance: number;
  /** Ledger entry number, 0 when not a ledger entry. */
  seq: number;
  /** The corrected entry's number (corrections) or the other account's index from 0 (transfers), else -1. */
  ref: number;
  text: string;
}

/** An account's state. Money in milli-currency, energy in Wh. */
export interface LuaAccount {
  name: string;
  balance: number;
  /** Energy and money billed, money topped up, since the account was opened. */
  energyWh: number;
  chargedMilli: number;
  topupMilli: number;
  /** Energy in the current billing cycle (what the tiers count). */
  monthlyWh: number;
  /** Energy by time-of-use period, and billed while the clock was not valid. */
  sharpWh: number;
  peakWh: number;
  flatWh: number;
  valleyWh: number;
  untimedWh: number;
  /** Low-credit alarm levels raised (1-based, highest first). */
  alarms: number[];
  /** Cut for credit, and a cut waiting for the friendly hours to end. */
  cut: boolean;
  deferred: boolean;
  /** 'auto' | 'on' | 'off' */
  mode: string;
  /** 'closed' | 'open' | 'unknown' (before the first decision). */
  relay: string;
  /** '' | 'tripped' | 'locked' */
  overload: string;
}

/** A meter's state: the last billed registers and when they were read (UTC seconds). */
export interface LuaMeter {
  name: string;
  account: string;
  /** False until the first reading (the baseline). */
  read: boolean;
  importWh: number;
  exportWh: number;
  readAt: number;
  /** A reading not billed yet, waiting for a second that agrees. */
  suspect: boolean;
}

/** A top-up or refund that may still be corrected. */
export interface LuaLedgerEntry {
  seq: number;
  account: string;
  kind: string;
  amount: number;
  corrected: boolean;
}

/** A unit's billing core with its configuration. */
export class Unit {
  private readonly core: Core;

  constructor(core: Core) {
    this.core = core;
  }

  /** Boots: brings every relay to the state the rules want. `at` as in events. */
  start(at: string | number): LuaDecision[] {
    return this.named(this.core.start(parseStamp(at)));
  }

  /** Applies one event, written as in the golden traces ({ t = "reading", at = "2026-01-05 08:00",
   *  meter = "M1", importWh = 1200 }, ...; t = "start" boots), and returns the decisions in order. */
  feed(event: TraceEvent): LuaDecision[] {
    const ev = toCoreEvent(this.core, event);
    return this.named(ev ? this.core.handle(ev) : this.core.start(parseStamp(event.at)));
  }

  /** The accounts' names, in configuration order. */
  accounts(): string[] {
    return nameList(this.core.cfg.accounts.names);
  }

  /** The meters' names, in configuration order. */
  meters(): string[] {
    return nameList(this.core.cfg.meters.names);
  }

  /** An account's state, or nil for a name the configuration does not have. */
  account(name: string): LuaAccount | undefined {
    const c = this.core;
    const a = nameIndex(c.cfg.accounts.names, name);
    if (a < 0) return undefined;
    const t = c.cfg.accounts;
    const alarms: number[] = [];
    for (let i = 0; i < t.alarmAt[a + 1] - t.alarmAt[a]; i++) if (hasFlag(c.alarmMask[a], i)) alarms.push(i + 1);
    return {
      name: name,
      balance: c.balance[a],
      energyWh: c.energyWh[a],
      chargedMilli: c.chargedMilli[a],
      topupMilli: c.topupMilli[a],
      monthlyWh: c.monthlyWh[a],
      sharpWh: c.periodWh[a * 5],
      peakWh: c.periodWh[a * 5 + 1],
      flatWh: c.periodWh[a * 5 + 2],
      valleyWh: c.periodWh[a * 5 + 3],
      untimedWh: c.periodWh[a * 5 + 4],
      alarms: alarms,
      cut: c.cut[a] === 1,
      deferred: c.deferred[a] === 1,
      mode: modeNames()[c.mode[a] >= 0 && c.mode[a] <= 2 ? c.mode[a] : MODE_AUTO],
      relay: c.relay[a] === 1 ? 'closed' : c.relay[a] === 0 ? 'open' : 'unknown',
      overload: c.ovLocked[a] === 1 ? 'locked' : c.ovTripped[a] === 1 ? 'tripped' : '',
    };
  }

  /** A meter's state, or nil for a name the configuration does not have. */
  meter(name: string): LuaMeter | undefined {
    const c = this.core;
    const m = nameIndex(c.cfg.meters.names, name);
    if (m < 0) return undefined;
    return {
      name: name,
      account: nameAt(c.cfg.accounts.names, c.cfg.meters.account[m]),
      read: c.has[m] === 1,
      importWh: c.lastImp[m],
      exportWh: c.lastExp[m],
      readAt: c.lastT[m],
      suspect: c.susp[m] === 1,
    };
  }

  /** The number of the last ledger entry, and the top-ups and refunds that may still be
   *  corrected (the newest RING), oldest first. */
  ledger(): { seq: number; recent: LuaLedgerEntry[] } {
    const l = this.core.ledger;
    const recent: LuaLedgerEntry[] = [];
    const first = l.used < RING ? 0 : l.next;
    for (let k = 0; k < l.used; k++) {
      const i = (first + k) % RING;
      const a = l.rAccount[i];
      recent.push({ seq: l.rSeq[i], account: a >= 0 ? nameAt(this.core.cfg.accounts.names, a) : '', kind: entryName(l.rKind[i]), amount: l.rAmount[i], corrected: l.rCorrected[i] === 1 });
    }
    return { seq: l.seq, recent: recent };
  }

  /** The state of every account and meter and the ledger as text lines (what `replay --state`
   *  prints): a compact form to compare or log. */
  dump(): string[] {
    return stateLines(this.core);
  }

  private named(ds: Decision[]): LuaDecision[] {
    const out: LuaDecision[] = [];
    const cfg = this.core.cfg;
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      out.push({
        kind: d.kind,
        account: d.account >= 0 ? nameAt(cfg.accounts.names, d.account) : undefined,
        meter: d.meter >= 0 ? nameAt(cfg.meters.names, d.meter) : undefined,
        code: d.code,
        value: d.value,
        balance: d.balance,
        seq: d.seq,
        ref: d.ref,
        text: formatDecision(d),
      });
    }
    return out;
  }
}

/** JSON text to a Lua value (objects and arrays as tables); nil and a message when it is not JSON. */
export function decode(text: string): LuaMultiReturn<[unknown, string | undefined]> {
  let value: unknown = undefined;
  let error: string | undefined = undefined;
  try {
    value = JSON.parse(text);
  } catch (e) {
    error = String(e);
  }
  return $multi(value, error);
}

/** A Lua value as JSON text (as JavaScript's JSON.stringify writes it: numbers too). */
export function encode(value: unknown): string {
  return JSON.stringify(value);
}

/** A unit loaded with a configuration (JSON text, or a table as decode gives it; see
 *  docs/configuration.md); nil and the reason when the configuration is refused. */
export function load(config: unknown): LuaMultiReturn<[Unit | undefined, string | undefined]> {
  let v = config;
  if (typeof config === 'string') {
    const [value, err] = decode(config);
    if (err !== undefined) return $multi(undefined, 'config: ' + err);
    v = value;
  }
  const parsed = parseConfig(v);
  if (!parsed.ok) return $multi(undefined, parsed.error);
  return $multi(new Unit(new Core(parsed.value)), undefined);
}

/** UTC seconds of "YYYY-MM-DD HH:MM[:SS]" (a number is given back as it is), or -1. */
export function stamp(at: string | number): number {
  return parseStamp(at);
}

/** The replay's printed lines for the JSON text of a trace file (dist/lua/replay.lua), and how
 *  many steps differ from their expectation. */
export function replayText(file: string, text: string, check: boolean, state: boolean): LuaMultiReturn<[string[], number]> {
  const opts: ReplayOptions = { check: check, state: state };
  const r = replayTextOf(file, text, opts);
  return $multi(r.lines, r.differ);
}
