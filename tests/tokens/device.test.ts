import { describe, expect, it } from 'vitest';
import {
  acceptedState,
  decodeTokenState,
  encodeTokenState,
  enterToken,
  freshTokenState,
  matchToken,
  parseToken,
  TOKEN_STATE_BYTES,
} from '../../firmware/tokens/openpaygo';
import { tokenDigits } from '../../tools/openpaygo-encode';
import { Device, SECRET, Vendor } from './helpers';

const valid = (count: number, value: number, kind: string) => ({ ok: true, count, value, kind });
const INVALID = { ok: false, error: 'invalid' };
const USED = { ok: false, error: 'used' };

describe('device rules (reference scenarios)', () => {
  it('refuses a wrong token as invalid and leaves the count alone', () => {
    const d = new Device(SECRET);
    expect(d.enter('123456789')).toEqual(INVALID);
    expect(d.state.lastCount).toBe(1);
    expect(d.state.invalidCount).toBe(1);
  });

  it('accepts a token once; the same token again is "used", not "invalid"', () => {
    const v = new Vendor(SECRET);
    const d = new Device(SECRET);
    const t = v.issue('add', 7);
    expect(d.enter(t)).toEqual(valid(2, 7, 'add'));
    expect(d.enter(t)).toEqual(USED);
    expect(d.state.invalidCount).toBe(0);
  });

  it('after a set token, an older add token is refused', () => {
    const v = new Vendor(SECRET);
    const d = new Device(SECRET);
    const add = v.issue('add', 10);
    expect(d.enter(v.issue('set', 30))).toEqual(valid(3, 30, 'set'));
    expect(d.enter(add)).toEqual(USED);
  });

  it('disable and sync also mark older adds used', () => {
    for (const kind of ['disable', 'sync'] as const) {
      const v = new Vendor(SECRET);
      const d = new Device(SECRET);
      const add = v.issue('add', 10);
      expect(d.enter(v.issue(kind))).toEqual(valid(3, kind === 'disable' ? 998 : 999, kind));
      expect(d.enter(add)).toEqual(USED);
    }
  });

  it('accepts add tokens out of order within 16 below the last count, each once', () => {
    const v = new Vendor(SECRET);
    const d = new Device(SECRET);
    const adds = [1, 2, 3, 4].map((x) => v.issue('add', x)); // counts 2, 4, 6, 8
    expect(d.enter(adds[3])).toEqual(valid(8, 4, 'add'));
    expect(d.enter(adds[0])).toEqual(valid(2, 1, 'add'));
    expect(d.enter(adds[0])).toEqual(USED);
    expect(d.enter(adds[2])).toEqual(valid(6, 3, 'add'));
    expect(d.enter(adds[1])).toEqual(valid(4, 2, 'add'));
    expect(d.state.lastCount).toBe(8);
    for (const t of adds) expect(d.enter(t)).toEqual(USED);
  });

  it('refuses an add more than 16 below the last count', () => {
    const v = new Vendor(SECRET);
    const d = new Device(SECRET);
    const old = v.issue('add', 1); // count 2
    for (let i = 0; i < 8; i++) v.issue('add', 1); // up to 18
    expect(d.enter(v.issue('add', 5))).toEqual(valid(20, 5, 'add'));
    expect(d.enter(old)).toEqual(USED); // 18 below
  });

  it('finds tokens up to 64 ahead, a counter sync up to 100 ahead', () => {
    const v = new Vendor(SECRET);
    const d = new Device(SECRET);
    v.count = 62;
    expect(d.enter(v.issue('add', 3))).toEqual(valid(64, 3, 'add'));
    v.count = 64 + 64;
    const far = v.issue('add', 3); // count 130: 66 ahead
    expect(d.enter(far)).toEqual(INVALID);
    d.state.lockedUntil = 0;
    v.count = 64 + 98;
    expect(d.enter(v.issue('sync'))).toEqual(valid(163, 999, 'sync'));
    // Once synced the vendor's next tokens are in reach again.
    expect(d.enter(v.issue('add', 9))).toEqual(valid(164, 9, 'add'));
  });

  it('a counter sync from below is an older token: accepted once if unused, never lowering the count', () => {
    const v = new Vendor(SECRET);
    const d = new Device(SECRET);
    const sync = v.issue('sync'); // count 3
    const adds = [1, 2, 3].map((x) => v.issue('add', x)); // 4, 6, 8
    expect(d.enter(adds[2])).toEqual(valid(8, 3, 'add'));
    expect(d.enter(sync)).toEqual(valid(3, 999, 'sync'));
    expect(d.state.lastCount).toBe(8);
    expect(d.enter(sync)).toEqual(USED);
    expect(d.enter(adds[0])).toEqual(USED); // the sync closed the window
  });

  it('a counter-sync "reset" at count 1 is accepted by a fresh device; count 0 never is', () => {
    const d = new Device(SECRET);
    const v = new Vendor(SECRET);
    v.count = 0;
    const sync = v.issue('sync');
    expect(v.count).toBe(1);
    expect(d.enter(sync)).toEqual(valid(1, 999, 'sync'));
    expect(d.enter(sync)).toEqual(USED);
    // The count-0 code is the starting code itself with the value's base: never a token.
    const zero = SECRET.startingCode - (SECRET.startingCode % 1000) + ((SECRET.startingCode % 1000) + 5) % 1000;
    expect(matchToken(SECRET, { code: zero, extended: false }, 1, 0)).toEqual(USED);
  });

  it('three maximum-value tokens in a row', () => {
    for (const extended of [false, true]) {
      const v = new Vendor(SECRET, extended);
      const d = new Device(SECRET);
      const max = extended ? 999999 : 995;
      for (let i = 1; i <= 3; i++) expect(d.enter(v.issue('add', max))).toEqual(valid(2 * i, max, 'add'));
    }
  });

  it('restricted-digit-set tokens behave like their decimal twins', () => {
    const v = new Vendor(SECRET, false, true);
    const d = new Device(SECRET);
    const t = v.issue('add', 12);
    expect(t).toMatch(/^[1-4]{15}$/);
    expect(d.enter(t)).toEqual(valid(2, 12, 'add'));
    expect(d.enter(t)).toEqual(USED);
    const ve = new Vendor(SECRET, true, true);
    const te = ve.issue('set', 123456);
    expect(te).toMatch(/^[1-4]{20}$/);
    expect(d.enter(te)).toEqual(valid(3, 123456, 'set'));
  });

  it('an extended set of 998 or 999 is refused by the vendor (it would read as disable/sync)', () => {
    const v = new Vendor(SECRET, true);
    expect(() => v.issue('set', 998)).toThrow(/disable/);
    expect(() => v.issue('set', 999)).toThrow(/sync/);
    expect(v.issue('add', 998)).toHaveLength(12);
  });

  it('does not change the state it is given', () => {
    const s = freshTokenState();
    const copy = { ...s };
    const p = parseToken(new Vendor(SECRET).issue('add', 1));
    if (!p.ok) throw new Error();
    enterToken(SECRET, s, p.value, 0);
    enterToken(SECRET, s, { code: 1, extended: false }, 0);
    expect(s).toEqual(copy);
  });

  it('moves the used bitmap with the count', () => {
    let s = freshTokenState();
    s = acceptedState(s, 2, 'add');
    expect(s).toMatchObject({ lastCount: 2, usedBitmap: 1 });
    s = acceptedState(s, 8, 'add');
    expect(s.usedBitmap).toBe(0b1000001);
    s = acceptedState(s, 4, 'add');
    expect(s.usedBitmap).toBe(0b1010001);
    s = acceptedState(s, 30, 'add');
    expect(s.usedBitmap).toBe(1);
    s = acceptedState(s, 31, 'set');
    expect(s.usedBitmap).toBe(0xffff);
  });
});

describe('wrong-token lock-out', () => {
  it('first two free, then 2^(n-2) minutes capped at 512; locked entries do not count; valid resets', () => {
    const d = new Device(SECRET);
    const v = new Vendor(SECRET);
    d.now = 10000;
    expect(d.enter('111111111')).toEqual(INVALID);
    expect(d.enter('111111112')).toEqual(INVALID);
    expect(d.state.lockedUntil).toBe(0);
    const waits: number[] = [];
    for (let n = 3; n <= 13; n++) {
      expect(d.enter('111111113')).toEqual(INVALID);
      const wait = d.state.lockedUntil - d.now;
      waits.push(wait / 60);
      // Still locked one second before the end, even for a good token, and that is not counted.
      d.now += wait - 1;
      expect(d.enter(v.issue('add', 1))).toEqual({ ok: false, error: 'locked', waitSeconds: 1 });
      expect(d.state.invalidCount).toBe(Math.min(n, 11));
      d.now += 1;
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 512, 512, 512]);
    // The vendor's token issued during the lock-out still works afterwards and resets the count.
    expect(d.enter(v.issue('add', 1)).ok).toBe(true);
    expect(d.state).toMatchObject({ invalidCount: 0, lockedUntil: 0 });
    expect(d.enter('111111111')).toEqual(INVALID);
    expect(d.enter('111111111')).toEqual(INVALID);
    expect(d.state.lockedUntil).toBe(0);
  });

  it('a used token is not a wrong entry', () => {
    const d = new Device(SECRET);
    const t = new Vendor(SECRET).issue('add', 1);
    d.enter(t);
    for (let i = 0; i < 5; i++) expect(d.enter(t)).toEqual(USED);
    expect(d.state).toMatchObject({ invalidCount: 0, lockedUntil: 0 });
  });
});

describe('token parser', () => {
  it('accepts the four lengths with spaces or dashes between groups', () => {
    expect(parseToken('588224011')).toEqual({ ok: true, value: { code: 588224011, extended: false } });
    expect(parseToken(' 588 224 011 ')).toEqual({ ok: true, value: { code: 588224011, extended: false } });
    expect(parseToken('588-224-011')).toEqual({ ok: true, value: { code: 588224011, extended: false } });
    expect(parseToken('012-345-678-901')).toEqual({ ok: true, value: { code: 12345678901, extended: true } });
    const r = parseToken('31411 44322 31134');
    expect(r.ok && r.value.extended).toBe(false);
    expect(r.ok && tokenDigits(r.value.code, false, true)).toBe('314114432231134');
    const e = parseToken('1432 3213 1314 4233 1314');
    expect(e.ok && e.value.extended).toBe(true);
    expect(e.ok && tokenDigits(e.value.code, true, true)).toBe('14323213131442331314');
  });

  it.each([
    ['', 'empty', /no digits/],
    [' - ', 'empty', /no digits/],
    ['58822401', 'length', /8 digits; expected 9 or 12/],
    ['5882240110', 'length', /10 digits/],
    ['1234567890123456789012', 'length', /22 digits/],
    ['588224O11', 'character', /"O" at position 7/],
    ['588.224.011', 'character', /"\." at position 4/],
    ['+588224011', 'character', /"\+" at position 1/],
    ['314114432231135', 'keypad', /only the digits 1 to 4/],
    ['04323213131442331314', 'keypad', /20-digit/],
  ])('rejects %j as %s', (text, error, detail) => {
    const r = parseToken(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBe(error);
    expect(r.detail).toMatch(detail);
  });
});

describe('stored token state', () => {
  it('round-trips through its bytes', () => {
    const s = { lastCount: 0xabcdef, usedBitmap: 0xf00d, invalidCount: 11, lockedUntil: 4000000000 };
    const b = new Uint8Array(TOKEN_STATE_BYTES + 3);
    encodeTokenState(s, b, 3);
    expect(decodeTokenState(b, 3)).toEqual(s);
    encodeTokenState(freshTokenState(), b, 0);
    expect(decodeTokenState(b, 0)).toEqual(freshTokenState());
  });
});
