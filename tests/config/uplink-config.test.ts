// The configuration's `uplink` section (docs/configuration.md): checked with a message naming
// what is wrong, kept in the EEPROM's tables (after the SMS section, which a record written
// without either reads back without), exported as it was given.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../firmware/config';
import { decodeConfig, encodeConfig } from '../../firmware/config-store';
import { exportConfig } from '../../firmware/config-export';

const KEY = '00112233445566778899AABBCCDDEEFF';
const base = () => ({ plans: { f: { price: 1000 } }, accounts: [{ name: 'R1', plan: 'f' }], meters: [{ name: 'M1', account: 'R1' }] });

describe('the uplink section', () => {
  it('takes an id, a key, the interval and the keep-alive, with defaults', () => {
    const r = parseConfig({ ...base(), uplink: { id: 'floor-3_a', key: KEY } });
    expect(r.ok && r.value.uplink).toBe('15 120 floor-3_a ' + KEY.toLowerCase());
    const s = parseConfig({ ...base(), uplink: { id: 'f', key: KEY, intervalMinutes: 60, keepAliveSeconds: 30 } });
    expect(s.ok && s.value.uplink).toBe('60 30 f ' + KEY.toLowerCase());
    const none = parseConfig(base());
    expect(none.ok && none.value.uplink).toBeUndefined();
  });

  it('refuses what is wrong, naming it', () => {
    const bad: [object, RegExp][] = [
      [{ id: 'floor 3', key: KEY }, /^uplink\.id: letters, digits, - and _ only/],
      [{ id: 'x'.repeat(33), key: KEY }, /^uplink\.id: 1 to 32 characters/],
      [{ key: KEY }, /^uplink\.id: expected a non-empty string/],
      [{ id: 'f', key: 'abc' }, /^uplink\.key: expected 32 hexadecimal digits/],
      [{ id: 'f' }, /^uplink\.key: expected 32 hexadecimal digits/],
      [{ id: 'f', key: KEY, intervalMinutes: 7 }, /^uplink\.intervalMinutes: a whole number of intervals in a day/],
      [{ id: 'f', key: KEY, intervalMinutes: 2 }, /^uplink\.intervalMinutes/],
      [{ id: 'f', key: KEY, keepAliveSeconds: 5 }, /^uplink\.keepAliveSeconds/],
      [{ id: 'f', key: KEY, broker: 'x' }, /^uplink\.broker: unknown key/],
    ];
    for (const [u, re] of bad) {
      const r = parseConfig({ ...base(), uplink: u });
      expect(r.ok ? 'ok' : r.error).toMatch(re);
    }
  });

  it('is kept in the EEPROM\'s tables, with or without an SMS section, and exported as given', () => {
    for (const sms of [undefined, { key: KEY, phones: [{ number: '+8613800000001', admin: true }] }]) {
      const r = parseConfig({ ...base(), ...(sms ? { sms } : {}), uplink: { id: 'floor3', key: KEY, intervalMinutes: 30 } });
      if (!r.ok) throw new Error(r.error);
      const back = decodeConfig(encodeConfig(r.value))!;
      expect(back.uplink).toBe(r.value.uplink);
      expect(back.sms).toBe(r.value.sms);
      expect(exportConfig(back).uplink).toEqual({ id: 'floor3', key: KEY.toLowerCase(), intervalMinutes: 30, keepAliveSeconds: 120 });
    }
    // a configuration without it: as the tables were before the section existed
    const p = parseConfig(base());
    if (!p.ok) throw new Error(p.error);
    const b = decodeConfig(encodeConfig(p.value))!;
    expect(b.uplink).toBeUndefined();
    expect(exportConfig(b).uplink).toBeUndefined();
  });
});
