// Uplink messages' authenticator (firmware/uplink/seal.ts), both ways: every forged, altered and
// replayed message refused and counted, every genuine one taken once, in order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openMessage, sealMessage, uplinkMac } from '../../firmware/uplink/seal';
import { siphash24 } from '../../firmware/tokens/siphash';
import { mulberry32 } from '../../sim/prng';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
const OTHER = Uint8Array.from({ length: 16 }, (_, i) => 0x31 + i);

describe('uplink messages', () => {
  it('are "<seq> <mac> <payload>", the MAC SipHash-2-4 of "<unit> <seq> <payload>" in 16 hex digits', () => {
    const text = sealMessage(KEY, 'u1', 42, '{"m":"M301","wh":123456}');
    const h = [0, 0];
    siphash24(KEY, Buffer.from('u1 42 {"m":"M301","wh":123456}', 'latin1'), h);
    expect(text).toBe('42 ' + h.map((x) => x.toString(16).padStart(8, '0')).join('') + ' {"m":"M301","wh":123456}');
    expect(openMessage(KEY, 'u1', 41, text)).toEqual({ ok: true, value: { seq: 42, payload: '{"m":"M301","wh":123456}' } });
    // a payload may hold spaces, or be empty
    expect(openMessage(KEY, 'u1', 0, sealMessage(KEY, 'u1', 1, 'a b  c'))).toEqual({ ok: true, value: { seq: 1, payload: 'a b  c' } });
    expect(openMessage(KEY, 'u1', 0, sealMessage(KEY, 'u1', 1, ''))).toEqual({ ok: true, value: { seq: 1, payload: '' } });
  });

  it('refuses what is not a message: a clear reason, nothing taken', () => {
    const good = sealMessage(KEY, 'u1', 7, 'x');
    const bad = (t: string) => {
      const r = openMessage(KEY, 'u1', 0, t);
      return r.ok ? 'ok' : r.error;
    };
    for (const t of ['', 'x', '7', '7 ' + good.split(' ')[1], '07' + good.slice(1), '7 ' + 'g'.repeat(16) + ' x', '-7' + good.slice(1), '1e3 ' + good.split(' ')[1] + ' x', '7  ' + good.split(' ')[1] + ' x']) expect(bad(t), t).toMatch(/^(malformed|mac)$/);
    expect(bad(good)).toBe('ok');
  });

  it('of 2,000 messages each way, takes every genuine one once and refuses every forged, altered or replayed one (counted)', () => {
    const rnd = mulberry32(13);
    const count = { taken: 0, forged: 0, altered: 0, replayed: 0, wrongUnit: 0, refused: 0, slipped: 0 };
    for (const dir of ['up', 'down']) {
      let last = 0;
      let seq = 0;
      const sent: string[] = [];
      for (let i = 0; i < 2000; i++) {
        // the sender skips numbers now and then (messages lost on the way)
        seq += 1 + (rnd() < 0.1 ? Math.floor(rnd() * 5) : 0);
        const payload = dir + ' ' + JSON.stringify({ s: seq, v: Math.floor(rnd() * 1e9) });
        const text = sealMessage(KEY, 'u7', seq, payload);
        sent.push(text);
        const tries: [keyof typeof count, string, Uint8Array, string][] = [
          ['forged', sealMessage(OTHER, 'u7', seq, payload), KEY, 'u7'],
          ['altered', text.slice(0, -3) + String.fromCharCode(48 + Math.floor(rnd() * 10)) + text.slice(-2), KEY, 'u7'],
          ['altered', String(seq + 1) + text.slice(String(seq).length), KEY, 'u7'],
          ['wrongUnit', text, KEY, 'u8'],
        ];
        for (const [kind, t, k, unit] of tries) {
          if (kind === 'altered' && t === text) continue; // (an alteration that changed nothing)
          const r = openMessage(k, unit, last, t);
          if (r.ok) count.slipped++;
          else count[kind]++;
        }
        const r = openMessage(KEY, 'u7', last, text);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.value.payload).toBe(payload);
          last = r.value.seq;
          count.taken++;
        }
        // an earlier message again (a replay, or the broker's second delivery)
        if (i > 0) {
          const again = openMessage(KEY, 'u7', last, sent[Math.floor(rnd() * sent.length)]);
          if (again.ok) count.slipped++;
          else if (again.error === 'replay') count.replayed++;
        }
      }
    }
    count.refused = count.forged + count.altered + count.replayed + count.wrongUnit;
    console.log('uplink messages: ' + JSON.stringify(count));
    expect(count.slipped).toBe(0);
    expect(count.taken).toBe(4000);
    expect(count.replayed).toBe(3998);
    expect(count.forged).toBe(4000);
    expect(count.altered).toBeGreaterThan(7000);
    expect(count.wrongUnit).toBe(4000);
  });

  it('any change to a message is caught (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: 1, max: 1e9 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, seq, at, x) => {
        const text = sealMessage(KEY, 'u1', seq, payload);
        const i = at % text.length;
        const t = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ x) + text.slice(i + 1);
        expect(openMessage(KEY, 'u1', seq - 1, t).ok).toBe(false);
      }),
    );
    expect(uplinkMac(KEY, 'u1', 1, 'x')).toMatch(/^[0-9a-f]{16}$/);
  });
});
