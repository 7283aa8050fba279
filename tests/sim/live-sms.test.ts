// `npm run sim -- --live`: a line typed on the terminal that starts with '!' is the simulator's
// (`!sms <number> <text>`: a text message to the unit), every other line the unit's console's;
// a message sent so reaches the unit through its virtual modem and is answered.
import { describe, expect, it } from 'vitest';
import { LIVE_SMS_USAGE, parseLiveLine } from '../../sim/live';
import { parseScenario } from '../../sim/scenario';
import { Simulation } from '../../sim/runner';

describe('a line typed while live', () => {
  it('is the console\'s unless it starts with !', () => {
    expect(parseLiveLine('login 2222\r')).toBe(null);
    expect(parseLiveLine('sms test +8613800000001 hello\n')).toBe(null);
    expect(parseLiveLine('\n')).toBe(null);
  });

  it('!sms <number> <text>: the rest of the line is the text, spaces and case as typed', () => {
    expect(parseLiveLine('!sms +8613800000001 BAL R301\n')).toEqual({ ok: true, from: '+8613800000001', text: 'BAL R301' });
    expect(parseLiveLine('  !sms 10086   off R302  17 482913\r')).toEqual({ ok: true, from: '10086', text: 'off R302  17 482913' });
  });

  it('says what is wrong', () => {
    expect(parseLiveLine('!sms\n')).toEqual({ ok: false, error: 'usage: ' + LIVE_SMS_USAGE });
    expect(parseLiveLine('!sms +8613800000001\n')).toEqual({ ok: false, error: 'usage: ' + LIVE_SMS_USAGE });
    expect(parseLiveLine('!sms admin BAL\n')).toEqual({ ok: false, error: '!sms: a phone number is 3 to 20 digits, with a + in front when international, got "admin"' });
    expect(parseLiveLine('!sms 12345 ' + 'x'.repeat(161))).toEqual({ ok: false, error: '!sms: a text message holds at most 160 characters, got 161' });
    expect(parseLiveLine('!text 12345 hi')).toEqual({ ok: false, error: 'unknown simulator command !text; ' + LIVE_SMS_USAGE });
    expect(parseLiveLine('!')).toEqual({ ok: false, error: 'unknown simulator command !; ' + LIVE_SMS_USAGE });
  });
});

describe('a message sent to a running simulation', () => {
  it('reaches the unit through its modem and is answered in the next session', () => {
    const p = parseScenario({
      name: 'live sms',
      start: '2026-03-01 00:00',
      durationHours: 1,
      config: {
        sms: { phones: [{ number: '+8613900000301', accounts: ['R301'] }] },
        plans: { f: { price: 1000 } },
        accounts: [{ name: 'R301', plan: 'f' }],
        meters: [{ name: 'M1', account: 'R301' }],
      },
      loads: { M1: { profile: 'constant', powerW: 0 } },
      topups: [{ at: '2026-03-01 00:00', account: 'R301', amount: 12000 }],
    });
    if (!p.ok) throw new Error(p.errors.join('\n'));
    const sim = new Simulation(p.value, () => undefined);
    for (let i = 0; i < 3; i++) sim.step();
    sim.receiveSms('+8613900000301', 'bal');
    for (let i = 0; i < 2; i++) sim.step();
    // (besides the low-credit texts the unit sends on its own)
    const receipts = sim.modem!.sent.filter((m) => !/^R301: /.test(m.text));
    expect(receipts.map((m) => [m.to, m.text])).toEqual([['+8613900000301', 'OK BAL: R301 balance 12.000, supply on (auto)']]);
    const got = sim.record().sms!.in;
    expect(got.map((m) => [m.from, m.text, m.made, m.time, m.readAt])).toEqual([['+8613900000301', 'bal', 'live', p.value.start + 180, p.value.start + 180]]);
  });
});
