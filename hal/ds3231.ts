// DS3231 real-time clock over I2C. Registers 0x00..0x06 hold BCD seconds, minutes, hours,
// weekday, date, month (+ century bit) and year; status 0x0F bit 7 (OSF) says the oscillator
// stopped, so the time is not to be trusted. One burst read of 0x00..0x0F is consistent: the
// chip copies the time to a read buffer at the START. Calendar arithmetic is local (hal/ may
// not import firmware/lib/calendar.ts) and integer-only (days-from-civil, H. Hinnant).
import { I2cBus } from './i2c';
import { Result, fail, ok } from './result';
import { Rtc, RtcTime } from './rtc';

/** 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z: the span the two-digit year register covers. */
const EPOCH_2000 = 946684800;
const EPOCH_2100 = 4102444800;

/** A DS3231 (or DS3232) RTC; errors 'nack' | 'timeout' from the bus, 'range', 'corrupt'. */
export class Ds3231 implements Rtc {
  private address: number;

  /** address: 7-bit I2C address, 0x68 when absent (the DS3231's only address). */
  constructor(private bus: I2cBus, address?: number) {
    this.address = address === undefined ? 0x68 : address;
  }

  /** Reads 0x00..0x0F in one burst; 12- and 24-hour modes; OSF makes the time not valid. */
  read(): Result<RtcTime> {
    const w = this.bus.writeTo(this.address, new Uint8Array([0x00]));
    if (!w.ok) return fail<RtcTime>(w.error, w.detail);
    const r = this.bus.readFrom(this.address, 16);
    if (!r.ok) return fail<RtcTime>(r.error, r.detail);
    const b = r.value;
    const sec = bcd(b[0] & 0x7f);
    const min = bcd(b[1] & 0x7f);
    let hour = bcd(b[2] & 0x3f);
    if (b[2] & 0x40) {
      // 12-hour mode: bit 5 is PM, hours run 12, 1..11.
      const h12 = bcd(b[2] & 0x1f);
      hour = h12 < 1 || h12 > 12 ? -1 : (h12 === 12 ? 0 : h12) + (b[2] & 0x20 ? 12 : 0);
    }
    const day = bcd(b[4] & 0x3f);
    const month = bcd(b[5] & 0x1f);
    const yy = bcd(b[6]);
    const year = 2000 + yy + (b[5] & 0x80 ? 100 : 0);
    if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 || hour > 23 || yy < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      return fail<RtcTime>('corrupt', 'time registers');
    }
    const t = daysFromCivil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
    return ok({ epochSeconds: t, valid: (b[15] & 0x80) === 0 });
  }

  /** Writes the time in 24-hour mode (2000..2099 only, else 'range'), then clears OSF. */
  set(epochSeconds: number): Result<true> {
    if (!(epochSeconds >= EPOCH_2000 && epochSeconds < EPOCH_2100) || Math.floor(epochSeconds) !== epochSeconds) {
      return fail<true>('range', '' + epochSeconds);
    }
    const days = Math.floor(epochSeconds / 86400);
    const s = epochSeconds - days * 86400;
    // Civil from days (all values positive here, so plain division and % are safe).
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const regs = new Uint8Array(8);
    regs[0] = 0x00;
    regs[1] = toBcd(s % 60);
    regs[2] = toBcd(Math.floor(s / 60) % 60);
    regs[3] = toBcd(Math.floor(s / 3600)); // bit 6 clear: 24-hour mode
    regs[4] = ((days + 4) % 7) + 1; // 1 = Sunday (1970-01-01 was a Thursday)
    regs[5] = toBcd(doy - Math.floor((153 * mp + 2) / 5) + 1);
    regs[6] = toBcd(month); // century bit clear: 20xx
    regs[7] = toBcd(year - 2000);
    // Writing the seconds register also restarts the chip's sub-second countdown.
    const w = this.bus.writeTo(this.address, regs);
    if (!w.ok) return fail<true>(w.error, w.detail);
    // Clear OSF only, keeping EN32kHz and the alarm flags as they are.
    const p = this.bus.writeTo(this.address, new Uint8Array([0x0f]));
    if (!p.ok) return fail<true>(p.error, p.detail);
    const st = this.bus.readFrom(this.address, 1);
    if (!st.ok) return fail<true>(st.error, st.detail);
    const c = this.bus.writeTo(this.address, new Uint8Array([0x0f, st.value[0] & 0x7f]));
    if (!c.ok) return fail<true>(c.error, c.detail);
    return ok<true>(true);
  }
}

/** BCD byte to number, or -1 when a nibble is not a decimal digit. */
function bcd(v: number): number {
  const hi = v >> 4;
  const lo = v & 0x0f;
  return hi > 9 || lo > 9 ? -1 : hi * 10 + lo;
}

function toBcd(n: number): number {
  return (Math.floor(n / 10) << 4) | n % 10;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a civil date (years >= 2000 here, so nothing is negative). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}
