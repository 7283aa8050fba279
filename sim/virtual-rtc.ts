// A virtual DS3231 on the virtual I2C bus, speaking the chip's register protocol: a write sets
// the register pointer (and writes from it on, auto-incrementing), a read returns registers
// from the pointer with the time copied into a read buffer at the START, as the chip does.
// Time runs on the simulator's virtual ms clock with a drift in ppm; the calendar here uses
// Node's Date, independent of the driver's own integer arithmetic so each checks the other.
import { VirtualI2cDevice, joined } from './virtual-i2c';

/** 2000-01-01T00:00:00Z, where the chip's counters restart after a power-on reset. */
const RESET_EPOCH = 946684800;
/** Registers 0x00..0x12. */
const REGS = 0x13;

/** The virtual clock it runs on, where it starts, and how fast its crystal is. */
export interface VirtualDs3231Options {
  /** Virtual milliseconds (the simulator's clock). */
  now: () => number;
  /** UTC seconds the chip holds at now(); absent = a fresh chip: 2000-01-01 with OSF set. */
  startEpoch?: number;
  /** Crystal error in ppm: positive runs fast, time advances (1 + ppm/1e6) times virtual time. */
  ppm?: number;
}

/** The virtual chip; attach it to a VirtualI2cBus at 0x68. */
export class VirtualDs3231 implements VirtualI2cDevice {
  /** Counts changes other than time passing: registers written, battery lost, drift changed. */
  changes = 0;
  private baseNow: number;
  private baseMs: number;
  private ppm: number;
  private mode12 = false;
  /** Weekday register = ((days since 1970 + dowOffset) mod 7) + 1; the chip just counts it. */
  private dowOffset: number;
  private regs = new Uint8Array(REGS);
  private pointer = 0;

  constructor(private opts: VirtualDs3231Options) {
    this.ppm = opts.ppm || 0;
    this.baseNow = opts.now();
    this.regs[0x0e] = 0x1c; // INTCN, RS2, RS1: the power-on value
    this.regs[0x11] = 0x19; // 25.00 degrees C
    if (opts.startEpoch === undefined) {
      this.baseMs = RESET_EPOCH * 1000;
      this.dowOffset = dowOffsetFor(RESET_EPOCH, 1);
      this.regs[0x0f] = 0x88; // OSF, EN32kHz
    } else {
      this.baseMs = opts.startEpoch * 1000;
      this.dowOffset = 4; // 1 = Sunday, as hal/ds3231.ts writes it
      this.regs[0x0f] = 0x08;
    }
  }

  /** The virtual ms clock it runs on, now. */
  instant(): number {
    return this.opts.now();
  }

  /** UTC seconds the chip holds now (whole seconds, as its registers show). */
  epochSeconds(): number {
    return Math.floor(this.epochMs() / 1000);
  }

  /** Changes the crystal error from now on (temperature, ageing). */
  setDrift(ppm: number): void {
    this.changes++;
    this.rebase(this.epochMs());
    this.ppm = ppm;
  }

  /** Backup battery gone while unpowered: OSF set, counters back to 2000-01-01 00:00:00, still running. */
  loseBattery(): void {
    this.changes++;
    this.rebase(RESET_EPOCH * 1000);
    this.mode12 = false;
    this.dowOffset = dowOffsetFor(RESET_EPOCH, 1);
    this.regs[0x0f] |= 0x80;
  }

  /** All registers 0x00..0x12 as a read at this instant would return them. */
  registers(): Uint8Array {
    const out = this.regs.slice();
    out.set(this.timeRegisters(), 0);
    return out;
  }

  // The time registers of the last second asked for: the unit reads the clock several times
  // a second of virtual time, and the calendar arithmetic is the costly part.
  private cacheSec = NaN;
  private cacheMode12 = false;
  private cacheDow = 0;
  private cacheRegs: Uint8Array = new Uint8Array(7);

  write(first: Uint8Array, more?: Uint8Array): boolean {
    const bytes = joined(first, more);
    if (bytes.length === 0) return true;
    this.pointer = bytes[0] % REGS;
    if (bytes.length === 1) return true;
    this.changes++;
    const nowMs = this.epochMs();
    const img = this.timeRegisters();
    let timeWritten = false;
    let secondsWritten = false;
    let dowWritten = -1;
    for (let i = 1; i < bytes.length; i++) {
      const r = this.pointer;
      const v = bytes[i];
      if (r <= 0x06) {
        img[r] = v;
        timeWritten = true;
        if (r === 0) secondsWritten = true;
        if (r === 2) this.mode12 = (v & 0x40) !== 0;
        if (r === 3) dowWritten = v & 0x07;
      } else if (r === 0x0f) {
        // OSF and the alarm flags can only be cleared; BSY and bits 6..4 are read-only.
        const old = this.regs[0x0f];
        this.regs[0x0f] = (old & v & 0x83) | (v & 0x08) | (old & 0x04);
      } else if (r !== 0x11 && r !== 0x12) {
        this.regs[r] = v;
      }
      this.pointer = (this.pointer + 1) % REGS;
    }
    if (timeWritten) {
      const sec = decodeTime(img, this.mode12);
      // Writing the seconds register restarts the countdown chain at a whole second.
      this.rebase(sec * 1000 + (secondsWritten ? 0 : nowMs % 1000));
      if (dowWritten >= 0) this.dowOffset = dowOffsetFor(sec, dowWritten);
    }
    return true;
  }

  read(len: number): Uint8Array | null {
    const t = this.currentTimeRegisters();
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const p = this.pointer;
      out[i] = p < 7 ? t[p] : this.regs[p];
      this.pointer = p + 1 === REGS ? 0 : p + 1;
    }
    return out;
  }

  private epochMs(): number {
    return this.baseMs + ((this.opts.now() - this.baseNow) * (1e6 + this.ppm)) / 1e6;
  }

  private rebase(epochMs: number): void {
    this.baseNow = this.opts.now();
    this.baseMs = epochMs;
  }

  /** Registers 0x00..0x06 for the current time, in the hour mode last written (a copy). */
  private timeRegisters(): Uint8Array {
    return this.currentTimeRegisters().slice();
  }

  /** The same, the cached array itself: only to be read, before the next call. */
  private currentTimeRegisters(): Uint8Array {
    const sec = this.epochSeconds();
    if (sec === this.cacheSec && this.mode12 === this.cacheMode12 && this.dowOffset === this.cacheDow) return this.cacheRegs;
    this.cacheRegs = this.computeTimeRegisters(sec);
    this.cacheSec = sec;
    this.cacheMode12 = this.mode12;
    this.cacheDow = this.dowOffset;
    return this.cacheRegs;
  }

  private computeTimeRegisters(sec: number): Uint8Array {
    const d = new Date(sec * 1000);
    const year = d.getUTCFullYear();
    const h = d.getUTCHours();
    const days = Math.floor(sec / 86400);
    const out = new Uint8Array(7);
    out[0] = bcd(d.getUTCSeconds());
    out[1] = bcd(d.getUTCMinutes());
    out[2] = this.mode12 ? 0x40 | (h >= 12 ? 0x20 : 0) | bcd(h % 12 === 0 ? 12 : h % 12) : bcd(h);
    out[3] = mod7(days + this.dowOffset) + 1;
    out[4] = bcd(d.getUTCDate());
    out[5] = bcd(d.getUTCMonth() + 1) | (year >= 2100 ? 0x80 : 0);
    out[6] = bcd(year % 100);
    return out;
  }
}

function bcd(n: number): number {
  return (Math.floor(n / 10) << 4) | n % 10;
}

function unbcd(v: number): number {
  return (v >> 4) * 10 + (v & 0x0f);
}

function mod7(n: number): number {
  return ((n % 7) + 7) % 7;
}

/** The weekday offset that makes the register read `dow` on the day holding `sec`. */
function dowOffsetFor(sec: number, dow: number): number {
  return mod7(dow - 1 - Math.floor(sec / 86400));
}

/** UTC seconds of a written time-register image (Date.UTC rolls over impossible dates). */
function decodeTime(r: Uint8Array, mode12: boolean): number {
  let hour = unbcd(r[2] & 0x3f);
  if (mode12) hour = (unbcd(r[2] & 0x1f) % 12) + (r[2] & 0x20 ? 12 : 0);
  const year = 2000 + unbcd(r[6]) + (r[5] & 0x80 ? 100 : 0);
  return Date.UTC(year, unbcd(r[5] & 0x1f) - 1, unbcd(r[4] & 0x3f), hour, unbcd(r[1] & 0x7f), unbcd(r[0] & 0x7f)) / 1000;
}
