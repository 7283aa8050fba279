// The configuration's `uplink` section (docs/configuration.md): checked with a message naming
// what is wrong, kept in the EEPROM's tables (after the SMS section, which a record written
// without either reads back without), exported as it was given.
import { describe, expect, it, vi } from 'vitest';
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
      [{ id: 'f', key: KEY, brokr: 'x' }, /^uplink\.brokr: unknown key/],
      [{ id: 'f', key: KEY, broker: 'mqtt.example.net' }, /^uplink\.broker: expected host:port/],
      [{ id: 'f', key: KEY, broker: ':1883' }, /^uplink\.broker: expected host:port/],
      [{ id: 'f', key: KEY, broker: 'h:0' }, /^uplink\.broker: expected host:port/],
      [{ id: 'f', key: KEY, broker: 'h:65536' }, /^uplink\.broker: expected host:port/],
      [{ id: 'f', key: KEY, broker: 'h:18x3' }, /^uplink\.broker: expected host:port/],
      [{ id: 'f', key: KEY, broker: 'my host:1883' }, /^uplink\.broker: printable characters only, no space/],
      [{ id: 'f', key: KEY, broker: 1883 }, /^uplink\.broker: expected a non-empty string/],
      [{ id: 'f', key: KEY, broker: 'h:1', apn: 'in"ternet' }, /^uplink\.apn: printable characters only, no space or "/],
      [{ id: 'f', key: KEY, broker: 'h:1', apn: 'x'.repeat(64) }, /^uplink\.apn: at most 63 characters/],
      [{ id: 'f', key: KEY, apn: 'internet' }, /^uplink\.apn: only with uplink\.broker/],
      [{ id: 'f', key: KEY, broker: 'h:1', apnUser: 'u' }, /^uplink\.apnUser: only with uplink\.apn/],
      [{ id: 'f', key: KEY, broker: 'h:1', apn: 'a', apnPassword: 'p' }, /^uplink\.apnPassword: only with uplink\.apnUser/],
      [{ id: 'f', key: KEY, broker: 'h:1', apn: 'a', apnUser: '' }, /^uplink\.apnUser: expected a non-empty string/],
    ];
    for (const [u, re] of bad) {
      const r = parseConfig({ ...base(), uplink: u });
      expect(r.ok ? 'ok' : r.error).toMatch(re);
    }
  });

  it('takes the broker and the GPRS bearer a board\'s modem connects with', () => {
    const r = parseConfig({ ...base(), uplink: { id: 'f', key: KEY, broker: 'mqtt.example.net:1883' } });
    expect(r.ok && r.value.uplink).toBe('15 120 f ' + KEY.toLowerCase() + ' mqtt.example.net:1883');
    const s = parseConfig({ ...base(), uplink: { id: 'f', key: KEY, broker: '10.0.0.1:8883', apn: 'cmnet', apnUser: 'card', apnPassword: 'p@ss!' } });
    expect(s.ok && s.value.uplink).toBe('15 120 f ' + KEY.toLowerCase() + ' 10.0.0.1:8883 cmnet card p@ss!');
    if (!s.ok) return;
    const back = decodeConfig(encodeConfig(s.value))!;
    expect(exportConfig(back).uplink).toEqual({ id: 'f', key: KEY.toLowerCase(), intervalMinutes: 15, keepAliveSeconds: 120, broker: '10.0.0.1:8883', apn: 'cmnet', apnUser: 'card', apnPassword: 'p@ss!' });
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

describe('the uplink section on a board whose uplink goes through its modem', () => {
  it('needs the broker (the build makes UPLINK_BROKER true for it)', async () => {
    vi.resetModules();
    vi.doMock('../../firmware/uplink/feature', () => ({ UPLINK: true, UPLINK_BROKER: true, UPLINK_WIFI: false }));
    try {
      const { parseConfig: parse } = await import('../../firmware/config');
      const r = parse({ ...base(), uplink: { id: 'f', key: KEY } });
      expect(r.ok ? 'ok' : r.error).toMatch(/^uplink\.broker: this unit's uplink goes through its modem: expected host:port/);
      const s = parse({ ...base(), uplink: { id: 'f', key: KEY, broker: 'h:1883' } });
      expect(s.ok).toBe(true);
    } finally {
      vi.doUnmock('../../firmware/uplink/feature');
      vi.resetModules();
    }
  });
});

describe('the uplink section on a board whose uplink goes through its WiFi', () => {
  it('needs the broker and the network\'s name, takes a password of 8 to 63 characters, keeps spaces, refuses a GSM bearer', async () => {
    vi.resetModules();
    vi.doMock('../../firmware/uplink/feature', () => ({ UPLINK: true, UPLINK_BROKER: true, UPLINK_WIFI: true }));
    try {
      const { parseConfig: parse } = await import('../../firmware/config');
      const { encodeConfig: enc, decodeConfig: dec } = await import('../../firmware/config-store');
      const { exportConfig: exp } = await import('../../firmware/config-export');
      const err = (u: object) => {
        const r = parse({ ...base(), uplink: { id: 'f', key: KEY, ...u } });
        return r.ok ? 'ok' : r.error;
      };
      expect(err({})).toMatch(/^uplink\.broker: this unit's uplink goes through its WiFi: expected host:port/);
      expect(err({ broker: 'h:1883' })).toMatch(/^uplink\.ssid: this unit's uplink goes through its WiFi: expected the network's name/);
      expect(err({ broker: 'h:1883', ssid: '' })).toMatch(/^uplink\.ssid: expected a non-empty string/);
      expect(err({ broker: 'h:1883', ssid: 'x'.repeat(33) })).toMatch(/^uplink\.ssid: at most 32 characters/);
      expect(err({ broker: 'h:1883', ssid: 'a"b' })).toMatch(/^uplink\.ssid: printable characters only, no "/);
      expect(err({ broker: 'h:1883', ssid: 'Dorm', wifiPassword: 'short' })).toMatch(/^uplink\.wifiPassword: 8 to 63 characters/);
      expect(err({ broker: 'h:1883', ssid: 'Dorm', apn: 'internet' })).toMatch(/^uplink\.apn: unknown key/);
      expect(err({ broker: 'h:1883', wifiPassword: 'long enough' })).toMatch(/^uplink\.(ssid|wifiPassword)/);
      const p = parse({ ...base(), uplink: { id: 'f', key: KEY, broker: 'h:1883', ssid: 'Dorm B floor 2', wifiPassword: 'open sesame 42' } });
      expect(p.ok).toBe(true);
      if (!p.ok) return;
      const back = exp(dec(enc(p.value))!).uplink as { [k: string]: unknown };
      expect(back).toMatchObject({ broker: 'h:1883', ssid: 'Dorm B floor 2', wifiPassword: 'open sesame 42' });
      expect(p.value.uplink!.split(' ').slice(4)).toEqual(['h:1883', 'Dorm\x7fB\x7ffloor\x7f2', 'open\x7fsesame\x7f42']);
    } finally {
      vi.doUnmock('../../firmware/uplink/feature');
      vi.resetModules();
    }
  });
});
