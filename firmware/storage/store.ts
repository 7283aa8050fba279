// The EEPROM as the unit uses it: a format header, two configuration slots, the record
// journal, the event log and the freeze records. Boot finds the newest complete copy of
// everything, says what it recovered or lost, and formats a blank or unreadable EEPROM
// with factory defaults (loudly). Layout, in proportion to the part's size:
//   header x2 (one page each) | config slot A | config slot B | events | daily freezes |
//   monthly freezes | journal
import { Eeprom } from '../../hal/eeprom';
import { Journal, JournalScan } from './journal';
import { SlotRing } from './slot-ring';

/** Current format. 1: accounts without the top-up total and token state. 2: with them. 3: the
 *  configuration as binary tables (config-store.ts) instead of JSON text. */
export const FORMAT = 3;
export const HEADER_MAGIC = [0x50, 0x4d, 0x55]; // "PMU"
/** A configuration slot: 0xC7 holds JSON text (format 2 and before), 0xC9 the binary tables
 *  of config-store.ts. */
export const CONFIG_TEXT = 0xc7;
export const CONFIG_TABLES = 0xc9;
/** Event and freeze slot sizes (bytes). */
export const EVENT_SLOT = 80;
export const FREEZE_SLOT = 96;

/** Where each part lives (byte addresses). */
export interface StoreLayout {
  header: number[];
  config: number[];
  configSize: number;
  events: number;
  eventSlots: number;
  daily: number;
  dailySlots: number;
  monthly: number;
  monthlySlots: number;
  journal: number;
  journalSize: number;
}

function pages(bytes: number, page: number): number {
  return Math.floor(bytes / page) * page;
}

/** The layout for an EEPROM of size bytes with the given page size. */
export function layoutFor(size: number, page: number): StoreLayout {
  const hp = page < 32 ? 32 : page;
  const cs = pages((size * 3) / 16, page);
  const ev = pages((size * 3) / 16, EVENT_SLOT);
  const fd = pages((size * 4) / 32, FREEZE_SLOT);
  const fm = pages(size / 32, FREEZE_SLOT);
  const c0 = 2 * hp;
  const e = c0 + 2 * cs;
  const j = e + ev + fd + fm;
  return {
    header: [0, hp],
    config: [c0, c0 + cs],
    configSize: cs,
    events: e,
    eventSlots: ev / EVENT_SLOT,
    daily: e + ev,
    dailySlots: fd / FREEZE_SLOT,
    monthly: e + ev + fd,
    monthlySlots: fm / FREEZE_SLOT,
    journal: j,
    journalSize: pages(size - j, 16),
  };
}

/** What boot found. */
export interface StoreBoot {
  /** The committed configuration (config-store.ts bytes, or JSON text written by older
   *  firmware when configText), or null on a freshly formatted EEPROM. */
  config: Uint8Array | null;
  configText: boolean;
  scan: JournalScan;
  /** Format version the EEPROM was written in (older ones are migrated by the caller). */
  format: number;
  /** Lines for the console and the event log: what was recovered, lost or formatted. */
  report: string[];
  /** True when the EEPROM was (re)formatted now. */
  formatted: boolean;
}

/** The unit's EEPROM. */
export class Store {
  readonly layout: StoreLayout;
  readonly journal: Journal;
  readonly events: SlotRing;
  readonly daily: SlotRing;
  readonly monthly: SlotRing;
  /** Generation of the committed configuration, and the slot holding it. */
  configGen = 0;
  configSlot = 0;
  /** Set when the EEPROM was written by a newer firmware: nothing is written then. */
  readOnly = false;

  constructor(readonly ee: Eeprom) {
    const l = layoutFor(ee.size, ee.pageSize);
    this.layout = l;
    this.journal = new Journal(ee, l.journal, l.journalSize, FORMAT);
    this.events = new SlotRing(ee, l.events, l.eventSlots, EVENT_SLOT);
    this.daily = new SlotRing(ee, l.daily, l.dailySlots, FREEZE_SLOT);
    this.monthly = new SlotRing(ee, l.monthly, l.monthlySlots, FREEZE_SLOT);
  }
}
