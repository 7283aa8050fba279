// Writes a board image (tools/build.ts: dist/<board>/image.json and its files) to a board over
// its JavaScript REPL: the code area with Espruino's Flash module, the code EEPROM (a board's
// `codeEeprom`) over its I2C bus, the rest of the code and the `.bootcde` loader to Storage;
// every part is read back and compared by CRC-32 before the next.
//   npm run flash -- --board pico [--port /dev/ttyACM0] [--dry-run | --verify]
// Settings (port, baud, chunk size, timeouts) come from flash.config.json; options override them.
// A unit running a production build has no REPL on its ports: restart it with its button
// pressed as Espruino starts, so it skips the saved code, then flash.
import Ajv from 'ajv';
import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import type { ImageManifest } from './build';
import { crc32 } from './image';

const ROOT = path.resolve(__dirname, '..');

/** A flashing problem worth a clear message rather than a stack trace. */
export class FlashError extends Error {}

/** flash.config.json. */
export interface FlashConfig {
  port: string;
  baud: number;
  /** Bytes of code per REPL line (a multiple of 4: STM32 flash is written in words). */
  chunkBytes: number;
  replyTimeoutMs: number;
  /** For erasing flash pages (a 128 KB STM32F4 sector takes one to two seconds). */
  eraseTimeoutMs: number;
}

const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['port', 'baud', 'chunkBytes', 'replyTimeoutMs', 'eraseTimeoutMs'],
  properties: {
    port: { type: 'string', minLength: 1 },
    baud: { type: 'integer', minimum: 1200, maximum: 4000000 },
    chunkBytes: { type: 'integer', minimum: 64, maximum: 2048, multipleOf: 4 },
    replyTimeoutMs: { type: 'integer', minimum: 100 },
    eraseTimeoutMs: { type: 'integer', minimum: 100 },
  },
};

/** Parses flash.config.json text: the settings, or one message per mistake. */
export function parseFlashConfig(text: string): { ok: true; value: FlashConfig } | { ok: false; errors: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: ['not JSON: ' + (e as Error).message] };
  }
  const validate = new Ajv({ allErrors: true }).compile(CONFIG_SCHEMA);
  if (validate(json)) return { ok: true, value: json as unknown as FlashConfig };
  return {
    ok: false,
    errors: (validate.errors || []).map((e) => {
      const p = e.params as { additionalProperty?: string; missingProperty?: string };
      if (p.additionalProperty) return 'unknown setting "' + p.additionalProperty + '"';
      if (p.missingProperty) return p.missingProperty + ': missing';
      return e.instancePath.slice(1) + ': ' + e.message;
    }),
  };
}

/** An image as the build wrote it, with its bytes. */
export interface LoadedImage {
  manifest: ImageManifest;
  area: string;
  storage: string;
  /** The code EEPROM's bytes ('' without one). */
  eeprom?: string;
  bootcde: string;
}

/** Reads dist/<board>/ (or another folder) and checks the files against the manifest. */
export function loadImage(dir: string): LoadedImage {
  const file = path.join(dir, 'image.json');
  if (!fs.existsSync(file)) throw new FlashError(path.relative(ROOT, file) + ' is missing: build first (npm run build -- --board <name>)');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as ImageManifest;
  const read = (f: string, bytes: number) => {
    const s = fs.readFileSync(path.join(dir, f)).toString('latin1');
    if (s.length !== bytes) throw new FlashError(f + ' has ' + s.length + ' bytes, image.json says ' + bytes + ': build again');
    return s;
  };
  const area = manifest.area ? read(manifest.area.file, manifest.area.bytes) : '';
  if (manifest.area && crc32(area) !== manifest.area.crc32) throw new FlashError(manifest.area.file + ' does not match its CRC-32 in image.json: build again');
  const storage = manifest.storage ? read(manifest.storage.file, manifest.storage.bytes) : '';
  if (manifest.storage && crc32(storage) !== manifest.storage.crc32) throw new FlashError(manifest.storage.file + ' does not match its CRC-32 in image.json: build again');
  const eeprom = manifest.eeprom ? read(manifest.eeprom.file, manifest.eeprom.bytes) : '';
  if (manifest.eeprom && crc32(eeprom) !== manifest.eeprom.crc32) throw new FlashError(manifest.eeprom.file + ' does not match its CRC-32 in image.json: build again');
  return { manifest, area, storage, eeprom, bootcde: read(manifest.bootcde.file, manifest.bootcde.bytes) };
}

/** A byte link to the board's REPL: a serial port, or a test's interpreter. */
export interface Link {
  write(s: string): void;
  onData(cb: (s: string) => void): void;
  close(): void;
}

/** Evaluates expressions on the board's REPL, one at a time: each line starts with DLE (16),
 *  which stops Espruino echoing it, and the answer comes back as one tagged JSON line. */
export class Repl {
  private buf = '';
  private n = 0;
  private waiting: { tag: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> } | null = null;

  constructor(private link: Link) {
    link.onData((s) => {
      this.buf += s;
      this.scan();
    });
  }

  private scan(): void {
    const w = this.waiting;
    if (!w) return;
    // The answer is the tag followed by JSON; an echo of the command (a console that does
    // not honour DLE) has the tag followed by a quote.
    const at = this.buf.indexOf(w.tag + '{');
    if (at < 0) return;
    const end = this.buf.indexOf('\n', at);
    if (end < 0) return;
    const line = this.buf.slice(at + w.tag.length, end).trim();
    this.buf = this.buf.slice(end + 1);
    this.waiting = null;
    clearTimeout(w.timer);
    let r: { v?: unknown; e?: string };
    try {
      r = JSON.parse(line);
    } catch {
      return w.reject(new FlashError('unreadable reply from the board: ' + line.slice(0, 80)));
    }
    if (r.e !== undefined) w.reject(new FlashError('the board says: ' + r.e));
    else w.resolve(r.v);
  }

  /** Waits for the REPL to answer. When it does not at once, sends Ctrl-C (stops what runs,
   *  clears a half-typed line) and asks again. One Ctrl-C only, and none when the REPL
   *  answers: Espruino's Linux build exits on a second. */
  async wake(timeoutMs: number): Promise<void> {
    try {
      await this.eval('1', Math.min(700, timeoutMs));
      return;
    } catch {
      // busy, or a half-typed line in front of ours
    }
    this.link.write('\x03');
    await new Promise((r) => setTimeout(r, 200));
    this.buf = '';
    await this.eval('1', timeoutMs);
  }

  /** The value of `expr` on the board (JSON-able), or the board's exception as a FlashError. */
  eval(expr: string, timeoutMs: number): Promise<unknown> {
    const tag = '@@' + ++this.n + '@';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new FlashError('no reply from the board within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      this.waiting = { tag, resolve, reject, timer };
      this.link.write('\x10try{print(' + JSON.stringify(tag) + '+JSON.stringify({v:(' + expr + ')}))}catch(e){print(' + JSON.stringify(tag) + '+JSON.stringify({e:String(e)}))}\n');
      this.scan();
    });
  }

  /** Sends a line without waiting for an answer (reset() answers with its banner only). */
  send(line: string): void {
    this.link.write('\x10' + line + '\n');
  }

  /** Runs a statement that returns nothing. */
  async run(stmt: string, timeoutMs: number): Promise<void> {
    await this.eval('(function(){' + stmt + '})()', timeoutMs);
  }
}

/** Espruino version text ("2v29", "2v29.12") as a comparable number. */
export function versionNumber(v: string): number {
  const m = /^(\d+)v(\d+)(?:\.(\d+))?/.exec(v);
  return m ? +m[1] * 1e6 + +m[2] * 1e3 + (m[3] ? +m[3] : 0) : NaN;
}

/** CRC-32 of each `block`-byte piece of a byte string. */
export function blockCrcs(bytes: string, block: number): number[] {
  const r: number[] = [];
  for (let o = 0; o < bytes.length; o += block) r.push(crc32(bytes.slice(o, o + block)));
  return r;
}

const VERIFY_BLOCK = 1024;

export interface FlashOptions {
  config: FlashConfig;
  /** Report progress. */
  log: (line: string) => void;
  /** Accept another Espruino board id than the image's (the tests' Linux interpreter). */
  anyBoard?: boolean;
  /** Leave the board at the REPL instead of starting the firmware. */
  noRun?: boolean;
}

/** The first KB-block of the code area on the board that differs from the image, or -1. */
async function areaMismatch(repl: Repl, img: LoadedImage, timeoutMs: number): Promise<number> {
  const addr = parseInt(img.manifest.area!.address, 16);
  const n = img.area.length;
  const got = (await repl.eval('(function(){var F=require("Flash"),r=[];for(var o=0;o<' + n + ';o+=' + VERIFY_BLOCK + ')r.push(E.CRC32(F.read(Math.min(' + VERIFY_BLOCK + ',' + n + '-o),' + addr + '+o))>>>0);return r;})()', timeoutMs)) as number[];
  return blockCrcs(img.area, VERIFY_BLOCK).findIndex((w, i) => got[i] !== w);
}

/** The code EEPROM's bus set up on the board (its pins by name), as an expression. */
function eepromBus(m: NonNullable<ImageManifest['eeprom']>): string {
  return '(' + m.bus + '.setup({scl:new Pin(' + JSON.stringify(m.scl) + '),sda:new Pin(' + JSON.stringify(m.sda) + ')}),' + m.bus + ')';
}

/** The first KB-block of the code EEPROM that differs from the image, or -1. */
async function eepromMismatch(repl: Repl, img: LoadedImage, timeoutMs: number): Promise<number> {
  const m = img.manifest.eeprom!;
  const bytes = img.eeprom || '';
  const got = (await repl.eval('(function(){var I=' + eepromBus(m) + ',r=[];for(var o=0;o<' + bytes.length + ';o+=' + VERIFY_BLOCK + '){I.writeTo(' + m.address + ',[o>>8,o&255]);r.push(E.CRC32(I.readFrom(' + m.address + ',Math.min(' + VERIFY_BLOCK + ',' + bytes.length + '-o)))>>>0);}return r;})()', timeoutMs)) as number[];
  return blockCrcs(bytes, VERIFY_BLOCK).findIndex((w, i) => got[i] !== w);
}

/** Whether the Storage file on the board holds the image's second part, byte for byte. */
async function storageMatches(repl: Repl, img: LoadedImage, timeoutMs: number): Promise<boolean> {
  const name = JSON.stringify(img.manifest.storage!.name);
  const got = (await repl.eval('(function(){var S=require("Storage"),r=[];if(S.read(' + name + ')===undefined)return r;for(var o=0;o<' + img.storage.length + ';o+=' + VERIFY_BLOCK + ')r.push(E.CRC32(S.read(' + name + ',o,' + VERIFY_BLOCK + '))>>>0);return r;})()', timeoutMs)) as number[];
  const want = blockCrcs(img.storage, VERIFY_BLOCK);
  return got.length === want.length && want.every((w, i) => got[i] === w);
}

/** Wakes the REPL and checks the board is one the image is for. */
async function connect(repl: Repl, img: LoadedImage, o: FlashOptions): Promise<void> {
  const c = o.config;
  const m = img.manifest;
  await repl.wake(c.replyTimeoutMs).catch(() => {
    throw new FlashError('no JavaScript REPL answers: a unit running a production build has none; restart it with its button pressed as Espruino starts (it then skips the saved code) and flash again');
  });
  const env = (await repl.eval('[process.env.BOARD,process.env.VERSION]', c.replyTimeoutMs)) as [string, string];
  o.log('board ' + env[0] + ', Espruino ' + env[1]);
  if (env[0] !== m.espruinoBoard && !o.anyBoard) throw new FlashError('this image is for ' + m.espruinoBoard + ', the board is ' + env[0]);
  if (!(versionNumber(env[1]) >= versionNumber(m.minEspruino))) throw new FlashError('the image needs Espruino ' + m.minEspruino + ' or later (pretokenised integers), the board has ' + env[1] + ': update its firmware first');
}

/** Compares a board's flash with an image without writing or stopping anything: the parts
 *  that differ (empty when the board holds exactly this build). */
export async function verifyImage(repl: Repl, img: LoadedImage, o: FlashOptions): Promise<string[]> {
  const c = o.config;
  const m = img.manifest;
  await connect(repl, img, o);
  const differs: string[] = [];
  if (m.area) {
    const bad = await areaMismatch(repl, img, c.eraseTimeoutMs);
    if (bad >= 0) differs.push('the code area at ' + m.area.address + ' (first difference in the KB at 0x' + (parseInt(m.area.address, 16) + bad * VERIFY_BLOCK).toString(16) + ')');
  }
  if (m.eeprom) {
    const bad = await eepromMismatch(repl, img, c.eraseTimeoutMs);
    if (bad >= 0) differs.push('the code EEPROM at 0x' + m.eeprom.address.toString(16) + ' (first difference in the KB at ' + bad * VERIFY_BLOCK + ')');
  }
  if (m.storage && !(await storageMatches(repl, img, c.eraseTimeoutMs))) differs.push('the Storage file ' + m.storage.name);
  if ((await repl.eval('require("Storage").read(".bootcde")', c.replyTimeoutMs)) !== img.bootcde) differs.push('the .bootcde loader');
  return differs;
}

/** Writes an image through a REPL. Order: the old loader goes first, so a unit whose flashing
 *  breaks off boots to a bare REPL and can be flashed again; the new loader goes last. */
export async function flashImage(repl: Repl, img: LoadedImage, o: FlashOptions): Promise<void> {
  const c = o.config;
  const m = img.manifest;
  await connect(repl, img, o);
  // Stop the running firmware (a development build keeps the REPL): its code may live in the
  // flash about to be rewritten. reset() clears RAM and does not load the saved code.
  repl.send('reset()');
  await new Promise((r) => setTimeout(r, 1000));
  await repl.eval('1', c.replyTimeoutMs);

  await repl.run('var S=require("Storage");S.list().forEach(function(f){if(f==".bootcde"||f==' + JSON.stringify(m.storage ? m.storage.name : 'firmware') + '||/^tw/.test(f))S.erase(f);});S.compact();', c.eraseTimeoutMs);

  if (m.area) {
    const addr = parseInt(m.area.address, 16);
    const end = addr + img.area.length;
    const free = await repl.eval('require("Flash").getFree().some(function(a){return a.addr<=' + addr + '&&a.addr+a.length>=' + end + ';})', c.replyTimeoutMs);
    if (free !== true) throw new FlashError('the board does not list ' + m.area.address + '..0x' + end.toString(16) + ' as free flash (require("Flash").getFree()): wrong board or firmware');
    o.log('erasing flash ' + m.area.address + ' (' + img.area.length + ' bytes)');
    await repl.run('var F=require("Flash"),a=' + addr + ';while(a<' + end + '){var p=F.getPage(a);F.erasePage(p.addr);a=p.addr+p.length;}', c.eraseTimeoutMs);
    let padded = img.area;
    while (padded.length % 4) padded += '\xff';
    for (let off = 0; off < padded.length; off += c.chunkBytes) {
      const piece = padded.slice(off, off + c.chunkBytes);
      await repl.run('require("Flash").write(atob("' + Buffer.from(piece, 'latin1').toString('base64') + '"),' + (addr + off) + ')', c.replyTimeoutMs);
      if ((off / c.chunkBytes) % 32 === 31) o.log('  ' + (off + piece.length) + ' of ' + padded.length);
    }
    const bad = await areaMismatch(repl, img, c.eraseTimeoutMs);
    if (bad >= 0) throw new FlashError('the code area reads back wrong at 0x' + (addr + bad * VERIFY_BLOCK).toString(16) + ': this chip may not have that flash');
    o.log('code area written and read back: ' + img.area.length + ' bytes, CRC-32 ' + m.area.crc32);
  }

  if (m.eeprom) {
    const e = m.eeprom;
    const bytes = img.eeprom || '';
    // whole pages per line (a page write wraps within its page), each page given its write time
    const per = Math.max(e.pageSize, Math.floor(c.chunkBytes / e.pageSize) * e.pageSize);
    o.log('writing the code EEPROM (' + e.part + ' at 0x' + e.address.toString(16) + ', ' + bytes.length + ' bytes)');
    for (let off = 0; off < bytes.length; off += per) {
      const piece = bytes.slice(off, off + per);
      await repl.run('var I=' + eepromBus(e) + ',d=atob("' + Buffer.from(piece, 'latin1').toString('base64') + '"),a=' + off + ',k,t;for(k=0;k<d.length;k+=' + e.pageSize + '){I.writeTo(' + e.address + ',[(a+k)>>8,(a+k)&255],d.substr(k,' + e.pageSize + '));t=getTime()+' + (e.writeMs + 1) / 1000 + ';while(getTime()<t);}', c.replyTimeoutMs);
    }
    const bad = await eepromMismatch(repl, img, c.eraseTimeoutMs);
    if (bad >= 0) throw new FlashError('the code EEPROM reads back wrong in the KB at ' + bad * VERIFY_BLOCK + ': is an ' + e.part + ' at 0x' + e.address.toString(16) + ' on ' + e.bus + ' (' + e.scl + ', ' + e.sda + ')?');
    o.log('code EEPROM written and read back: ' + bytes.length + ' bytes, CRC-32 ' + e.crc32);
  }

  if (m.storage) {
    const name = JSON.stringify(m.storage.name);
    const free = (await repl.eval('require("Storage").getFree()', c.replyTimeoutMs)) as number;
    if (free < img.storage.length + img.bootcde.length) throw new FlashError('Storage has ' + free + ' bytes free, the image needs ' + (img.storage.length + img.bootcde.length));
    o.log('writing Storage file ' + m.storage.name + ' (' + img.storage.length + ' bytes)');
    for (let off = 0; off < img.storage.length; off += c.chunkBytes) {
      const piece = img.storage.slice(off, off + c.chunkBytes);
      await repl.run('require("Storage").write(' + name + ',atob("' + Buffer.from(piece, 'latin1').toString('base64') + '"),' + off + ',' + img.storage.length + ')', c.replyTimeoutMs);
    }
    if (!(await storageMatches(repl, img, c.eraseTimeoutMs))) throw new FlashError('Storage file ' + m.storage.name + ' reads back wrong');
    o.log('Storage file written and read back');
  }

  await repl.run('require("Storage").write(".bootcde",' + JSON.stringify(img.bootcde) + ')', c.replyTimeoutMs);
  const back = await repl.eval('require("Storage").read(".bootcde")', c.replyTimeoutMs);
  if (back !== img.bootcde) throw new FlashError('.bootcde reads back wrong');
  o.log('.bootcde loader written');
  if (!o.noRun) {
    repl.send('load()');
    o.log('started');
  }
}

/** The config file, with the options given on the command line on top. */
export function loadFlashConfig(file: string, over: Partial<FlashConfig>): FlashConfig {
  if (!fs.existsSync(file)) throw new FlashError(file + ' is missing');
  const r = parseFlashConfig(fs.readFileSync(file, 'utf8'));
  if (!r.ok) throw new FlashError(r.errors.map((e) => path.basename(file) + ': ' + e).join('\n'));
  const c = { ...r.value };
  if (over.port) c.port = over.port;
  if (over.baud) c.baud = over.baud;
  return c;
}

async function main(): Promise<void> {
  const cmd = new Command()
    .name('flash')
    .description('Write dist/<board>/ (npm run build) to a board over its JavaScript REPL')
    .requiredOption('--board <name>', 'board in boards/ (pico, pico-gprs, wifi, wifi-mqtt)')
    .option('--port <path>', 'serial port (default: flash.config.json)')
    .option('--baud <n>', 'baud rate (default: flash.config.json)', (v) => parseInt(v, 10))
    .option('--image <dir>', 'image folder (default: dist/<board>)')
    .option('--dry-run', 'check the image and print what would be written, without a board')
    .option('--verify', 'only compare the board with the image (writes nothing)')
    .option('--no-run', 'leave the board at the REPL afterwards')
    .parse(process.argv);
  const o = cmd.opts<{ board: string; port?: string; baud?: number; image?: string; dryRun?: boolean; verify?: boolean; run: boolean }>();
  const config = loadFlashConfig(path.join(ROOT, 'flash.config.json'), { port: o.port, baud: o.baud });
  const img = loadImage(o.image ? path.resolve(o.image) : path.join(ROOT, 'dist', o.board));
  const m = img.manifest;
  console.log(m.board + ' image, Espruino ' + m.minEspruino + ' or later:');
  if (m.area) console.log('  code area ' + m.area.address + ': ' + m.area.bytes + ' bytes (CRC-32 ' + m.area.crc32 + ')');
  if (m.storage) console.log('  Storage file ' + m.storage.name + ': ' + m.storage.bytes + ' bytes');
  if (m.eeprom) console.log('  code EEPROM (' + m.eeprom.part + ' at 0x' + m.eeprom.address.toString(16) + '): ' + m.eeprom.bytes + ' bytes (CRC-32 ' + m.eeprom.crc32 + ')');
  console.log('  Storage .bootcde: ' + m.bootcde.bytes + ' bytes');
  if (o.dryRun) return;
  const { SerialPort } = await import('serialport');
  // Espruino's UART consoles pause a sender with XON/XOFF; USB holds it back by itself.
  const port = new SerialPort({ path: config.port, baudRate: config.baud, xon: true, xoff: true });
  await new Promise<void>((res, rej) => port.on('open', () => res()).on('error', (e) => rej(new FlashError(config.port + ': ' + e.message))));
  const link: Link = { write: (s) => port.write(Buffer.from(s, 'latin1')), onData: (cb) => port.on('data', (b: Buffer) => cb(b.toString('latin1'))), close: () => port.close() };
  try {
    const opts = { config, log: (l: string) => console.log(l), noRun: !o.run };
    if (o.verify) {
      const differs = await verifyImage(new Repl(link), img, opts);
      if (differs.length) throw new FlashError('the board does not hold this build: ' + differs.join(', ') + ' differ');
      console.log('the board holds this build');
    } else await flashImage(new Repl(link), img, opts);
  } finally {
    await new Promise((r) => setTimeout(r, 300));
    link.close();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error('flash: ' + (e instanceof FlashError ? e.message : (e as Error).stack));
    process.exit(1);
  });
}
