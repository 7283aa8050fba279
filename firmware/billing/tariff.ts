// Prices: up to four time-of-use periods by local time and day type, plus monthly tiers.
// A price is periodPrice[period] + tierAdder[tier] (milli-currency per kWh): flat is one
// period and no tiers, a pure step tariff is one period with adders, and both combine.
import { hasFlag } from '../lib/bits';

/** Period indexes, as on Chinese TOU meters (tariffs 1..4). */
export const SHARP = 0;
export const PEAK = 1;
export const FLAT = 2;
export const VALLEY = 3;

/** A parsed price plan. Schedules are flat lists [startMinute, period, ...], first start 0. */
export interface PricePlan {
  periodPrice: number[];
  workday: number[];
  weekend: number[];
  /** Ascending monthly energy thresholds in Wh: tier i covers up to tierUptoWh[i]. */
  tierUptoWh: number[];
  /** Added price per tier; length tierUptoWh.length + 1. */
  tierAdder: number[];
  /** Price while the clock is not valid (the period is unknown): by default the highest period price, so nothing is under-billed. */
  safePrice: number;
}

/** When days are weekends or holidays, and the local-time offset. */
export interface Calendar {
  utcOffsetS: number;
  /** Bit d set = weekday d (0 Sunday) uses the weekend schedule. */
  weekendMask: number;
  /** Day numbers (days since 1970-01-01, local) that use the weekend schedule. */
  holidays: number[];
  /** Day of month 1..28 on which the tier counter restarts, at local midnight. */
  billingDay: number;
}

/** Local day number of a local-seconds time. */
export function dayOf(localS: number): number {
  return Math.floor(localS / 86400);
}

/** True when the local day uses the weekend/holiday schedule. */
export function isRestDay(cal: Calendar, day: number): boolean {
  if (hasFlag(cal.weekendMask, day + 4 - Math.floor((day + 4) / 7) * 7)) return true;
  for (let i = 0; i < cal.holidays.length; i++) if (cal.holidays[i] === day) return true;
  return false;
}

/** The schedule (flat pairs) in force on a local day. */
export function scheduleOf(plan: PricePlan, cal: Calendar, day: number): number[] {
  return isRestDay(cal, day) ? plan.weekend : plan.workday;
}

/** Period at a minute of the day in a schedule. */
export function periodAt(schedule: number[], minute: number): number {
  let p = schedule[1];
  for (let i = 0; i < schedule.length; i += 2) if (schedule[i] <= minute) p = schedule[i + 1];
  return p;
}

/** Local seconds of the next period boundary strictly after localS (at latest next midnight). */
export function nextBoundary(schedule: number[], localS: number): number {
  const day = dayOf(localS);
  const midnight = (day + 1) * 86400;
  const minute = Math.floor((localS - day * 86400) / 60);
  for (let i = 0; i < schedule.length; i += 2) {
    if (schedule[i] > minute) return day * 86400 + schedule[i] * 60;
  }
  return midnight;
}

/** Tier index for a monthly energy total. */
export function tierOf(plan: PricePlan, monthlyWh: number): number {
  let t = 0;
  while (t < plan.tierUptoWh.length && monthlyWh >= plan.tierUptoWh[t]) t++;
  return t;
}
