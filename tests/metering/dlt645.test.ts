// Every DL/T 645-2007 vector of shared/protocols/dlt645-2007.md, plus the streaming framer.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as d from '../../firmware/metering/dlt645';
import { parseAddress, formatAddress } from '../../firmware/metering/address';
import { Result } from '../../hal/result';
import { secondsFromCivil } from '../../hal/calendar';
import { h, hx, noPre } from './fakes';

function addr(s: string): Uint8Array {
  const r = parseAddress(s);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** All results the framer gives for a stream fed in the given slices. */
function frames(stream: Uint8Array, cuts: number[] = []): Result<d.Dlt645Frame>[] {
  const out: Result<d.Dlt645Frame>[] = [];
  const f = new d.Dlt645Framer((r) => out.push(r));
  let at = 0;
  for (const c of cuts.concat([stream.length])) {
    f.feed(stream.subarray(at, Math.max(at, c)));
    at = Math.max(at, c);
  }
  return out;
}

function one(hex: string): d.Dlt645Frame {
  const r = frames(h(hex));
  expect(r.length).toBe(1);
  if (!r[0].ok) throw new Error(r[0].error);
  return r[0].value;
}

const M161 = addr('000000000161');
const M1 = addr('000000000001');

describe('DL/T 645 requests equal the published and cross-checked vectors', () => {
  it('address digits go lowest first', () => {
    expect(hx(M161)).toBe('61 01 00 00 00 00');
    expect(formatAddress(M161)).toBe('000000000161');
    expect(parseAddress('00000000016x').ok).toBe(false);
    expect(parseAddress('123').ok).toBe(false);
  });
  it('read address, wildcard', () => {
    expect(hx(d.readAddressRequest())).toBe('FE FE FE FE 68 AA AA AA AA AA AA 68 13 00 DF 16');
  });
  it('reads for meter 000000000161', () => {
    expect(hx(noPre(d.readRequest(M161, d.DI_IMPORT)))).toBe('68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16');
    expect(hx(noPre(d.readRequest(M161, d.DI_EXPORT)))).toBe('68 61 01 00 00 00 00 68 11 04 33 33 35 33 15 16');
    expect(hx(noPre(d.readRequest(M161, d.DI_VOLTAGE_A)))).toBe('68 61 01 00 00 00 00 68 11 04 33 34 34 35 17 16');
    expect(hx(d.readRequest(M161, d.DI_CURRENT_A))).toBe('FE FE FE FE 68 61 01 00 00 00 00 68 11 04 33 34 35 35 18 16');
  });
  it('reads for meter 000000000001', () => {
    expect(hx(d.readRequest(M1, d.DI_COMBINED))).toBe('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 33 33 B2 16');
    expect(hx(d.readRequest(M1, d.DI_IMPORT))).toBe('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16');
    expect(hx(d.readRequest(M1, d.DI_POWER))).toBe('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 36 35 B7 16');
    expect(hx(d.readRequest(M1, d.DI_CURRENT_A))).toBe('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 34 35 35 B7 16');
    expect(hx(d.readRequest(M1, d.DI_STATUS3))).toBe('FE FE FE FE 68 01 00 00 00 00 00 68 11 04 36 38 33 37 BE 16');
  });
  it('trip, PA 02, password 000000, operator 0, valid until 2099-12-31 23:59:59', () => {
    const r = d.relayRequest(M1, { pa: 2, password: 0, operator: 0, n1: d.RELAY_TRIP, validUntilS: secondsFromCivil(2099, 12, 31, 23, 59, 59) });
    expect(hx(r)).toBe('FE FE FE FE 68 01 00 00 00 00 00 68 1C 10 35 33 33 33 33 33 33 33 4D 33 8C 8C 56 64 45 CC FA 16');
  });
  it('relay password and operator code bytes', () => {
    const r = d.relayRequest(M1, { pa: 4, password: 123456, operator: 0x01020304, n1: d.RELAY_CLOSE, validUntilS: 0 });
    const data = Array.from(noPre(r).subarray(10, 26), (x) => (x - 0x33) & 255);
    expect(hx(data.slice(0, 10))).toBe('04 56 34 12 04 03 02 01 1C 00');
  });
  it('relay N2 is carried both ways: encoded as given (00 by default), decoded as sent', () => {
    const until = secondsFromCivil(2099, 12, 31, 23, 59, 59);
    const c = { pa: 4, password: 123456, operator: 0x01020304, n1: d.RELAY_TRIP, n2: 1, validUntilS: until };
    const data = Array.from(noPre(d.relayRequest(M1, c)).subarray(10, 26), (x) => (x - 0x33) & 255);
    expect(hx(data)).toBe('04 56 34 12 04 03 02 01 1A 01 59 59 23 31 12 99');
    expect(d.relayCommand(data)).toEqual({ ok: true, value: c });
    const plain = Array.from(noPre(d.relayRequest(M1, { ...c, n2: undefined })).subarray(10, 26), (x) => (x - 0x33) & 255);
    expect(plain[9]).toBe(0);
    expect(d.relayCommand(plain)).toEqual({ ok: true, value: { ...c, n2: 0 } });
  });
  it('a relay command with a password or time that is not BCD, or a date that does not exist, is refused', () => {
    const base = [4, 0x56, 0x34, 0x12, 4, 3, 2, 1, 0x1a, 0, 0x59, 0x59, 0x23, 0x31, 0x12, 0x99];
    const with_ = (i: number, v: number) => base.map((b, k) => (k === i ? v : b));
    expect(d.relayCommand(with_(2, 0x3a))).toMatchObject({ ok: false, error: 'password' });
    expect(d.relayCommand(with_(11, 0x60))).toMatchObject({ ok: false, error: 'time' });
    expect(d.relayCommand(with_(13, 0x30).map((b, k) => (k === 14 ? 0x02 : b)))).toMatchObject({ ok: false, error: 'time' }); // 30 February
    expect(d.relayCommand(with_(12, 0x24))).toMatchObject({ ok: false, error: 'time' });
    expect(d.relayCommand(base.slice(1))).toMatchObject({ ok: false, error: 'length' });
    expect(d.relayCommand(with_(15, 0x28).map((b, k) => (k === 13 ? 0x29 : k === 14 ? 0x02 : b)))).toMatchObject({ ok: true }); // 2028-02-29
  });
  it('broadcast time sync, seconds first', () => {
    expect(hx(noPre(d.timeSyncRequest(secondsFromCivil(2017, 6, 5, 10, 22, 51))))).toBe('68 99 99 99 99 99 99 68 08 06 84 55 43 38 39 4A 4B 16');
    expect(hx(d.timeSyncRequest(secondsFromCivil(2025, 1, 2, 3, 4, 5)))).toBe('FE FE FE FE 68 99 99 99 99 99 99 68 08 06 38 37 36 35 34 58 DA 16');
  });
  it('follow-up read 12H carries DI and sequence', () => {
    const r = noPre(d.readNextRequest(M1, d.DI_IMPORT_BLOCK, 1));
    expect(r[8]).toBe(0x12);
    expect(r[9]).toBe(5);
    expect(hx(Array.from(r.subarray(10, 15), (x) => (x - 0x33) & 255))).toBe('00 FF 01 00 01');
  });
});

describe('DL/T 645 replies decode to the stated values', () => {
  it('read address reply', () => {
    const f = one('68 01 00 00 00 00 00 68 93 06 34 33 33 33 33 33 9D 16');
    expect(d.checkReply(f, 0x13).ok).toBe(true);
    expect(formatAddress(f.data)).toBe('000000000001');
    expect(formatAddress(f.addr)).toBe('000000000001');
  });
  it('forward active 000000.26 kWh = 260 Wh', () => {
    const f = one('68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16');
    expect(formatAddress(f.addr)).toBe('000000000161');
    expect(d.decodeRead(f, d.DI_IMPORT)).toEqual({ ok: true, value: [260] });
  });
  it('reverse active 000001.26 kWh = 1260 Wh', () => {
    expect(d.decodeRead(one('68 61 01 00 00 00 00 68 91 08 33 33 35 33 59 34 33 33 8C 16'), d.DI_EXPORT)).toEqual({ ok: true, value: [1260] });
  });
  it('voltage 100.1 V = 1001 dV', () => {
    expect(d.decodeRead(one('68 61 01 00 00 00 00 68 91 06 33 34 34 35 34 43 10 16'), d.DI_VOLTAGE_A)).toEqual({ ok: true, value: [1001] });
  });
  it('meter 218231000114: 000000.06 kWh', () => {
    const f = one('68 14 01 00 31 82 21 68 91 08 33 33 34 33 39 33 33 33 F1 16');
    expect(formatAddress(f.addr)).toBe('218231000114');
    expect(d.decodeRead(f, d.DI_IMPORT)).toEqual({ ok: true, value: [60] });
  });
  it('relay acknowledged by meter 260305510009', () => {
    const f = one('68 09 00 51 05 03 26 68 9C 00 F4 16');
    expect(formatAddress(f.addr)).toBe('260305510009');
    expect(d.checkReply(f, 0x1c).ok).toBe(true);
  });
  it('combined 012345.67 kWh', () => {
    expect(d.decodeRead(one('68 01 00 00 00 00 00 68 91 08 33 33 33 33 9A 78 56 34 D2 16'), d.DI_COMBINED)).toEqual({ ok: true, value: [12345670] });
  });
  it('power 01.2075 kW = 1207.5 W -> 1208 W (halves away from zero)', () => {
    expect(d.decodeRead(one('68 01 00 00 00 00 00 68 91 07 33 33 36 35 A8 53 34 69 16'), d.DI_POWER)).toEqual({ ok: true, value: [1208] });
  });
  it('current 005.250 A = 5250 mA', () => {
    expect(d.decodeRead(one('68 01 00 00 00 00 00 68 91 07 33 34 35 35 83 85 33 75 16'), d.DI_CURRENT_A)).toEqual({ ok: true, value: [5250] });
  });
  it('status word 3 = 0x0050: relay open, trip commanded', () => {
    const r = d.decodeRead(one('68 01 00 00 00 00 00 68 91 06 36 38 33 37 83 33 F6 16'), d.DI_STATUS3);
    expect(r).toEqual({ ok: true, value: [0x50] });
    if (r.ok) expect(r.value[0] & d.S3_OPEN && r.value[0] & d.S3_TRIP).toBeTruthy();
  });
  it('unknown DI -> no-data', () => {
    expect(d.decodeRead(one('68 01 00 00 00 00 00 68 D1 01 35 D8 16'), d.DI_MONEY)).toEqual({ ok: false, error: 'no-data', detail: undefined });
  });
  it('trip acknowledged, and refused with ERR 04H -> unauthorised', () => {
    expect(d.checkReply(one('68 01 00 00 00 00 00 68 9C 00 6D 16'), 0x1c).ok).toBe(true);
    const r = d.checkReply(one('68 01 00 00 00 00 00 68 DC 01 37 E5 16'), 0x1c);
    expect(r.ok ? '' : r.error).toBe('unauthorised');
  });
  it('every ERR bit has a name', () => {
    expect([1, 2, 4, 8, 16, 32, 64, 0].map(d.errorName)).toEqual(['other', 'no-data', 'unauthorised', 'baud', 'year-zones', 'day-periods', 'tariffs', 'abnormal']);
  });
});

/** A reply frame with plain data (33H added here) for values the vectors do not cover. */
function reply(ctrl: number, data: number[]): d.Dlt645Frame {
  const f = d.frame(M1, ctrl, data);
  return one(hx(f));
}

describe('DL/T 645 value rules', () => {
  it('signs, negative power rounding, block, money, frequency', () => {
    expect(d.decodeRead(reply(0x91, [0, 0, 3, 2, 0x75, 0x00, 0x82]), d.DI_POWER)).toEqual({ ok: true, value: [-2008] }); // -2.0075 kW
    expect(d.decodeRead(reply(0x91, [0, 0, 3, 2, 0x74, 0x00, 0x82]), d.DI_POWER)).toEqual({ ok: true, value: [-2007] });
    expect(d.decodeRead(reply(0x91, [0, 1, 2, 2, 0x50, 0x52, 0x80]), d.DI_CURRENT_A)).toEqual({ ok: true, value: [-5250] });
    expect(d.decodeRead(reply(0x91, [0, 0, 0, 0, 0x01, 0, 0, 0x80]), d.DI_COMBINED)).toEqual({ ok: true, value: [-10] });
    expect(d.decodeRead(reply(0x91, [0, 2, 0x90, 0, 0x34, 0x12, 0, 0]), d.DI_MONEY)).toEqual({ ok: true, value: [12340] });
    expect(d.decodeRead(reply(0x91, [2, 0, 0x80, 2, 0x00, 0x50]), d.DI_FREQUENCY)).toEqual({ ok: true, value: [5000] });
    const blk = [0, 0xff, 1, 0, 0x10, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0];
    expect(d.decodeRead(reply(0x91, blk), d.DI_IMPORT_BLOCK)).toEqual({ ok: true, value: [100, 10, 20, 30, 40] });
  });
  it('invalid BCD nibbles are an error, not a number', () => {
    expect(d.decodeRead(reply(0x91, [0, 0, 1, 0, 0x1a, 0, 0, 0]), d.DI_IMPORT)).toEqual({ ok: false, error: 'bcd' });
    expect(d.decodeRead(reply(0x91, [0, 0, 1, 0, 0xa1, 0, 0, 0]), d.DI_IMPORT)).toEqual({ ok: false, error: 'bcd' });
  });
  it('DI mismatch, short data, other function', () => {
    expect(d.decodeRead(reply(0x91, [0, 0, 2, 0, 1, 0, 0, 0]), d.DI_IMPORT)).toMatchObject({ ok: false, error: 'di' });
    expect(d.decodeRead(reply(0x91, [0, 0, 1, 0, 1, 0]), d.DI_IMPORT)).toMatchObject({ ok: false, error: 'short' });
    expect(d.decodeRead(reply(0x93, [0, 0, 1, 0, 1, 0, 0, 0]), d.DI_IMPORT)).toMatchObject({ ok: false, error: 'unexpected' });
  });
  it('B1H is a normal reply with follow-up frames; 92H/B2H carry a trailing SEQ', () => {
    const f = reply(0xb1, [0, 0, 1, 0, 0x26, 0, 0, 0]);
    expect(d.hasMore(f)).toBe(true);
    expect(d.decodeRead(f, d.DI_IMPORT)).toEqual({ ok: true, value: [260] });
    const g = reply(0x92, [0, 0, 1, 0, 0x26, 0, 0, 0, 1]);
    expect(d.hasMore(g)).toBe(false);
    expect(d.decodeRead(g, d.DI_IMPORT)).toEqual({ ok: true, value: [260] });
    expect(d.hasMore(reply(0xd1, [2]))).toBe(false);
    expect(d.readData(g, d.DI_IMPORT, 1)).toEqual({ ok: true, value: new Uint8Array([0x26, 0, 0, 0]) });
    expect(d.readData(g, d.DI_IMPORT, 2)).toMatchObject({ ok: false, error: 'seq' });
    expect(d.readData(reply(0x92, [0, 0, 1, 0]), d.DI_IMPORT, 1)).toMatchObject({ ok: false, error: 'short' });
  });
});

const GOOD = [
  '68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16',
  'FE FE 68 01 00 00 00 00 00 68 91 07 33 33 36 35 A8 53 34 69 16',
  'FE FE FE FE 68 01 00 00 00 00 00 68 D1 01 35 D8 16',
  '68 09 00 51 05 03 26 68 9C 00 F4 16',
].map(h);

function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function summary(rs: Result<d.Dlt645Frame>[]): string[] {
  return rs.map((r) => (r.ok ? hx(r.value.addr) + '/' + r.value.ctrl + '/' + hx(r.value.data) : 'E:' + r.error));
}

describe('DL/T 645 frame extractor', () => {
  it('skips FE and garbage, then finds frames', () => {
    const rs = frames(cat([h('00 12 FE FE FE FE FE FE'), GOOD[0], h('55 AA'), GOOD[3]]));
    expect(rs.filter((r) => r.ok).length).toBe(2);
  });
  it('typed errors: checksum, terminator, too long; then resynchronises', () => {
    const badCs = h('68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8B 16');
    const badEnd = h('68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 17');
    const tooLong = h('68 61 01 00 00 00 00 68 91 C9');
    expect(summary(frames(cat([badCs, GOOD[3]])))).toEqual(['E:checksum', summary(frames(GOOD[3]))[0]]);
    expect(summary(frames(cat([badEnd, GOOD[3]])))).toEqual(['E:terminator', summary(frames(GOOD[3]))[0]]);
    expect(summary(frames(cat([tooLong, GOOD[3]])))).toEqual(['E:too-long', summary(frames(GOOD[3]))[0]]);
  });
  it('a good frame that starts inside a truncated one is still found', () => {
    const cut = GOOD[0].subarray(0, 13);
    const rs = summary(frames(cat([cut, GOOD[0]])));
    expect(rs[rs.length - 1]).toBe(summary(frames(GOOD[0]))[0]);
  });
  it('property: any slicing of a valid stream yields the same frames', () => {
    const stream = cat([GOOD[0], GOOD[1], GOOD[2], GOOD[3], GOOD[0]]);
    const want = summary(frames(stream));
    expect(want.length).toBe(5);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 20 }), (cuts) => {
        cuts.sort((a, b) => a - b);
        expect(summary(frames(stream, cuts))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
  it('property: random garbage never throws, and a good frame after it is found', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(700), { maxLength: 10 }), (junk, cuts) => {
        cuts.sort((a, b) => a - b);
        // 230 FE-free bytes flush any partial frame the garbage left (a frame is at most 212 bytes).
        const flush = new Uint8Array(230).fill(0x00);
        const rs = frames(cat([junk, flush, GOOD[3]]), cuts);
        const last = rs[rs.length - 1];
        expect(last.ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
