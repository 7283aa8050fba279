// Builds the firmware for a board: firmware/main.ts + hal/ compiled by tsc to ES5 (ES2015
// modules, no emitted helpers), bundled by rollup, given Espruino-safe helpers, minified by
// terser with statements kept separate, function declarations hoisted to the top of every
// scope, then checked by tools/espruino-check.ts. Writes dist/<board>/firmware.js and the
// board image (tools/image.ts) that npm run flash writes to a board.
//   npm run build -- --board pico        npm run build -- --all        (--dev keeps the REPL)
//   npm run build -- --lua               the billing core in Lua, dist/lua/ (tools/lua/build.ts)
import Ajv from 'ajv';
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import { methodsThroughHelper } from './method-helper';
import { paramsAsLocals } from './params-as-locals';
import { classesAtTopLevel } from './classes-at-top';
import { Command } from 'commander';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { rollup, Plugin } from 'rollup';
import { minify } from 'terser';
import * as ts from 'typescript';
import { BoardDescription } from '../hal/espruino/board';
import { parseConfig } from '../firmware/config';
import { encodeConfig } from '../firmware/config-store';
import { FACTORY_CONFIG } from '../firmware/factory-config';
import { BoardImage, boardImage, CodeArea, CodeEeprom, crc32, detokenise, ImageModule, imageProblems, MIN_ESPRUINO, moduleBytes, STORAGE_CODE_FILE } from './image';
import { bootInStrippedContext, bootOnEspruino, StorageBoot, checkBundle, espruinoBinary, espruinoWifiBinary, EspruinoRun, WIFI_HEAP, Finding, formatFinding, leadingString } from './espruino-check';

const ROOT = path.resolve(__dirname, '..');
const BOARDS = path.join(ROOT, 'boards');
const SCHEMA = path.join(BOARDS, 'board.schema.json');

/** The firmware budget (minified, run from flash) from ESPRUINO.md. */
export const BUDGET_BYTES = 35 * 1024;
/** Variables per byte of minified code: run from flash, and uploaded to RAM (ESPRUINO.md). */
export const VARS_PER_BYTE_FLASH = 0.047;
export const VARS_PER_BYTE_RAM = 0.11;

/** A build problem worth a clear message rather than a stack trace. */
export class BuildError extends Error {}

/** Names of the boards in boards/ (file names without .json). */
export function boardNames(): string[] {
  return fs
    .readdirSync(BOARDS)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Schema errors and pin clashes of a board description, one line each naming the field. */
export function validateBoard(json: unknown): string[] {
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));
  if (!validate(json)) {
    return (validate.errors || []).map((e) => {
      const field = e.instancePath.replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.') || '(top level)';
      const extra = e.params as { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[] };
      if (extra.additionalProperty) return field + ': unknown field "' + extra.additionalProperty + '"';
      if (extra.missingProperty) return (field === '(top level)' ? '' : field + '.') + extra.missingProperty + ': missing';
      if (extra.allowedValues) return field + ': ' + e.message + ' (' + extra.allowedValues.join(', ') + ')';
      return field + ': ' + e.message;
    });
  }
  const b = json as BoardDescription;
  const errors: string[] = [];
  const owner: { [pin: string]: string } = {};
  const use = (pin: string | undefined, field: string) => {
    if (!pin) return;
    if (owner[pin]) errors.push(field + ': pin ' + pin + ' is already used by ' + owner[pin]);
    else owner[pin] = field;
  };
  use(b.rs485.tx, 'rs485.tx');
  use(b.rs485.rx, 'rs485.rx');
  use(b.rs485.de, 'rs485.de');
  use(b.console.tx, 'console.tx');
  use(b.console.rx, 'console.rx');
  use(b.i2c.scl, 'i2c.scl');
  use(b.i2c.sda, 'i2c.sda');
  b.relays.forEach((r, i) => {
    use(r.pin, 'relays[' + i + '].pin');
    use(r.feedback, 'relays[' + i + '].feedback');
  });
  const watchNumber: { [n: string]: string } = {};
  b.pulseInputs.forEach((p, i) => {
    use(p, 'pulseInputs[' + i + ']');
    const n = p.slice(1);
    if (watchNumber[n]) errors.push('pulseInputs[' + i + ']: ' + p + ' has the same pin number as ' + watchNumber[n] + ' (the STM32 cannot watch both)');
    watchNumber[n] = p;
  });
  if (b.console.uart !== 'USB' && (!b.console.tx || !b.console.rx)) errors.push('console: a UART console needs tx and rx pins');
  if (b.console.uart === b.rs485.uart) errors.push('console.uart: ' + b.console.uart + ' is the meter bus (rs485.uart)');
  if (b.eeprom.size % b.eeprom.pageSize !== 0) errors.push('eeprom.pageSize: ' + b.eeprom.pageSize + ' does not divide size ' + b.eeprom.size);
  // Above 64 KB the device address's low bits are memory address bits 16 (and 17): the part
  // answers at one address per 64 KB, from one whose low bits its pins cannot set (an AT24CM01
  // has no A0 pin, an AT24CM02 no A0 or A1).
  const span = b.eeprom.size > 65536 ? b.eeprom.size / 65536 : 1;
  const bases: string[] = [];
  for (let a = 0x50; a < 0x58; a += span) bases.push('0x' + a.toString(16));
  if (span !== 1 && span !== 2 && span !== 4) errors.push('eeprom.size: above 64 KB, 131072 (AT24CM01) or 262144 (AT24CM02)');
  else if (b.eeprom.address % span) errors.push('eeprom.address: 0x' + b.eeprom.address.toString(16) + ' cannot be a ' + b.eeprom.size / 1024 + ' KB part\'s: it answers at ' + span + ' addresses, for address bits 16' + (span > 2 ? ' and 17' : '') + ', from ' + bases.join(', '));
  if (b.rtc.address >= b.eeprom.address && b.rtc.address < b.eeprom.address + span) errors.push('rtc.address: same I2C address as the EEPROM');
  if (b.uplink && b.uplink.link === 'modem' && !b.modem) errors.push('uplink.link: "modem" needs the board\'s modem section');
  const ce = b.codeEeprom;
  if (ce) {
    if (ce.address >= b.eeprom.address && ce.address < b.eeprom.address + span) errors.push('codeEeprom.address: 0x' + ce.address.toString(16) + ' is the data EEPROM\'s');
    if (ce.address === b.rtc.address) errors.push('codeEeprom.address: same I2C address as the RTC');
    if (ce.size % ce.pageSize !== 0) errors.push('codeEeprom.pageSize: ' + ce.pageSize + ' does not divide size ' + ce.size);
    for (const n of ce.modules) if ((b.compressedModules || []).indexOf(n) >= 0) errors.push('codeEeprom.modules: "' + n + '" is in compressedModules too (the code EEPROM keeps its modules compressed)');
  }
  return errors;
}

/** Reads and validates boards/<name>.json. */
export function loadBoard(name: string): BoardDescription {
  const file = path.join(BOARDS, name + '.json');
  if (!fs.existsSync(file)) throw new BuildError('unknown board "' + name + '" (known: ' + boardNames().join(', ') + ')');
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BuildError('boards/' + name + '.json: not JSON: ' + (e as Error).message);
  }
  const errors = validateBoard(json);
  if (errors.length) throw new BuildError(errors.map((e) => 'boards/' + name + '.json: ' + e).join('\n'));
  return json as BoardDescription;
}

/** Compiles an entry (default firmware/main.ts) and what it imports to ES5 in memory: absolute .js
 *  path -> code. Every file of firmware/ and hal/ is compiled (and type-checked) once in a process,
 *  with the entries from elsewhere (a test's fixture); each call gets its own copy of the map. A
 *  build asks for one compilation for its resident code and one for each module: a program each
 *  was two thirds of a build's time. */
export function compileFirmware(entry: string | string[] = 'firmware/main.ts'): { [file: string]: string } {
  const extra = ([] as string[])
    .concat(entry)
    .map((e) => path.relative(ROOT, path.resolve(ROOT, e)))
    .filter((e) => !/^(firmware|hal)[\\/]/.test(e))
    .sort();
  const key = extra.join('|');
  if (!compiled[key]) compiled[key] = compileProgram(firmwareSources().concat(extra));
  return { ...compiled[key] };
}
const compiled: { [extra: string]: { [file: string]: string } } = {};

/** Every source file of firmware/ and hal/ (relative paths; declarations left out). */
function firmwareSources(): string[] {
  const roots: string[] = [];
  const walkDir = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walkDir(rel);
      else if (/\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)) roots.push(rel);
    }
  };
  walkDir('firmware');
  walkDir('hal');
  return roots;
}

function compileProgram(entry: string[]): { [file: string]: string } {
  const configPath = path.join(ROOT, 'tsconfig.espruino.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new BuildError(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new BuildError('cannot read tsconfig.espruino.json');
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: false,
    target: ts.ScriptTarget.ES5,
    module: ts.ModuleKind.ES2015,
    noEmitHelpers: true,
    importHelpers: false,
    removeComments: true,
    sourceMap: false,
    declaration: false,
    rootDir: ROOT,
    outDir: path.join(ROOT, 'dist', '.obj'),
  };
  const roots = ([] as string[])
    .concat(entry)
    .concat(Object.keys(BOARD_FILES).map((f) => BOARD_FILES[f]))
    .map((e) => path.join(ROOT, e))
    .concat([path.join(ROOT, 'hal', 'espruino', 'espruino-globals.d.ts')]);
  const program = ts.createProgram(roots, options);
  const diags = ts.getPreEmitDiagnostics(program);
  if (diags.length) {
    const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
    throw new BuildError('TypeScript errors (tsconfig.espruino.json):\n' + ts.formatDiagnostics(diags, host));
  }
  const out: { [file: string]: string } = {};
  const objDir = options.outDir as string;
  const result = program.emit(undefined, (file, text) => {
    out[path.join(ROOT, path.relative(objDir, file))] = text;
  });
  if (result.emitSkipped) throw new BuildError('TypeScript emitted nothing');
  return out;
}

/** Build switches replaced by their values before bundling, so that the modules only a switched-off
 *  branch imports are left out of the bundle altogether. */
function defineSwitches(defines: { [name: string]: boolean }): Plugin {
  const names = Object.keys(defines);
  return {
    name: 'define-switches',
    transform(code) {
      if (!names.length) return null;
      return code.replace(new RegExp('\\b(' + names.join('|') + ')\\b', 'g'), (n) => String(defines[n]));
    },
  };
}

/** HAL services whose board version takes the portable one's place in every board bundle
 *  (with what the firmware imports of it): hal/crc32.ts is a table or Node's zlib in Node, the
 *  interpreter's E.CRC32 on the board. */
const BOARD_FILES: { [file: string]: string } = { 'hal/crc32.ts': 'hal/espruino/crc32.ts' };

/** Whether the board being built has SMS (a GSM modem its uplink does not take): without it,
 *  firmware/sms/feature.ts says so, and the SMS code is left out of its bundles. */
let buildModem = true;
const FEATURE_FILE = path.join(ROOT, 'firmware', 'sms', 'feature.js');
/** The same for the uplink (firmware/uplink/feature.ts): a board's `uplink` section; whether
 *  it goes through a link of the board's (its modem, its WiFi) to the broker the configuration
 *  names; and whether that link is WiFi. */
let buildUplink = true;
let buildUplinkBroker = false;
let buildUplinkWifi = false;
const UPLINK_FILE = path.join(ROOT, 'firmware', 'uplink', 'feature.js');

/** Rollup reads the compiled modules from memory. */
export function memoryModules(files: { [file: string]: string }): Plugin {
  const board: { [file: string]: string } = {};
  for (const f of Object.keys(BOARD_FILES)) board[path.join(ROOT, f.replace(/\.ts$/, '.js'))] = path.join(ROOT, BOARD_FILES[f].replace(/\.ts$/, '.js'));
  return {
    name: 'compiled-firmware',
    resolveId(source, importer) {
      if (!importer) return source;
      if (!source.startsWith('.')) throw new BuildError(importer + ': imports "' + source + '": firmware may only import firmware/ and hal/');
      const base = path.resolve(path.dirname(importer), source);
      for (const f of [base + '.js', path.join(base, 'index.js')]) if (files[f] !== undefined) return board[f] || f;
      throw new BuildError(importer + ': cannot resolve "' + source + '"');
    },
    load(id) {
      if (id === FEATURE_FILE && !buildModem) return 'export var SMS = false;\n';
      return id === UPLINK_FILE ? 'export var UPLINK = ' + buildUplink + ';\nexport var UPLINK_BROKER = ' + buildUplinkBroker + ';\nexport var UPLINK_WIFI = ' + buildUplinkWifi + ';\n' : files[id];
    },
  };
}

// Espruino-safe replacements for tsc's helpers. __extends copies static members (Espruino does
// not inherit them) and builds the prototype chain with a plain constructor, not
// Object.setPrototypeOf. Declared first in the bundle, so they exist before any class is made.
export const ESPRUINO_HELPERS: { [name: string]: string } = {
  __extends:
    'function __extends(d, b) {\n' +
    '  for (var p in b) if (Object.prototype.hasOwnProperty.call(b, p)) d[p] = b[p];\n' +
    '  function P() { this.constructor = d; }\n' +
    '  P.prototype = b.prototype;\n' +
    '  d.prototype = new P();\n' +
    '}\n',
  __assign:
    'function __assign(t) {\n' +
    '  for (var i = 1; i < arguments.length; i++) {\n' +
    '    var s = arguments[i];\n' +
    '    for (var p in s) if (Object.prototype.hasOwnProperty.call(s, p)) t[p] = s[p];\n' +
    '  }\n' +
    '  return t;\n' +
    '}\n',
  __spreadArray:
    'function __spreadArray(to, from) {\n' +
    '  for (var i = 0; i < from.length; i++) to.push(from[i]);\n' +
    '  return to;\n' +
    '}\n',
};

/** tsc helpers that mean a construct the board cannot run. */
const FORBIDDEN_HELPERS: { [name: string]: string } = {
  __awaiter: 'async/await',
  __generator: 'generators or async/await',
  __values: 'for...of over a non-array (downlevelIteration)',
  __read: 'destructuring of an iterable (downlevelIteration)',
  __rest: 'object rest `...`',
  __decorate: 'decorators',
  __asyncValues: 'for await',
  __classPrivateFieldGet: 'private class fields',
  __classPrivateFieldSet: 'private class fields',
  __makeTemplateObject: 'tagged templates',
  __spread: 'spread of an iterable (downlevelIteration)',
};

/** Moves every function declaration to the top of its scope (after directives), keeping their
 *  order: Espruino defines a function only when its declaration statement runs. */
export function hoistFunctionDeclarations(code: string): string {
  type N = acorn.Node & { [k: string]: any };
  const ast = acorn.parse(code, { ecmaVersion: 5, sourceType: 'script' }) as N;

  // Function bodies inside n that are not inside another function of n.
  const innerBodies = (n: N): N[] => {
    const found: N[] = [];
    const visit = (x: N): void => {
      if (x.type === 'FunctionDeclaration' || x.type === 'FunctionExpression') {
        found.push(x.body);
        return;
      }
      for (const k of Object.keys(x)) {
        const v = x[k];
        if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === 'string' && visit(c));
        else if (v && typeof v === 'object' && typeof v.type === 'string') visit(v);
      }
    };
    visit(n);
    return found.sort((p, q) => p.start - q.start);
  };
  const renderNode = (n: N): string => {
    let out = '';
    let pos = n.start;
    for (const b of innerBodies(n)) {
      out += code.slice(pos, b.start) + '{' + renderStatements(b.body, b.start + 1, b.end - 1) + '}';
      pos = b.end;
    }
    return out + code.slice(pos, n.end);
  };
  const renderStatements = (list: N[], start: number, end: number): string => {
    let d = 0;
    while (d < list.length && list[d].type === 'ExpressionStatement' && list[d].directive) d++;
    const rest = list.slice(d);
    const firstOther = rest.findIndex((x) => x.type !== 'FunctionDeclaration');
    const late = firstOther < 0 ? [] : rest.slice(firstOther).filter((x) => x.type === 'FunctionDeclaration');
    if (late.length === 0) {
      let out = '';
      let pos = start;
      for (const x of list) {
        out += code.slice(pos, x.start) + renderNode(x);
        pos = x.end;
      }
      return out + code.slice(pos, end);
    }
    // Statements are re-joined: end each with ';' so no neighbour can be read as a call.
    const ordered = list.slice(0, d).concat(rest.filter((x) => x.type === 'FunctionDeclaration'), rest.filter((x) => x.type !== 'FunctionDeclaration'));
    return ordered
      .map((x) => {
        const t = renderNode(x);
        return x.type === 'FunctionDeclaration' || /;$/.test(t) ? t : t + ';';
      })
      .join('\n');
  };
  return renderStatements(ast.body, 0, code.length);
}

/** Wraps every expression statement that begins with a string literal in parentheses (with a
 *  ';' first inside statement lists, so it cannot continue the previous line): Espruino
 *  misreads `if(a){...}"number"==typeof e||f()` (see checkStringStatements). */
export function parenthesizeStringStatements(code: string): string {
  type N = acorn.Node & { [k: string]: any };
  const ast = acorn.parse(code, { ecmaVersion: 5, sourceType: 'script' }) as N;
  const edits: { pos: number; text: string }[] = [];
  const inList = new Set<N>();
  walk.full(ast, (node) => {
    const n = node as N;
    if (n.type === 'Program' || n.type === 'BlockStatement') n.body.forEach((x: N) => inList.add(x));
    if (n.type === 'SwitchCase') n.consequent.forEach((x: N) => inList.add(x));
  });
  walk.full(ast, (node) => {
    const n = node as N;
    if (n.type !== 'ExpressionStatement' || n.directive || !leadingString(n.expression)) return;
    edits.push({ pos: n.expression.start, text: inList.has(n) ? ';(' : '(' });
    edits.push({ pos: n.expression.end, text: ')' });
  });
  edits.sort((a, b) => b.pos - a.pos);
  let out = code;
  for (const e of edits) out = out.slice(0, e.pos) + e.text + out.slice(e.pos);
  return out;
}

/** Ends every bare `return` with a `;`: Espruino applies no automatic semicolon after `return`, so
 *  `if (x) return` at the end of a line returns (and runs) the next line (see checkBareReturns). */
export function terminateBareReturns(code: string): string {
  type N = acorn.Node & { [k: string]: any };
  const ast = acorn.parse(code, { ecmaVersion: 5, sourceType: 'script' }) as N;
  const at: number[] = [];
  walk.full(ast, (node) => {
    const n = node as N;
    if (n.type === 'ReturnStatement' && !n.argument && code[n.end - 1] !== ';') at.push(n.end);
  });
  at.sort((a, b) => b - a);
  let out = code;
  for (const p of at) out = out.slice(0, p) + ';' + out.slice(p);
  return out;
}

/** Options of one board build. */
export interface BuildOptions {
  /** false keeps the REPL on USB for development (default true: REPL locked on LoopbackA). */
  production?: boolean;
  /** Write dist/<board>/firmware.js (default true). */
  write?: boolean;
  /** Run the boot pass of the check (default true). */
  boot?: boolean;
  /** Also boot on Espruino's Linux build when one is found (default true). */
  espruino?: boolean;
}

/** The outcome of one board build. */
export interface BuildResult {
  board: string;
  file: string;
  code: string;
  bytes: number;
  /** Estimated variables when run from flash / uploaded to RAM. */
  varsFlash: number;
  varsRam: number;
  variables: number;
  findings: Finding[];
  /** The run on the interpreter with the board's own heap. */
  espruinoOwnHeap?: EspruinoRun;
  /** What is written to the board's flash, and whether it fits. */
  image: BoardImage;
  fit: ImageFit;
  /** The on-demand modules, as bundled. */
  modules: ImageModule[];
}

/** Storage left for the unit's own files and their headers: the one file it writes is the
 *  machine-code check mark (a few bytes and a 32-byte header), written at most three times per
 *  image flashed ('try', then 'ok' or 'bad'): about 120 bytes. Twice that is kept, so that no
 *  write ever needs a compaction, which would move the code running from Storage. */
export const STORAGE_RESERVE_BYTES = 256;

/** How the board image sits in the board's flash. */
export interface ImageFit {
  /** Bytes in the code area, and the area's size (0 when the board has none). */
  areaBytes: number;
  areaCapacity: number;
  /** Bytes of code and loader in Storage, and what Storage offers code beside the reserve. */
  storageBytes: number;
  storageCapacity: number;
  /** Bytes in the code EEPROM, and its size (0 when the board has none). */
  eepromBytes: number;
  eepromCapacity: number;
  fits: boolean;
}

/** The code area of a board description, addresses as numbers. */
export function codeAreaOf(b: BoardDescription): CodeArea | undefined {
  return b.codeArea ? { address: parseInt(b.codeArea.address, 16), length: b.codeArea.length, pageBytes: b.codeArea.pageBytes } : undefined;
}

/** Whether an image fits a board. */
export function imageFit(img: BoardImage, b: BoardDescription): ImageFit {
  const areaCapacity = b.codeArea ? b.codeArea.length : 0;
  const storageBytes = img.storage.length + img.loader.length;
  const storageCapacity = b.storageBytes - STORAGE_RESERVE_BYTES;
  const eepromCapacity = b.codeEeprom ? b.codeEeprom.size : 0;
  const eepromBytes = img.eeprom.length;
  return { areaBytes: img.area.length, areaCapacity, storageBytes, storageCapacity, eepromBytes, eepromCapacity, fits: img.area.length <= areaCapacity && storageBytes <= storageCapacity && eepromBytes <= eepromCapacity };
}

/** How the loader reads a board's code EEPROM (tools/image.ts CodeEeprom), if it has one. */
export function codeEepromOf(b: BoardDescription): CodeEeprom | undefined {
  const c = b.codeEeprom;
  return c ? { bus: b.i2c.bus, scl: b.i2c.scl, sda: b.i2c.sda, bitrate: b.i2c.bitrate, address: c.address, size: c.size } : undefined;
}

/** The image as Storage files for the Linux interpreter, which has no memory-mapped flash:
 *  the area becomes a Storage file read from flash like the rest. */
export function imageOnLinux(code: string, b: BoardDescription, modules: ImageModule[] = []): StorageBoot {
  const img = boardImage(code, codeAreaOf(b), { readArea: (o, l) => 'require("Storage").read("area",' + o + ',' + l + ')', checkStorage: false, eeprom: codeEepromOf(b) }, modules);
  const files: { [name: string]: string } = {};
  if (img.area) files.area = img.area;
  if (img.storage) files[STORAGE_CODE_FILE] = img.storage;
  return img.eeprom ? { files, boot: img.loader, codeEeprom: { address: b.codeEeprom!.address, bytes: img.eeprom } } : { files, boot: img.loader };
}

/** The board fields the firmware uses at run time (notes and ids stay out of the bundle). */
function runtimeBoard(b: BoardDescription): object {
  const r: { [k: string]: unknown } = {};
  // (what only the build reads stays out: the uplink's section decides which modules it builds)
  for (const k of Object.keys(b)) if (['notes', 'chip', 'storageBytes', 'variables', 'codeArea', 'shareModuleCode', 'methodHelper', 'paramsAsLocals', 'compressedModules', 'libraryPieces', 'paramsKeptIn', 'uplink', 'codeEeprom'].indexOf(k) < 0) r[k] = (b as unknown as { [k: string]: unknown })[k];
  // The modem's fields in one string (read by hal/espruino/modem-line.ts): it stays in the heap.
  const m = b.modem;
  if (m) r.modem = [m.uart, m.tx, m.rx, m.baud, m.supply, m.powerKey || '-', m.keyMs || 1200, m.model].join(' ');
  // The meter bus's UART and pins and the pulse inputs' pins, one string each too (read by
  // firmware/main.ts at each opening): 2 variables where the object and the array held 9 each.
  r.rs485 = [b.rs485.uart, b.rs485.tx, b.rs485.rx, b.rs485.de].join(' ');
  r.pulseInputs = b.pulseInputs.join(' ');
  return r;
}

/** Compiles, bundles and minifies a firmware entry the Espruino-safe way, with a prelude of
 *  globals (board, flags) in front; the code is not yet checked. */
export async function bundleEntry(entry: string, globals: string, defines: { [name: string]: boolean } = {}): Promise<string> {
  return (await bundleResident(entry, globals, defines)).code;
}

/** Property names that keep their spelling on the board; every other property name of the
 *  firmware is shortened by the minifier (a long name costs flash, and heap wherever an object
 *  holds it). Kept: the JavaScript built-ins (the minifier's own list), every name the Espruino
 *  typings declare (E, Serial, I2C, Storage ...), every name a string literal of the firmware
 *  spells out whole, alone or in a list with spaces (configuration keys, names looked up by
 *  text), the keys of object literals in the files that write JSON (answers, exported
 *  configuration), and every property name of the files that read parsed JSON without a list
 *  of known keys (Modbus profiles). */
let reservedNames: string[] | null = null;
const ESPRUINO_OPTION_KEYS = ['baud', 'tx', 'rx', 'ck', 'cts', 'bytesize', 'parity', 'stopbits', 'flow', 'path', 'inverted', 'errors', 'scl', 'sda', 'bitrate', 'repeat', 'edge', 'debounce', 'irq', 'data', 'hispeed', 'force'];
/** Files that use JSON only to quote a value in a message: their objects never become JSON, and
 *  every key they read from a configuration is in a list of known keys (a string). */
const QUOTES_ONLY = ['firmware/config.js', 'firmware/config-store.js'];
/** Files that read objects parsed from JSON without saying JSON (a Modbus profile). */
const JSON_READERS = ['firmware/metering/meter-profiles.js'];
export function reservedProperties(): string[] {
  if (reservedNames) return reservedNames;
  const set: { [w: string]: boolean } = {};
  const words = (text: string) => {
    const re = /[A-Za-z_$][A-Za-z0-9_$]*/g;
    for (let m = re.exec(text); m; m = re.exec(text)) set[m[0]] = true;
  };
  // Members, parameters and option keys the typings declare (a name before `(`, `:` or `?:`).
  for (const d of [path.join(ROOT, 'node_modules', '@types', 'espruino', 'index.d.ts'), path.join(ROOT, 'hal', 'espruino', 'espruino-globals.d.ts')]) {
    const text = fs.readFileSync(d, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const re = /([A-Za-z_$][A-Za-z0-9_$]*)\??\s*[(:]/g;
    for (let m = re.exec(text); m; m = re.exec(text)) set[m[1]] = true;
  }
  // Option keys Espruino's functions read from an object the typings leave untyped
  // (Serial.setup's, I2C.setup's, setWatch's, E.setConsole's): shortened, the interpreter refuses
  // them ("Unknown option").
  for (const k of ESPRUINO_OPTION_KEYS) set[k] = true;
  const files = compileFirmware(firmwareSources());
  type N = acorn.Node & { [k: string]: any };
  for (const f of Object.keys(files)) {
    const code = files[f];
    for (const t of acorn.tokenizer(code, { ecmaVersion: 2020, sourceType: 'module' })) if (t.type.label === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*( [A-Za-z_$][A-Za-z0-9_$]*)*$/.test((t as unknown as { value: string }).value)) words((t as unknown as { value: string }).value);
    const rel = path.relative(ROOT, f);
    const json = (code.indexOf('JSON.') >= 0 && QUOTES_ONLY.indexOf(rel) < 0) || JSON_READERS.indexOf(rel) >= 0;
    walk.full(acorn.parse(code, { ecmaVersion: 2020, sourceType: 'module' }) as N, (n) => {
      const node = n as N;
      const key = node.type === 'Property' && !node.computed ? (node.key.type === 'Identifier' ? node.key.name : String(node.key.value)) : '';
      const member = node.type === 'MemberExpression' && !node.computed ? node.property.name : '';
      if (json && key) set[key] = true;
      if (json && member && JSON_READERS.indexOf(rel) >= 0) set[member] = true;
      // Property names of one or two letters stay as they are: shortening them gains nothing,
      // and a module's own `t` could be taken for the short name the resident code gave another
      // property (the shared cache maps names both ways: found when events the console modules
      // made reached the core as `{t: ...}` while the core read another name).
      const short = node.type === 'Property' && node.key.type === 'Identifier' ? key : member;
      if (short && short.length <= 2) set[short] = true;
    });
  }
  reservedNames = Object.keys(set).sort();
  return reservedNames;
}

/** The minifier's property shortening, or false with NO_PROPERTY_MANGLE=1 (to compare). */
/** The reserved names of the board build under way: the minifier adds to the list it is given
 *  (the quoted names it meets), which the build's modules must see after its resident code, and
 *  the next board's build must not (its image would depend on what was built before it). */
let buildReserved: string[] | null = null;

function propertyMangle(): false | { reserved: string[]; keep_quoted: boolean } {
  return process.env.NO_PROPERTY_MANGLE ? false : { reserved: buildReserved || (buildReserved = reservedProperties().slice()), keep_quoted: true };
}

/** What the resident code offers the modules: for each source file (absolute .js path), the
 *  global name each of its exports has in the minified resident bundle. A module calls these
 *  instead of carrying a copy (flash is short on the WiFi, and one copy keeps one state). */
export interface SharedNames {
  [file: string]: { [exportName: string]: string };
}

/** bundleEntry, with the source files (absolute .js paths) the bundle holds and the names it
 *  shares with the modules. */
export async function bundleResident(entry: string, globals: string, defines: { [name: string]: boolean } = {}, keep: { [file: string]: string[] } = {}): Promise<{ code: string; files: string[]; shared: SharedNames; props: object }> {
  const files = compileFirmware([entry].concat(Object.keys(keep).map((f) => path.relative(ROOT, f).replace(/\.js$/, '.ts'))));
  const entryJs = path.join(ROOT, entry.replace(/\.ts$/, '.js'));
  const generate = async (input: string, extra: Plugin[]) => {
    const bundle = await rollup({
      input,
      plugins: extra.concat([memoryModules(files), defineSwitches(defines)]),
      treeshake: { moduleSideEffects: true },
      onwarn(w) {
        throw new BuildError('rollup: ' + w.message);
      },
    });
    const { output } = await bundle.generate({ format: 'es', strict: false });
    await bundle.close();
    return output[0];
  };
  // First what the entry needs; then the same bundle from an entry that also re-exports each
  // included export, so that its local name can be read off the bundle's export list (nothing
  // more is included: every re-exported name is in the bundle already).
  const first = await generate(entryJs, []);
  const wanted: [string, string][] = [];
  // The entry last: what it runs at its top level (the unit's start) may need a kept file.
  let virtualCode = '';
  const want = (id: string, e: string) => {
    for (const w of wanted) if (w[0] === id && w[1] === e) return;
    virtualCode += 'export { ' + e + ' as __s' + wanted.length + ' } from ' + JSON.stringify(id) + ';\n';
    wanted.push([id, e]);
  };
  for (const id of Object.keys(first.modules)) if (id !== entryJs) for (const e of first.modules[id].renderedExports) want(id, e);
  for (const id of Object.keys(keep)) for (const e of keep[id]) want(id, e);
  virtualCode += 'import ' + JSON.stringify(entryJs) + ';\n';
  const virtual = path.join(ROOT, '__resident.js');
  const second = await generate(virtual, [
    {
      name: 'resident-entry',
      resolveId: (source, importer) => (source === virtual || (importer === virtual && files[source] !== undefined) ? source : null),
      load: (id) => (id === virtual ? virtualCode : null),
    },
  ]);
  const included = Object.keys(second.modules).filter((id) => id !== virtual);
  let code = second.code;
  const locals: string[] = [];
  const exp = /export\s*\{([^}]*)\};?\s*$/.exec(code);
  if (wanted.length) {
    if (!exp) throw new BuildError('rollup: the resident bundle has no export list');
    code = code.slice(0, exp.index);
    for (const part of exp[1].split(',')) {
      const m = /^\s*([A-Za-z0-9_$]+)\s+as\s+__s(\d+)\s*$/.exec(part);
      if (!m) throw new BuildError('rollup: unexpected export "' + part.trim() + '" in the resident bundle');
      locals[+m[2]] = m[1];
    }
  }

  // Exports that are constants (`export const X = 3`): a module gets the value, not a global.
  const constants = wanted.map(([id, e]) => constantValue(id, e));
  for (const h of Object.keys(FORBIDDEN_HELPERS))
    if (new RegExp('\\b' + h + '\\b').test(code)) throw new BuildError('the firmware needs tsc helper ' + h + ' (' + FORBIDDEN_HELPERS[h] + '), which Espruino cannot run');
  let prelude = '';
  for (const h of Object.keys(ESPRUINO_HELPERS)) if (new RegExp('\\b' + h + '\\b').test(code)) prelude += ESPRUINO_HELPERS[h];
  // Classes written at the top level, not each in a wrapper function (tools/classes-at-top.ts).
  code = prelude + globals + classesAtTopLevel(code);

  const compress = (hoistVars: boolean) => ({
    ecma: 5 as const,
    hoist_funs: true,
    // Espruino does not hoist `var` either: declare every var at the top of its function.
    hoist_vars: hoistVars,
    sequences: false,
    join_vars: false,
    unsafe: false,
    unsafe_arrows: false,
    unsafe_methods: false,
    keep_fargs: true,
    passes: 2,
    // Inlining a call with arguments declares the callee's parameters as `var`s at the end of
    // the caller: Espruino would assign them before the declaration runs (into globals).
    inline: 1 as const,
    // What the modules share stays, even where the resident code inlined its only use.
    // (Constants not: the modules carry their values, so the resident code can inline them.)
    top_retain: locals.filter((l, i) => l && constants[i] === null),
  });
  // Twice: first without hoisting, which inlines every top-level constant (hoisted, each is a
  // declaration and a later assignment, which the minifier does not inline: about 60 variables
  // of the Pico's heap for good); then hoisting every var to the top of its function, since
  // the first pass leaves some assigned before their declaration.
  // (Quoted property names stay quoted, for the second pass's property shortening to leave
  // them alone: keys of JSON text, and `o["name"]` reads.)
  // ascii_only everywhere: the text stays 7-bit (bytes above 127, as in the token walker's machine
  // code, written \xNN), so an upload as text cannot re-encode them; the image stores the bytes.
  const pre = await minify(code, { ecma: 5, toplevel: true, compress: { ...compress(false), properties: false }, mangle: false, format: { ecma: 5, comments: false, keep_quoted_props: true, ascii_only: true } });
  if (!pre.code) throw new BuildError('terser produced nothing');
  const nameCache: { vars?: { props: { [k: string]: string } }; props?: object } = {};
  const min = await minify(pre.code, {
    ecma: 5,
    toplevel: true,
    nameCache,
    compress: compress(true),
    // NO_MANGLE=1 (with NO_PROPERTY_MANGLE=1): the resident code keeps its names, to read a heap
    // dump (E.dumpVariables) by them; never for an image.
    mangle: process.env.NO_MANGLE ? false : { toplevel: true, properties: propertyMangle() },
    format: { ecma: 5, comments: false, semicolons: false, ascii_only: true },
  });
  if (!min.code) throw new BuildError('terser produced nothing');
  const props = (nameCache.vars && nameCache.vars.props) || {};
  const declared = declaredTopLevel(min.code);
  const shared: SharedNames = {};
  wanted.forEach(([id, e], i) => {
    if (constants[i] !== null) {
      (shared[id] = shared[id] || {})[e] = '=' + constants[i];
      return;
    }
    const local = locals[i];
    const name = local && (props['$' + local] || local);
    if (!name || !declared[name]) return;
    (shared[id] = shared[id] || {})[e] = name;
  });
  return { code: terminateBareReturns(parenthesizeStringStatements(hoistFunctionDeclarations(min.code))), files: included, shared, props: nameCache.props || {} };
}

/** The literal an export is declared with in its TypeScript source (`export const NAME = 12;`,
 *  a number, a quoted string or a boolean), or null when it is anything else. A module given
 *  the literal needs no global of the resident code for it, and the resident code may inline it:
 *  each top-level constant the resident code keeps is a variable of the heap for good. */
function constantValue(id: string, name: string): string | null {
  const file = id.replace(/\.js$/, '.ts');
  if (!fs.existsSync(file)) return null;
  const src = fs.readFileSync(file, 'utf8');
  const lit = '(-?(?:0x[0-9a-fA-F]+|[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?)|\'[^\'\\\\\\n]*\'|"[^"\\\\\\n]*"|true|false)';
  const m = new RegExp('(?:^|\\n)export const ' + name.replace(/\$/g, '\\$') + '(?:: *(?:number|string|boolean))? *= *' + lit + ';').exec(src);
  return m ? m[1] : null;
}

/** The names a script declares at its top level (functions and vars). */
function declaredTopLevel(code: string): { [name: string]: boolean } {
  const out: { [name: string]: boolean } = {};
  for (const s of (acorn.parse(code, { ecmaVersion: 5 }) as acorn.Node & { body: any[] }).body) {
    if (s.type === 'FunctionDeclaration') out[s.id.name] = true;
    if (s.type === 'VariableDeclaration') for (const d of s.declarations) out[d.id.name] = true;
  }
  return out;
}

/** The on-demand modules (firmware/modules.ts): name -> the file and the function that is its
 *  entry. sim/modules.ts hands the same functions over in Node; a test keeps both lists equal.
 *  A `board` module is one the board's own HAL loads (firmware/main.ts), never the firmware: the
 *  simulator has HAL parts of its own in its place. A `live` module is one the resident code
 *  holds after its call, across the event loop's turns (metering/session.ts, metering/pulse.ts):
 *  it never reads a library piece (see modulesShare), which would stay in the heap with it. An
 *  `sms` module is built only for a board with SMS (a `modem` section, its uplink not through
 *  it), an `uplink` one for a board with an `uplink` section, an `uplinkModem` one for a board
 *  whose uplink goes through its modem. */
export const MODULES: { [name: string]: { file: string; entry: string; board?: boolean; live?: boolean; sms?: boolean; uplink?: boolean; uplinkModem?: boolean; uplinkWifi?: boolean } } = {
  boot: { file: 'firmware/boot.ts', entry: 'bootUnit' },
  cmd: { file: 'firmware/console/commands.ts', entry: 'runCommand' },
  cfg: { file: 'firmware/console/config-commands.ts', entry: 'runConfigCommand' },
  put: { file: 'firmware/console/put.ts', entry: 'putChange' },
  lst: { file: 'firmware/console/list-commands.ts', entry: 'runListCommand' },
  log: { file: 'firmware/console/log-commands.ts', entry: 'runLogCommand' },
  tok: { file: 'firmware/tokens/entry.ts', entry: 'enterTokenFor' },
  day: { file: 'firmware/storage/day.ts', entry: 'newDay' },
  mig: { file: 'firmware/storage/migrate.ts', entry: 'migrateUnit' },
  met: { file: 'firmware/metering/session.ts', entry: 'meterSession', live: true },
  pul: { file: 'firmware/metering/pulse.ts', entry: 'pulseMeters', live: true },
  sms: { file: 'firmware/sms/run.ts', entry: 'runSms', live: true, sms: true },
  sma: { file: 'firmware/sms/asked.ts', entry: 'smsAfter', live: true, sms: true },
  upl: { file: 'firmware/uplink/service.ts', entry: 'uplinkSession', live: true, uplink: true },
  upc: { file: 'firmware/uplink/commands.ts', entry: 'uplinkCommands', live: true, uplink: true },
  ser: { file: 'hal/espruino/serial.ts', entry: 'openRs485', board: true, live: true },
  twk: { file: 'hal/espruino/native-walk.ts', entry: 'tokenWalker', board: true },
  mdl: { file: 'hal/espruino/modem-line.ts', entry: 'modemLine', board: true, live: true, sms: true },
  mtc: { file: 'hal/espruino/modem-uplink.ts', entry: 'modemUplink', board: true, live: true, uplink: true, uplinkModem: true },
  wtc: { file: 'hal/espruino/wifi-uplink.ts', entry: 'wifiUplink', board: true, live: true, uplink: true, uplinkWifi: true },
};

/** The modules of a board's build: SMS's only on a board with SMS (a modem its uplink does not
 *  take), the uplink's only on a board with an `uplink` section (the modem's link only when the
 *  uplink goes through it). */
export function moduleNames(board?: { modem?: unknown; uplink?: { link: string } }): string[] {
  const link = board && board.uplink ? board.uplink.link : '';
  return Object.keys(MODULES).filter((n) => {
    const m = MODULES[n];
    return !board || ((!m.sms || (board.modem !== undefined && link !== 'modem')) && (!m.uplink || board.uplink !== undefined) && (!m.uplinkModem || link === 'modem') && (!m.uplinkWifi || link === 'wifi'));
  });
}

/** Classes a module may make objects of although the resident code has them too: the objects
 *  live only during the module's call (byte readers and writers). */
const TRANSIENT_CLASSES = ['Reader', 'Writer'];

/** Names of the classes each firmware file exports (a module must not carry one that the
 *  resident code also has: objects it made would keep the whole module alive). */
function exportedClasses(file: string): string[] {
  const src = fs.readFileSync(file.replace(/\.js$/, '.ts'), 'utf8');
  const out: string[] = [];
  const re = /export\s+class\s+([A-Za-z0-9_$]+)/g;
  for (let m = re.exec(src); m; m = re.exec(src)) out.push(m[1]);
  return out;
}

/** What the library pieces offer the modules and each other (modulesShare): for each of their
 *  files the piece that holds it, and each export's index in the array the piece evaluates to
 *  (or `=` and the literal of a constant). */
export interface LibraryNames {
  piece: { [file: string]: string };
  names: { [file: string]: { [exportName: string]: number | string } };
}

/** The resident bundle as the modules see it: its files, the names it shares, the property names
 *  it shortened (the cache grows with each module), and the library pieces' names. */
export interface ResidentParts {
  files: string[];
  shared: SharedNames;
  props?: object;
  lib?: LibraryNames;
  /** The modules that may read library pieces (absent: every one that is not live). */
  readers?: string[];
}

/** The library pieces as modulesShare groups them: the files of each, with the exports the
 *  modules use. */
export type LibraryFiles = { [file: string]: string[] }[];

/** Whether a name in the image's table is a library piece's: pieces are named by number, modules
 *  by letters (hal/espruino/load.ts tells them apart the same way). */
export function isLibraryPiece(name: string): boolean {
  return /^[0-9]/.test(name);
}

/** Bundles one on-demand module: its entry file and what it imports, compiled and minified the
 *  Espruino-safe way into one expression statement, `(function(){...; return entry})()`, whose
 *  value is the entry function. A file of the resident bundle whose every export the module
 *  uses is shared there (`resident.shared`) is not copied: the module reads those exports from
 *  the resident globals when it is loaded. A file of a library piece (`resident.lib`) is not
 *  copied either: the module is then `(function(L){...; return entry})`, which the loader calls
 *  with the array of the pieces it names (ImageModule.deps), and reads those exports from them.
 *  Any other file is copied into the module (its functions only: a class the resident code has
 *  would keep the module alive). */
export async function bundleModule(name: string, resident: ResidentParts = { files: [], shared: {} }, usesOnly = false): Promise<string> {
  return (await bundleModuleWith(name, resident, usesOnly)).code;
}

/** bundleModule, and the library pieces the module reads. */
export async function bundleModuleWith(name: string, resident: ResidentParts = { files: [], shared: {} }, usesOnly = false): Promise<ImageModule> {
  const m = MODULES[name];
  if (!m) throw new BuildError('unknown module "' + name + '"');
  const entryJs = path.join(ROOT, m.file.replace(/\.ts$/, '.js'));
  // The loader passes a library user's entry three arguments (hal/espruino/load.ts).
  const decl = new RegExp('export function ' + m.entry + '\\(([^)]*)\\)').exec(fs.readFileSync(path.join(ROOT, m.file), 'utf8'));
  if (!decl) throw new BuildError('module ' + name + ': ' + m.file + ' declares no function ' + m.entry);
  if (decl[1].split(',').length > 3) throw new BuildError('module ' + name + ': its entry ' + m.entry + ' takes more than three arguments, which the loader does not pass');
  return bundlePart(name, m.file, 'import { ' + m.entry + ' } from ' + JSON.stringify(entryJs) + ';\nexport default ' + m.entry + ';\n', entryJs, resident, usesOnly);
}

/** The library pieces: piece i (named String(i)) holds the files of libs[i] and evaluates to an
 *  array of the exports the modules use; each export's piece and index is recorded in
 *  `resident.lib` for the modules bundled after. A piece reads the pieces its files import as a
 *  module does. */
export async function bundleLibrary(libs: LibraryFiles, resident: ResidentParts): Promise<ImageModule[]> {
  const lib: LibraryNames = { piece: {}, names: {} };
  const texts: string[] = [];
  libs.forEach((files, i) => {
    let text = '';
    let n = 0;
    for (const id of Object.keys(files)) {
      lib.piece[id] = String(i);
      lib.names[id] = {};
      for (const e of files[id]) {
        const c = constantValue(id, e);
        if (c !== null) lib.names[id][e] = '=' + c;
        else {
          text += 'export { ' + e + ' as __l' + n + ' } from ' + JSON.stringify(id) + ';\n';
          lib.names[id][e] = n++;
        }
      }
    }
    texts.push(text);
  });
  const out: ImageModule[] = [];
  for (let i = 0; i < libs.length; i++) {
    // The piece's own files are bundled into it; the other pieces' are read from them.
    const others: LibraryNames = { piece: {}, names: {} };
    for (const id of Object.keys(lib.piece)) {
      if (lib.piece[id] === String(i)) continue;
      others.piece[id] = lib.piece[id];
      others.names[id] = lib.names[id];
    }
    const part = await bundlePart(String(i), Object.keys(libs[i]).map((f) => path.relative(ROOT, f).replace(/\.js$/, '.ts')), texts[i], '', { ...resident, lib: others }, false);
    resident.props = part.props;
    out.push(part.deps ? { name: part.name, code: part.code, deps: part.deps } : { name: part.name, code: part.code });
  }
  // No piece may read itself through others: the loader would load them round without end (the
  // board's stack overflows at the first module that reads one). Each piece holds files the same
  // modules use, but what a module bundles of a file depends on the exports it takes, so two
  // pieces can come to read each other (a parser's piece reading an export's, whose file imports
  // the parser's names): the files must then be arranged otherwise.
  const trail: string[] = [];
  const visit = (n: string): void => {
    const k = trail.indexOf(n);
    if (k >= 0) {
      const names = (p: string) => p + ' (' + Object.keys(libs[+p]).map((f) => path.relative(ROOT, f).replace(/\.js$/, '.ts')).join(', ') + ')';
      throw new BuildError('library pieces read each other in a circle: ' + trail.slice(k).concat(n).map(names).join(' -> '));
    }
    trail.push(n);
    for (const d of out[+n].deps || []) visit(d);
    trail.pop();
  };
  for (let i = 0; i < out.length; i++) visit(String(i));
  resident.lib = lib;
  return out;
}

/** The name a module reads the resident globals through (`var $g = global`): the minifier gives
 *  it to nothing else in a module (a resident global of that name would not matter: a module
 *  reads none by its bare name). */
const GLOBAL_ALIAS = '$g';

/** Bundles a module or a library piece (`entryJs` empty): `virtualCode` is its entry, which
 *  imports from `sources`. */
async function bundlePart(name: string, sources: string | string[], virtualCode: string, entryJs: string, resident: ResidentParts, usesOnly: boolean): Promise<ImageModule & { props?: object }> {
  const library = !entryJs;
  const files = compileFirmware(sources);
  const virtual = path.join(ROOT, '__module_' + name + '.js');
  files[virtual] = virtualCode;
  const generate = async (external: { [id: string]: boolean }) => {
    const mem = memoryModules(files);
    const bundle = await rollup({
      input: virtual,
      plugins: [
        {
          name: 'module-entry',
          resolveId(source, importer) {
            if (source === virtual || (entryJs && source === entryJs)) return source;
            // The library's entry names its files by their absolute paths.
            const id = importer === virtual && files[source] !== undefined ? source : (mem.resolveId as (s: string, i?: string) => string)(source, importer);
            return external[id] ? { id, external: true } : id;
          },
        },
        mem,
      ],
      treeshake: { moduleSideEffects: false },
      makeAbsoluteExternalsRelative: false,
      onwarn(w) {
        throw new BuildError('rollup (module ' + name + '): ' + w.message);
      },
    });
    const { output } = await bundle.generate({ format: 'es', strict: false });
    await bundle.close();
    return output[0];
  };
  const first = await generate({});
  if (usesOnly) {
    const uses: { [id: string]: string[] } = {};
    for (const id of Object.keys(first.modules)) if (id !== entryJs && id !== virtual) uses[id] = first.modules[id].renderedExports;
    return { name, code: JSON.stringify(uses) };
  }
  // (a live module never reads a piece: it would stay in the heap with it)
  const readsPieces = MODULES[name] ? !MODULES[name].live && (!resident.readers || resident.readers.indexOf(name) >= 0) : true;
  const lib = !readsPieces || !resident.lib ? { piece: {}, names: {} } : resident.lib;
  const external: { [id: string]: boolean } = {};
  const fromPiece: { [id: string]: boolean } = {};
  for (const id of Object.keys(first.modules)) {
    const covers = (offer: { [e: string]: unknown } | undefined) => offer && first.modules[id].renderedExports.every((e) => offer[e] !== undefined);
    if (id === entryJs) continue;
    // (the resident code's names when they do, else a piece's: the resident code may share a
    // few names of a file that a piece holds whole)
    if (covers(resident.shared[id])) external[id] = true;
    else if (covers(lib.names[id])) external[id] = fromPiece[id] = true;
  }
  const chunk = Object.keys(external).length ? await generate(external) : first;
  for (const id of Object.keys(chunk.modules)) {
    if (resident.files.indexOf(id) < 0) continue;
    const classes = exportedClasses(id).filter((c) => TRANSIENT_CLASSES.indexOf(c) < 0 && chunk.modules[id].renderedExports.indexOf(c) >= 0);
    if (classes.length) throw new BuildError('module ' + name + ' carries class ' + classes.join(', ') + ' of ' + path.relative(ROOT, id) + ', which the resident code has too: let the resident code make its objects (see firmware/modules.ts)');
  }
  let code = chunk.code;
  // The shared imports become reads of the resident globals, through `global` so that no name
  // of the scope the module is evaluated in can hide them.
  let imports = '';
  type N = acorn.Node & { [k: string]: any };
  const parsed = acorn.parse(code, { ecmaVersion: 2020, sourceType: 'module' }) as N;
  const cuts: [number, number][] = [];
  const reads: string[] = [];
  // The pieces read, in the order of the loader's array.
  const deps: string[] = [];
  for (const st of parsed.body as N[]) {
    if (st.type !== 'ImportDeclaration') continue;
    const src = st.source.value;
    const piece = fromPiece[src] ? lib.piece[src] : undefined;
    const offer = fromPiece[src] ? lib.names[src] : resident.shared[src];
    if (!offer) throw new BuildError('module ' + name + ': imports ' + st.source.value + ', which the resident code does not share');
    for (const sp of st.specifiers as N[]) {
      if (sp.type !== 'ImportSpecifier') throw new BuildError('module ' + name + ': a shared file must be imported by name (' + st.source.value + ')');
      // A name the file re-exports from another is not among its own exports (rollup).
      if (offer[sp.imported.name] === undefined) throw new BuildError('module ' + name + ': imports ' + sp.imported.name + ' from ' + st.source.value + ', which the resident code does not share under that name (a re-export?)');
      // A constant: its value (see constantValue).
      const given = offer[sp.imported.name];
      if (typeof given === 'string' && given.charAt(0) === '=') {
        imports += 'var ' + sp.local.name + ' = ' + given.substr(1) + ';\n';
        continue;
      }
      // From a library piece: its array, in the array that is the module function's parameter.
      if (piece !== undefined) {
        if (deps.indexOf(piece) < 0) deps.push(piece);
        imports += 'var ' + sp.local.name + ' = L[' + deps.indexOf(piece) + '][' + given + '];\n';
        continue;
      }
      // Quoted: the property mangler would take an unquoted `global.q` for a property named q
      // and rename it (found: the WiFi's cfg module reading config.ts's pin() for newLedger).
      imports += 'var ' + sp.local.name + ' = $g[' + JSON.stringify(offer[sp.imported.name]) + '];\n';
      reads.push(offer[sp.imported.name] as string);
    }
    cuts.push([st.start, st.end]);
  }
  for (let i = cuts.length - 1; i >= 0; i--) code = code.slice(0, cuts[i][0]) + code.slice(cuts[i][1]);
  let value: string;
  if (library) {
    // `export { a as __l0, b as __l1, ... }`: the array of those, in the order of their indices.
    const list = /export\s*\{([^}]*)\};?\s*$/.exec(code);
    if (!list) throw new BuildError('module ' + name + ': no export list in the bundle');
    code = code.slice(0, list.index);
    const locals: string[] = [];
    for (const part of list[1].split(',')) {
      const e = /^\s*([A-Za-z0-9_$]+)\s+as\s+__l(\d+)\s*$/.exec(part);
      if (!e) throw new BuildError('module ' + name + ': unexpected export "' + part.trim() + '"');
      locals[+e[2]] = e[1];
    }
    value = '[' + locals.join(', ') + ']';
  } else {
    const exp = /export\s*\{\s*([A-Za-z0-9_$]+)\s+as\s+default\s*\};?\s*$/.exec(code);
    if (!exp) throw new BuildError('module ' + name + ': no default export in the bundle');
    code = code.slice(0, exp.index);
    value = exp[1];
  }
  for (const h of Object.keys(FORBIDDEN_HELPERS))
    if (new RegExp('\\b' + h + '\\b').test(code)) throw new BuildError('module ' + name + ' needs tsc helper ' + h + ' (' + FORBIDDEN_HELPERS[h] + '), which Espruino cannot run');
  let prelude = '';
  for (const h of Object.keys(ESPRUINO_HELPERS)) if (new RegExp('\\b' + h + '\\b').test(code)) prelude += ESPRUINO_HELPERS[h];
  // A global the minifier must keep; the statement's value is taken from it below.
  const usesLib = deps.length > 0;
  // `global` once, under a short name no other gets (GLOBAL_ALIAS): each read is 4 bytes
  // shorter (flash the WiFi lacks).
  if (reads.length) imports = 'var ' + GLOBAL_ALIAS + ' = global;\n' + imports;
  code = 'var __module = (function (' + (usesLib ? 'L' : '') + ') {\n' + imports + prelude + code + '\nreturn ' + value + ';\n})' + (usesLib ? '' : '()') + ';\n';
  const cache = { props: resident.props || {} };
  const min = await minify(code, {
    ecma: 5,
    toplevel: false,
    compress: {
      ecma: 5,
      hoist_funs: true,
      hoist_vars: true,
      sequences: false,
      join_vars: false,
      unsafe: false,
      keep_fargs: true,
      passes: 2,
      inline: 1,
      negate_iife: false,
    },
    // The same short property names as the resident code (the cache grows with each module).
    nameCache: cache,
    mangle: process.env.NO_MANGLE ? false : { toplevel: false, properties: propertyMangle(), reserved: [GLOBAL_ALIAS] },
    format: { ecma: 5, comments: false, semicolons: false, ascii_only: true },
  });
  if (!min.code) throw new BuildError('terser produced nothing for module ' + name);
  resident.props = cache.props;
  const ast = acorn.parse(min.code, { ecmaVersion: 5 }) as N;
  const decl = ast.body.length === 1 && ast.body[0].type === 'VariableDeclaration' ? ast.body[0].declarations[0] : null;
  if (!decl || !decl.init) throw new BuildError('module ' + name + ': the minified module is not one declaration');
  // Every resident global the module reads is one it was given, by its resident name (through
  // `global` or its alias).
  const got: string[] = [];
  walk.full(ast, (n: any) => {
    if (n.type === 'MemberExpression' && n.object.type === 'Identifier' && (n.object.name === 'global' || n.object.name === GLOBAL_ALIAS)) got.push(n.computed ? n.property.value : n.property.name);
  });
  const want = reads.slice().sort().join(' ');
  if (got.sort().join(' ') !== want) throw new BuildError('module ' + name + ': reads resident globals ' + got.join(' ') + ' where it was given ' + want);
  const expr = '(' + min.code.slice(decl.init.start, decl.init.end) + ')';
  return { name, code: terminateBareReturns(parenthesizeStringStatements(hoistFunctionDeclarations(expr))), deps: usesLib ? deps : undefined, props: resident.props };
}

/** What the modules use of files other than their own entries: each such file's exports that
 *  a module uses, for the files that more than one image would otherwise copy (a resident file,
 *  or one that two modules use; a file two modules use only for constants is copied, as its
 *  constants are inlined). `keep`: the resident bundle keeps these so that every module shares
 *  one copy in flash; each kept function costs the heap a few variables for good. `lib` (with
 *  `library`): the files that no resident code and no live module uses, which go into library
 *  pieces instead, in the heap only while a module that reads them is. */
export async function modulesShare(resident: string[], library = false, modules = moduleNames()): Promise<{ keep: { [file: string]: string[] }; lib: LibraryFiles }> {
  const users: { [id: string]: string[] } = {};
  const live: { [id: string]: boolean } = {};
  const names: { [id: string]: string[] } = {};
  for (const name of modules) {
    const uses = JSON.parse(await bundleModule(name, { files: [], shared: {} }, true)) as { [id: string]: string[] };
    for (const id of Object.keys(uses)) {
      if (uses[id].some((e) => constantValue(id, e) === null)) {
        (users[id] = users[id] || []).push(name);
        if (MODULES[name].live) live[id] = true;
      }
      names[id] = names[id] || [];
      for (const e of uses[id]) if (names[id].indexOf(e) < 0) names[id].push(e);
    }
  }
  const keep: { [file: string]: string[] } = {};
  // The library's files in pieces, one for each set of modules that use them: a module loads
  // only what it uses (a piece that imports another is used by all the modules that use it, so
  // the pieces never import each other both ways).
  const bySet: { [set: string]: { [file: string]: string[] } } = {};
  for (const id of Object.keys(names)) {
    const n = users[id] ? users[id].length : 0;
    if (resident.indexOf(id) >= 0 || (n > 1 && (!library || live[id]))) keep[id] = names[id];
    else if (n > 1) (bySet[users[id].join(' ')] = bySet[users[id].join(' ')] || {})[id] = names[id];
  }
  return { keep, lib: Object.keys(bySet).map((k) => bySet[k]) };
}

/** The resident bundle of a board that shares module code (`shareModuleCode`), and the files
 *  of its library pieces (modulesShare). */
export async function sharedResident(prelude: string, modules = moduleNames()): Promise<{ resident: Awaited<ReturnType<typeof bundleResident>>; lib: LibraryFiles }> {
  const share = await modulesShare((await bundleResident('firmware/main.ts', prelude)).files, true, modules);
  let resident = await bundleResident('firmware/main.ts', prelude, {}, share.keep);
  // A library file that kept code pulls into the resident bundle is shared from there (a piece
  // would otherwise carry a second copy).
  let pulled = 0;
  for (const piece of share.lib)
    for (const f of Object.keys(piece)) {
      if (resident.files.indexOf(f) < 0) continue;
      share.keep[f] = piece[f];
      delete piece[f];
      pulled++;
    }
  if (pulled) resident = await bundleResident('firmware/main.ts', prelude, {}, share.keep);
  return { resident, lib: share.lib.filter((piece) => Object.keys(piece).length > 0) };
}

/** The resident bundle of a board that does not share module code: the console's help texts
 *  kept in it (one copy in flash), nothing else; and library pieces (`pieces`, the board's
 *  libraryPieces) of the files listed that two or more of the modules listed use (those only
 *  read pieces; the others keep their own copies): one copy in flash each, in the heap while a
 *  module that reads it is loaded. A file the resident code has too goes into a piece all the
 *  same: the resident code keeps its copy, the modules share one instead of a copy each. */
async function ownResident(prelude: string, names: string[], pieces?: { files: string[]; modules: string[] }): Promise<{ resident: Awaited<ReturnType<typeof bundleResident>> & { readers?: string[] }; lib: LibraryFiles }> {
  const resident = await bundleResident('firmware/main.ts', prelude, {}, { [path.join(ROOT, 'firmware/console/about.js')]: ['about'] });
  if (!pieces) return { resident, lib: [] };
  const listed = pieces.files.map((f) => path.join(ROOT, f.replace(/\.ts$/, '.js')));
  const readers = names.filter((n) => !MODULES[n].live && pieces.modules.indexOf(n) >= 0);
  const lib = (await modulesShare(resident.files.filter((f) => listed.indexOf(f) < 0), true, readers)).lib.map((p) => {
    const q: { [file: string]: string[] } = {};
    for (const f of Object.keys(p)) if (listed.indexOf(f) >= 0) q[f] = p[f];
    return q;
  });
  return { resident: { ...resident, readers }, lib: lib.filter((p) => Object.keys(p).length > 0) };
}

/** Every module of the firmware, bundled; with `lib` (modulesShare) the library pieces too,
 *  first (the modules read their names). */
export async function bundleModules(resident: ResidentParts = { files: [], shared: {} }, lib: LibraryFiles = [], modules = moduleNames()): Promise<ImageModule[]> {
  const out: ImageModule[] = lib.length ? await bundleLibrary(lib, resident) : [];
  for (const name of modules) {
    const m = await bundleModuleWith(name, resident);
    out.push(m.deps ? { name, code: m.code, deps: m.deps } : { name, code: m.code });
  }
  return out;
}

/** The factory configuration as the EEPROM keeps it, one character per byte. */
export function factoryBytes(): string {
  const p = parseConfig(FACTORY_CONFIG);
  if (!p.ok) throw new BuildError('firmware/factory-config.ts: ' + p.error);
  return Buffer.from(encodeConfig(p.value)).toString('latin1');
}

/** Minified code with consecutive statements joined into sequences and var declarations, and
 *  the `if`s that then hold one expression written as one (`a&&(b(),c())`, `return a?b:c`);
 *  every other transform off: the code is final but for that. */
async function joined(code: string): Promise<string> {
  if (process.env.NO_JOIN) return code;
  const r = await minify(code, { ecma: 5, toplevel: false, compress: { defaults: false, sequences: true, join_vars: true, conditionals: true, if_return: true }, mangle: false, format: { ecma: 5, comments: false, semicolons: false, ascii_only: true } });
  if (!r.code) throw new BuildError('terser produced nothing');
  // A `for` whose first part begins with a function expression (statements joined into it) is
  // read by Espruino as a declaration without a name: bracketed.
  type N = acorn.Node & { [k: string]: any };
  const at: number[][] = [];
  walk.full(acorn.parse(r.code, { ecmaVersion: 5 }), (n) => {
    const i = (n as N).init as N;
    if (n.type === 'ForStatement' && i && i.type !== 'VariableDeclaration' && /^for\s*\($/.test(r.code!.slice(n.start, i.start)) && /^function\b/.test(r.code!.slice(i.start))) at.push([i.start, i.end]);
  });
  let out = r.code;
  for (const [a, b] of at.sort((x, y) => y[0] - x[0])) out = out.slice(0, a) + '(' + out.slice(a, b) + ')' + out.slice(b);
  return terminateBareReturns(out);
}

/** Builds one board's firmware; findings are returned, not thrown. */
export async function buildBoard(name: string, opts: BuildOptions = {}): Promise<BuildResult> {
  // A build that writes nothing and runs no interpreter depends only on the sources: the tests
  // and benchmarks ask for the same one many times (each test file in a process of its own).
  if (opts.write === false && opts.espruino === false) {
    // (one file for each board and set of options: a build with other options, which tests ask
    // for too, does not put this one out; an older one of the same is put out)
    const key = JSON.stringify(opts);
    const tag = name + '-' + crypto.createHash('sha256').update(key).digest('hex').slice(0, 8) + '-';
    const file = path.join(BUILD_CACHE, tag + sourcesHash(key) + '.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as BuildResult;
    const r = await oneAtATime(() => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as BuildResult) : buildUncached(name, opts)));
    fs.mkdirSync(BUILD_CACHE, { recursive: true });
    for (const old of fs.readdirSync(BUILD_CACHE)) if (old.indexOf(tag) === 0) fs.unlinkSync(path.join(BUILD_CACHE, old));
    fs.writeFileSync(file + '.tmp', JSON.stringify(r));
    fs.renameSync(file + '.tmp', file);
    return r;
  }
  return oneAtATime(() => buildUncached(name, opts));
}

/** Builds in one process, one after another: a build sets the module-level switches it builds
 *  with (buildModem, buildUplink, buildReserved ...), so two awaited at once (a test running two
 *  boards side by side) must not interleave. */
let building: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(f: () => T | Promise<T>): Promise<T> {
  const p = building.then(f, f);
  building = p.then(
    () => undefined,
    () => undefined,
  );
  return p;
}

/** Where pure builds are kept (node_modules: never committed, gone with a clean install). */
const BUILD_CACHE = path.join(ROOT, 'node_modules', '.cache', 'unit-build');

/** A hash of everything a build reads: the firmware, HAL, boards and build tools, the locked
 *  dependencies, the switches in the environment, and `extra`. */
function sourcesHash(extra: string): string {
  const h = crypto.createHash('sha256');
  h.update(extra + '|' + (process.env.NO_PROPERTY_MANGLE || '') + '|' + (process.env.NO_MANGLE || '') + '|' + (process.env.NO_JOIN || ''));
  const walkDir = (dir: string) => {
    const entries = fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walkDir(rel);
      else if (/\.(ts|json)$/.test(e.name)) h.update(rel + '\0' + fs.readFileSync(path.join(ROOT, rel)) + '\0');
    }
  };
  for (const d of ['firmware', 'hal', 'boards', 'tools']) walkDir(d);
  h.update(fs.readFileSync(path.join(ROOT, 'package-lock.json')));
  return h.digest('hex').slice(0, 16);
}

async function buildUncached(name: string, opts: BuildOptions): Promise<BuildResult> {
  try {
    const b = loadBoard(name);
    buildUplinkBroker = !!b.uplink;
    buildUplinkWifi = !!b.uplink && b.uplink.link === 'wifi';
    buildModem = b.modem !== undefined && !(b.uplink && b.uplink.link === 'modem');
    buildUplink = b.uplink !== undefined;
    return await buildFor(name, opts);
  } finally {
    buildModem = buildUplink = true;
    buildUplinkBroker = buildUplinkWifi = false;
  }
}

async function buildFor(name: string, opts: BuildOptions): Promise<BuildResult> {
  buildReserved = null;
  const board = loadBoard(name);
  let prelude = 'var BOARD = ' + JSON.stringify(runtimeBoard(board)) + ';\n';
  prelude += 'var PRODUCTION = ' + (opts.production !== false) + ';\n';
  prelude += 'var FACTORY = ' + JSON.stringify(factoryBytes()) + ';\n';
  // Without shared code each module carries its own copy of what it imports: the console's help
  // texts (about.js, about 2.2 KB) would be stored four times, so it stays resident, in flash,
  // and the modules read it there (its literals are built into lists only when it is called).
  const names = moduleNames(board);
  const { resident, lib } = board.shareModuleCode ? await sharedResident(prelude, names) : await ownResident(prelude, names, board.libraryPieces);
  // A board short of flash assigns class methods in fewer bytes (tools/method-helper.ts).
  let code = board.methodHelper ? methodsThroughHelper(resident.code) : resident.code;
  let modules = await bundleModules(resident, lib, names);
  if (board.methodHelper) {
    const helper = /^function ([$A-Za-z0-9_]+)\(/.exec(code);
    if (helper) modules = modules.map((m) => ({ ...m, code: methodsThroughHelper(m.code, 2, helper[1]) }));
  }
  // A board short of heap declares no function parameters (tools/params-as-locals.ts).
  if (board.paramsAsLocals) {
    code = paramsAsLocals(code);
    // (but in the modules the board keeps parameters in: flash before heap where the heap is plentiful)
    const kept = board.paramsKeptIn || [];
    modules = modules.map((m) => (kept.indexOf(m.name) >= 0 ? m : { ...m, code: paramsAsLocals(m.code) }));
  }

  // Last, statements joined (a, b; var a, b; a && (b, c)): fewer separators and braces. After the passes
  // above, which read one statement at a time.
  code = await joined(code);
  modules = await Promise.all(modules.map(async (m) => ({ ...m, code: await joined(m.code) })));
  // A board short of flash keeps its rarely used modules compressed (tools/heatshrink.ts).
  const squeeze = board.compressedModules || [];
  for (const n of squeeze) if (!modules.some((m) => m.name === n)) throw new BuildError('boards/' + name + '.json: compressedModules names "' + n + '", which is not a module of this build (' + modules.map((m) => m.name).join(', ') + ')');
  modules = modules.map((m) => (squeeze.indexOf(m.name) >= 0 ? { ...m, compressed: true } : m));
  // A board with a code EEPROM keeps the modules it lists there (compressed).
  const inEeprom = board.codeEeprom ? board.codeEeprom.modules : [];
  for (const n of inEeprom) if (!modules.some((m) => m.name === n)) throw new BuildError('boards/' + name + '.json: codeEeprom.modules names "' + n + '", which is not a module of this build (' + modules.map((m) => m.name).join(', ') + ')');
  modules = modules.map((m) => (inEeprom.indexOf(m.name) >= 0 ? { ...m, eeprom: true } : m));

  const findings = checkBundle(code, { boot: opts.boot, modules });
  for (const m of modules) for (const f of checkBundle(m.code, { boot: false })) findings.push({ ...f, message: 'module ' + m.name + ': ' + f.message });
  const image = boardImage(code, codeAreaOf(board), { eeprom: codeEepromOf(board) }, modules);
  const fit = imageFit(image, board);
  // The image checked where no Espruino runs: its bytes read back as the bundle's tokens, and
  // read back as text it boots in the stripped context like the bundle.
  for (const p of imageProblems(code, image, modules)) findings.push({ kind: 'image', line: 0, column: 0, message: p });
  if (opts.boot !== false && findings.length === 0) {
    const part = (p: number[]) => detokenise((p[0] ? image.storage : image.area).slice(p[1], p[1] + p[2]));
    const back = modules.map((m) => ({ name: m.name, code: detokenise(moduleBytes(image, m.name)), deps: m.deps }));
    for (const f of bootInStrippedContext(image.resident.map(part).join(''), { modules: back }).findings) findings.push({ ...f, kind: 'image', message: 'the image read back as text: ' + f.message });
  }
  // On the real interpreter the image boots as the board runs it: pretokenised, split, loaded,
  // on an interpreter with the board's own heap.
  const run = opts.espruino !== false && opts.boot !== false && findings.length === 0;
  const own = run ? (board.variables === WIFI_HEAP ? espruinoWifiBinary() : espruinoBinary()) : null;
  const espruinoOwnHeap = own ? bootOnEspruino(imageOnLinux(code, board, modules), own) : undefined;
  if (espruinoOwnHeap) findings.push(...espruinoOwnHeap.findings);
  const bytes = Buffer.byteLength(code, 'utf8');
  const file = path.join(ROOT, 'dist', name, 'firmware.js');
  if (opts.write !== false) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, code);
    writeImage(path.dirname(file), image, board);
  }
  return {
    board: name,
    file,
    code,
    bytes,
    varsFlash: Math.round(bytes * VARS_PER_BYTE_FLASH),
    varsRam: Math.round(bytes * VARS_PER_BYTE_RAM),
    variables: board.variables,
    findings,
    espruinoOwnHeap,
    image,
    fit,
    modules,
  };
}

/** The image files the flasher reads (tools/flash.ts): area.bin, storage.bin, bootcde.js and
 *  image.json, which says where each goes. */
export interface ImageManifest {
  board: string;
  espruinoBoard: string;
  minEspruino: string;
  area: { file: string; address: string; bytes: number; crc32: number; pageBytes: number } | null;
  storage: { file: string; name: string; bytes: number; crc32: number } | null;
  /** The code EEPROM's contents (boards/*.json codeEeprom), written over the board's I2C bus. */
  eeprom?: { file: string; bytes: number; crc32: number; part: string; bus: string; scl: string; sda: string; address: number; pageSize: number; writeMs: number } | null;
  bootcde: { file: string; bytes: number };
}

/** Writes a board image's files and manifest into a folder. */
export function writeImage(dir: string, img: BoardImage, b: BoardDescription): void {
  const m: ImageManifest = {
    board: b.name,
    espruinoBoard: b.espruinoBoard,
    minEspruino: MIN_ESPRUINO,
    area: b.codeArea && img.area ? { file: 'area.bin', address: b.codeArea.address, bytes: img.area.length, crc32: img.areaCrc, pageBytes: b.codeArea.pageBytes } : null,
    storage: img.storage ? { file: 'storage.bin', name: STORAGE_CODE_FILE, bytes: img.storage.length, crc32: img.storageCrc } : null,
    eeprom: b.codeEeprom && img.eeprom ? { file: 'eeprom.bin', bytes: img.eeprom.length, crc32: crc32(img.eeprom), part: b.codeEeprom.part, bus: b.i2c.bus, scl: b.i2c.scl, sda: b.i2c.sda, address: b.codeEeprom.address, pageSize: b.codeEeprom.pageSize, writeMs: b.codeEeprom.writeMs } : null,
    bootcde: { file: 'bootcde.js', bytes: img.loader.length },
  };
  for (const f of ['area.bin', 'storage.bin', 'eeprom.bin']) if (fs.existsSync(path.join(dir, f))) fs.unlinkSync(path.join(dir, f));
  if (m.eeprom) fs.writeFileSync(path.join(dir, 'eeprom.bin'), Buffer.from(img.eeprom, 'latin1'));
  if (m.area) fs.writeFileSync(path.join(dir, 'area.bin'), Buffer.from(img.area, 'latin1'));
  if (m.storage) fs.writeFileSync(path.join(dir, 'storage.bin'), Buffer.from(img.storage, 'latin1'));
  fs.writeFileSync(path.join(dir, 'bootcde.js'), img.loader);
  fs.writeFileSync(path.join(dir, 'image.json'), JSON.stringify(m, null, 2) + '\n');
}

/** The size lines the build prints for a result. */
export function sizeReport(r: BuildResult): string[] {
  const pct = (v: number) => ((100 * v) / r.variables).toFixed(0) + '%';
  const line = (e: EspruinoRun, heap: number) =>
    '  on Espruino ' + e.version + ' (Linux build, ' + heap + '-variable heap), the image run from flash: ' + (e.freeBefore - e.freeAfterBoot) + ' variables used after boot, ' + e.freeAfterBoot + ' free, ' + e.minFreeInSession + ' at least during a console session';
  const real = (r.espruinoOwnHeap ? [line(r.espruinoOwnHeap, r.variables)] : []);
  const f = r.fit;
  const kb = (n: number) => (n / 1024).toFixed(1) + ' KB';
  return [
    path.relative(ROOT, r.file) + ': ' + r.bytes + ' bytes (' + (r.bytes / 1024).toFixed(1) + ' KB of the ' + BUDGET_BYTES / 1024 + ' KB budget)',
    '  on the board, pretokenised: ' + (f.areaCapacity ? f.areaBytes + ' bytes in the code area (' + kb(f.areaBytes) + ' of ' + kb(f.areaCapacity) + ') + ' : '') +
      f.storageBytes + ' in Storage (' + kb(f.storageBytes) + ' of ' + kb(f.storageCapacity) + ' beside ' + STORAGE_RESERVE_BYTES + ' bytes kept for files)' + (f.eepromCapacity ? ' + ' + f.eepromBytes + ' in the code EEPROM (' + kb(f.eepromBytes) + ' of ' + kb(f.eepromCapacity) + ')' : '') + ': ' + (f.fits ? 'fits' : 'DOES NOT FIT'),
    '  from flash: ~' + r.varsFlash + ' variables (' + pct(r.varsFlash) + ' of ' + r.variables + ');  uploaded to RAM: ~' + r.varsRam + ' (' + pct(r.varsRam) + ')',
  ].concat(real);
}

async function main(): Promise<void> {
  const cmd = new Command()
    .name('build')
    .description('Build the firmware for a board into dist/<board>/: firmware.js and the board image (area.bin, storage.bin, bootcde.js, image.json)')
    .option('--board <name>', 'board file in boards/ (pico, wifi, ...)')
    .option('--all', 'build every board in boards/')
    .option('--dev', 'development build: keep the JS REPL on USB')
    .option('--lua', 'the billing and credit-control core as a Lua module, dist/lua/ (billing.lua, replay.lua; docs/lua.md)')
    .parse(process.argv);
  const o = cmd.opts<{ board?: string; all?: boolean; dev?: boolean; lua?: boolean }>();
  const names = o.all ? boardNames() : o.board ? [o.board] : [];
  if (names.length === 0 && !o.lua) {
    console.error('build: say --board <name>, --all or --lua (boards: ' + boardNames().join(', ') + ')');
    process.exit(2);
  }
  let failed = false;
  if (o.lua) {
    // Loaded only here: the board builds need no typescript-to-lua.
    const { buildLua, LuaBuildError } = await import('./lua/build');
    try {
      const r = buildLua();
      for (const f of Object.keys(r.files)) console.log(path.relative(ROOT, path.join(r.dir, f)) + ': ' + r.files[f] + ' bytes');
      console.log('  runs on Lua 5.1, LuaJIT 2.1 and Lua 5.4: lua5.4 ' + path.relative(ROOT, path.join(r.dir, 'replay.lua')) + ' tests/vectors/overload.json');
    } catch (e) {
      failed = true;
      console.error('lua: ' + (e instanceof LuaBuildError ? e.message : (e as Error).stack));
    }
  }
  for (const name of names) {
    try {
      const r = await buildBoard(name, { production: !o.dev });
      for (const line of sizeReport(r)) console.log(line);
      if (r.bytes > BUDGET_BYTES) console.log('  WARNING over the ' + BUDGET_BYTES / 1024 + ' KB budget');
      if (!r.fit.fits) {
        console.log(name + ': the image does not fit the board\'s flash');
        failed = true;
      }
      for (const f of r.findings) console.log(formatFinding(f, path.relative(ROOT, r.file)));
      if (r.findings.length) {
        console.log(name + ': ' + r.findings.length + ' Espruino compatibility problem(s)');
        failed = true;
      } else console.log('  Espruino check passed (syntax, built-ins, declaration order, stripped boot, image read back' + (r.espruinoOwnHeap ? ', real interpreter' : '') + ')');
    } catch (e) {
      failed = true;
      console.error(name + ': ' + (e instanceof BuildError ? e.message : (e as Error).stack));
    }
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) void main();
