// The unit's I2C side in the simulator: a virtual AT24C EEPROM and a virtual DS3231 on one
// virtual bus, read through the same drivers (hal/at24c.ts, hal/ds3231.ts) as on the board.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { At24c } from '../hal/at24c';
import { useNativeCrc32 } from '../hal/crc32';
import { Ds3231 } from '../hal/ds3231';
import { Result } from '../hal/result';
import { Rtc, RtcTime } from '../hal/rtc';
import { VirtualI2cBus } from './virtual-i2c';
import { VirtualAt24c } from './virtual-eeprom';
import { VirtualDs3231 } from './virtual-rtc';
import { StartError } from './start-error';

// The firmware's CRC-32 of journal batches and slots, native as on the board (E.CRC32 there).
useNativeCrc32((bytes) => zlib.crc32(bytes));

/** EEPROM parts the simulator offers, as on boards/*.json. The AT24CM01 and AT24CM02 take
 *  address bit 16 (and 17) in the device address: the chip answers at 2 (4) addresses. */
export const PARTS: { [part: string]: { size: number; pageSize: number } } = {
  AT24C32: { size: 4096, pageSize: 32 },
  AT24C64: { size: 8192, pageSize: 32 },
  AT24C128: { size: 16384, pageSize: 64 },
  AT24C256: { size: 32768, pageSize: 64 },
  AT24C512: { size: 65536, pageSize: 128 },
  AT24CM01: { size: 131072, pageSize: 256 },
  AT24CM02: { size: 262144, pageSize: 256 },
};

/** The part the simulator gives a unit unless its scenario picks another: the boards' part
 *  (boards/*.json), so that the simulator runs what the board carries. */
export const DEFAULT_PART = 'AT24CM01';

/** Options of the rig. */
export interface StorageRigOptions {
  /** Virtual milliseconds (the simulation's clock). */
  now: () => number;
  /** UTC seconds the RTC shows at now() = 0; absent: a fresh RTC with its not-valid flag set. */
  startEpoch?: number;
  part?: string;
  /** Keep the EEPROM image in this file (a run can stop and resume). */
  file?: string;
  /** An EEPROM to reuse (a reboot keeps the chip). */
  chip?: VirtualAt24c;
  /** An RTC to reuse (it keeps running through a reboot). */
  clock?: VirtualDs3231;
  /** The driver does not read back what it writes: the chip is trusted, as nothing in a
   *  scenario can make it lose a write (its failNextWrite() then throws). */
  trusted?: boolean;
}

/** The chips and the drivers the unit gets. */
export class StorageRig {
  readonly bus = new VirtualI2cBus();
  readonly chip: VirtualAt24c;
  readonly clock: VirtualDs3231;
  readonly eeprom: At24c;
  /** The unit's RTC: the DS3231 driver, read once per instant (InstantRtc). */
  readonly rtc: InstantRtc;
  readonly file?: string;
  /** The image came from the file, and whether it was blank (never written). */
  readonly loaded: boolean = false;
  readonly blank: boolean = true;

  constructor(o: StorageRigOptions) {
    const part = o.part || DEFAULT_PART;
    const p = PARTS[part];
    if (!p) throw new StartError('unknown EEPROM part ' + o.part + ' (' + Object.keys(PARTS).join(', ') + ')');
    this.chip = o.chip || new VirtualAt24c({ size: p.size, pageSize: p.pageSize });
    this.file = o.file;
    // Checked now: the file is written at the end of the run (and every few seconds live).
    if (o.file && !fs.existsSync(path.dirname(path.resolve(o.file)))) {
      throw new StartError('cannot keep the EEPROM in ' + o.file + ': the folder ' + path.dirname(path.resolve(o.file)) + ' does not exist');
    }
    // Loaded once and saved by save(): writing the image after every page would cost more
    // than the whole simulation.
    if (o.file && fs.existsSync(o.file)) {
      let image: Buffer;
      try {
        image = fs.readFileSync(o.file);
      } catch (e) {
        throw new StartError('cannot read the EEPROM file ' + o.file + ': ' + (e as Error).message);
      }
      if (image.length !== p.size) {
        throw new StartError('the EEPROM file ' + o.file + ' holds ' + image.length + ' bytes, but this scenario\'s ' + part + ' holds ' + p.size + ': give the file of a unit with that part, or a new file name');
      }
      this.chip.restore(image);
      this.loaded = true;
      for (let i = 0; i < image.length && this.blank; i++) if (image[i] !== 0xff) this.blank = false;
    }
    this.clock = o.clock || new VirtualDs3231({ now: o.now, startEpoch: o.startEpoch });
    for (let i = 0; i < this.chip.addresses; i++) this.bus.attach(0x50 + i, this.chip);
    this.bus.attach(0x68, this.clock);
    if (o.trusted) this.chip.trusted = true;
    this.eeprom = new At24c(this.bus, { address: 0x50, size: this.chip.size, pageSize: this.chip.pageSize, writeMs: 5, verify: !o.trusted });
    this.rtc = new InstantRtc(new Ds3231(this.bus, 0x68), this.clock, this.bus);
  }

  /** Writes the EEPROM image to the file it came from (if any). */
  save(): void {
    if (this.file) this.chip.save(this.file);
  }
}

/** An RTC driver read once per instant of the chip's virtual clock. The virtual bus takes no time, so
 *  every read within one virtual millisecond (the unit reads the clock for each event, and a
 *  poll's readings all arrive at one instant) would read the same registers: the first is read
 *  over the bus and the others get its answer. It reads again when the clock has moved, after
 *  set(), and after anything else changed the chip or the bus (registers written, battery lost,
 *  drift, power, devices); a failed read is not kept. */
export class InstantRtc implements Rtc {
  /** Reads that went to the driver (the others were answered from the last one). */
  reads = 0;
  private at = NaN;
  private changes = -1;
  private last: Result<RtcTime> | null = null;

  constructor(
    readonly driver: Rtc,
    private chip: VirtualDs3231,
    private bus: VirtualI2cBus,
  ) {}

  read(): Result<RtcTime> {
    const t = this.chip.instant();
    // Both counters only grow, so their sum changes whenever either does.
    const changes = this.chip.changes + this.bus.changes;
    if (this.last && t === this.at && changes === this.changes) return this.last;
    const r = this.driver.read();
    this.reads++;
    this.last = r.ok ? r : null;
    this.at = t;
    this.changes = changes;
    return r;
  }

  set(epochSeconds: number): Result<true> {
    this.last = null;
    return this.driver.set(epochSeconds);
  }
}
