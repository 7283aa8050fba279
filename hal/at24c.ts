// AT24C32..AT24C512 and AT24CM01/AT24CM02 I2C EEPROM: two address bytes (big-endian) follow the
// device address; the 1 and 2 Mbit parts take address bit 16 (and 17) in the device address's
// low bits, so each 64 KB of them is reached at its own device address. Writes go one page at a
// time because the chip wraps inside its page buffer; each page is awaited by acknowledge polling
// (the chip NACKs while it programs) and read back, so a write that reports success is known to
// be in the cells.
import { Eeprom } from './eeprom';
import { I2cBus } from './i2c';
import { Result, fail, ok } from './result';

/** Largest single readFrom: Espruino can do more, but every byte of the buffer costs RAM. */
const READ_CHUNK = 64;

/** How the part is wired and sized (hal/espruino/board.ts BoardEeprom carries the same fields). */
export interface At24cOptions {
  /** 7-bit device address, 0x50..0x57 (AT24CM01: 0x50, 0x52, 0x54 or 0x56; AT24CM02: 0x50 or 0x54). */
  address: number;
  /** Capacity in bytes, at most 262,144 (AT24CM02). */
  size: number;
  /** Page buffer in bytes: 32 (AT24C32/64), 64 (AT24C128/256), 128 (AT24C512), 256 (AT24CM01/02). */
  pageSize: number;
  /** Worst-case internal write cycle from the datasheet (5 ms for most parts). */
  writeMs: number;
  /** Acknowledge polls allowed per page; default derived from writeMs. */
  pollTries?: number;
  /** Called between polls (a busy-wait on the board, a virtual clock step in tests). */
  wait?: (ms: number) => void;
  /** false: pages are not read back. Only for a part that cannot lose a write unnoticed: the
   *  simulator's virtual chip in its scenario runs (sim/storage-rig.ts); boards always verify. */
  verify?: boolean;
}

/** An AT24C-class EEPROM over a synchronous I2C bus; errors 'nack' | 'timeout' | 'verify' | 'range'. */
export class At24c implements Eeprom {
  readonly size: number;
  readonly pageSize: number;
  private tries: number;

  constructor(private bus: I2cBus, private opts: At24cOptions) {
    this.size = opts.size;
    this.pageSize = opts.pageSize;
    // Without wait() each poll is one address-only transaction (>= ~25 us even at 400 kHz).
    this.tries = opts.pollTries !== undefined ? opts.pollTries : opts.wait ? opts.writeMs + 5 : opts.writeMs * 40 + 10;
  }

  /** Reads len bytes from addr in chunks of at most READ_CHUNK bytes, none crossing a 64 KB
   *  boundary: each 64 KB is read at its own device address, not through the chip's roll-over. */
  read(addr: number, len: number): Result<Uint8Array> {
    if (!this.inRange(addr, len)) return fail<Uint8Array>('range', addr + '+' + len);
    const out = new Uint8Array(len);
    let pos = 0;
    while (pos < len) {
      let n = len - pos < READ_CHUNK ? len - pos : READ_CHUNK;
      const room = 65536 - ((addr + pos) & 0xffff);
      if (n > room) n = room;
      const r = this.readAt(addr + pos, n);
      if (!r.ok) return r;
      out.set(r.value, pos);
      pos += n;
    }
    return ok(out);
  }

  /** Writes page by page: sends the page, polls until the write cycle ends, reads it back and
   *  compares; stops at the first page that fails (earlier pages stay written). */
  write(addr: number, bytes: Uint8Array): Result<true> {
    if (!this.inRange(addr, bytes.length)) return fail<true>('range', addr + '+' + bytes.length);
    // A page goes as its two address bytes and a view of its data, one transaction: no frame
    // to copy them into. The poll writes only the address bytes, so when the chip answers the
    // pointer is set. (No page straddles a 64 KB boundary: the device address holds for it all.)
    const ptr = new Uint8Array(2);
    let pos = 0;
    while (pos < bytes.length) {
      const at = addr + pos;
      const room = this.pageSize - (at % this.pageSize);
      const n = bytes.length - pos < room ? bytes.length - pos : room;
      const dev = this.opts.address | (at >> 16);
      ptr[0] = at >> 8;
      ptr[1] = at & 0xff;
      const w = this.bus.writeTo(dev, ptr, bytes.subarray(pos, pos + n));
      if (!w.ok) return fail<true>(w.error, 'page write at ' + at + ': ' + w.detail);
      let acked = false;
      for (let i = 0; i < this.tries && !acked; i++) {
        if (i > 0 && this.opts.wait) this.opts.wait(1);
        acked = this.bus.writeTo(dev, ptr).ok;
      }
      if (!acked) return fail<true>('timeout', 'write cycle at ' + at);
      if (this.opts.verify !== false) {
        const r = this.bus.readFrom(dev, n);
        if (!r.ok) return fail<true>(r.error, 'read-back at ' + at + ': ' + r.detail);
        for (let i = 0; i < n; i++) {
          if (r.value[i] !== bytes[pos + i]) return fail<true>('verify', 'at ' + (at + i));
        }
      }
      pos += n;
    }
    return ok<true>(true);
  }

  /** Sets the address pointer, then reads sequentially from it. */
  private readAt(at: number, n: number): Result<Uint8Array> {
    const ptr = new Uint8Array(2);
    const dev = this.opts.address | (at >> 16);
    ptr[0] = at >> 8;
    ptr[1] = at & 0xff;
    const w = this.bus.writeTo(dev, ptr);
    if (!w.ok) return fail<Uint8Array>(w.error, 'address ' + at + ': ' + w.detail);
    const r = this.bus.readFrom(dev, n);
    if (!r.ok) return fail<Uint8Array>(r.error, 'read at ' + at + ': ' + r.detail);
    return r;
  }

  private inRange(addr: number, len: number): boolean {
    return addr >= 0 && len >= 0 && Math.floor(addr) === addr && Math.floor(len) === len && addr + len <= this.size;
  }
}
