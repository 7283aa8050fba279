// Civil calendar from UTC seconds without Date (absent in the Lua build, partial on Espruino),
// in hal/ so that the RTC driver and the firmware share it.
// Days-from-civil after H. Hinnant's public-domain algorithm, integers only, no % on negatives:
// valid for 1970..2199, which is all a meter will see.

/** A broken-down civil time. Month 1..12, day 1..31, weekday 0 = Sunday. */
export interface CivilTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  /** Days since 1970-01-01. */
  dayNumber: number;
}

/** Days since 1970-01-01 of a civil date (year >= 1970). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Breaks seconds since 1970 (already shifted to local time if wanted) into civil fields. */
export function civilFromSeconds(seconds: number): CivilTime {
  const days = Math.floor(seconds / 86400);
  const secOfDay = seconds - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year: year,
    month: month,
    day: day,
    hour: Math.floor(secOfDay / 3600),
    minute: Math.floor(secOfDay / 60) - Math.floor(secOfDay / 3600) * 60,
    second: secOfDay - Math.floor(secOfDay / 60) * 60,
    weekday: (days + 4) - Math.floor((days + 4) / 7) * 7,
    dayNumber: days,
  };
}

/** Seconds since 1970 of a civil date-time. */
export function secondsFromCivil(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}
