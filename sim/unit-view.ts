// The simulator's one window into a running unit's state. Everything sim/ reads of the
// firmware (names, balances, relays, registers, limits, counters) goes through these plain
// functions, so that when the firmware's state moves (typed-array tables, no config objects)
// only this file changes. Decisions and log entries come through the HAL callbacks
// (onDecision, onLog) and are not read here.
import { CoreConfig, CoreEvent } from '../firmware/core';
import { Unit } from '../firmware/unit';
import { IMPORT_ONLY, nameAt, nameIndex, nameList } from '../firmware/tables';

/** Energy periods, in the order of periodWhOf(): the four time-of-use periods, then energy
 *  billed while the unit's clock was not valid. */
export const PERIOD_NAMES = ['sharp', 'peak', 'flat', 'valley', 'no-time'];

/** The plain facts the simulator needs of a parsed configuration (a scenario's, before the
 *  unit runs): account names with their GPIO relay channel (-1: switched by their meters),
 *  meters with their account's name, and the local time offset from UTC in seconds. */
export interface ConfigFacts {
  accounts: string[];
  relays: number[];
  meters: { name: string; account: string }[];
  utcOffsetS: number;
}

export function configFacts(cfg: CoreConfig): ConfigFacts {
  return {
    accounts: nameList(cfg.accounts.names),
    relays: Array.from(cfg.accounts.relay),
    meters: nameList(cfg.meters.names).map((name, m) => ({ name, account: nameAt(cfg.accounts.names, cfg.meters.account[m]) })),
    utcOffsetS: cfg.calendar.utcOffsetS,
  };
}

/** Something that changes whenever the unit's accounts or meters are renumbered (a
 *  configuration change): indexes read before it must be looked up again. */
export function layoutToken(unit: Unit): object {
  return unit.core;
}

export function accountCount(unit: Unit): number {
  return unit.core.cfg.accounts.n;
}

export function accountNames(unit: Unit): string[] {
  return nameList(unit.core.cfg.accounts.names);
}

export function accountIndex(unit: Unit, name: string): number {
  return nameIndex(unit.core.cfg.accounts.names, name);
}

export function meterCount(unit: Unit): number {
  return unit.core.cfg.meters.n;
}

export function meterNames(unit: Unit): string[] {
  return nameList(unit.core.cfg.meters.names);
}

export function meterIndex(unit: Unit, name: string): number {
  return nameIndex(unit.core.cfg.meters.names, name);
}

/** Account index of meter m. */
export function meterAccount(unit: Unit, m: number): number {
  return unit.core.cfg.meters.account[m];
}

/** Largest plausible power of meter m (W): a register that rises faster is quarantined. */
export function meterMaxPowerW(unit: Unit, m: number): number {
  return unit.core.cfg.meters.maxPowerW[m];
}

/** Milli-currency. */
export function balanceOf(unit: Unit, a: number): number {
  return unit.core.balance[a];
}

/** Energy billed to account a since it was opened (carried over through the EEPROM), Wh. */
export function energyWhOf(unit: Unit, a: number): number {
  return unit.core.energyWh[a];
}

/** Money charged to account a since it was opened, milli-currency. */
export function chargedOf(unit: Unit, a: number): number {
  return unit.core.chargedMilli[a];
}

/** Energy billed to account a per period (PERIOD_NAMES order), since it was opened, Wh. */
export function periodWhOf(unit: Unit, a: number): number[] {
  const p = unit.core.periodWh;
  return [p[a * 5], p[a * 5 + 1], p[a * 5 + 2], p[a * 5 + 3], p[a * 5 + 4]];
}

/** True when account a's supply is switched on (relay closed). */
export function relayClosed(unit: Unit, a: number): boolean {
  return unit.core.relay[a] === 1;
}

/** 'auto' | 'on' (guaranteed power) | 'off' (forced off): the mode in force now. */
export function modeOf(unit: Unit, a: number): string {
  return ['auto', 'on', 'off'][unit.core.mode[a]] || 'auto';
}

/** Emergency credit: the balance may go down to minus this before a cut, milli-currency. */
export function creditLimitOf(unit: Unit, a: number): number {
  return unit.core.cfg.accounts.creditLimit[a];
}

/** GPIO relay channel of account a, or -1 when its meters' own relays switch it. */
export function relayChannelOf(unit: Unit, a: number): number {
  return unit.core.cfg.accounts.relay[a];
}

/** Import register (Wh) the unit last billed for meter m, or -1 before its first reading. */
export function lastBilledWh(unit: Unit, m: number): number {
  return unit.core.has[m] ? unit.core.lastImp[m] : -1;
}

/** Export register (Wh) the unit last billed for meter m, or -1 before its first reading. */
export function lastBilledExportWh(unit: Unit, m: number): number {
  return unit.core.has[m] ? unit.core.lastExp[m] : -1;
}

/** True when account a bills export energy as consumption (anti-tamper: both directions count). */
export function exportBilledOf(unit: Unit, a: number): boolean {
  return (unit.core.cfg.accounts.flags[a] & IMPORT_ONLY) !== 0;
}

/** Local time offset from UTC, seconds. */
export function utcOffsetS(unit: Unit): number {
  return unit.core.cfg.calendar.utcOffsetS;
}

/** Counters the unit keeps per bus meter. Today's firmware keeps them (MeterBus requests,
 *  retries, timeouts, CRC errors) but does not expose them through its Unit, so this answers
 *  null and the simulator reports what its virtual meters saw on the wire instead. */
export function busStats(unit: Unit): { meter: string; requests: number; retries: number; timeouts: number; crcErrors: number }[] | null {
  void unit;
  return null;
}

const watched = new WeakSet<object>();

/** Calls fn with every event the billing core takes, the unit's own bus and pulse readings
 *  included (the firmware has no hook for them: this wraps the core's handle). A
 *  configuration change replaces the core: call it again when layoutToken() changes. */
export function watchCoreEvents(unit: Unit, fn: (ev: CoreEvent) => void): void {
  const core = unit.core;
  if (watched.has(core)) return;
  watched.add(core);
  const own = core.handle;
  core.handle = function (ev: CoreEvent) {
    fn(ev);
    return own.call(core, ev);
  };
}

/** True when the unit's boot log says it found an EEPROM it could not read and formatted it
 *  (not a blank part: a foreign or damaged image). */
export function formattedUnreadableEeprom(log: { kind: string; text: string }[]): boolean {
  return log.some((e) => e.kind === 'boot' && e.text.indexOf('EEPROM header unreadable') === 0);
}

/** The firmware's core itself, for tests that check the runner against it. */
export function coreOf(unit: Unit): Unit['core'] {
  return unit.core;
}
