// The money journal. Every change of a balance is an entry with a sequence number, so the
// balance always equals the sum of the account's entries. Only a short ring of recent
// operator entries stays in RAM (for corrections); the full history goes to the event log.

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

const RING = 16;

/** Sequence numbers and the ring of recent operator entries that may still be corrected. */
export class Ledger {
  /** Sequence number of the last entry written (0 = none yet). */
  seq = 0;
  private ringSeq: number[] = [];
  private ringAccount: number[] = [];
  private ringAmount: number[] = [];
  private ringKind: number[] = [];
  private ringCorrected: number[] = [];
  private ringNext = 0;

  /** Takes the next sequence number; remembers top-ups and refunds for a later correction. */
  next(kind: number, account: number, amountMilli: number): number {
    this.seq++;
    if (kind === TOPUP || kind === REFUND) {
      const i = this.ringNext;
      this.ringSeq[i] = this.seq;
      this.ringAccount[i] = account;
      this.ringAmount[i] = amountMilli;
      this.ringKind[i] = kind;
      this.ringCorrected[i] = 0;
      this.ringNext = i + 1 === RING ? 0 : i + 1;
    }
    return this.seq;
  }

  /** Ring slot of a correctable entry, -1 when unknown or too old, -2 when already corrected. */
  find(seq: number): number {
    for (let i = 0; i < this.ringSeq.length; i++) {
      if (this.ringSeq[i] === seq) return this.ringCorrected[i] ? -2 : i;
    }
    return -1;
  }

  /** Account of ring slot i. */
  accountAt(i: number): number {
    return this.ringAccount[i];
  }

  /** Signed amount of ring slot i. */
  amountAt(i: number): number {
    return this.ringAmount[i];
  }

  /** Follows accounts to their new indexes after a reconfiguration (-1 = closed: no correction). */
  remap(map: number[]): void {
    for (let i = 0; i < this.ringAccount.length; i++) {
      const a = map[this.ringAccount[i]];
      this.ringAccount[i] = a === undefined ? -1 : a;
      if (this.ringAccount[i] < 0) this.ringCorrected[i] = 1;
    }
  }

  /** The sequence number and the correctable ring as numbers, for the EEPROM. */
  save(): number[] {
    const v = [this.seq, this.ringNext, this.ringSeq.length];
    for (let i = 0; i < this.ringSeq.length; i++) v.push(this.ringSeq[i], this.ringAccount[i], this.ringAmount[i], this.ringKind[i], this.ringCorrected[i]);
    return v;
  }

  /** Restores what save() gave. */
  load(v: number[]): void {
    this.seq = v[0];
    this.ringNext = v[1];
    for (let i = 0; i < v[2]; i++) {
      this.ringSeq[i] = v[3 + i * 5];
      this.ringAccount[i] = v[4 + i * 5];
      this.ringAmount[i] = v[5 + i * 5];
      this.ringKind[i] = v[6 + i * 5];
      this.ringCorrected[i] = v[7 + i * 5];
    }
  }

  /** Marks ring slot i as corrected. */
  markCorrected(i: number): void {
    this.ringCorrected[i] = 1;
  }
}
