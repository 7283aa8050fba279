// The money journal. Every change of a balance is an entry with a sequence number, so the
// balance always equals the sum of the account's entries. Only a short ring of recent
// operator entries stays in RAM (for corrections), as small tables; the full history goes to
// the event log.
import { F64, I16, U8, pack, table } from '../tables';

/** Entry kinds; their codes are stored in EEPROM, never renumber. */
export const TOPUP = 1;
export const REFUND = 2;
export const CORRECTION = 3;
export const CHARGE = 4;
export const TRANSFER = 5;
/** A ledger entry's name by kind. A switch, not a table: every billed reading names its charge,
 *  and on the board the texts stay in flash and no array is built each time. */
export function entryName(kind: number): string {
  switch (kind) {
    case TOPUP:
      return 'topup';
    case REFUND:
      return 'refund';
    case CORRECTION:
      return 'correction';
    case CHARGE:
      return 'charge';
    case TRANSFER:
      return 'transfer';
  }
  return '';
}

/** Top-ups and refunds kept for a correction. */
export const RING = 16;

/** Sequence numbers and the ring of recent operator entries that may still be corrected
 *  (slot i: its entry's number, account, signed amount, kind, and 1 once corrected). */
export interface Ledger {
  /** Sequence number of the last entry written (0 = none yet). */
  seq: number;
  next: number;
  /** Slots in use (they fill once, then the ring goes round). */
  used: number;
  rSeq: number[];
  rAccount: number[];
  rAmount: number[];
  rKind: number[];
  rCorrected: number[];
}

/** An empty ledger. */
export function newLedger(): Ledger {
  const l = { seq: 0, next: 0, used: 0, rSeq: table(F64, 0), rAccount: table(I16, 0), rAmount: table(F64, 0), rKind: table(U8, 0), rCorrected: table(U8, 0) };
  pack(l, RING);
  return l;
}

/** The sequence number and the correctable ring as numbers, for the EEPROM. */
export function saveLedger(l: Ledger): number[] {
  const v = [l.seq, l.next, l.used];
  for (let i = 0; i < l.used; i++) v.push(l.rSeq[i], l.rAccount[i], l.rAmount[i], l.rKind[i], l.rCorrected[i]);
  return v;
}

/** Restores what saveLedger() gave. */
export function loadLedger(l: Ledger, v: number[]): void {
  l.seq = v[0];
  l.next = v[1];
  l.used = v[2] < RING ? v[2] : RING;
  for (let i = 0; i < l.used; i++) {
    l.rSeq[i] = v[3 + i * 5];
    l.rAccount[i] = v[4 + i * 5];
    l.rAmount[i] = v[5 + i * 5];
    l.rKind[i] = v[6 + i * 5];
    l.rCorrected[i] = v[7 + i * 5];
  }
}

/** Follows accounts to their new indexes after a reconfiguration (-1 = closed: no correction). */
export function remapLedger(l: Ledger, map: number[]): void {
  for (let i = 0; i < l.used; i++) {
    const a = map[l.rAccount[i]];
    l.rAccount[i] = a === undefined ? -1 : a;
    if (l.rAccount[i] < 0) l.rCorrected[i] = 1;
  }
}
