// DS3231 real-time clock over I2C. Registers 0x00..0x06 hold BCD seconds, minutes, hours,
// weekday, date, month (+ century bit) and year; status 0x0F bit 7 (OSF) says the oscillator
// stopped, so the time is not to be trusted. One burst read of 0x00..0x0F is consistent: the
// chip copies the time to a read buffer at the START. Calendar arithmetic: hal/calendar.ts.
import { civilFromSeconds, daysFromCivil } from './calendar';
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
    // The register pointer to 0x00: a new array is zeros (no array literal to copy it from).
    const w = this.bus.writeTo(this.address, new Uint8Array(1));
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
    const c = civilFromSeconds(epochSeconds);
    const regs = new Uint8Array(8);
    regs[0] = 0x00;
    regs[1] = toBcd(c.second);
    regs[2] = toBcd(c.minute);
    regs[3] = toBcd(c.hour); // bit 6 clear: 24-hour mode
    regs[4] = c.weekday + 1; // 1 = Sunday
    regs[5] = toBcd(c.day);
    regs[6] = toBcd(c.month); // century bit clear: 20xx
    regs[7] = toBcd(c.year - 2000);
    // Writing the seconds register also restarts the chip's sub-second countdown.
    const w = this.bus.writeTo(this.address, regs);
    if (!w.ok) return fail<true>(w.error, w.detail);
    // Clear OSF only, keeping EN32kHz and the alarm flags as they are.
    const p = this.bus.writeTo(this.address, new Uint8Array([0x0f]));
    if (!p.ok) return fail<true>(p.error, p.detail);
    const st = this.bus.readFrom(this.address, 1);
    if (!st.ok) return fail<true>(st.error, st.detail);
    const cl = this.bus.writeTo(this.address, new Uint8Array([0x0f, st.value[0] & 0x7f]));
    if (!cl.ok) return fail<true>(cl.error, cl.detail);
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

