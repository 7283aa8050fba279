// The board image: what is written to a board's flash. The bundle is pretokenised (keywords,
// operators, strings and small integers become Espruino's one-byte tokens, as the Espruino
// Web IDE does when it saves to flash) and split in two: a first part written to a free flash
// area outside Storage (boards/*.json `codeArea`, one of the areas the official firmware lists
// in `require("Flash").getFree()`), the rest in a Storage file; on a board with a code EEPROM
// (`codeEeprom`) the modules it lists go there instead, compressed. A small `.bootcde` loader
// checks every part's CRC-32 and evaluates the resident code from flash, so function bodies stay
// in flash as they do for code saved in Storage.
import * as acorn from 'acorn';
import { HeatshrinkDecoder } from 'heatshrink-ts';
import { heatshrink } from './heatshrink';

/** Oldest Espruino that reads every pretokenised form used here (raw integers: 2v26). */
export const MIN_ESPRUINO = '2v26';
/** The Storage file holding the second part of the code. */
export const STORAGE_CODE_FILE = 'firmware';

// Token numbers of Espruino's lexer (src/jslex.h, an order Espruino keeps fixed because the
// IDE pretokenises with it): the two-character operators from 138, `=>` at 162, then the
// reserved words from 163.
const OPERATORS = ['==', '===', '!=', '!==', '<=', '<<', '<<=', '>=', '>>', '>>>', '>>=', '>>>=', '+=', '-=', '++', '--', '*=', '/=', '%=', '&=', '&&', '|=', '||', '^=', '=>'];
const WORDS = ['if', 'else', 'do', 'while', 'for', 'break', 'continue', 'function', 'return', 'var', 'let', 'const', 'this', 'throw', 'try', 'catch', 'finally', 'true', 'false', 'null', 'undefined', 'new', 'in', 'instanceof', 'switch', 'case', 'default', 'delete', 'typeof', 'void', 'debugger', 'class', 'extends', 'super', 'static', 'of'];
const FIRST_OPERATOR = 138;
const FIRST_WORD = 163;
const RAW_STRING8 = 0xd1;
const RAW_STRING16 = 0xd2;
const RAW_INT0 = 0xd3;
const RAW_INT8 = 0xd4;
const RAW_INT16 = 0xd5;

/** Pretokenises ES5 code for Espruino; the result is a byte string (one char per byte).
 *  Newlines of the source are kept (one byte each, where a `;` would otherwise be needed);
 *  other white space goes, except a space between two words or numbers. `catch` stays text
 *  (Espruino issue 1868, as the IDE does). Strings with a character above 255 stay quoted. */
export function pretokenise(code: string): string {
  let out = '';
  let last = '';
  let lastEnd = 0;
  const word = /^[A-Za-z0-9_$]/;
  for (const t of acorn.tokenizer(code, { ecmaVersion: 5 })) {
    if (code.slice(lastEnd, t.start).indexOf('\n') >= 0) {
      out += '\n';
      last = '\n';
    }
    lastEnd = t.end;
    const text = code.slice(t.start, t.end);
    const label = t.type.label;
    const value = (t as unknown as { value: unknown }).value;
    let piece: string;
    if (label === 'string' && !/[^\x00-\xff]/.test(value as string)) {
      const s = value as string;
      if (s.length === 0) piece = text;
      else if (s.length < 256) piece = String.fromCharCode(RAW_STRING8, s.length) + s;
      else if (s.length < 65536) piece = String.fromCharCode(RAW_STRING16, s.length & 255, s.length >> 8) + s;
      else piece = text;
    } else if (label === 'num' && Number.isInteger(value) && (value as number) < 32768) {
      const v = value as number;
      piece = v === 0 ? String.fromCharCode(RAW_INT0) : v < 128 ? String.fromCharCode(RAW_INT8, v) : String.fromCharCode(RAW_INT16, v & 255, v >> 8);
    } else if (OPERATORS.indexOf(text) >= 0) {
      piece = String.fromCharCode(FIRST_OPERATOR + OPERATORS.indexOf(text));
    } else if (t.type.keyword !== undefined && text !== 'catch' && WORDS.indexOf(text) >= 0) {
      piece = String.fromCharCode(FIRST_WORD + WORDS.indexOf(text));
    } else {
      piece = text;
      if (word.test(piece) && word.test(last.slice(-1))) out += ' ';
    }
    out += piece;
    last = piece.charCodeAt(0) >= 128 ? '' : piece;
  }
  return out;
}

/** The top-level pieces of a bundle in order, each a complete statement: a function
 *  declaration, one declarator of a `var` (as `var x=...`), or any other statement. */
export function topLevelPieces(code: string): string[] {
  const ast = acorn.parse(code, { ecmaVersion: 5 });
  const pieces: string[] = [];
  for (const s of ast.body) {
    if (s.type === 'VariableDeclaration') for (const d of s.declarations) pieces.push('var ' + code.slice(d.start, d.end));
    else pieces.push(code.slice(s.start, s.end));
  }
  return pieces;
}

/** A free flash area outside Storage for the first part of the code. */
export interface CodeArea {
  /** Start address (a flash page boundary). */
  address: number;
  /** Bytes available. */
  length: number;
  /** Flash page size in the area, for erasing. */
  pageBytes: number;
}

/** An on-demand module (firmware/modules.ts): its name and its code, one ES5 expression
 *  statement whose value is the module's entry function. */
export interface ImageModule {
  name: string;
  code: string;
  /** The library pieces the code reads: it is then `(function(L){...})`, to be called with the
   *  array of their values in this order (modulesText, hal/espruino/load.ts). */
  deps?: string[];
  /** Kept compressed in flash (tools/heatshrink.ts): the loader decompresses it into the heap. */
  compressed?: boolean;
  /** Kept in the board's code EEPROM (CodeEeprom), compressed, rather than in flash. */
  eeprom?: boolean;
}

/** A serial EEPROM of the board's that holds modules rather than data (boards/*.json
 *  `codeEeprom`): on the board's I2C bus, two address bytes (up to 64 KB). Each module lies
 *  there compressed and followed by its CRC-32 (little-endian), so that the CRC-32 of the two
 *  together is the fixed residue CRC_RESIDUE: the loader checks a module as it reads it, with
 *  no copy of its bytes. */
export interface CodeEeprom {
  /** The I2C bus ("I2C1") and its pins and bit rate, as the firmware sets it up. */
  bus: string;
  scl: string;
  sda: string;
  bitrate: number;
  /** The part's I2C address and size in bytes. */
  address: number;
  size: number;
}

/** CRC-32 of bytes followed by their own CRC-32, little-endian: the same for any bytes. */
export const CRC_RESIDUE = 0x2144df1c;

/** Bytes followed by their CRC-32, little-endian (CodeEeprom). */
export function withCrc(bytes: string): string {
  const c = crc32(bytes);
  return bytes + String.fromCharCode(c & 255, (c >>> 8) & 255, (c >>> 16) & 255, c >>> 24);
}

/** Where a piece lies: 0 the code area, 1 the Storage file, 8 the code EEPROM (its CRC-32
 *  follows); offset and length in bytes. */
export type PiecePlace = number[];

/** What goes to the board: a byte string for the area (may be empty), one for the Storage
 *  file, and the loader that becomes `.bootcde`. The modules come first in the area (their
 *  places do not depend on the resident code), then the resident code; what does not fit the
 *  area goes to the Storage file in the same order. */
export interface BoardImage {
  area: string;
  areaCrc: number;
  storage: string;
  storageCrc: number;
  /** What goes to the code EEPROM (CodeEeprom; empty without one): its modules, each followed by
   *  its CRC-32. */
  eeprom: string;
  loader: string;
  /** Each module's place. */
  modules: { [name: string]: PiecePlace };
  /** The library pieces each module reads (ImageModule.deps). */
  deps?: { [name: string]: string[] };
  /** The modules kept compressed (ImageModule.compressed). */
  compressed?: string[];
  /** The resident code's two parts, evaluated at boot in this order. */
  resident: PiecePlace[];
  /** Where the modules' table (modulesText) lies: at the end of the Storage file, read from
   *  flash where it lies rather than held in the heap (a string literal in the loader would be
   *  copied into RAM: about 26 variables for 13 modules). */
  table?: PiecePlace;
}

/** CRC-32 (IEEE, as Espruino's `E.CRC32`) of a byte string, unsigned (the loader compares
 *  `E.CRC32(..)>>>0` with it). */
export function crc32(bytes: string): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes.charCodeAt(i);
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** How the loader reaches the code; a board's defaults map flash into memory. */
export interface LoaderAccess {
  /** Expression giving `length` bytes of the area from `offset` (both expressions) as a
   *  string; default `E.memoryArea(address + offset, length)`. */
  readArea?: (offset: string, length: string) => string;
  /** Check the Storage file's CRC-32 too (default true). On a board `Storage.read` maps the
   *  file, so this costs no heap; the Linux interpreter would copy it into RAM. */
  checkStorage?: boolean;
  /** The board's code EEPROM, for the modules kept there. */
  eeprom?: CodeEeprom;
}

/** Where the modules lie, as the loader gives it to the firmware (hal/espruino/load.ts): one
 *  string, " name:where,offset,length" each (where: 0 code area, 1 Storage file, 8 code EEPROM; plus 2 for a
 *  module that reads library pieces, whose names follow: ",3.0"; plus 4 for one kept
 *  compressed), and a space at the end. An object of arrays would hold about 7 variables a
 *  module for as long as the unit runs; a string of this length, a few (and none when it is
 *  read from flash). */
export function modulesText(places: { [name: string]: number[] }, deps: { [name: string]: string[] } = {}, compressed: string[] = []): string {
  let t = '';
  for (const n of Object.keys(places)) {
    const d = deps[n];
    t += ' ' + n + ':' + [places[n][0] + (d ? 2 : 0) + (compressed.indexOf(n) >= 0 ? 4 : 0)].concat(places[n].slice(1)).join(',') + (d ? ',' + d.join('.') : '');
  }
  return t + ' ';
}

/** Heatshrink-compressed bytes back as they were (Espruino's window and look-ahead). */
export function unheatshrink(bytes: string): string {
  const d = new HeatshrinkDecoder(8, 6, Math.max(bytes.length, 1));
  d.process(Buffer.from(bytes, 'latin1'));
  return Buffer.from(d.getOutput()).toString('latin1');
}

/** A module's pretokenised code as it lies in an image, decompressed if it is kept compressed. */
export function moduleBytes(img: BoardImage, name: string): string {
  const p = img.modules[name];
  const bytes = (p[0] === 8 ? img.eeprom : p[0] ? img.storage : img.area).slice(p[1], p[1] + p[2]);
  return img.compressed && img.compressed.indexOf(name) >= 0 ? unheatshrink(bytes) : bytes;
}

/** The parts of an image the loader needs. */
export type LoaderParts = Pick<BoardImage, 'area' | 'areaCrc' | 'storage' | 'storageCrc' | 'modules' | 'resident' | 'table' | 'deps' | 'compressed'>;

/** The loader run from `.bootcde`: it checks every part's CRC-32 before running any, refuses a
 *  damaged, missing or foreign part with a message (nothing runs: relays stay released), and
 *  otherwise defines where the modules lie (MODULES, and __piece to read one) and evaluates
 *  the resident code from flash. */
export function loaderFor(img: LoaderParts, area: CodeArea | undefined, access: LoaderAccess = {}): string {
  const base = area ? area.address : 0;
  const readArea = access.readArea || ((o: string, l: string) => 'E.memoryArea(' + (/^\d+$/.test(o) ? String(base + Number(o)) : base + '+' + o) + ',' + l + ')');
  const file = 'require("Storage").read(' + JSON.stringify(STORAGE_CODE_FILE);
  const checks: string[] = [];
  let out = '';
  if (area && img.area.length) {
    out += 'var __c=' + readArea('0', String(img.area.length)) + ';\n';
    checks.push('(E.CRC32(__c)>>>0)!==' + img.areaCrc + '?"the code area at 0x' + area.address.toString(16) + '"');
  }
  if (img.storage && access.checkStorage !== false) checks.push('(E.CRC32(' + file + '))>>>0)!==' + img.storageCrc + '?"the Storage file ' + STORAGE_CODE_FILE + '"');
  const names = Object.keys(img.modules);
  let define = '';
  // The code EEPROM's modules: __ce(offset, length) reads one with its CRC-32 and gives it if
  // the CRC-32 holds (CRC_RESIDUE), 0 if not; every one is checked before anything runs.
  const ee = access.eeprom;
  const inEeprom = names.filter((n) => img.modules[n][0] === 8);
  if (inEeprom.length && !ee) throw new Error('modules in the code EEPROM (' + inEeprom.join(', ') + ') and no code EEPROM to read them from');
  if (ee && inEeprom.length) {
    out += 'var __ce=function(o,l){' + ee.bus + '.writeTo(' + ee.address + ',[o>>8,o&255]);var b=' + ee.bus + '.readFrom(' + ee.address + ',l+4);return (E.CRC32(b)>>>0)===' + CRC_RESIDUE + '&&b;};\n';
    const at = inEeprom.map((n) => img.modules[n][1] + ',' + img.modules[n][2]).join(',');
    checks.unshift('(' + ee.bus + '.setup({scl:new Pin(' + JSON.stringify(ee.scl) + '),sda:new Pin(' + JSON.stringify(ee.sda) + '),bitrate:' + ee.bitrate + '}),[' + at + '].some(function(v,i,a){return !(i&1)&&!__ce(v,a[i+1]);}))?"the code EEPROM at 0x' + ee.address.toString(16) + '"');
  }
  // __piece(where, offset, length): where 0 the area, 1 the Storage file, 8 the code EEPROM,
  // plus 4 to decompress (the code EEPROM's always are: from a view that leaves out the CRC-32).
  const read = 'w&1?' + file + ',o,l):' + readArea('o', 'l');
  const squeezed = img.compressed && img.compressed.length;
  const fromEe = inEeprom.length ? 'if(w&8){var b=__ce(o,l);if(!b)throw new Error("the code EEPROM does not hold this build: flash it again");return E.toString(require("heatshrink").decompress(new Uint8Array(b.buffer,0,l)));}' : '';
  if (names.length || img.resident.length > 1) define += 'var __piece=function(w,o,l){' + fromEe + (squeezed ? 'var s=' + read + ';return w&4?E.toString(require("heatshrink").decompress(s)):s' : 'return ' + read) + ';};\n';
  if (names.length) define += 'var MODULES=' + (img.table ? '__piece(' + img.table.join(',') + ')' : JSON.stringify(modulesText(img.modules, img.deps, img.compressed))) + ';\n';
  let runs = '';
  for (const r of img.resident) {
    if (!r[2]) continue;
    const whole = r[0] ? img.storage.length === r[2] : img.area.length === r[2];
    runs += 'eval(' + (r[0] ? (whole && r[1] === 0 ? file + ')' : file + ',' + r[1] + ',' + r[2] + ')') : r[1] === 0 && whole && checks.length && area && img.area.length ? '__c' : readArea(String(r[1]), String(r[2]))) + ');';
  }
  if (out) runs += '__c=undefined;';
  if (checks.length === 0) return out + define + runs + '\n';
  return (
    out +
    'var __bad=' + checks.join(':') + ':"";\n' +
    'if(__bad)print("FIRMWARE "+__bad+" does not hold this build (' + (img.area.length + img.storage.length) + ' bytes): flash it again");\n' +
    'else{' + define + runs + '}\n'
  );
}

/** Which modules go into the area (of cap bytes, before the resident pieces, which follow in
 *  order while they fit): the choice that leaves the least of the area unused, among the
 *  first 4,096 sets (the modules in order while they fit, when nothing does better). */
export function areaModules(mods: number[], pieces: number[], cap: number): boolean[] {
  const n = Math.min(mods.length, 12);
  const fill = (room: number) => {
    let used = 0;
    for (let i = 0; i < pieces.length && used + pieces[i] <= room; i++) used += pieces[i];
    return used;
  };
  const greedy: boolean[] = [];
  let g = 0;
  for (const b of mods) {
    greedy.push(g + b <= cap);
    if (g + b <= cap) g += b;
  }
  let best = greedy;
  let bestUsed = g + fill(cap - g);
  for (let set = 0; set < 1 << n; set++) {
    let sum = 0;
    for (let k = 0; k < n; k++) if (set & (1 << k)) sum += mods[k];
    if (sum > cap) continue;
    const used = sum + fill(cap - sum);
    if (used > bestUsed) {
      bestUsed = used;
      best = mods.map((_, k) => k < n && (set & (1 << k)) !== 0);
    }
  }
  return best;
}

/** Pretokenises a bundle and its modules and packs them: into the area the modules that leave
 *  it fullest (areaModules), then the bundle's top-level pieces in order while they fit, then
 *  the rest (modules first) into the Storage file. The order of the pieces is kept, so everything a piece runs
 *  at load time is already defined (function declarations come first in the bundle). */
export function boardImage(code: string, area?: CodeArea, access: LoaderAccess = {}, modules: ImageModule[] = []): BoardImage {
  const cap = area ? area.length : 0;
  let first = '';
  let rest = '';
  const places: { [name: string]: PiecePlace } = {};
  const later: { name: string; bytes: string }[] = [];
  const pieces = topLevelPieces(code).map(pretokenise);
  const mods = modules.filter((m) => !m.eeprom).map((m) => ({ name: m.name, bytes: m.compressed ? heatshrink(pretokenise(m.code)) : pretokenise(m.code) }));
  const deps: { [name: string]: string[] } = {};
  for (const m of modules) if (m.deps) deps[m.name] = m.deps;
  const compressed = modules.filter((m) => m.compressed || m.eeprom).map((m) => m.name);
  // The code EEPROM's modules, compressed, each followed by its CRC-32.
  let eeprom = '';
  for (const m of modules.filter((x) => x.eeprom)) {
    const bytes = heatshrink(pretokenise(m.code));
    places[m.name] = [8, eeprom.length, bytes.length];
    eeprom += withCrc(bytes);
  }
  const inArea = areaModules(
    mods.map((m) => m.bytes.length),
    pieces.map((p) => p.length + 1),
    cap,
  );
  for (let k = 0; k < mods.length; k++) {
    const m = mods[k];
    if (inArea[k]) {
      places[m.name] = [0, first.length, m.bytes.length];
      first += m.bytes;
    } else later.push(m);
  }
  for (const m of later) {
    places[m.name] = [1, rest.length, m.bytes.length];
    rest += m.bytes;
  }
  const areaStart = first.length;
  let i = 0;
  for (; i < pieces.length && first.length + pieces[i].length + 1 <= cap; i++) first += pieces[i] + '\n';
  const storageStart = rest.length;
  const tail = pieces.slice(i);
  if (tail.length) rest += tail.join('\n') + '\n';
  const resident: PiecePlace[] = [];
  if (first.length > areaStart) resident.push([0, areaStart, first.length - areaStart]);
  if (rest.length > storageStart) resident.push([1, storageStart, rest.length - storageStart]);
  let table: PiecePlace | undefined;
  if (mods.length) {
    const text = modulesText(places, deps, compressed);
    table = [1, rest.length, text.length];
    rest += text;
  }
  const img = { area: first, areaCrc: crc32(first), storage: rest, storageCrc: crc32(rest), eeprom, modules: places, deps, compressed, resident, table };
  return { ...img, loader: loaderFor(img, area, access) };
}

/** Text for a pretokenised byte string: tokens back to words and operators (with spaces
 *  round them), raw strings as quoted strings, raw integers as numbers. For checking an image
 *  where no Espruino runs: its text must lex to the tokens of the code it came from. Throws on
 *  a byte Espruino would not read. */
export function detokenise(bytes: string): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    if (c < 128) out += bytes[i];
    else if (c === RAW_STRING8 || c === RAW_STRING16) {
      const n = c === RAW_STRING8 ? bytes.charCodeAt(i + 1) : bytes.charCodeAt(i + 1) | (bytes.charCodeAt(i + 2) << 8);
      const at = i + (c === RAW_STRING8 ? 2 : 3);
      if (at + n > bytes.length) throw new Error('raw string at ' + i + ' runs past the end');
      out += JSON.stringify(bytes.slice(at, at + n));
      i = at + n - 1;
    } else if (c === RAW_INT0) out += ' 0 ';
    else if (c === RAW_INT8) {
      out += ' ' + ((bytes.charCodeAt(i + 1) << 24) >> 24) + ' ';
      i += 1;
    } else if (c === RAW_INT16) {
      out += ' ' + (((bytes.charCodeAt(i + 1) | (bytes.charCodeAt(i + 2) << 8)) << 16) >> 16) + ' ';
      i += 2;
    } else if (c >= FIRST_OPERATOR && c < FIRST_OPERATOR + OPERATORS.length) out += ' ' + OPERATORS[c - FIRST_OPERATOR] + ' ';
    else if (c >= FIRST_WORD && c < FIRST_WORD + WORDS.length) out += ' ' + WORDS[c - FIRST_WORD] + ' ';
    else throw new Error('byte ' + c + ' at ' + i + ' is no Espruino token');
  }
  return out;
}

/** The tokens of ES5 code as comparable text (type and value). */
function tokenList(code: string): string[] {
  const r: string[] = [];
  for (const t of acorn.tokenizer(code, { ecmaVersion: 5 })) r.push(t.type.label + ':' + String((t as unknown as { value: unknown }).value));
  return r;
}

/** Problems of an image against the bundle it came from, checked without Espruino: every
 *  top-level piece pretokenises to bytes that read back as the same tokens, and the area and
 *  Storage parts hold exactly those pieces in order. */
export function imageProblems(code: string, img: BoardImage, modules: ImageModule[] = []): string[] {
  const pieces = topLevelPieces(code);
  const problems: string[] = [];
  let parts = '';
  pieces.forEach((p, i) => {
    const bytes = pretokenise(p);
    parts += bytes + '\n';
    let back: string;
    try {
      back = detokenise(bytes);
    } catch (e) {
      problems.push('piece ' + i + ': ' + (e as Error).message);
      return;
    }
    const a = tokenList(p);
    const b = tokenList(back);
    const k = a.findIndex((t, j) => t !== b[j]);
    if (k >= 0 || a.length !== b.length) problems.push('piece ' + i + ' reads back differently at token ' + (k >= 0 ? k : a.length) + ': ' + (a[k] || '(end)') + ' became ' + (b[k >= 0 ? k : a.length] || '(end)'));
  });
  const part = (p: PiecePlace) => (p[0] ? img.storage : img.area).slice(p[1], p[1] + p[2]);
  if (img.resident.map(part).join('') !== parts) problems.push('the area and Storage parts are not the pieces in order');
  for (const m of modules) {
    if (!img.modules[m.name] || moduleBytes(img, m.name) !== pretokenise(m.code)) problems.push('module ' + m.name + ' is not where the loader says');
  }
  if (crc32(img.area) !== img.areaCrc || crc32(img.storage) !== img.storageCrc) problems.push('a CRC-32 in the loader does not match its part');
  return problems;
}
