// Byte-level encoding for EEPROM records: little varints (zigzag, exact below 2^52 without
// bitwise tricks beyond 32 bits), fixed unsigned fields and short latin-1 strings. A reader
// never throws: reading past the end sets `bad`, and the caller refuses the record.

/** Appends fields to a growing buffer. */
export class Writer {
  b: Uint8Array;
  /** Bytes written (from 0, or from `start`: a journal batch leaves its header's room). */
  n: number;

  /** Only counts (n grows, the bytes go nowhere): a first pass that sizes the second, so that a
   *  large record is written into one buffer of its size. Made with a negative size. */
  count: boolean;

  /** Takes the buffer's first bytes, all but its last 8, each time they are written (what
   *  follows them then moves to the start): a record streamed through a small buffer instead of
   *  held whole, in pieces of the same size (an EEPROM page each, from a page's start). */
  sink?: (b: Uint8Array, n: number) => void;

  constructor(size: number, start?: number) {
    this.count = size < 0;
    this.b = new Uint8Array(size < 0 ? 0 : size);
    this.n = start || 0;
  }

  private room(k: number): void {
    if (this.sink) {
      // (at most 8 bytes are written at once, num's most: they always fit behind the piece)
      const p = this.b.length - 8;
      if (this.n >= p) {
        this.sink(this.b, p);
        this.b.set(this.b.subarray(p, this.n));
        this.n -= p;
      }
      return;
    }
    if (this.n + k <= this.b.length || this.count) return;
    const nb = new Uint8Array((this.b.length + k) * 2);
    nb.set(this.b);
    this.b = nb;
  }

  u8(v: number): void {
    this.room(1);
    this.b[this.n++] = v & 255;
  }

  u16(v: number): void {
    this.u8(v);
    this.u8(v >> 8);
  }

  u32(v: number): void {
    this.u16(v % 65536);
    this.u16(Math.floor(v / 65536));
  }

  /** Signed integer below 2^52 in size (zigzag doubles it), 7 bits a byte (small values take one). */
  num(v: number): void {
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    // At most 8 bytes (7 bits each), written straight into the buffer.
    this.room(8);
    const b = this.b;
    let n = this.n;
    while (z >= 128) {
      // Not z % 128: on a double that is a slow call in V8; z / 128 is exact.
      const q = Math.floor(z / 128);
      b[n++] = 128 + (z - q * 128);
      z = q;
    }
    b[n++] = z;
    this.n = n;
  }

  str(s: string): void {
    this.u8(s.length);
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i));
  }

  bytes(x: Uint8Array): void {
    this.room(x.length);
    if (!this.count) this.b.set(x, this.n);
    this.n += x.length;
  }

  /** The bytes written so far. */
  out(): Uint8Array {
    return new Uint8Array(this.b.buffer, 0, this.n);
  }
}

/** Reads fields from [pos, end) of a buffer. */
export class Reader {
  bad = false;

  constructor(public b: Uint8Array, public pos: number, public end: number) {}

  u8(): number {
    if (this.pos >= this.end) {
      this.bad = true;
      return 0;
    }
    return this.b[this.pos++];
  }

  u16(): number {
    return this.u8() + this.u8() * 256;
  }

  u32(): number {
    return this.u16() + this.u16() * 65536;
  }

  num(): number {
    let z = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const c = this.u8();
      z += (c % 128) * mul;
      // (by bits where they hold it: a quotient is a float to Espruino, and a small integer
      // kept in a property costs the heap a variable less than a float)
      if (c < 128) return z < 0x80000000 ? (z >> 1) ^ -(z & 1) : z % 2 ? -(z + 1) / 2 : z / 2;
      mul *= 128;
    }
    this.bad = true;
    return 0;
  }

  str(): string {
    const n = this.u8();
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.u8());
    return s;
  }
}
