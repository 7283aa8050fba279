// The EEPROM as the unit uses it: a format header, two configuration slots, the record
// journal, the event log and the freeze records. Boot finds the newest complete copy of
// everything, says what it recovered or lost, and formats a blank or unreadable EEPROM
// with factory defaults (loudly). Layout, in proportion to the part's size:
//   header x2 (one page each) | config slot A | config slot B | events | daily freezes |
//   monthly freezes | journal
import { Eeprom } from '../../hal/eeprom';
import { Result, fail, ok } from '../../hal/result';
import { crc16 } from '../lib/crc16';
import { crc32, u32At } from '../lib/crc32';
import { Writer } from './bytes';
import { Journal, JournalScan } from './journal';
import { SlotRing } from './slot-ring';

/** Current format. 1: accounts without the top-up total and token state. 2: with them. */
export const FORMAT = 2;
const HEADER_MAGIC = [0x50, 0x4d, 0x55]; // "PMU"
const CONFIG_MAGIC = 0xc7;
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
  /** The committed configuration text, or null on a freshly formatted EEPROM. */
  configText: string | null;
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

  constructor(private ee: Eeprom) {
    const l = layoutFor(ee.size, ee.pageSize);
    this.layout = l;
    this.journal = new Journal(ee, l.journal, l.journalSize, FORMAT);
    this.events = new SlotRing(ee, l.events, l.eventSlots, EVENT_SLOT);
    this.daily = new SlotRing(ee, l.daily, l.dailySlots, FREEZE_SLOT);
    this.monthly = new SlotRing(ee, l.monthly, l.monthlySlots, FREEZE_SLOT);
  }

  /** The format version in a valid header copy, -1 when both are bad, -2 when blank, -3
   *  when the EEPROM does not answer. */
  private header(): number {
    let blank = true;
    let answered = false;
    for (let k = 0; k < 2; k++) {
      const r = this.ee.read(this.layout.header[k], 8);
      if (!r.ok) continue;
      answered = true;
      const b = r.value;
      for (let i = 0; i < 8; i++) if (b[i] !== 0xff) blank = false;
      if (b[0] === HEADER_MAGIC[0] && b[1] === HEADER_MAGIC[1] && b[2] === HEADER_MAGIC[2] && crc16(b, 0, 6) === b[6] + b[7] * 256) return b[3];
    }
    return !answered ? -3 : blank ? -2 : -1;
  }

  /** Writes both header copies (format version, part size). */
  writeHeader(format: number): Result<true> {
    const w = new Writer(8);
    w.u8(HEADER_MAGIC[0]);
    w.u8(HEADER_MAGIC[1]);
    w.u8(HEADER_MAGIC[2]);
    w.u8(format);
    w.u16(this.ee.size / 256);
    w.u16(crc16(w.b, 0, 6));
    for (let k = 0; k < 2; k++) {
      const r = this.ee.write(this.layout.header[k], w.out());
      if (!r.ok) return r;
    }
    return ok<true>(true);
  }

  /** The configuration in slot k: its generation and text, or null when bad. */
  private slot(k: number): { gen: number; text: string } | null {
    const a = this.layout.config[k];
    const h = this.ee.read(a, 7);
    if (!h.ok || h.value[0] !== CONFIG_MAGIC) return null;
    const len = h.value[5] + h.value[6] * 256;
    if (len + 11 > this.layout.configSize) return null;
    const r = this.ee.read(a, len + 11);
    if (!r.ok) return null;
    const b = r.value;
    if (crc32(b, 0, len + 7) !== u32At(b, len + 7)) return null;
    let s = '';
    for (let i = 7; i < len + 7; i++) s += String.fromCharCode(b[i]);
    return { gen: u32At(b, 1), text: s };
  }

  /** Writes the configuration text into the slot not holding the committed one, as
   *  generation configGen + 1. It counts only once the journal's unit record names it. */
  writeConfig(text: string): Result<number> {
    if (this.readOnly) return fail('read-only', 'EEPROM from a newer firmware');
    if (text.length + 11 > this.layout.configSize) return fail('too-big', 'configuration is ' + text.length + ' bytes, the EEPROM keeps ' + (this.layout.configSize - 11));
    const gen = this.configGen + 1;
    const w = new Writer(text.length + 11);
    w.u8(CONFIG_MAGIC);
    w.u32(gen);
    w.u16(text.length);
    for (let i = 0; i < text.length; i++) w.u8(text.charCodeAt(i));
    w.u32(crc32(w.b, 0, w.n));
    const k = this.configGen ? 1 - this.configSlot : 0;
    const r = this.ee.write(this.layout.config[k], w.out());
    return r.ok ? ok(gen) : fail<number>(r.error, r.detail);
  }

  /** Makes generation gen (written by writeConfig) the committed one in RAM. */
  configCommitted(gen: number): void {
    if (gen !== this.configGen) this.configSlot = this.configGen ? 1 - this.configSlot : 0;
    this.configGen = gen;
  }

  /** Erases every region (0xFF) and writes the header last, so a cut here formats again. */
  format(keepEvents: boolean): Result<true> {
    const l = this.layout;
    const blank = new Uint8Array(256);
    for (let i = 0; i < 256; i++) blank[i] = 0xff;
    // Headers first: from here until the new header is written a cut means "blank".
    const spans = [l.header[0], l.header[1], l.config[0], l.config[1]];
    for (let i = 0; i < spans.length; i++) {
      const r = this.ee.write(spans[i], new Uint8Array(blank.buffer, 0, 16));
      if (!r.ok) return r;
    }
    const from = keepEvents ? l.daily : l.events;
    for (let a = from; a < l.journal + l.journalSize; a += 256) {
      const n = l.journal + l.journalSize - a < 256 ? l.journal + l.journalSize - a : 256;
      // Cells already blank are not written again (a new part is blank: no wear, no time).
      const c = this.ee.read(a, n);
      let used = !c.ok;
      for (let i = 0; i < n && !used; i++) if (c.ok && c.value[i] !== 0xff) used = true;
      if (!used) continue;
      const r = this.ee.write(a, new Uint8Array(blank.buffer, 0, n));
      if (!r.ok) return r;
    }
    this.configGen = 0;
    this.configSlot = 0;
    // Erased: nothing to scan for.
    this.journal.clear();
    if (!keepEvents) this.events.clear();
    this.daily.clear();
    this.monthly.clear();
    return this.writeHeader(FORMAT);
  }

  /** Reads everything back. unitGen(scan) tells which configuration generation the journal
   *  committed (0 when it has no unit record). */
  boot(unitGen: (scan: JournalScan) => number): StoreBoot {
    const report: string[] = [];
    const v = this.header();
    let formatted = false;
    let fresh = false;
    if (v === -3) {
      this.readOnly = true;
      report.push('EEPROM not answering on I2C: running from RAM only, nothing survives a power cut');
    } else if (v < 0 || v === 0) {
      report.push(v === -2 ? 'EEPROM blank: formatted, starting from factory defaults' : 'EEPROM header unreadable: formatted, STARTING FROM FACTORY DEFAULTS, previous data lost');
      const f = this.format(false);
      if (!f.ok) report.push('EEPROM format failed: ' + f.error + (f.detail ? ' ' + f.detail : '') + ' - running without storage');
      formatted = true;
      fresh = f.ok;
    } else if (v > FORMAT) {
      this.readOnly = true;
      report.push('EEPROM written by newer firmware (format ' + v + '): left untouched, running from RAM only');
    }
    // Just formatted: the regions are blank and already known to be.
    const scan = fresh ? this.journal.clear() : this.journal.open();
    if (!fresh) {
      this.events.open();
      this.daily.open();
      this.monthly.open();
    }
    const gen = unitGen(scan);
    const s0 = this.slot(0);
    const s1 = this.slot(1);
    let pick = -1;
    if (s0 && (s0.gen === gen || (!gen && (!s1 || s0.gen > s1.gen)))) pick = 0;
    else if (s1 && (s1.gen === gen || !gen)) pick = 1;
    else if (gen && (s0 || s1)) {
      pick = s0 && (!s1 || s0.gen > s1.gen) ? 0 : 1;
      report.push('configuration generation ' + gen + ' unreadable: using generation ' + (pick ? (s1 as { gen: number }).gen : (s0 as { gen: number }).gen) + ', check the accounts');
    }
    const cfg = pick === 0 ? s0 : pick === 1 ? s1 : null;
    if (cfg) {
      this.configGen = cfg.gen;
      this.configSlot = pick;
    } else if (!formatted && gen) report.push('configuration unreadable in both slots: starting from factory defaults');
    if (scan.corrupt) report.push(scan.corrupt + ' journal batch(es) torn or corrupt: older complete copies used');
    if (this.events.corrupt) report.push(this.events.corrupt + ' event log slot(s) torn or corrupt');
    if (this.daily.corrupt + this.monthly.corrupt) report.push(this.daily.corrupt + this.monthly.corrupt + ' freeze record(s) torn or corrupt');
    return { configText: cfg ? cfg.text : null, scan: scan, format: formatted || v === -3 ? FORMAT : v, report: report, formatted: formatted };
  }
}
