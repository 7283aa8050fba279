// A virtual AT24C-class EEPROM on the virtual I2C bus, modelled on the chip rather than on the
// driver: an address pointer loaded by the two address bytes of a write (and, on the AT24CM01 and
// AT24CM02, by the device address's low bits: bit 16, bits 16 and 17), sequential reads wrapping
// at the end of the whole memory, a page buffer that wraps inside its page, and an internal write
// cycle during which it NACKs everything (what acknowledge polling sees). Faults: a power cut part-way through programming,
// a silently lost page, flipped bits. It can live in a file so a simulator run stops and resumes.
import * as fs from 'fs';
import { VirtualI2cDevice, joined } from './virtual-i2c';

/** Geometry, write-cycle model, fault defaults and persistence of one virtual chip. */
export interface VirtualAt24cOptions {
  size: number;
  pageSize: number;
  /** Transactions NACKed after each page write (deterministic busy model); default 2. */
  busyPolls?: number;
  /** Virtual ms clock; with writeCycleMs the chip is also busy until now() + writeCycleMs. */
  now?: () => number;
  writeCycleMs?: number;
  /** Value left in the cell being programmed when power is cut; absent = the cell keeps its old value. */
  cutGarbage?: number;
  /** Called once when a cut happens, so the harness can stop the unit it is running. */
  onCut?: () => void;
  /** Backing file: loaded at construction if it exists, rewritten after every page write and cut. */
  file?: string;
}

/** The virtual chip; attach it to a VirtualI2cBus at its base address (0x50..0x57) and, for a
 *  part above 64 KB, at each address its memory address bits take (`addresses`). */
export class VirtualAt24c implements VirtualI2cDevice {
  readonly size: number;
  readonly pageSize: number;
  /** Cell programmings in total (a garbage cell at a cut counts too). */
  bytesWritten = 0;
  /** Page programming cycles started (a page lost by failNextWrite is not one). */
  pageWrites = 0;
  /** Transactions NACKed because the chip was busy or without power. */
  nacks = 0;
  /** Program cycles per page: parts that rewrite the whole page on any write wear by this. */
  readonly pageWear: Uint32Array;
  onCut: (() => void) | undefined;
  /** Its driver does not read pages back (a scenario run): losing a write is refused. */
  trusted = false;
  private mem: Uint8Array;
  private pointer = 0;
  private busyLeft = 0;
  private busyUntil = -Infinity;
  private dead = false;
  private cutBudget: number | null = null;
  private cutValue: number | undefined;
  private loseNext = false;
  /** Wear as differences: a run of cells programmed adds 1 at its first cell and takes 1 off
   *  after its last (one step per write, not one per cell); `wear` sums them up when asked. */
  private wearStep: Int32Array;
  private wearSums: Uint32Array | null = null;

  constructor(private opts: VirtualAt24cOptions) {
    this.size = opts.size;
    this.pageSize = opts.pageSize;
    this.mem = new Uint8Array(opts.size).fill(0xff);
    this.wearStep = new Int32Array(opts.size + 1);
    this.pageWear = new Uint32Array(opts.size / opts.pageSize);
    this.onCut = opts.onCut;
    if (opts.file && fs.existsSync(opts.file)) this.restore(fs.readFileSync(opts.file));
  }

  /** A chip whose memory comes from a file written by save() (or by the file option). */
  static load(file: string, opts: VirtualAt24cOptions): VirtualAt24c {
    const chip = new VirtualAt24c(opts);
    chip.restore(fs.readFileSync(file));
    return chip;
  }

  /** Writes the memory image to file (default: the file option). */
  save(file?: string): void {
    const f = file || this.opts.file;
    if (!f) throw new Error('VirtualAt24c.save: no file');
    fs.writeFileSync(f, this.mem);
  }

  /** A copy of the whole memory. */
  snapshot(): Uint8Array {
    return this.mem.slice();
  }

  /** Replaces the whole memory (same size), counters untouched. */
  restore(bytes: Uint8Array): void {
    if (bytes.length !== this.size) throw new Error('VirtualAt24c.restore: ' + bytes.length + ' bytes for a ' + this.size + '-byte chip');
    this.mem.set(bytes);
  }

  /** Programmings per cell, for wear statistics. */
  get wear(): Uint32Array {
    if (!this.wearSums) {
      const w = new Uint32Array(this.size);
      let sum = 0;
      for (let i = 0; i < this.size; i++) w[i] = sum += this.wearStep[i];
      this.wearSums = w;
    }
    return this.wearSums;
  }

  /** Counts one programming of cells [at, at + n). */
  private worn(at: number, n: number): void {
    this.wearStep[at]++;
    this.wearStep[at + n]--;
    this.wearSums = null;
  }

  /** False after a cut or powerOff(): every transaction NACKs. */
  get powered(): boolean {
    return !this.dead;
  }

  /** Power returns: pointer at 0, no write cycle pending, no cut armed. */
  powerOn(): void {
    this.dead = false;
    this.busyLeft = 0;
    this.busyUntil = -Infinity;
    this.pointer = 0;
    this.cutBudget = null;
  }

  /** Power goes away without a write in progress. */
  powerOff(): void {
    this.dead = true;
  }

  /** Power is cut once n more cells have been programmed: cell n+1 is never (fully) written. */
  cutAfterBytes(n: number, garbage?: number): void {
    this.cutBudget = n;
    this.cutValue = garbage !== undefined ? garbage : this.opts.cutGarbage;
  }

  /** The next page write is ACKed and cycles as usual but programs nothing. */
  failNextWrite(): void {
    if (this.trusted) throw new Error('VirtualAt24c.failNextWrite: this chip is trusted, its driver would not see the write lost');
    this.loseNext = true;
  }

  /** Flips one stored bit, as a worn or disturbed cell would. */
  flipBit(addr: number, bit: number): void {
    this.mem[addr] ^= 1 << bit;
  }

  /** How many device addresses the part answers at: 1, 2 for the AT24CM01 (its A16), 4 for the
   *  AT24CM02 (A16, A17); attach it at base + 0 .. base + n - 1. */
  get addresses(): number {
    return this.size > 65536 ? this.size / 65536 : 1;
  }

  write(bytes: Uint8Array, more?: Uint8Array, address = 0): boolean {
    if (this.refuse()) return false;
    // The driver sends the two address bytes and the data apart; any other split is joined.
    if (more && bytes.length !== 2) {
      bytes = joined(bytes, more);
      more = undefined;
    }
    // A write's device address carries the bits above the two address bytes (none below 128 KB);
    // upper address bits beyond the part's size are "don't care" on the real chip.
    const high = (address & (this.addresses - 1)) * 65536;
    if (bytes.length >= 2) this.pointer = (high + ((bytes[0] << 8) | bytes[1])) % this.size;
    else if (bytes.length === 1) this.pointer = (high + ((bytes[0] << 8) | (this.pointer & 0xff))) % this.size;
    if (more) {
      if (more.length) this.program(more);
    } else if (bytes.length > 2) this.program(bytes.subarray(2));
    return true;
  }

  /** A read goes on from the pointer, whatever the device address's memory bits say: they are
   *  "don't care" in a read (the datasheets' current address read; a random read's dummy write set
   *  the pointer). */
  read(len: number): Uint8Array | null {
    if (this.refuse()) return null;
    if (this.pointer + len <= this.size) {
      // A view of the cells rather than a copy (V8 makes a typed array of more than 64 bytes
      // outside its heap, slowly, and the unit reads back every page it writes): the drivers
      // use what they read at once, and the bus's trace copies it.
      const out = this.mem.subarray(this.pointer, this.pointer + len);
      this.pointer = (this.pointer + len) % this.size;
      return out;
    }
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      out[i] = this.mem[this.pointer];
      this.pointer = (this.pointer + 1) % this.size;
    }
    return out;
  }

  /** True when this transaction is NACKed: no power, or the internal write cycle is running. */
  private refuse(): boolean {
    let busy = this.dead;
    if (!busy && this.busyLeft > 0) {
      this.busyLeft--;
      busy = true;
    }
    if (!busy && this.opts.now && this.opts.now() < this.busyUntil) busy = true;
    if (busy) this.nacks++;
    return busy;
  }

  /** Latches data into the page buffer (wrapping inside the page), then programs it. */
  private program(data: Uint8Array): void {
    const ps = this.pageSize;
    const base = this.pointer - (this.pointer % ps);
    let off = this.pointer % ps;
    if (data.length <= ps && this.cutBudget === null && !this.loseNext) {
      // The usual write: every byte lands in its own cell of the page, in order (the general
      // path below also handles a buffer that wraps onto itself, cuts and lost writes).
      const mem = this.mem;
      if (off + data.length <= ps) {
        // Not wrapping: the bytes at once (the unit writes whole pages, or their ends).
        const at = base + off;
        mem.set(data, at);
        this.worn(at, data.length);
        off = off + data.length === ps ? 0 : off + data.length;
      } else {
        for (let i = 0; i < data.length; i++) {
          const a = base + off;
          mem[a] = data[i];
          this.worn(a, 1);
          off = off + 1 === ps ? 0 : off + 1;
        }
      }
      this.bytesWritten += data.length;
      this.pointer = base + off;
      this.busyLeft = this.opts.busyPolls !== undefined ? this.opts.busyPolls : 2;
      if (this.opts.now && this.opts.writeCycleMs) this.busyUntil = this.opts.now() + this.opts.writeCycleMs;
      this.pageWrites++;
      this.pageWear[base / ps]++;
      if (this.opts.file) this.save();
      return;
    }
    const buf = new Int16Array(ps).fill(-1);
    const order: number[] = [];
    for (let i = 0; i < data.length; i++) {
      if (buf[off] < 0) order.push(off);
      buf[off] = data[i];
      off = (off + 1) % ps;
    }
    this.pointer = base + off;
    this.busyLeft = this.opts.busyPolls !== undefined ? this.opts.busyPolls : 2;
    if (this.opts.now && this.opts.writeCycleMs) this.busyUntil = this.opts.now() + this.opts.writeCycleMs;
    if (this.loseNext) {
      this.loseNext = false;
      return;
    }
    this.pageWrites++;
    this.pageWear[base / ps]++;
    for (let i = 0; i < order.length; i++) {
      const a = base + order[i];
      if (this.cutBudget !== null && this.cutBudget <= 0) {
        this.cut(a);
        return;
      }
      this.mem[a] = buf[order[i]];
      this.worn(a, 1);
      this.bytesWritten++;
      if (this.cutBudget !== null) this.cutBudget--;
    }
    if (this.opts.file) this.save();
  }

  private cut(addr: number): void {
    if (this.cutValue !== undefined) {
      this.mem[addr] = this.cutValue & 0xff;
      this.worn(addr, 1);
      this.bytesWritten++;
    }
    this.dead = true;
    this.cutBudget = null;
    if (this.opts.file) this.save();
    if (this.onCut) this.onCut();
  }
}
