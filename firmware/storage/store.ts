// The EEPROM as the unit uses it: a format header, two configuration slots, the record
// journal, the money log, the event log and the freeze records. Boot finds the newest complete
// copy of everything, says what it recovered or lost, and formats a blank or unreadable EEPROM
// with factory defaults (loudly). Layout, in proportion to the part's size (above 64 KB, to
// the first 64 KB's, the rest going to the money log):
//   header x2 (one page each) | config slot A | config slot B | money log | interval readings
//   (parts above 64 KB) | events | daily freezes | monthly freezes | journal
import { UPLINK } from '../uplink/feature';
import { Eeprom } from '../../hal/eeprom';
import { Journal, JournalScan } from './journal';
import { SlotRing } from './slot-ring';

/** Current format. 1: accounts without the top-up total and token state. 2: with them. 3: the
 *  configuration as binary tables (config-store.ts) instead of JSON text. 4: money entries in
 *  a ring of their own (smaller configuration slots; the journal and freezes where they were).
 *  5: on a part above 64 KB, a quarter of what lies above 64 KB keeps interval readings for the
 *  uplink (taken from the top of the money log); on smaller parts 5 is 4. */
export const FORMAT = 5;
/** Event, money entry, freeze and interval reading slot sizes (bytes). */
export const EVENT_SLOT = 80;
export const MONEY_SLOT = 40;
export const FREEZE_SLOT = 96;
export const READING_SLOT = 256;

/** Where each part lives (byte addresses). */
export interface StoreLayout {
  header: number[];
  config: number[];
  configSize: number;
  /** The money log (no slots before format 4: money entries were events then). */
  money: number;
  moneySlots: number;
  events: number;
  eventSlots: number;
  daily: number;
  dailySlots: number;
  monthly: number;
  monthlySlots: number;
  /** Interval readings (format 5, parts above 64 KB), just below the events: their slots fill
   *  the space up to the events (none on other parts). */
  readings: number;
  journal: number;
  journalSize: number;
}

// (Integers throughout, `| 0` rather than Math.floor, whose result is a float to Espruino: the
// counts the rings keep cost the heap a variable each more as floats.)
function pages(bytes: number, page: number): number {
  return ((bytes / page) | 0) * page;
}

/** The layout for an EEPROM of size bytes with the given page size, in format `format` (the
 *  current one when not given; 1 to 3 share one layout, 4 has no interval readings). Format 4 keeps the journal and the freezes where they
 *  were and shares out what the older formats gave the configuration slots (3/16 each) and
 *  the event log (3/16): configuration slots of 1/8 each; the event log keeps the last slots
 *  of its old region (1/8 of the part), entries and all; the money log takes the rest,
 *  between slot B and the event log. A part above 64 KB (AT24CM01, AT24CM02) has its first
 *  64 KB shared out as a 64 KB part's and gives the rest, x bytes, to the money log: a year of
 *  money entries, in one ring; what follows the money log moves up by x. (Formats 1 to 3 never
 *  used more than 64 KB: the driver stopped there.) Format 5 gives x/4 of it, from the top of
 *  the money log, to the interval readings the uplink sends (uplink/readings.ts). */
export function layoutFor(size: number, page: number, format?: number): StoreLayout {
  const f = format || FORMAT;
  const old = f < 4;
  const x = size > 65536 && !old ? size - 65536 : 0;
  const rd = f > 4 ? pages(x / 4, READING_SLOT) : 0;
  if (size > 65536) size = 65536;
  const hp = page < 32 ? 32 : page;
  const cs = pages((size * 3) / 16, page);
  const ev = pages((size * 3) / 16, EVENT_SLOT);
  const fd = pages((size * 4) / 32, FREEZE_SLOT);
  const fm = pages(size / 32, FREEZE_SLOT);
  const c0 = 2 * hp;
  const e = c0 + 2 * cs + ev + x;
  const j = e + fd + fm;
  const c = old ? cs : pages(size / 8, page);
  const n = (old ? ev / EVENT_SLOT : size / 8 / EVENT_SLOT) | 0;
  const m = e - n * EVENT_SLOT;
  // the readings start on a page (a slot is one page on the boards' part), the money log ends there
  const r = rd ? pages(m - rd, page) : m;
  return {
    header: [0, hp],
    config: [c0, c0 + c],
    configSize: c,
    money: c0 + 2 * c,
    moneySlots: ((r - c0 - 2 * c) / MONEY_SLOT) | 0,
    events: m,
    eventSlots: n,
    daily: e,
    dailySlots: (fd / FREEZE_SLOT) | 0,
    monthly: e + fd,
    monthlySlots: (fm / FREEZE_SLOT) | 0,
    readings: r,
    journal: j,
    journalSize: pages(size + x - j, 16),
  };
}

/** Slots of interval readings in layout l. */
export function readingSlots(l: StoreLayout): number {
  return ((l.events - l.readings) / READING_SLOT) | 0;
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
  readonly journal: Journal;
  /** The money entries, and the other events: one ring before format 4 (the same object). */
  money: SlotRing;
  events: SlotRing;
  readonly daily: SlotRing;
  readonly monthly: SlotRing;
  /** Interval readings for the uplink (no slots on a part of 64 KB or less; not used while the
   *  EEPROM is kept in format 4). Only in a firmware with the uplink. */
  readings!: SlotRing;
  /** The older format the EEPROM is read in until it is migrated (none: the current one; a
   *  field only then, one variable less in the heap). */
  format?: number;
  /** Generation of the committed configuration, and the slot holding it. */
  configGen = 0;
  configSlot = 0;
  /** Set when the EEPROM was written by a newer firmware: nothing is written then. */
  readOnly = false;

  constructor(readonly ee: Eeprom) {
    // The layout is not kept (its object would stay in the heap): store-boot.ts layoutOf().
    const l = layoutFor(ee.size, ee.pageSize);
    this.journal = new Journal(ee, l.journal, l.journalSize, FORMAT);
    this.money = new SlotRing(ee, l.money, l.moneySlots, MONEY_SLOT);
    this.events = new SlotRing(ee, l.events, l.eventSlots, EVENT_SLOT);
    this.daily = new SlotRing(ee, l.daily, l.dailySlots, FREEZE_SLOT);
    this.monthly = new SlotRing(ee, l.monthly, l.monthlySlots, FREEZE_SLOT);
    if (UPLINK) this.readings = new SlotRing(ee, l.readings, readingSlots(l), READING_SLOT);
  }
}
