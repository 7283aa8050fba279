// SMS commands (firmware/sms/commands.ts) and their authenticator (firmware/sms/auth.ts): who
// may do what, the console line each command stands for, and forged, altered and replayed
// commands refused. The code is checked against SipHash-2-4 computed here with BigInt, apart
// from the firmware's 32-bit halves.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CODE_WINDOW, checkCode, smsCode } from '../../firmware/sms/auth';
import { SmsPhone, findPhone, receipt, smsRequest } from '../../firmware/sms/commands';
import { OPERATOR, TECHNICIAN } from '../../firmware/console/shell';
import { gsmLength } from '../../hal/modem';
import { smsCommand } from '../../tools/sms-code';
import { execFileSync } from 'child_process';

const KEY_HEX = '000102030405060708090a0b0c0d0e0f';
const KEY = Uint8Array.from(KEY_HEX.match(/../g)!.map((h) => parseInt(h, 16)));
const ADMIN: SmsPhone = { number: '+8613800000001', admin: true, accounts: [] };
const USER: SmsPhone = { number: '+8613900000002', admin: false, accounts: ['R301', 'R302'] };
const NAMES = ['R301', 'R302', 'R303'];
const PLANS = ['flat', 'dorm'];

/** SipHash-2-4 with BigInt, from the paper's description. */
function sip(key: Uint8Array, msg: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;
  const le = (b: Uint8Array, o: number) => {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i] || 0);
    return v;
  };
  const k0 = le(key, 0);
  const k1 = le(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const n = msg.length;
  const padded = new Uint8Array((Math.floor(n / 8) + 1) * 8);
  padded.set(msg);
  padded[padded.length - 1] = n & 255;
  for (let o = 0; o < padded.length; o += 8) {
    const m = le(padded, o);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

describe('SMS code', () => {
  it('SipHash-2-4 here agrees with the paper\'s vector (key 00..0f, message 00..0e)', () => {
    expect(sip(KEY, Uint8Array.from({ length: 15 }, (_, i) => i)).toString(16)).toBe('a129ca6149be45e5');
  });

  it('is the 64-bit hash of "<counter> <WORDS>" mod 10^6, six digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999999999 }), fc.stringMatching(/^[A-Z0-9 .,=]{1,40}$/), (n, w) => {
        const want = (sip(KEY, Buffer.from(n + ' ' + w, 'latin1')) % 1000000n).toString().padStart(6, '0');
        expect(smsCode(KEY, n, w)).toBe(want);
      }),
    );
  });

  it('takes the next counters in the window once; refuses replays, forgeries and altered text', () => {
    const msg = (n: number, w: string) => (w + ' ' + n + ' ' + smsCode(KEY, n, w)).split(' ');
    expect(checkCode(KEY, 16, msg(17, 'OFF R301'))).toEqual({ ok: true, value: 17 });
    expect(checkCode(KEY, 16, msg(16 + CODE_WINDOW, 'OFF R301'))).toEqual({ ok: true, value: 16 + CODE_WINDOW });
    expect(checkCode(KEY, 17, msg(17, 'OFF R301'))).toMatchObject({ ok: false, error: 'replay' });
    expect(checkCode(KEY, 16, msg(17 + CODE_WINDOW, 'OFF R301'))).toMatchObject({ ok: false, error: 'replay' });
    const m = msg(17, 'OFF R301');
    m[1] = 'R302'; // altered
    expect(checkCode(KEY, 16, m)).toMatchObject({ ok: false, error: 'code' });
    expect(checkCode(KEY, 16, ['OFF', 'R301', '17', '123456'])).toMatchObject({ ok: false, error: 'code' });
    expect(checkCode(KEY, 16, ['OFF', 'R301'])).toMatchObject({ ok: false, error: 'code' });
    expect(checkCode(KEY, 16, ['OFF', 'R301', '17', '12345x'])).toMatchObject({ ok: false, error: 'code' });
    // letter case does not matter: the words are compared in upper case
    expect(checkCode(KEY, 16, msg(17, 'OFF R301').map((x) => x.toLowerCase()))).toEqual({ ok: true, value: 17 });
  });

  it('a guessed code for a fresh counter is taken about once in a million', () => {
    let hits = 0;
    for (let c = 0; c < 20000; c++) if (checkCode(KEY, 0, ['OFF', 'R301', '1', String(100000 + c)]).ok) hits++;
    expect(hits).toBeLessThanOrEqual(1);
  });

  it('the host tool makes what the unit takes', () => {
    const r = smsCommand(KEY_HEX, 42, ['price', 'dorm', '0.62']);
    expect(r.ok).toBe(true);
    const text = (r as { text: string }).text;
    expect(text).toMatch(/^PRICE DORM 0\.62 42 \d{6}$/);
    expect(checkCode(KEY, 41, text.split(' '))).toEqual({ ok: true, value: 42 });
    const out = execFileSync('npx', ['ts-node', 'tools/sms-code.ts', '--key', KEY_HEX, '--counter', '42', 'price', 'dorm', '0.62'], { encoding: 'utf8' }).trim();
    expect(out).toBe(text);
    expect(smsCommand('xyz', 1, ['on', 'R1'])).toEqual({ ok: false, error: 'key must be 32 hex digits' });
  }, 30000);
});

describe('SMS requests', () => {
  const req = (p: SmsPhone, text: string, last = 0, key: Uint8Array | null = KEY) => smsRequest(p, text, NAMES, PLANS, key, last);
  const signed = (n: number, w: string) => w + ' ' + n + ' ' + smsCode(KEY, n, w.toUpperCase());

  it('finds the sender on the list (spaces and dashes aside); others get nothing', () => {
    expect(findPhone([ADMIN, USER], '+86 139-0000-0002')).toBe(USER);
    expect(findPhone([ADMIN, USER], '+8613700000000')).toBeNull();
  });

  it('a user asks for the balance of their own accounts only', () => {
    expect(req(USER, 'bal r302')).toEqual({ ok: true, value: { bal: 'R302' } });
    expect(req(USER, 'BAL R303')).toMatchObject({ ok: false, error: 'authority' });
    expect(req(USER, 'bal')).toMatchObject({ ok: false, error: 'which account? BAL <acct>' });
    expect(req({ ...USER, accounts: ['R301'] }, 'Bal')).toEqual({ ok: true, value: { bal: 'R301' } });
    expect(req(USER, 'off R301 1 000000')).toMatchObject({ ok: false, error: 'authority' });
    expect(req(USER, 'BUY R301 123456789')).toMatchObject({ ok: false, error: 'authority' });
  });

  it('an administrator tops up with a token (the console\'s token command), asks any balance', () => {
    expect(req(ADMIN, 'buy r301 123 456 789')).toEqual({ ok: true, value: { line: 'token R301 123456789', role: OPERATOR } });
    expect(req(ADMIN, 'BAL R303')).toEqual({ ok: true, value: { bal: 'R303' } });
    expect(req(ADMIN, 'BUY R309 123456789')).toMatchObject({ ok: false, error: 'no account R309' });
  });

  it('relay modes, prices and alarm levels need a code; each stands for a console command', () => {
    expect(req(ADMIN, signed(5, 'off r301'), 4)).toEqual({ ok: true, value: { line: 'relay R301 off', role: OPERATOR, code: 5 } });
    expect(req(ADMIN, signed(6, 'AUTO R301'), 5)).toEqual({ ok: true, value: { line: 'relay R301 auto', role: OPERATOR, code: 6 } });
    expect(req(ADMIN, signed(7, 'PRICE DORM 0.62'), 6)).toEqual({ ok: true, value: { line: 'tariff set dorm price=0.62', role: TECHNICIAN, code: 7 } });
    expect(req(ADMIN, signed(8, 'PRICE dorm PEAK=0.9 VALLEY=0.3'), 7)).toEqual({ ok: true, value: { line: 'tariff set dorm peak=0.9 valley=0.3', role: TECHNICIAN, code: 8 } });
    expect(req(ADMIN, signed(9, 'ALARM R302 30,20,10'), 8)).toEqual({ ok: true, value: { line: 'acct set R302 alarms=30,20,10', role: OPERATOR, code: 9 } });
  });

  it('refuses a command replayed, altered, unsigned, or with no key on the unit', () => {
    expect(req(ADMIN, signed(5, 'OFF R301'), 5)).toMatchObject({ ok: false, error: 'replay' });
    expect(req(ADMIN, signed(5, 'OFF R301').replace('R301', 'R302'), 4)).toMatchObject({ ok: false, error: 'code' });
    expect(req(ADMIN, 'OFF R301')).toMatchObject({ ok: false, error: 'code' });
    expect(req(ADMIN, signed(5, 'OFF R301'), 4, null)).toMatchObject({ ok: false, error: 'no SMS key on this unit' });
  });

  it('says what is wrong with the rest', () => {
    expect(req(ADMIN, 'hello')).toMatchObject({ ok: false, error: 'unknown command hello, send HELP' });
    expect(req(ADMIN, '   ')).toMatchObject({ ok: false, error: 'empty message, send HELP' });
    expect(req(ADMIN, 'BAL "R301')).toMatchObject({ ok: false, error: 'unclosed quote' });
    // a quoted word cannot carry more words into the console line
    expect(req(ADMIN, signed(5, 'ALARM R301 "30 limit=9"'), 4)).toMatchObject({ ok: false, error: 'no quotes, please' });
    expect(req(ADMIN, 'BUY R301 "123 limit"')).toMatchObject({ ok: false, error: 'no quotes, please' });
    expect(req(ADMIN, signed(5, 'PRICE NIGHT 0.1'), 4)).toMatchObject({ ok: false, error: 'no plan NIGHT' });
    expect(req(ADMIN, signed(5, 'OFF R301 R302'), 4)).toMatchObject({ ok: false, error: 'usage: OFF <acct> <n> <code>' });
    expect(req(USER, 'help')).toEqual({ ok: true, value: { reply: 'BAL [acct]' } });
    expect((req(ADMIN, 'HELP') as { value: { reply: string } }).value.reply).toMatch(/^BAL <acct> \| BUY/);
  });

  it('no message, however mangled, throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.boolean(), (text, admin) => {
        const r = req(admin ? ADMIN : USER, text);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });

  it('a receipt is one SMS: OK or ERR, the command, what the console said', () => {
    expect(receipt(true, 'off', ['relay R301 off'])).toEqual(['OK OFF: relay R301 off']);
    expect(receipt(false, 'buy', ['error: token already used'])).toEqual(['ERR BUY: token already used']);
    expect(receipt(true, 'bal', ['x'.repeat(152)])[0].length).toBe(160);
  });

  it('a longer answer is split between words into parts of 160 GSM characters at most, three at most', () => {
    const words = Array.from({ length: 60 }, (_, i) => 'word' + i).join(' ');
    const parts = receipt(true, 'bal', [words]);
    expect(parts.length).toBe(3);
    parts.forEach((p, k) => {
      expect(gsmLength(p)).toBeLessThanOrEqual(160);
      expect(p.endsWith(' (' + (k + 1) + '/3)')).toBe(true);
    });
    // cut between words: every word whole, in order
    expect(parts.map((p) => p.replace(/ \(\d\/3\)$/, '')).join(' ')).toBe('OK BAL: ' + words);
    // longer than three parts: the last ends with "..."
    const more = receipt(true, 'bal', [words + ' ' + words]);
    expect(more.length).toBe(3);
    expect(more[2]).toMatch(/\.\.\. \(3\/3\)$/);
    expect(more.every((p) => gsmLength(p) <= 160)).toBe(true);
    // characters of the extension table count two; what the alphabet lacks becomes '?'
    const ext = receipt(true, 'help', ['a | b '.repeat(40)]);
    expect(ext.every((p) => gsmLength(p) <= 160 && gsmLength(p) >= 0)).toBe(true);
    expect(receipt(true, 'bal', ['R301 caf\u00e9 `x`'])).toEqual(['OK BAL: R301 caf? ?x?']);
  });

  it('every receipt can be sent, whatever the console said', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.string({ maxLength: 120 }), { maxLength: 6 }), (good, said) => {
        const parts = receipt(good, 'x', said);
        expect(parts.length).toBeGreaterThanOrEqual(1);
        expect(parts.length).toBeLessThanOrEqual(3);
        for (const p of parts) expect(gsmLength(p) >= 0 && gsmLength(p) <= 160).toBe(true);
      }),
    );
  });
});
