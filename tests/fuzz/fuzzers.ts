// The fuzzers of every input that reaches the unit from outside (issue 11, "Fuzzing in CI"):
// DL/T 645 and Modbus frames (the codecs, and the bus and poller they feed), console lines,
// top-up tokens, configuration documents (objects, pasted text, the EEPROM's binary form) and
// scenario files. Each is a fast-check property over random inputs and inputs mutated from
// valid ones. tests/fuzz/fuzz.test.ts runs them with a fixed seed; `npm run fuzz -- N`
// (tools/fuzz.ts) runs them N times with random seeds. The properties: no exception escapes a
// parser, what a parser accepts is well formed, and a rejected input changes no state.
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import * as dlt from '../../firmware/metering/dlt645';
import { parseAddress, formatAddress } from '../../firmware/metering/address';
import * as mb from '../../firmware/metering/modbus';
import { crc16 } from '../../firmware/lib/crc16';
import { Config, parseConfig, ConfigBuilder } from '../../firmware/config';
import { exportConfig } from '../../firmware/config-export';
import { decodeConfig, encodeConfig } from '../../firmware/config-store';
import { ConfigReader } from '../../firmware/config-stream';
import { Writer } from '../../firmware/storage/bytes';
import { enterToken, parseToken, TokenKind, TokenSecret, TokenState } from '../../firmware/tokens/openpaygo';
import { saveLedger } from '../../firmware/billing/ledger';
import { startUnit, Unit } from '../../firmware/unit';
import { MAX_LINE, Shell, TECHNICIAN } from '../../firmware/console/shell';
import { MeterBus } from '../../firmware/metering/bus';
import { Poller, Reading } from '../../firmware/metering/poller';
import { LineSettings } from '../../hal/serial';
import { nodeModules } from '../../sim/modules';
import { VirtualClock } from '../../sim/virtual-clock';
import { StorageRig } from '../../sim/storage-rig';
import { parseScenario } from '../../sim/scenario';
import { generateToken, keyFromHex } from '../../tools/openpaygo-encode';
import { FakeClock, FakePort, busMeters, startPolling } from '../metering/fakes';
import { crc, FakeDlt, FakeModbus, responder, setF32, setU32 } from '../metering/meters';
import { applyEdits, byteCode, copyJson, edit, mutatedBytes, mutatedJson, mutatedText, slices, splicedBytes } from './mutate';
import { nameList } from '../../firmware/tables';

/** How a fuzzer runs. */
export interface FuzzOptions {
  /** Report the known bugs below as failures too (npm run fuzz -- --strict). */
  strict: boolean;
}

/** One fuzzer: a property over one external input. */
export interface Fuzzer {
  name: string;
  /** The input it covers, and the code that parses it. */
  input: string;
  /** Runs per seed: in CI with the fixed seed, and per random seed in npm run fuzz. */
  runs: number;
  property: (o: FuzzOptions) => fc.IRawProperty<unknown[]>;
}

/** A bug a fuzzer found and that is not fixed yet: its reproduction is an `it.fails` case in
 *  fuzz.test.ts; until it is fixed the fuzzer skips inputs that fail only this way, so that
 *  the suite keeps looking for others. */
export interface KnownBug {
  id: string;
  /** The fuzzer(s) that find it, separated by spaces. */
  fuzzer: string;
  summary: string;
  /** True when `input` failed with `error` because of this bug. */
  matches: (error: unknown, input: unknown) => boolean;
}

/** Bugs found and not yet fixed (none today): inputs that fail only because of one are skipped. */
export const KNOWN_BUGS: KnownBug[] = [];

/** Inputs skipped per known bug in this process (npm run fuzz reports them). */
export const excused: { [id: string]: number } = {};

/** Runs fn on input; an exception matching a known bug of this fuzzer skips the input (unless strict). */
function guarded<T>(o: FuzzOptions, fuzzer: string, fn: () => T, input?: unknown): T {
  try {
    return fn();
  } catch (e) {
    if (!o.strict) {
      for (const b of KNOWN_BUGS) {
        if (b.fuzzer.split(' ').indexOf(fuzzer) >= 0 && b.matches(e, input)) {
          excused[b.id] = (excused[b.id] || 0) + 1;
          fc.pre(false);
        }
      }
    }
    throw e;
  }
}

/** Fails the property with a message (plain Error: the fuzzers run outside vitest too). */
function check(cond: boolean, msg: string, detail?: unknown): asserts cond {
  if (!cond) throw new Error(msg + (detail === undefined ? '' : ': ' + show(detail)));
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? hex(x) : x));
  } catch (e) {
    return String(v);
  }
}

export function hex(b: ArrayLike<number>): string {
  const out: string[] = [];
  for (let i = 0; i < b.length; i++) out.push((b[i] < 16 ? '0' : '') + b[i].toString(16).toUpperCase());
  return out.join(' ');
}

/** A Result of hal/result.ts: { ok: true, value } or { ok: false, error: non-empty string }. */
function wellFormed(r: unknown, what: string): void {
  const x = r as { ok?: unknown; value?: unknown; error?: unknown; detail?: unknown };
  check(typeof r === 'object' && r !== null && typeof x.ok === 'boolean', what + ' is not a result', r);
  if (x.ok) check('value' in x, what + ' ok without a value', r);
  else check(typeof x.error === 'string' && x.error !== '' && (x.detail === undefined || typeof x.detail === 'string'), what + ' failed without an error text', r);
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// DL/T 645-2007

const DIS = [dlt.DI_COMBINED, dlt.DI_IMPORT, dlt.DI_EXPORT, dlt.DI_IMPORT_BLOCK, dlt.DI_VOLTAGE_A, dlt.DI_CURRENT_A, dlt.DI_POWER, dlt.DI_FREQUENCY, dlt.DI_ADDRESS, dlt.DI_STATUS3, dlt.DI_MONEY];
const VALUE_BYTES: { [di: number]: number } = { [dlt.DI_COMBINED]: 4, [dlt.DI_IMPORT]: 4, [dlt.DI_EXPORT]: 4, [dlt.DI_IMPORT_BLOCK]: 4, [dlt.DI_VOLTAGE_A]: 2, [dlt.DI_CURRENT_A]: 3, [dlt.DI_POWER]: 3, [dlt.DI_FREQUENCY]: 2, [dlt.DI_ADDRESS]: 6, [dlt.DI_STATUS3]: 2, [dlt.DI_MONEY]: 4 };

function diBytes(di: number): number[] {
  return [di & 255, (di >> 8) & 255, (di >> 16) & 255, (di >>> 24) & 255];
}

const bcdByte = fc.integer({ min: 0, max: 99 }).map((v) => Math.floor(v / 10) * 16 + (v % 10));
const dltAddr = fc.oneof(fc.array(bcdByte, { minLength: 6, maxLength: 6 }).map((a) => Uint8Array.from(a)), fc.constant(dlt.BROADCAST), fc.constant(dlt.WILDCARD));

/** A frame a DL/T 645 meter or master could send: read replies (one frame, with more to follow,
 *  a follow-up with its SEQ), abnormal replies, relay acknowledgements, and requests. */
const dltFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ addr: dltAddr, di: fc.constantFrom(...DIS), values: fc.array(bcdByte, { minLength: 1, maxLength: 24 }), more: fc.boolean(), seq: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }) })
      .map(({ addr, di, values, more, seq }) => {
        const n = di === dlt.DI_IMPORT_BLOCK ? Math.max(1, Math.floor(values.length / 4)) * 4 : VALUE_BYTES[di];
        const v = values.concat(values, values, values).slice(0, n);
        const ctrl = (seq === undefined ? 0x91 : 0x92) | (more ? 0x20 : 0);
        return dlt.frame(addr, ctrl, diBytes(di).concat(v, seq === undefined ? [] : [seq]));
      }),
  },
  { weight: 1, arbitrary: fc.record({ addr: dltAddr, fn: fc.constantFrom(0x11, 0x12, 0x1c, 0x13), err: fc.integer({ min: 0, max: 255 }) }).map(({ addr, fn, err }) => dlt.frame(addr, 0xc0 | fn, [err])) },
  { weight: 1, arbitrary: dltAddr.map((addr) => dlt.frame(addr, 0x9c, [])) },
  { weight: 1, arbitrary: fc.record({ addr: dltAddr, di: fc.constantFrom(...DIS) }).map(({ addr, di }) => dlt.readRequest(addr, di)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4102444799 }).map((t) => dlt.timeSyncRequest(t)) },
  { weight: 1, arbitrary: fc.record({ addr: dltAddr, ctrl: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 40 }) }).map(({ addr, ctrl, data }) => dlt.frame(addr, ctrl, data)) },
);

/** A stream as the bus receives it: valid, mutated and random pieces back to back. */
const dltStream = fc.array(fc.oneof({ weight: 2, arbitrary: dltFrame }, { weight: 3, arbitrary: mutatedBytes(dltFrame) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) }, { weight: 1, arbitrary: splicedBytes(dltFrame, dltFrame) }), { minLength: 1, maxLength: 5 }).map((ps) => {
  const out: number[] = [];
  for (const p of ps) out.push(...Array.from(p));
  return Uint8Array.from(out);
});

/** Runs every decoder a bus reply meets on frame f; each must answer a well-formed result. */
function decodeAll(f: dlt.Dlt645Frame): void {
  for (const fn of [0x11, 0x12, 0x13, 0x1c, 0x08]) wellFormed(dlt.checkReply(f, fn), 'checkReply');
  check(typeof dlt.hasMore(f) === 'boolean', 'hasMore');
  const own = f.data.length >= 4 ? f.data[0] + (f.data[1] << 8) + (f.data[2] << 16) + f.data[3] * 0x1000000 : 0;
  for (const di of DIS.concat([own])) {
    for (const seq of [undefined, 0, 1, f.data.length ? f.data[f.data.length - 1] : 2]) {
      const r = dlt.readData(f, di, seq);
      wellFormed(r, 'readData');
      if (r.ok) {
        check(r.value instanceof Uint8Array && r.value.length <= f.data.length, 'readData value', r);
        decoded(dlt.decode(di, r.value), di);
      }
    }
    decoded(dlt.decodeRead(f, di), di);
  }
}

function decoded(r: ReturnType<typeof dlt.decode>, di: number): void {
  wellFormed(r, 'decode');
  if (r.ok) {
    check(Array.isArray(r.value) && r.value.length >= 1, 'decode gives no values', r);
    for (const v of r.value) check(Number.isSafeInteger(v), 'decode of DI ' + di.toString(16) + ' gives a value that is not a safe integer', r);
  }
}

const dltFramer: Fuzzer = {
  name: 'dlt645-framer',
  input: 'DL/T 645 frames: Dlt645Framer.feed, checkReply, readData, decode (firmware/metering/dlt645.ts)',
  runs: 1500,
  property: () =>
    fc.property(dltStream, fc.array(fc.nat(), { maxLength: 8 }), (stream, cuts) => {
      const got: ReturnType<typeof dlt.checkReply>[] = [];
      const framer = new dlt.Dlt645Framer((r) => got.push(r));
      for (const [a, b] of slices(stream.length, cuts)) framer.feed(stream.subarray(a, b));
      for (const r of got) {
        wellFormed(r, 'framer');
        if (!r.ok) {
          check(['checksum', 'terminator', 'too-long'].indexOf(r.error) >= 0, 'framer error', r);
          continue;
        }
        const f = r.value;
        check(f.addr.length === 6 && f.data.length <= dlt.MAX_DATA && f.ctrl >= 0 && f.ctrl <= 255, 'framer frame shape', f);
        // What the framer accepts is exactly a checked frame that is in the stream: never a
        // frame with a bad checksum or terminator.
        const wire = dlt.frame(f.addr, f.ctrl, f.data).subarray(4);
        check(indexOfBytes(stream, wire) >= 0, 'framer accepted a frame that is not in the stream', { frame: wire, stream });
        decodeAll(f);
      }
    }),
};

const dltDecoders: Fuzzer = {
  name: 'dlt645-decode',
  input: 'DL/T 645 values and addresses: decode, bcd, parseAddress (firmware/metering/dlt645.ts, address.ts)',
  runs: 3000,
  property: () =>
    fc.property(
      fc.oneof(fc.constantFrom(...DIS), fc.integer({ min: 0, max: 0xffffffff })),
      fc.oneof(fc.uint8Array({ maxLength: 30 }), mutatedBytes(fc.array(bcdByte, { minLength: 2, maxLength: 24 }).map((a) => Uint8Array.from(a)))),
      fc.oneof(fc.string({ maxLength: 14 }), mutatedText(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 12, maxLength: 12 }).map((d) => d.join(''))), fc.string({ unit: 'binary', maxLength: 14 })),
      (di, data, addr) => {
        decoded(dlt.decode(di, data), di);
        for (let off = 0; off < 3; off++) {
          const v = dlt.bcd(data, off, Math.min(6, Math.max(0, data.length - off)), off === 1);
          check(Number.isNaN(v) || Number.isSafeInteger(v), 'bcd', { data, off, v });
        }
        const a = parseAddress(addr);
        wellFormed(a, 'parseAddress');
        if (a.ok) check(a.value.length === 6 && formatAddress(a.value) === addr, 'parseAddress accepts only 12 digits, and they format back', { addr, a });
      },
    ),
};

// ---------------------------------------------------------------------------------------------
// Modbus RTU


const mbRequest: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.record({ id: fc.integer({ min: 1, max: 247 }), fn: fc.constantFrom(mb.FN_HOLDING, mb.FN_INPUT), reg: fc.integer({ min: 0, max: 0xffff }), count: fc.integer({ min: 1, max: 125 }) }).map((r) => mb.readRequest(r.id, r.fn, r.reg, r.count)),
  fc.record({ id: fc.integer({ min: 1, max: 247 }), reg: fc.integer({ min: 0, max: 0xffff }), words: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 4 }) }).map((r) => mb.writeRequest(r.id, r.reg, r.words)),
);

/** The reply a slave gives to req: its registers, the write's echo, or an exception. */
function mbReply(req: Uint8Array, regs: number[], exception: number): Uint8Array {
  if (exception) return crc([req[0], req[1] | 0x80, exception]);
  if (req[1] === mb.FN_WRITE) return crc(Array.from(req.subarray(0, 6)));
  const n = (req[4] << 8) | req[5];
  const b = [req[0], req[1], 2 * n];
  for (let k = 0; k < n; k++) b.push((regs[k % regs.length] >> 8) & 255, regs[k % regs.length] & 255);
  return crc(b);
}

const mbExchange = mbRequest.chain((req) =>
  fc.record({
    req: fc.constant(req),
    valid: fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 }), fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 255 }) })).map(([regs, x]) => mbReply(req, regs, x)),
  }),
).chain(({ req, valid }) =>
  fc.record({
    req: fc.constant(req),
    valid: fc.constant(valid),
    rx: fc.oneof({ weight: 1, arbitrary: fc.constant(valid) }, { weight: 3, arbitrary: mutatedBytes(fc.constant(valid)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 260 }) }),
    short: fc.nat(),
  }),
);

const modbusReplies: Fuzzer = {
  name: 'modbus-reply',
  input: 'Modbus RTU replies: replyLength, parseReply, value, f32Scaled (firmware/metering/modbus.ts)',
  runs: 3000,
  property: () =>
    fc.property(mbExchange, fc.boolean(), ({ req, valid, rx, short }, whole) => {
      // The bus hands over the bytes received so far: n may be less than the buffer holds.
      const n = whole ? rx.length : rx.length ? short % (rx.length + 1) : 0;
      for (let k = 0; k <= Math.min(n, 3); k++) {
        const len = mb.replyLength(req, rx, k);
        check(Number.isInteger(len) && len >= 5 && len <= 255, 'replyLength', { req, rx, k, len });
      }
      const r = mb.parseReply(req, rx, n);
      wellFormed(r, 'parseReply');
      if (r.ok) {
        // Only a reply with a good CRC from the slave asked, to the function asked, is taken.
        check(n >= 5 && crc16(rx, 0, n) === 0 && rx[0] === req[0] && rx[1] === req[1], 'parseReply accepted a reply it should refuse', { req, rx, n });
        const count = (req[4] << 8) | req[5];
        check(r.value.length === (req[1] === mb.FN_WRITE ? 0 : 2 * count), 'parseReply register bytes', { req, rx, n });
        for (let o = 0; o + 4 <= r.value.length && o < 16; o += 2) {
          for (let t = mb.T_U16; t <= mb.T_F32; t++) {
            for (const [mul, div] of [[1, 1], [10, 1], [1000, 1], [1, 10], [1, 1000]]) {
              const v = mb.value(r.value, o, t, mul, div);
              check(Number.isSafeInteger(v) || (t === mb.T_F32 && Number.isNaN(v)) || (t === mb.T_F32 && Number.isFinite(v) && Math.round(v) === v), 'register value', { bytes: r.value, o, t, mul, div, v });
            }
          }
        }
      }
      // The reply a slave would give is always taken whole, and decodes to its registers.
      if (whole && hex(rx) === hex(valid)) {
        const good = mb.parseReply(req, valid, valid.length);
        if (valid[1] & 0x80) check(!good.ok && good.error !== 'crc', 'an exception reply is named', { req, valid, good });
        else check(good.ok, 'a valid reply is refused', { req, valid, good });
      }
    }),
};

// ---------------------------------------------------------------------------------------------
// Meter bus end to end: the poller reading meters whose replies arrive damaged

const LINE: LineSettings = { baud: 9600, dataBits: 8, parity: 'even', stopBits: 1 };

/** True when a good DL/T 645 frame ends before the last of these bytes (noise after a reply). */
function frameEndsBefore(bytes: Uint8Array): boolean {
  let at = -1;
  const f = new dlt.Dlt645Framer((r) => {
    if (r.ok && at < 0) at = i;
  });
  let i = 0;
  for (; i < bytes.length; i++) f.feed(bytes.subarray(i, i + 1));
  return at >= 0 && at < bytes.length - 1;
}

const busReplies: Fuzzer = {
  name: 'bus-poller',
  input: 'DL/T 645 and Modbus replies on the wire: MeterBus + Poller (firmware/metering/bus.ts, poller.ts)',
  runs: 200,
  property: (o) =>
    fc.property(
      fc.array(fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: fc.array(edit(byteCode), { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 30 }) }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 8 }),
      (damage, slice) => {
        const clock = new FakeClock();
        let port!: FakePort;
        const d1: FakeDlt = { addr: '000000000161', importCkwh: 26, exportCkwh: 126, powerDw: 12075 };
        const sdm: FakeModbus = { id: 1, regs: new Uint16Array(0x160), writes: 0 };
        setF32(sdm.regs, 0x48, 1200);
        setF32(sdm.regs, 0x4a, 34.56);
        const dds: FakeModbus = { id: 2, regs: new Uint16Array(0x20), writes: 0 };
        setU32(dds.regs, 0x0a, 123456);
        const { meters, profiles } = busMeters([
          { protocol: 'dlt645', address: '000000000161' },
          { protocol: 'modbus', id: 1, profile: 'sdm120' },
          { protocol: 'modbus', id: 2, profile: 'dds238' },
        ]);
        const bus = new MeterBus({ clock, line: LINE, meters: meters.n, open: (opts) => (port = new FakePort(clock, opts)), retries: 1, backoffMs: 1000, backoffMaxMs: 4000 });
        const honest = responder([d1], [sdm, dds]);
        let k = 0;
        let clean = false;
        let tailNoise = false;
        // Each reply is passed on whole, damaged by a few edits, replaced by random bytes, or
        // (after the damage list) whole again.
        port.responder = (req) => {
          const r = honest(req);
          if (clean || k >= damage.length) return r;
          const d = damage[k++];
          if (d === null) return r;
          if (d instanceof Uint8Array) return { delayMs: 20, bytes: d, slice };
          if (!r) return null;
          const bytes = Uint8Array.from(applyEdits(Array.from(r.bytes), d, 8));
          // A whole reply with noise after it: the reply ended where its length said, and nothing
          // tells a bus that more bytes follow; a request then is no fault of the bus.
          if (bytes.length > r.bytes.length && r.bytes.every((v, i) => bytes[i] === v)) tailNoise = true;
          if (frameEndsBefore(bytes)) tailNoise = true;
          return { delayMs: r.delayMs, bytes, slice };
        };
        const readings: Reading[] = [];
        const poller = new Poller({ bus, clock, meters, profiles, detailEvery: 2, onReading: (r) => readings.push(r), onEvent: () => undefined });
        startPolling(poller, clock, 10000);
        clock.advance(120000);
        for (const r of readings) {
          check(r.meterIndex >= 0 && r.meterIndex < meters.n, 'reading of no meter', r);
          check(Number.isSafeInteger(r.importWh) && Number.isSafeInteger(r.exportWh) && r.importWh >= 0 && r.exportWh >= 0, 'reading registers', r);
          if (r.powerW !== undefined) check(Number.isSafeInteger(r.powerW), 'reading power', r);
        }
        // Once the line is clean again every meter is read, with its true registers.
        clean = true;
        readings.length = 0;
        clock.advance(60000);
        const want = [[260, 1260], [1200000, 34560], [1234560, 0]];
        for (let m = 0; m < meters.n; m++) {
          const last = readings.filter((r) => r.meterIndex === m).pop();
          check(!!last, 'meter ' + m + ' is not read again after damaged replies', { damage: damage.length });
          if (m < 2) check(last!.importWh === want[m][0] && last!.exportWh === want[m][1], 'meter ' + m + ' registers after damaged replies', last);
          else check(last!.importWh === want[m][0], 'meter ' + m + ' registers after damaged replies', last);
        }
        if (!tailNoise) check(port.overlaps === 0, 'the bus wrote a request while a reply was still arriving', { overlaps: port.overlaps, damage, slice });
      },
    ),
};

// ---------------------------------------------------------------------------------------------
// Top-up tokens

const KEY_HEX = 'bc41ec9530f6dac86b1a29ab82edc5fb';
const SECRET: TokenSecret = { key: keyFromHex(KEY_HEX)!, startingCode: 516959010 };

/** Tokens a vendor issued, for counts 1.. (computed once: each walks the hash chain). */
interface Vended {
  token: string;
  count: number;
  kind: TokenKind;
  extended: boolean;
  restricted: boolean;
}
let vendedCache: Vended[] | null = null;
function vended(): Vended[] {
  if (vendedCache) return vendedCache;
  const out: Vended[] = [];
  for (const extended of [false, true]) {
    for (const restricted of [false, true]) {
      let count = 1;
      const kinds: TokenKind[] = ['add', 'add', 'set', 'add', 'disable', 'add', 'sync', 'add', 'set', 'add', 'add', 'add'];
      for (let i = 0; i < kinds.length; i++) {
        const t = generateToken({ key: SECRET.key, startingCode: SECRET.startingCode, count, kind: kinds[i], value: 1 + ((i * 37) % 90), extended, restricted });
        if (!t.ok) throw new Error(t.error);
        count = t.count;
        out.push({ token: t.token, count, kind: kinds[i], extended, restricted });
      }
    }
  }
  vendedCache = out;
  return out;
}

/** A token as typed: vended (with spaces or dashes between groups), mutated, or random. */
const typedToken: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('', ' ', '-', '\t'), fc.integer({ min: 1, max: 5 })).map(([i, sep, g]) => {
    const t = vended()[i % vended().length].token;
    let s = '';
    for (let k = 0; k < t.length; k++) s += (k && k % g === 0 ? sep : '') + t.charAt(k);
    return s;
  }) },
  { weight: 3, arbitrary: mutatedText(fc.nat().map((i) => vended()[i % vended().length].token)) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9 -]{0,24}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
);

/** A token state and the time of entry: keypad free, or locked until shortly before or after. */
const tokenState: fc.Arbitrary<{ state: TokenState; now: number }> = fc
  .record({
    // The device walks the chain from count 0 on each entry: counts stay in the low hundreds.
    lastCount: fc.integer({ min: 1, max: 120 }),
    usedBitmap: fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 0xffff })),
    invalidCount: fc.integer({ min: 0, max: 11 }),
    now: fc.integer({ min: 1000, max: 2e9 }),
    lock: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: -600, max: 600 }) }),
  })
  .map((r) => ({ state: { lastCount: r.lastCount, usedBitmap: r.usedBitmap, invalidCount: r.invalidCount, lockedUntil: r.lock === null ? 0 : r.now + r.lock }, now: r.now }));

const tokens: Fuzzer = {
  name: 'token-entry',
  input: 'top-up tokens: parseToken, enterToken (firmware/tokens/openpaygo.ts)',
  runs: 3000,
  property: () =>
    fc.property(typedToken, tokenState, (text, { state, now }) => {
      const p = parseToken(text);
      wellFormed(p, 'parseToken');
      if (!p.ok) return;
      let digits = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 48 && c <= 57) digits++;
        else check(c === 32 || c === 45 || c === 9, 'parseToken accepted a character that is not a digit, space or dash', text);
      }
      check([9, 12, 15, 20].indexOf(digits) >= 0 && Number.isSafeInteger(p.value.code) && p.value.code >= 0 && p.value.extended === (digits === 12 || digits === 20), 'parseToken value', { text, p });
      const before = JSON.stringify(state);
      const r = enterToken(SECRET, state, p.value, now);
      check(JSON.stringify(state) === before, 'enterToken changed the state it was given', { text, state });
      const s = r.state;
      if (r.result.ok) {
        // An accepted token: a count above the last one, or an unused one within the window.
        const c = r.result.count;
        const below = state.lastCount - c;
        check(below < 0 || (below < 16 && ((state.usedBitmap >> below) & 1) === 0), 'enterToken accepted a used or too old count', { text, state, result: r.result });
        check(s.lastCount === Math.max(state.lastCount, c) && s.invalidCount === 0, 'state after an accepted token', { state, s, result: r.result });
        // The same token typed again never gives the same count twice.
        const again = enterToken(SECRET, s, p.value, now);
        check(!again.result.ok || again.result.count !== c, 'a token was accepted twice', { text, state, result: r.result });
      } else {
        // A refused token leaves the counters alone: only wrong entries count towards a lock-out.
        check(s.lastCount === state.lastCount && s.usedBitmap === state.usedBitmap, 'a refused token changed the token counters', { text, state, s });
        if (r.result.error === 'invalid') check(s.invalidCount === Math.min(11, state.invalidCount + 1) && s.lockedUntil >= state.lockedUntil, 'a wrong token is counted', { state, s });
        else check(JSON.stringify(s) === before, 'a used token or a locked keypad changes nothing', { text, state, s, result: r.result });
      }
    }),
};

// ---------------------------------------------------------------------------------------------
// Configuration documents

const ROOT = path.join(__dirname, '..', '..');
function readJson(rel: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(ROOT, rel), 'utf8'));
}

/** The scenario files of the repository that parseScenario reads (a site file is not one). */
const SCENARIO_FILES = ['sim/scenarios/dormitory-floor.json', 'sim/scenarios/dormitory-floor-rs485.json', 'sim/scenarios/mixed-bus-week.json', 'sim/scenarios/dormitory-floor-sms.json', 'tests/console/fixtures/commissioning.json'];
let scenarioCache: unknown[] | null = null;
function scenarios(): unknown[] {
  if (!scenarioCache) scenarioCache = SCENARIO_FILES.map(readJson);
  return scenarioCache;
}

/** A small configuration using every kind of field (plans, tiers, tokens, every protocol). */
const RICH_CONFIG = {
  utcOffsetMinutes: 480,
  weekend: ['sat', 'sun'],
  holidays: ['2026-01-01', '2026-05-01'],
  billingDay: 5,
  console: { pins: { read: '1000', operator: '2000', technician: '3000' } },
  bus: { pollSeconds: 30, dlt645: { baud: 2400, parity: 'even' }, modbus: { baud: 9600, parity: 'none', stopBits: 1 } },
  plans: {
    flat: { price: 600 },
    tou: { prices: { sharp: 1200, peak: 900, flat: 600, valley: 300 }, workday: [['00:00', 'valley'], ['08:00', 'peak'], ['11:00', 'sharp'], ['13:00', 'flat'], ['22:00', 'valley']], weekend: [['00:00', 'flat']], tiers: [{ uptoWh: 200000, add: 0 }, { uptoWh: 400000, add: 50 }, { add: 300 }], safePrice: 1200 },
  },
  accounts: [
    { name: 'R1', plan: 'flat', alarmLevels: [5000, 2000], creditLimit: 1000, reconnect: 500, maxBalance: 50000, token: { key: KEY_HEX, start: 516959010, unit: 1000 } },
    { name: 'R2', plan: 'tou', friendly: [['22:00', '07:00']], friendlyRestDays: true, mode: 'auto', importOnly: false, relay: 1, overload: { maxPowerW: 3000, holdS: 5, waitS: 10, windowS: 600, maxTrips: 2 } },
    { name: 'R3', plan: 'flat', alarmLevels: [] },
  ],
  meters: [
    { name: 'M1', account: 'R1', proto: 'dlt645', addr: '000000000161', maxPowerW: 9000 },
    { name: 'M2', account: 'R2', proto: 'modbus', addr: '1', profile: 'sdm120', plan: 'flat' },
    { name: 'M3', account: 'R2', proto: 'modbus', addr: '2', profile: { name: 'custom', import: { reg: 10, fn: 3, type: 'u32', scale: 0.01, unit: 'kWh' } } },
    { name: 'M4', account: 'R3', proto: 'pulse', addr: 0, impPerKwh: 1600 },
    { name: 'M5', account: 'R3' },
  ],
};

/** Valid configurations: the rich one, and those of the scenario files. */
const validConfig: fc.Arbitrary<unknown> = fc.nat().map((i) => {
  const all = [RICH_CONFIG as unknown].concat(scenarios().map((s) => (s as { config: unknown }).config));
  return all[i % all.length];
});

/** A configuration as the parser may get it: valid, mutated in its structure, or any JSON. */
const configDoc: fc.Arbitrary<unknown> = fc.oneof({ weight: 1, arbitrary: validConfig }, { weight: 6, arbitrary: mutatedJson(validConfig) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });

/** Reads text through the streaming reader (what `config import` does) in the given slices. */
function streamed(text: string, cuts: number[]): { ok: true; value: Config } | { ok: false; error: string } {
  const b = new ConfigBuilder();
  const r = new ConfigReader(b);
  for (const [x, y] of slices(text.length, cuts)) {
    const e = r.feed(text.substring(x, y));
    if (e) return { ok: false, error: e };
  }
  const e = r.end();
  return e ? { ok: false, error: e } : b.finish();
}

/** What an accepted configuration must satisfy: every path gives it back the same. */
function roundTrips(c: Config, what: string, input: unknown): void {
  const text = JSON.stringify(exportConfig(c));
  const again = parseConfig(JSON.parse(text));
  check(again.ok, what + ': the export of an accepted configuration is refused', { input, error: again.ok ? '' : again.error });
  check(JSON.stringify(exportConfig(again.value)) === text, what + ': export and parse do not give the configuration back', input);
  const bin = decodeConfig(encodeConfig(c));
  const wide = /[^\u0000-\u00ff]/.test(JSON.stringify(c.profileSpecs)) ? ' (a register map with text beyond Latin-1)' : '';
  check(bin !== null && JSON.stringify(exportConfig(bin)) === text, what + ': the binary form does not give the configuration back' + wide, input);
}

const configObject: Fuzzer = {
  name: 'config-object',
  input: 'configuration documents: parseConfig (firmware/config.ts), the same text through ConfigReader (firmware/config-stream.ts)',
  runs: 600,
  property: (o) =>
    fc.property(configDoc, fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 6 }), (doc, cuts) => {
      const before = JSON.stringify(doc);
      const r = parseConfig(doc);
      check(JSON.stringify(doc) === before, 'parseConfig changed its input', doc);
      wellFormed(r, 'parseConfig');
      if (r.ok) guarded(o, 'config-object', () => roundTrips(r.value, 'parseConfig', doc));
      // The same document pasted as text (cut anywhere) is accepted or refused the same way.
      if (before === undefined) return;
      const s = streamed(before, cuts);
      wellFormed(s, 'ConfigReader');
      check(s.ok === r.ok, 'ConfigReader and parseConfig disagree', { doc, parse: r.ok ? 'ok' : r.error, stream: s.ok ? 'ok' : s.error });
      if (r.ok && s.ok) check(JSON.stringify(exportConfig(s.value)) === JSON.stringify(exportConfig(r.value)), 'ConfigReader and parseConfig give different configurations', doc);
    }),
};

/** The text of a valid configuration, as exported by a unit or written by hand (indented). */
const configText: fc.Arbitrary<string> = fc.tuple(validConfig, fc.constantFrom(0, 1, 2)).map(([c, indent]) => JSON.stringify(c, null, indent));

const configStream: Fuzzer = {
  name: 'config-text',
  input: 'configuration text as pasted: ConfigReader.feed/end + ConfigBuilder.finish (firmware/config-stream.ts)',
  runs: 1000,
  property: (o) =>
    fc.property(fc.oneof({ weight: 4, arbitrary: mutatedText(configText, 6) }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }, { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) }), fc.array(fc.integer({ min: 1, max: 120 }), { maxLength: 6 }), (text, cuts) => {
      const s = streamed(text, cuts);
      wellFormed(s, 'ConfigReader');
      if (s.ok) guarded(o, 'config-text', () => roundTrips(s.value, 'ConfigReader', text));
    }),
};

/** The binary form of valid configurations (what the EEPROM's configuration slot holds). */
const configBytes: fc.Arbitrary<Uint8Array> = validConfig.map((raw) => {
  const c = parseConfig(raw);
  if (!c.ok) throw new Error('a valid configuration is refused: ' + c.error);
  return encodeConfig(c.value);
});

/** A binary configuration with one of its numbers (a varint) replaced by another: a count or
 *  value far out of range, negative, or the largest the reader takes. */
const configVarint: fc.Arbitrary<Uint8Array> = fc
  .tuple(configBytes, fc.nat(), fc.constantFrom(-1, -2, -1000, 0, 255, 256, 4097, 65535, 2 ** 20, 2 ** 40, 2 ** 52, -(2 ** 52)))
  .map(([b, at, n]) => {
    // Varints end at a byte below 128: replace the one that ends at or after `at`.
    let start = at % b.length;
    while (start > 0 && b[start - 1] >= 128) start--;
    let end = start;
    while (end < b.length && b[end] >= 128) end++;
    const w = new Writer(10);
    w.num(n);
    return Uint8Array.from(Array.from(b.subarray(0, start)).concat(Array.from(w.out()), Array.from(b.subarray(end + 1))));
  });

const configBinary: Fuzzer = {
  name: 'config-binary',
  input: 'configuration as the EEPROM keeps it: decodeConfig (firmware/config-store.ts)',
  runs: 1000,
  property: (o) =>
    fc.property(
      fc.oneof(
        { weight: 1, arbitrary: configBytes.map((b) => ({ b, whole: true })) },
        { weight: 5, arbitrary: mutatedBytes(configBytes).map((b) => ({ b, whole: false })) },
        { weight: 2, arbitrary: configVarint.map((b) => ({ b, whole: false })) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((b) => ({ b, whole: false })) },
      ),
      fc.nat(),
      ({ b, whole }, cut) => {
        const c = guarded(o, 'config-binary', () => decodeConfig(b), b);
        check(c === null || (typeof c === 'object' && c.accounts.n === nameList(c.accounts.names).length && c.meters.n === nameList(c.meters.names).length), 'decodeConfig gives null or a configuration', { b, c });
        if (whole) {
          check(c !== null, 'decodeConfig refuses a valid configuration', b);
          // Every strict prefix and every longer record is refused, never misread.
          const prefix = b.subarray(0, cut % b.length);
          check(guarded(o, 'config-binary', () => decodeConfig(prefix), prefix) === null, 'decodeConfig reads a truncated configuration', { length: b.length, prefix: prefix.length });
          const longer = new Uint8Array(b.length + 1 + (cut % 3));
          longer.set(b);
          check(guarded(o, 'config-binary', () => decodeConfig(longer), longer) === null, 'decodeConfig reads a configuration with bytes after it', b.length);
        }
      },
    ),
};

// ---------------------------------------------------------------------------------------------
// Scenario files

const scenarioDoc: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: fc.nat().map((i) => scenarios()[i % scenarios().length]) },
  { weight: 8, arbitrary: mutatedJson(fc.nat().map((i) => scenarios()[i % scenarios().length]), 4) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const scenarioFiles: Fuzzer = {
  name: 'scenario',
  input: 'scenario files: parseScenario (sim/scenario.ts)',
  runs: 400,
  property: () =>
    fc.property(scenarioDoc, (doc) => {
      const before = JSON.stringify(doc);
      const r = parseScenario(doc);
      check(JSON.stringify(doc) === before, 'parseScenario changed its input', doc);
      check(typeof r === 'object' && r !== null && typeof r.ok === 'boolean', 'parseScenario result', r);
      if (!r.ok) check(Array.isArray(r.errors) && r.errors.length > 0 && r.errors.every((e) => typeof e === 'string' && e !== ''), 'a refused scenario says why', r);
      else {
        const s = r.value;
        check(s.meterNames.length === s.loads.length && s.wires.length === s.loads.length && s.tenants.length === s.facts.accounts.length, 'scenario tables', s.name);
        check(Number.isFinite(s.start) && s.durationHours > 0 && s.topups.every((t) => t.account >= 0 && t.at >= s.start), 'scenario times and top-ups', s.name);
      }
    }),
};

// ---------------------------------------------------------------------------------------------
// Console lines, typed at a running unit

const PINS = { read: '1000', operator: '2000', technician: '3000' };
const CONSOLE_CONFIG = {
  utcOffsetMinutes: 480,
  plans: { flat: { price: 600 }, tou: { prices: { peak: 900, valley: 300 }, workday: [['00:00', 'valley'], ['08:00', 'peak'], ['22:00', 'valley']] } },
  accounts: [
    { name: 'R1', plan: 'flat', alarmLevels: [5000, 2000], maxBalance: 80000, token: { key: KEY_HEX, start: 516959010, unit: 1000 } },
    { name: 'R2', plan: 'tou', creditLimit: 2000, friendly: [['22:00', '07:00']] },
  ],
  meters: [
    { name: 'M1', account: 'R1' },
    { name: 'M2', account: 'R2', proto: 'pulse', addr: 0, impPerKwh: 1000 },
  ],
  console: { pins: PINS },
};

const ACCOUNT_WORDS = ['R1', 'R2', 'R3', 'r1', 'R1R1', '"R 1"', 'toString', '__proto__', '""'];
const AMOUNT_WORDS = ['0', '1', '5', '12.5', '0.001', '0.0001', '-3', '999999999', '999999999.999', '1e3', '1.', '.5', 'NaN', '25,00', '٣'];
const OPTION_KEYS = ['plan', 'alarms', 'limit', 'reconnect', 'max', 'friendly', 'mode', 'maxpower', 'acct', 'proto', 'addr', 'profile', 'imp', 'maxw', 'price', 'sharp', 'peak', 'flat', 'valley', 'workday', 'weekend', 'tiers', 'kind', 'from', 'to', 'n', 'colour'];
const OPTION_VALUES = ['flat', 'tou', 'nope', 'none', '30,20,10', '5,6', '22:00-07:00', '25:00-07:00', 'auto', 'on', 'off', 'dlt645', 'modbus', 'pulse', 'rs232', '000000000161', '000000000162', '12', '1', '0', '300', '247', 'sdm120', 'dds238', 'abc', '00:00/valley,08:00/peak', '00:00/noon', '200:0,*:0.30', '*:1', '2026-03-01', '2026-02-30', 'topup', 'command', 'R1', 'R9', '2000', '', '0.85', '1e9'];
const DATES = ['2026-03-01 08:30', '2026-03-01T08:30:15', '2099-12-31 23:59:59', '1999-01-01 00:00', '2026-13-01 00:00', '2026-02-30 12:00', '2026-03-01', '08:30'];

function words(list: string[]): fc.Arbitrary<string> {
  return fc.constantFrom(...list);
}

const option = fc.tuple(words(OPTION_KEYS), fc.oneof(words(OPTION_VALUES), words(AMOUNT_WORDS))).map(([k, v]) => k + '=' + v);
/** Options `acct open|set` takes, with values that often fit. */
const accountOption = fc.oneof(
  { weight: 4, arbitrary: words(['alarms=30,20,10', 'alarms=none', 'alarms=5', 'limit=2', 'limit=0', 'reconnect=1', 'max=100', 'max=0', 'friendly=22:00-07:00', 'friendly=none', 'mode=on', 'mode=off', 'mode=auto', 'maxpower=3000', 'plan=flat', 'plan=tou']) },
  { weight: 1, arbitrary: option },
);
const anyWord = fc.oneof(words(ACCOUNT_WORDS), words(AMOUNT_WORDS), option, words(['M1', 'M2', 'M9', 'on', 'off', 'auto', 'reset', 'set', 'open', 'close', 'add', 'rm', 'read', 'export', 'import', 'yes', 'day', 'month', 'END', 'CONFIG']), fc.string({ maxLength: 8 }));

const NEW_NAMES = ['R3', 'R4', 'Room_5', 'R1', 'x', 'A'.repeat(17), '_R', 'toString', 'R\u00e9'];
const goodAmount = fc.oneof(words(['1', '5', '12.5', '0.001', '30', '80']), fc.integer({ min: 1, max: 99999 }).map((m) => (m / 1000).toFixed(3)));

/** A command line: a known command with plausible arguments, or any words. */
const commandLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(words(['topup', 'refund']), words(['R1', 'R2']), goodAmount).map((w) => w.join(' ')) },
  { weight: 2, arbitrary: fc.tuple(words(['topup', 'refund']), words(ACCOUNT_WORDS), words(AMOUNT_WORDS)).map((w) => w.join(' ')) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 12 }).map((n) => 'correct ' + n) },
  { weight: 2, arbitrary: fc.tuple(words(NEW_NAMES), words(['flat', 'tou', 'nope']), fc.array(accountOption, { maxLength: 2 })).map(([a, p, o]) => ['acct', 'open', a, 'plan=' + p].concat(o).join(' ')) },
  { weight: 2, arbitrary: fc.tuple(words(['open', 'set', 'close']), words(ACCOUNT_WORDS), fc.array(accountOption, { maxLength: 3 })).map(([s, a, o]) => ['acct', s, a].concat(o).join(' ')) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(words(['M3', 'M4', 'M1', 'M_5']), words(['R1', 'R2', 'R9']), fc.oneof(fc.constant(''), fc.tuple(words(['dlt645', 'modbus', 'pulse', 'rs232']), words(['000000000161', '000000000162', '12', '1', '2', '0', '247', '248', '3', '']))), fc.array(fc.oneof({ weight: 4, arbitrary: words(['profile=sdm120', 'profile=dds238', 'imp=1600', 'maxw=9000', 'plan=tou']) }, { weight: 1, arbitrary: option }), { maxLength: 2 }))
      .map(([m, a, pa, o]) => ['meter', 'add', m, 'acct=' + a].concat(pa ? ['proto=' + pa[0], 'addr=' + pa[1]] : [], o).join(' ')),
  },
  { weight: 2, arbitrary: fc.tuple(words(['add', 'set', 'rm', 'read']), words(['M1', 'M2', 'M3', 'M9']), fc.array(option, { maxLength: 4 })).map(([s, m, o]) => ['meter', s, m].concat(o).join(' ')) },
  { weight: 2, arbitrary: fc.tuple(words(['flat', 'tou', 'new']), fc.array(fc.oneof({ weight: 3, arbitrary: words(['price=0.6', 'peak=0.85', 'valley=0.3', 'workday=00:00/valley,08:00/peak', 'weekend=00:00/flat', 'tiers=200:0,*:0.30', 'tiers=none', 'flat=0.5']) }, { weight: 1, arbitrary: option }), { maxLength: 3 })).map(([p, o]) => ['tariff', 'set', p].concat(o).join(' ')) },
  { weight: 1, arbitrary: fc.tuple(words(ACCOUNT_WORDS), words(['on', 'off', 'auto', 'reset', 'sideways'])).map(([a, m]) => 'relay ' + a + ' ' + m) },
  { weight: 3, arbitrary: fc.tuple(words(['R1', 'R1', 'R2', 'R9']), typedToken).map(([a, t]) => 'token ' + a + ' ' + t) },
  { weight: 1, arbitrary: fc.array(option, { maxLength: 3 }).map((o) => ['log'].concat(o).join(' ')) },
  { weight: 1, arbitrary: fc.tuple(words(['day', 'month', 'week']), fc.array(option, { maxLength: 2 })).map(([k, o]) => ['freeze', k].concat(o).join(' ')) },
  { weight: 1, arbitrary: words(DATES).map((d) => 'time set ' + d) },
  { weight: 2, arbitrary: words(['1000', '2000', '3000', '3000', '1111', '3333', '9', '']).map((p) => 'login ' + p) },
  { weight: 2, arbitrary: words(['help', 'help topup', 'help nothing', 'status', 'time', 'acct', 'acct R1', 'meter', 'meter M1', 'tariff', 'tariff tou', 'log', 'logout', 'json on', 'json off', 'config export', 'reboot', 'factory-reset', 'factory-reset yes', 'frobnicate', 'END CONFIG']) },
  { weight: 2, arbitrary: fc.tuple(words(['help', 'login', 'logout', 'json', 'status', 'time', 'acct', 'meter', 'topup', 'refund', 'correct', 'relay', 'tariff', 'log', 'freeze', 'config', 'token', 'reboot', 'factory-reset', 'HELP', 'Topup']), fc.array(anyWord, { maxLength: 5 })).map(([c, a]) => [c].concat(a).join(' ')) },
);

/** A line as typed: a command, one mutated, random characters, or a line near the length limit. */
const typedLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: commandLine },
  { weight: 3, arbitrary: mutatedText(commandLine, 3) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(commandLine, fc.integer({ min: 225, max: 250 })).map(([l, n]) => (l + ' '.repeat(n)).substr(0, n) + '5') },
);

// ---------------------------------------------------------------------------------------------
// The shell's line editing: what a line is, whatever characters come before it

/** Whether the shell is inside an escape sequence after s (its documented rule: ESC, then
 *  ESC [ or ESC O up to a final character @..~). */
function openEscape(s: string): boolean {
  let esc = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (esc === 1) esc = c === '[' || c === 'O' ? 2 : 0;
    else if (esc === 2) {
      if (c >= '@' && c <= '~') esc = 0;
    } else if (c === '\x1b') esc = 1;
  }
  return esc !== 0;
}

/** Characters a terminal sends: printable text, arrow keys and colour codes, lone escapes,
 *  backspace, Ctrl-C, tabs, and any code unit. */
const typed: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.string({ maxLength: 6 }) },
      { weight: 2, arbitrary: fc.constantFrom('\x1b[A', '\x1b[D', '\x1b[1;5C', '\x1b[0m', '\x1b[31m', '\x1bOP', '\x1b', '\x1b[', '\x1b[1;', '\x1bO', '\b', '\x7f', '\x03', '\t', '"') },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join('').replace(/[\r\n]/g, ''));

/** A command a technician types cleanly (printable, no quotes, within the length limit). */
const cleanLine = fc.stringMatching(/^[a-z][a-z0-9 .=,:-]{0,30}[a-z0-9]$/);

const lineEditing: Fuzzer = {
  name: 'console-editing',
  input: 'characters on the console before a line ends: Shell.feed (firmware/console/shell.ts)',
  runs: 3000,
  property: (o) =>
    fc.property(typed, cleanLine, fc.constantFrom('\r', '\n', '\r\n'), (before, line, end) => {
      const ran: string[] = [];
      const printed: string[] = [];
      const shell = () => new Shell({ clock: new VirtualClock(), print: (l) => printed.push(l), run: (_sh, l) => ran.push(l) });
      const open = openEscape(before) ? ' after an open escape sequence' : '';
      // Ctrl-C drops what was typed, whatever it was: nothing runs.
      let sh = shell();
      sh.feed(before + '\x03' + end);
      guarded(o, 'console-editing', () => check(ran.length === 0 && printed.indexOf('^C') >= 0, 'Ctrl-C did not drop the line' + open, { before, ran, printed }));
      // The line ends at Enter, whatever came before, and the next line runs as typed.
      ran.length = 0;
      printed.length = 0;
      sh = shell();
      sh.feed(before + end + line + end);
      guarded(o, 'console-editing', () => check(ran.length >= 1 && ran[ran.length - 1] === line && ran.length <= 2, 'the line after another is not run as typed' + open, { before, line, ran, printed }));
      // A line longer than the limit is refused whole.
      ran.length = 0;
      printed.length = 0;
      sh = shell();
      sh.feed(line + ' '.repeat(MAX_LINE) + line + end);
      check(ran.length === 0 && printed.length === 1 && printed[0].indexOf('error: line longer than') === 0, 'a too long line was run', { line, ran, printed });
    }),
};

/** The configuration text a technician pastes after `config import`: valid, or mutated. */
const pastedConfig: fc.Arbitrary<string[]> = fc
  .tuple(
    fc.oneof({ weight: 1, arbitrary: fc.constant(JSON.stringify(CONSOLE_CONFIG)) }, { weight: 2, arbitrary: mutatedJson(fc.constant(CONSOLE_CONFIG as unknown)).map((d) => JSON.stringify(d) || '') }, { weight: 2, arbitrary: mutatedText(fc.constant(JSON.stringify(CONSOLE_CONFIG)), 3) }),
    fc.integer({ min: 20, max: 120 }),
    fc.boolean(),
    fc.oneof(fc.constant('END CONFIG'), fc.constant('logout'), fc.constant('  END CONFIG  '), commandLine),
  )
  .map(([text, width, begin, end]) => {
    const lines = ['config import'].concat(begin ? ['BEGIN CONFIG'] : []);
    for (let i = 0; i < text.length; i += width) lines.push(text.substr(i, width).replace(/[\r\n]/g, ' '));
    return lines.concat([end]);
  });

/** What is typed in one go: the line and how it ends, and how long the technician waited before. */
interface Chunk {
  text: string;
  waitMs: number;
}

const lineEnd = fc.constantFrom('\r\n', '\n', '\r');
const wait = fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 60000 }) }, { weight: 1, arbitrary: fc.integer({ min: 290000, max: 400000 }) });

/** A session: chunks typed one after another. A chunk is a line without line breaks (a console
 *  line typed and sent), a block (a configuration import), or raw characters with line breaks
 *  anywhere (then several lines may run in one chunk). */
const session: fc.Arbitrary<Chunk[]> = fc
  .tuple(
    words(['', 'login 1000', 'login 2000', 'login 2000', 'login 3000', 'login 3000', 'login 3000', 'login 3000']),
    fc.array(
      fc.oneof(
        { weight: 8, arbitrary: fc.tuple(typedLine, lineEnd, wait).map(([l, e, w]) => [{ text: l.replace(/[\r\n]/g, '') + e, waitMs: w }]) },
        // An import, usually by a technician who signs in for it.
        { weight: 1, arbitrary: fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), pastedConfig, wait).map(([login, ls, w]) => (login ? ['login 3000'] : []).concat(ls).map((l, i) => ({ text: l + '\r\n', waitMs: i ? 0 : w }))) },
        { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'binary', maxLength: 60 }), wait).map(([t, w]) => [{ text: t, waitMs: w }]) },
      ),
      { minLength: 1, maxLength: 14 },
    ),
  )
  .map(([login, rest]) => (login ? [{ text: login + '\r\n', waitMs: 0 }] : []).concat(...rest));

/** What must not change when the console refuses a line: money, the ledger, the configuration,
 *  relay modes, token counters; each part as text. */
function snapshot(u: Unit): { [part: string]: string } {
  const core = u.core;
  const tokens: { [k: string]: number[] } = {};
  // Token counters of the accounts configured; an account's first wrong token stores its
  // counters as they were (fresh): the same state as none.
  for (const k of Object.keys(u.tokens).sort()) {
    const t = u.tokens[k];
    if (nameList(u.cfg.accounts.names).indexOf(k) >= 0 && (t.lastCount !== 1 || t.usedBitmap)) tokens[k] = [t.lastCount, t.usedBitmap];
  }
  return {
    balance: JSON.stringify(Array.from(core.balance)),
    topups: JSON.stringify(Array.from(core.topupMilli)),
    ledger: JSON.stringify(saveLedger(core.ledger)),
    mode: JSON.stringify(Array.from(core.mode)),
    config: hex(encodeConfig(u.cfg)),
    tokens: JSON.stringify(tokens),
  };
}

/** The parts of two snapshots that differ ('' when none). */
function changedParts(a: { [part: string]: string }, b: { [part: string]: string }): string {
  return Object.keys(a)
    .filter((k) => a[k] !== b[k])
    .join(', ');
}

/** Whether the output of a chunk holds an answer that succeeded (text, or `json on` lines). */
function succeeded(out: string[]): boolean {
  for (const l of out) {
    if (l.charAt(0) === '{') {
      try {
        const o = JSON.parse(l) as { ok?: unknown };
        if (typeof o === 'object' && o !== null && typeof o.ok === 'boolean') {
          if (o.ok) return true;
          continue;
        }
      } catch (e) {
        // a text line that begins with a brace: judged as text below
      }
    }
    if (l.indexOf('error: ') !== 0 && l !== '^C') return true;
  }
  return false;
}

const T0 = 1772325000; // 2026-03-01 08:30 local (UTC+8), as UTC seconds

const consoleLines: Fuzzer = {
  name: 'console',
  input: 'console lines typed at a unit: Shell.feed and every command (firmware/console/, firmware/tokens/entry.ts)',
  runs: 400,
  property: (o) =>
    fc.property(session, fc.constantFrom(null, 'AT24C32', 'AT24C512'), (chunks, part) => {
      const clock = new VirtualClock();
      const out: string[] = [];
      const rig = part ? new StorageRig({ now: () => clock.now(), startEpoch: T0, part }) : null;
      const u = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: rig ? rig.eeprom : undefined, rtc: rig ? rig.rtc : undefined }, copyJson(CONSOLE_CONFIG));
      if (!rig) u.timeBase = T0;
      // Some money and a correctable entry to work on.
      u.handle({ t: 'topup', time: u.time(), account: 0, amountMilli: 20000 });
      u.handle({ t: 'topup', time: u.time(), account: 1, amountMilli: 7500 });
      const log: string[] = [];
      for (const c of chunks) {
        if (c.waitMs) clock.advance(c.waitMs);
        const before = snapshot(u);
        out.length = 0;
        u.input(c.text);
        log.push(JSON.stringify(c.text) + ' -> ' + JSON.stringify(out));
        if (!succeeded(out)) {
          const diff = changedParts(before, snapshot(u));
          check(diff === '', 'a refused line changed the state (' + diff + ')', log.slice(-4));
        }
      }
      // The console is never left frozen: once the session has ended (idle, lock-outs over)
      // a technician signs in and is answered.
      clock.advance(2 * 3600 * 1000);
      out.length = 0;
      u.input('@\x03\r\n'); // ends an escape sequence left open, drops a half-typed line
      u.input('login ' + u.cfg.pins[3] + '\r\n');
      const signedIn = u.shell.role === TECHNICIAN;
      out.length = 0;
      u.input('status\r\n');
      check(signedIn && succeeded(out) && !u.shell.busy && !u.shell.collect, 'the console does not answer after the session', { out, log: log.slice(-6) });
      // What the unit did is what it boots with next time: balances, ledger, configuration.
      if (rig && u.storage && !u.storageError && !u.storage.store.readOnly) {
        u.flush();
        out.length = 0;
        const again = startUnit({ load: nodeModules, clock, print: (l) => out.push(l), eeprom: new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock }).eeprom, rtc: rig.rtc }, copyJson(CONSOLE_CONFIG));
        const wide = /[^\u0000-\u00ff]/.test(JSON.stringify(u.cfg.profileSpecs)) ? ' (a register map with text beyond Latin-1)' : '';
        const diff = changedParts(snapshot(u), snapshot(again));
        guarded(o, 'console', () => check(diff === '', 'the unit boots with another state than it had (' + diff + ')' + wide, { boot: out, log: log.slice(-6) }));
      }
    }),
};

/** Generators, for a look at what the fuzzers type (and for reproductions). */
export const arbitraries = { dltStream, mbExchange, typedToken, configDoc, configText, configBytes, scenarioDoc, session };
export { CONSOLE_CONFIG, T0 };

/** Every fuzzer, in the order they run. */
export const fuzzers: Fuzzer[] = [dltFramer, dltDecoders, modbusReplies, busReplies, tokens, configObject, configStream, configBinary, scenarioFiles, lineEditing, consoleLines];

/** The seed CI runs the fuzzers with. */
export const CI_SEED = 20261103;
