// What the journal keeps per account and for the unit, as bytes. An account record holds the
// balance with everything billing needs (remainder, tier counter, alarms, cut state, ...),
// its meters' last billed registers, its token counters and the number of its newest ledger
// entry, so one batch makes a reading or a top-up durable as a whole. Lists carry their
// length: a record written by older firmware, with fewer fields, restores with zeros.
import { Core, accountState, meterState, setAccountState, setMeterState } from '../core';
import { loadLedger, saveLedger } from '../billing/ledger';
import { TokenState } from '../tokens/openpaygo';
import { Reader, Writer } from './bytes';
import { nameAt } from '../tables';

function nums(w: Writer, v: number[]): void {
  w.num(v.length);
  for (let i = 0; i < v.length; i++) w.num(v[i]);
}

function readNums(r: Reader): number[] {
  const n = r.num();
  const v: number[] = [];
  for (let i = 0; i < n && !r.bad; i++) v.push(r.num());
  return v;
}

/** Appends account a's record to w (in place in its batch's buffer). format 1 (older
 *  firmware) had no top-up total and no token state. */
export function encodeAccount(core: Core, a: number, token: TokenState | null | undefined, format: number, w: Writer): void {
  // The account's own newest entry, not the ledger's: another account's entry may not be
  // committed yet, and its number must be given again after a cut, not skipped.
  w.num(core.lastSeq[a]);
  const st = accountState(core, a);
  nums(w, format < 2 ? st.slice(0, 20) : st);
  if (format >= 2) nums(w, token ? [token.lastCount, token.usedBitmap, token.invalidCount, token.lockedUntil] : []);
  const ms = core.cfg.meters;
  let n = 0;
  for (let m = 0; m < ms.n; m++) if (ms.account[m] === a) n++;
  w.num(n);
  for (let m = 0; m < ms.n; m++) {
    if (ms.account[m] !== a) continue;
    w.str(nameAt(ms.names, m));
    nums(w, meterState(core, m));
  }
}

/** Restores account a (and its meters, by name) from its record; returns the token state
 *  it held, or null when the record is unreadable (nothing is changed then). */
export function decodeAccount(core: Core, a: number, data: Uint8Array, format: number): { token: TokenState | null; seq: number } | null {
  const r = new Reader(data, 0, data.length);
  const seq = r.num();
  const st = readNums(r);
  const tk = format >= 2 ? readNums(r) : [];
  const n = r.num();
  const names: string[] = [];
  const states: number[][] = [];
  for (let i = 0; i < n && !r.bad; i++) {
    names.push(r.str());
    states.push(readNums(r));
  }
  if (r.bad || st.length < 20) return null;
  setAccountState(core, a, st);
  core.lastSeq[a] = seq;
  const ms = core.cfg.meters;
  for (let m = 0; m < ms.n; m++) {
    const i = names.indexOf(nameAt(ms.names, m));
    if (ms.account[m] === a && i >= 0) setMeterState(core, m, states[i]);
  }
  return { token: tk.length === 4 ? { lastCount: tk[0], usedBitmap: tk[1], invalidCount: tk[2], lockedUntil: tk[3] } : null, seq: seq };
}

/** The unit record: which configuration generation is committed, and the ledger's
 *  sequence number with its ring of correctable entries. */
export function encodeUnit(core: Core, configGen: number): Uint8Array {
  const w = new Writer(128);
  w.num(configGen);
  nums(w, saveLedger(core.ledger));
  return w.out();
}

/** The committed configuration generation in a unit record (0 when unreadable). */
export function unitConfigGen(data: Uint8Array | undefined): number {
  if (!data) return 0;
  const r = new Reader(data, 0, data.length);
  const g = r.num();
  return r.bad ? 0 : g;
}

/** Restores the ledger from a unit record; false when unreadable. */
export function decodeUnit(core: Core, data: Uint8Array): boolean {
  const r = new Reader(data, 0, data.length);
  r.num();
  const v = readNums(r);
  if (r.bad || v.length < 3) return false;
  loadLedger(core.ledger, v);
  return true;
}
