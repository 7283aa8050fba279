// Log-structured record journal in a circular EEPROM region. A commit is one batch: named
// records (an account's balance with its meters' registers and token state; the unit
// record) written together with one sequence number and one CRC, so a batch torn by a power
// cut never wins and the previous copy of each record stays the newest complete one.
// Writes go round the whole region (wear levelling); before the head reaches a batch that
// still holds the newest copy of some record, that record is copied forward.
//
// Batch, in 16-byte units, may wrap at the region's end:
//   0 magic 0xB5 | 1 format version | 2-5 seq | 6-7 payload length L | payload | CRC-32
// payload: records [name length, name, data length (2 bytes), data]; name '' is the unit.
import { Eeprom } from '../../hal/eeprom';
import { Result, fail, ok } from '../../hal/result';
import { crc32, putU32, u32At } from '../lib/crc32';
import { Writer } from './bytes';

export const MAGIC = 0xb5;
export const UNIT = 16;
export const HEAD = 8;

/** What a boot scan found. */
export interface JournalScan {
  /** Newest data per record name. */
  records: { [name: string]: Uint8Array };
  /** Format version of the batch each newest record came from. */
  versions: { [name: string]: number };
  batches: number;
  /** Batches with a good header but a bad CRC, newer than the newest copy of some record:
   *  torn by a power cut, or corrupted. */
  corrupt: number;
  /** Sequence number of the newest batch. */
  lastSeq: number;
}

/** One record of a commit. */
export interface JournalRecord {
  name: string;
  data: Uint8Array;
}

/** The circular journal. */
export class Journal {
  /** Units in the region. */
  readonly units: number;
  /** Largest batch, in units; the head keeps twice this free ahead of it. */
  readonly maxUnits: number;
  /** Unit where the next batch goes. */
  head = 0;
  seq = 0;
  /** Unit of the batch holding the newest copy of each live record. */
  at: { [name: string]: number } = {};
  /** Sequence numbers in the headers of batches that failed their CRC at the last scan. */
  bad: number[] = [];
  /** Bytes written by commits and copies, for wear statistics. */
  written = 0;
  /** Units known free ahead of the head (a lower bound: a commit takes its units from it, a
   *  record written again only frees more); 0 when unknown. Spares a look at every live
   *  record before most commits. */
  ahead = 0;

  constructor(readonly ee: Eeprom, readonly start: number, size: number, public version: number) {
    // (integers: Math.floor gives Espruino a float, and a float here makes the head and every
    // record's unit in `at` floats, each a variable more than a small integer)
    this.units = (size / UNIT) | 0;
    this.maxUnits = (this.units / 6) | 0;
  }

  read(unit: number, len: number): Result<Uint8Array> {
    const a = unit * UNIT;
    const size = this.units * UNIT;
    if (a + len <= size) return this.ee.read(this.start + a, len);
    const r1 = this.ee.read(this.start + a, size - a);
    if (!r1.ok) return r1;
    const r2 = this.ee.read(this.start, len - (size - a));
    if (!r2.ok) return r2;
    const b = new Uint8Array(len);
    b.set(r1.value);
    b.set(r2.value, size - a);
    return ok(b);
  }

  write(unit: number, b: Uint8Array): Result<true> {
    const a = unit * UNIT;
    const size = this.units * UNIT;
    this.written += b.length;
    if (a + b.length <= size) return this.ee.write(this.start + a, b);
    const r = this.ee.write(this.start + a, new Uint8Array(b.buffer, b.byteOffset, size - a));
    return r.ok ? this.ee.write(this.start, new Uint8Array(b.buffer, b.byteOffset + size - a, b.length - (size - a))) : r;
  }

  /** The batch at unit u, or null when there is none (blank, torn, corrupt: when `scan`, its
   *  sequence number goes to `bad`). */
  batchAt(u: number, scan: boolean): Uint8Array | null {
    const h = this.read(u, HEAD);
    if (!h.ok || h.value[0] !== MAGIC) return null;
    const len = h.value[6] + h.value[7] * 256;
    const total = HEAD + len + 4;
    if (total > this.maxUnits * UNIT) return null;
    // Read to the end of its last unit: a copy forward can then reuse it whole (room()).
    const r = this.read(u, Math.ceil(total / UNIT) * UNIT);
    if (!r.ok) return null;
    const b = r.value;
    if (crc32(b, 0, total - 4) !== u32At(b, total - 4)) {
      if (scan) this.bad.push(u32At(b, 2));
      return null;
    }
    return b;
  }

  /** Calls fn for each record of a batch: [name length, name, data length (2 bytes), data]. */
  each(b: Uint8Array, fn: (name: string, data: Uint8Array) => void): void {
    const end = HEAD + b[6] + b[7] * 256;
    let pos = HEAD;
    while (pos < end) {
      let name = '';
      const n = b[pos++];
      for (let i = 0; i < n && pos < end; i++) name += String.fromCharCode(b[pos++]);
      const len = b[pos] + b[pos + 1] * 256;
      pos += 2;
      if (pos + len > end) return;
      fn(name, new Uint8Array(b.buffer, b.byteOffset + pos, len));
      pos += len;
    }
  }

  /** Units from the head to the first live batch. */
  private free(): number {
    let f = this.units;
    for (const k in this.at) {
      const d = (this.at[k] - this.head + this.units) % this.units;
      if (d < f) f = d;
    }
    return f;
  }

  /** Writes a batch laid out in w (records from byte HEAD on) at the head: the header, the
   *  CRC and the padding are added here. It fits: commit() refused a larger one before
   *  anything moved, and a copy forward is a part of a batch that fitted. */
  private put(w: Writer, names: string[], version: number): Result<true> {
    let b = w.b;
    const len = w.n - HEAD;
    b[0] = MAGIC;
    b[1] = version;
    putU32(b, 2, this.seq + 1);
    b[6] = len & 255;
    b[7] = len >> 8;
    w.u32(crc32(b, 0, w.n));
    while (w.n % UNIT) w.u8(0xff);
    b = w.out();
    const n = (b.length / UNIT) | 0;
    const r = this.write(this.head, b);
    if (!r.ok) return r;
    this.seq++;
    for (let i = 0; i < names.length; i++) {
      this.at[names[i]] = this.head;
    }
    this.head = (this.head + n) % this.units;
    this.ahead = this.ahead > n ? this.ahead - n : 0;
    return ok<true>(true);
  }

  /** Copies live records forward until twice the largest batch is free ahead of the head. */
  room(): Result<true> {
    const want = 2 * this.maxUnits;
    if (this.ahead >= want) return ok<true>(true);
    let moves = Object.keys(this.at).length + 2;
    let f: number;
    while ((f = this.free()) < want) {
      if (moves-- < 0) return fail('full', 'journal full: too many records for this EEPROM');
      const v = (this.head + f) % this.units;
      const b = this.batchAt(v, false);
      // What of it is live (the newest copy of its record), in bytes as laid out in a batch.
      const names: string[] = [];
      const self = this;
      let live = 0;
      if (b) {
        this.each(b, function (name: string, data: Uint8Array) {
          if (self.at[name] !== v) return;
          // An empty record (an account closed) has done its work once the head comes round
          // to it: everything written before it has been written over by now.
          if (data.length) {
            live += name.length + 3 + data.length;
            names.push(name);
          } else delete self.at[name];
        });
      }
      if (b && !names.length) continue;
      if (!names.length) {
        // Unreadable now (bit rot): forget it rather than loop; the boot report saw it.
        for (const k in this.at) if (this.at[k] === v) delete this.at[k];
        continue;
      }
      // All of it live: the batch itself goes forward (read to its last unit's end, it has the
      // room), else the live records into a buffer of their size: never two copies of a batch.
      const all = live === b![6] + b![7] * 256;
      const w = new Writer(all ? 1 : Math.ceil((HEAD + live + 4) / UNIT) * UNIT, HEAD);
      if (all) {
        w.b = b as Uint8Array;
        w.n = HEAD + live;
      } else
        this.each(b as Uint8Array, function (name: string, data: Uint8Array) {
          if (self.at[name] !== v) return;
          w.str(name);
          w.u16(data.length);
          w.bytes(data);
        });
      // Copied in the format it was written in: its data is decoded by that format.
      const r = this.put(w, names, (b as Uint8Array)[1]);
      if (!r.ok) return r;
    }
    this.ahead = f;
    return ok<true>(true);
  }

  /** Writes the records laid out in w (a Writer made with start HEAD; each record its name
   *  length, name, data length and data), named in order, as one atomic batch. */
  commit(w: Writer, names: string[]): Result<true> {
    // Refused before anything is copied forward for it.
    if (Math.ceil((w.n + 4) / UNIT) > this.maxUnits) return fail('too-big', w.n + 4 + ' bytes in one commit');
    const r = this.room();
    return r.ok ? this.put(w, names, this.version) : r;
  }
}
