// The rare work on the EEPROM as a whole: reading it back at boot (header, configuration slots,
// journal, rings), formatting it, writing a new configuration. Functions on a resident Store,
// loaded with the modules that need them (boot, configuration changes).
import { Result, fail, ok } from '../../hal/result';
import { crc16 } from '../lib/crc16';
import { crc32, u32At } from '../lib/crc32';
import { Writer } from './bytes';
import { JournalScan } from './journal';
import { clearJournal, openJournal } from './journal-scan';
import { SlotRing } from './slot-ring';
import { clearRing, openRing } from './slot-scan';
import { UPLINK } from '../uplink/feature';
import { EVENT_SLOT, FORMAT, MONEY_SLOT, Store, StoreBoot, StoreLayout, layoutFor } from './store';

export const HEADER_MAGIC = [0x50, 0x4d, 0x55]; // "PMU"
/** A configuration slot: 0xC7 holds JSON text (format 2 and before), 0xC9 the binary tables
 *  of config-store.ts. (Here, not in store.ts: the modules then read store.ts from the resident
 *  code instead of carrying a copy.) */
export const CONFIG_TEXT = 0xc7;
export const CONFIG_TABLES = 0xc9;

/** The store's layout: an older format's until migrated. */
export function layoutOf(st: Store): StoreLayout {
  return layoutFor(st.ee.size, st.ee.pageSize, st.format);
}

/** The part size (in 256 bytes) the valid header copy names: header() sets it. */
let headerPart = 0;

/** The format version in a valid header copy, -1 when both are bad, -2 when blank, -3
 *  when the EEPROM does not answer. */
function header(st: Store): number {
  let blank = true;
  let answered = false;
  const l = layoutOf(st);
  for (let k = 0; k < 2; k++) {
    const r = st.ee.read(l.header[k], 8);
    if (!r.ok) continue;
    answered = true;
    const b = r.value;
    for (let i = 0; i < 8; i++) if (b[i] !== 0xff) blank = false;
    if (b[0] === HEADER_MAGIC[0] && b[1] === HEADER_MAGIC[1] && b[2] === HEADER_MAGIC[2] && crc16(b, 0, 6) === b[6] + b[7] * 256) {
      headerPart = b[4] + b[5] * 256;
      return b[3];
    }
  }
  return !answered ? -3 : blank ? -2 : -1;
}

/** Writes both header copies (format version, part size). */
export function writeHeader(st: Store, format: number): Result<true> {
  const w = new Writer(8);
  w.u8(HEADER_MAGIC[0]);
  w.u8(HEADER_MAGIC[1]);
  w.u8(HEADER_MAGIC[2]);
  w.u8(format);
  w.u16(st.ee.size / 256);
  w.u16(crc16(w.b, 0, 6));
  const l = layoutOf(st);
  for (let k = 0; k < 2; k++) {
    const r = st.ee.write(l.header[k], w.out());
    if (!r.ok) return r;
  }
  return ok<true>(true);
}

/** The configuration in slot k: its generation and bytes (text: JSON text of older
 *  firmware), or null when bad. */
function slot(st: Store, k: number): { gen: number; bytes: Uint8Array; text: boolean } | null {
  const l = layoutOf(st);
  const a = l.config[k];
  const h = st.ee.read(a, 7);
  if (!h.ok || (h.value[0] !== CONFIG_TEXT && h.value[0] !== CONFIG_TABLES)) return null;
  const len = h.value[5] + h.value[6] * 256;
  if (len + 11 > l.configSize) return null;
  const r = st.ee.read(a, len + 11);
  if (!r.ok) return null;
  const b = r.value;
  if (crc32(b, 0, len + 7) !== u32At(b, len + 7)) return null;
  return { gen: u32At(b, 1), bytes: b.subarray(7, len + 7), text: b[0] === CONFIG_TEXT };
}

/** A CRC-32 carried over bytes[start, end): start from -1, end with `~c >>> 0` (the CRC of
 *  everything added). For a record streamed in pieces, which the platform's CRC (no seed on the
 *  board) cannot carry; in JavaScript, four bits a step. Here, beside the one code that uses
 *  it, rather than in lib/crc32.ts, which is resident. */
export function crc32Add(c: number, bytes: Uint8Array, start: number, end: number): number {
  const t: number[] = [];
  for (let k = 0; k < 16; k++) {
    let v = k;
    for (let j = 0; j < 4; j++) v = (v >>> 1) ^ (v & 1 ? 0xedb88320 : 0);
    t.push(v);
  }
  for (let i = start; i < end; i++) {
    c ^= bytes[i];
    c = (c >>> 4) ^ t[c & 15];
    c = (c >>> 4) ^ t[c & 15];
  }
  return c;
}

/** Writes the configuration into the slot not holding the committed one, as generation
 *  configGen + 1. The record: its kind (CONFIG_TEXT or CONFIG_TABLES), generation (u32) and
 *  length (u16), then the bytes and their CRC-32 (u32) over all before it. `put` writes the
 *  bytes into a Writer (config-store.ts configSource), which counts them first, then streams
 *  them a page at a time (each written from a page's start: a page is programmed once) with the
 *  CRC carried along, so that the record (3 KB and more on a full unit) is never held whole. It
 *  counts only once the journal's unit record names it. `text`: JSON text as firmware of format
 *  2 and before wrote it (tests of the migration). */
export function writeConfig(st: Store, put: (w: Writer) => void, text?: boolean): Result<number> {
  if (st.readOnly) return fail('read-only', 'EEPROM from a newer firmware');
  const l = layoutOf(st);
  const c = new Writer(-1);
  put(c);
  const n = c.n;
  if (n + 11 > l.configSize) return fail('too-big', 'configuration is ' + n + ' bytes, the EEPROM keeps ' + (l.configSize - 11));
  const gen = st.configGen + 1;
  const at = l.config[st.configGen ? 1 - st.configSlot : 0];
  let crc = -1;
  let off = 0;
  let r: Result<true> = ok<true>(true);
  const w = new Writer(st.ee.pageSize + 8);
  w.sink = function (b: Uint8Array, m: number) {
    crc = crc32Add(crc, b, 0, m);
    if (r.ok) r = st.ee.write(at + off, b.subarray(0, m));
    off += m;
  };
  w.u8(text ? CONFIG_TEXT : CONFIG_TABLES);
  w.u32(gen);
  w.u16(n);
  put(w);
  // The rest and the CRC after it in one last write.
  crc = crc32Add(crc, w.b, 0, w.n);
  w.sink = undefined;
  w.u32(~crc >>> 0);
  if (r.ok) r = st.ee.write(at + off, w.out());
  return r.ok ? ok(gen) : fail<number>(r.error, r.detail);
}

/** Makes generation gen (written by writeConfig) the committed one in RAM. */
export function configCommitted(st: Store, gen: number): void {
  if (gen !== st.configGen) st.configSlot = st.configGen ? 1 - st.configSlot : 0;
  st.configGen = gen;
}

/** Erases every region (0xFF) and writes the header last, so a cut here formats again.
 *  keepEvents: the money log and the event log are kept. */
export function formatStore(st: Store, keepEvents: boolean): Result<true> {
  // A read-only store holds another firmware's or another part's layout: nothing of it is kept.
  if (st.readOnly) keepEvents = false;
  const l = layoutOf(st);
  const blank = new Uint8Array(256);
  for (let i = 0; i < 256; i++) blank[i] = 0xff;
  // Headers first: from here until the new header is written a cut means "blank".
  const spans = [l.header[0], l.header[1], l.config[0], l.config[1]];
  for (let i = 0; i < spans.length; i++) {
    const r = st.ee.write(spans[i], new Uint8Array(blank.buffer, 0, 16));
    if (!r.ok) return r;
  }
  const from = keepEvents ? l.daily : l.money;
  for (let a = from; a < l.journal + l.journalSize; a += 256) {
    const n = l.journal + l.journalSize - a < 256 ? l.journal + l.journalSize - a : 256;
    // Cells already blank are not written again (a new part is blank: no wear, no time).
    const c = st.ee.read(a, n);
    let used = !c.ok;
    for (let i = 0; i < n && !used; i++) if (c.ok && c.value[i] !== 0xff) used = true;
    if (!used) continue;
    const r = st.ee.write(a, new Uint8Array(blank.buffer, 0, n));
    if (!r.ok) return r;
  }
  st.configGen = 0;
  st.configSlot = 0;
  // Erased: nothing to scan for.
  clearJournal(st.journal);
  if (!keepEvents) {
    clearRing(st.events);
    clearRing(st.money);
    if (UPLINK) clearRing(st.readings);
  }
  clearRing(st.daily);
  clearRing(st.monthly);
  // An older format's layout stays that format until migrated (formats 1 to 3: 3).
  const f = st.format || FORMAT;
  const h = writeHeader(st, f < 4 ? 3 : f);
  if (h.ok) st.readOnly = false;
  return h;
}

/** Reads everything back. unitGen(scan) tells which configuration generation the journal
 *  committed (0 when it has no unit record). */
export function bootStore(st: Store, unitGen: (scan: JournalScan) => number): StoreBoot {
  const report: string[] = [];
  headerPart = 0;
  const v = header(st);
  const part = st.ee.size / 256;
  let formatted = false;
  let fresh = false;
  if (v > 0 && headerPart !== part) {
    // Formatted for another part (the board file changed part, or names the wrong one): its
    // regions lie elsewhere, and reading them in this part's layout could take stray slots for
    // entries. Nothing is read and nothing written.
    st.readOnly = fresh = true;
    report.push('EEPROM formatted for ' + headerPart / 4 + ' KB, board file says ' + part / 4 + ' KB: untouched, RAM only. Fix the board file, or factory-reset (erases it)');
  } else if (v === -3) {
    st.readOnly = true;
    report.push('EEPROM not answering on I2C: running from RAM only, nothing survives a power cut');
  } else if (v < 0 || v === 0) {
    report.push(v === -2 ? 'EEPROM blank: formatted, starting from factory defaults' : 'EEPROM header unreadable: formatted, STARTING FROM FACTORY DEFAULTS, previous data lost');
    const f = formatStore(st, false);
    if (!f.ok) report.push('EEPROM format failed: ' + f.error + (f.detail ? ' ' + f.detail : '') + ' - running without storage');
    formatted = true;
    fresh = f.ok;
  } else if (v > FORMAT) {
    st.readOnly = true;
    report.push('EEPROM written by newer firmware (format ' + v + '): left untouched, running from RAM only');
  } else if (v < FORMAT) {
    // Read as the older format laid it out until it is migrated (storage/migrate.ts): money
    // entries among the events (1 to 3), no interval readings (4).
    st.format = v;
    const l = layoutOf(st);
    st.money = v < 4 ? (st.events = new SlotRing(st.ee, l.events, l.eventSlots, EVENT_SLOT)) : new SlotRing(st.ee, l.money, l.moneySlots, MONEY_SLOT);
  }
  // Just formatted: the regions are blank and already known to be.
  const scan = fresh ? clearJournal(st.journal) : openJournal(st.journal);
  if (!fresh) {
    openRing(st.events);
    const m = st.money;
    if (m !== st.events) {
      openRing(m);
      // A money log that has not gone round yet holds nothing past its head: what is there
      // (what slot B and the old event log held before a migration, a torn entry) is no entry.
      if (m.seq < m.slots) m.corrupt = 0;
    }
    openRing(st.daily);
    openRing(st.monthly);
    // (not in an older format: its money log lies there)
    if (UPLINK && !st.format) openRing(st.readings);
  }
  const gen = unitGen(scan);
  const s0 = fresh ? null : slot(st, 0);
  const s1 = fresh ? null : slot(st, 1);
  let pick = -1;
  if (s0 && (s0.gen === gen || (!gen && (!s1 || s0.gen > s1.gen)))) pick = 0;
  else if (s1 && (s1.gen === gen || !gen)) pick = 1;
  else if (gen && (s0 || s1)) {
    pick = s0 && (!s1 || s0.gen > s1.gen) ? 0 : 1;
    report.push('configuration generation ' + gen + ' unreadable: using generation ' + (pick ? (s1 as { gen: number }).gen : (s0 as { gen: number }).gen) + ', check the accounts');
  }
  const cfg = pick === 0 ? s0 : pick === 1 ? s1 : null;
  if (cfg) {
    st.configGen = cfg.gen;
    st.configSlot = pick;
  } else if (!formatted && !fresh && gen) report.push('configuration unreadable in both slots: starting from factory defaults');
  if (scan.corrupt) report.push(scan.corrupt + ' journal batch(es) torn or corrupt: older complete copies used');
  const bad = st.events.corrupt + (st.money !== st.events ? st.money.corrupt : 0);
  if (bad) report.push(bad + ' event or money log slot(s) torn or corrupt');
  if (UPLINK && st.readings.corrupt) report.push(st.readings.corrupt + ' interval reading slot(s) torn or corrupt');
  if (st.daily.corrupt + st.monthly.corrupt) report.push(st.daily.corrupt + st.monthly.corrupt + ' freeze record(s) torn or corrupt');
  return { config: cfg ? cfg.bytes : null, configText: cfg ? cfg.text : false, scan: scan, format: formatted || v === -3 ? FORMAT : v, report: report, formatted: formatted };
}
