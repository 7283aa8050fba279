// The texts the unit sends on its own (firmware/sms/alarms.ts): low credit (at most once in six
// hours an account), supply cut for want of credit or by overload, supply restored; to the
// account's users, then every administrator. Made from the decisions of a unit billing readings.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { Decision } from '../../firmware/core';
import { ALARM_GAP_S, alarmDue, alarmNumbers, alarmText } from '../../firmware/sms/alarms';

describe('alarm texts', () => {
  it('low credit, rate-limited; cut for want of credit; restored by a top-up', () => {
    const clock = new VirtualClock();
    const texts: string[] = [];
    const last: number[] = [];
    let t0 = 0;
    let unit: ReturnType<typeof startUnit>;
    const onDecision = (d: Decision) => {
      const tx = unit && alarmText(unit.core, d);
      if (tx && alarmDue(d, last, t0 + clock.now() / 1000)) texts.push(tx);
    };
    unit = startUnit({ load: nodeModules, clock, print: () => undefined, onDecision }, {
      plans: { f: { price: 1000 } },
      accounts: [{ name: 'R301', plan: 'f', alarmLevels: [5000, 2000], reconnect: 1000 }],
      meters: [{ name: 'M1', account: 'R301' }],
    });
    // (no RTC here: the time is set at the console, or billing waits for a valid time)
    unit.input('login 3333\r');
    unit.input('time set 2026-03-01 08:00\r');
    t0 = unit.time() - clock.now() / 1000;
    const at = () => unit.time();
    unit.handle({ t: 'topup', time: at(), account: 0, amountMilli: 10000 });
    unit.handle({ t: 'reading', time: at(), meter: 0, importWh: 0, exportWh: 0 });
    clock.advance(7200000); // two hours: 3 kW at most, no register jump
    unit.handle({ t: 'reading', time: at(), meter: 0, importWh: 6000, exportWh: 0 }); // 4.000 left: level 1
    clock.advance(7200000); // two hours: 3 kW at most, no register jump
    unit.handle({ t: 'reading', time: at(), meter: 0, importWh: 9000, exportWh: 0 }); // 1.000: level 2, within 6 h
    clock.advance(7200000); // two hours: 3 kW at most, no register jump
    unit.handle({ t: 'reading', time: at(), meter: 0, importWh: 11000, exportWh: 0 }); // -1.000: cut
    unit.handle({ t: 'topup', time: at(), account: 0, amountMilli: 10000 }); // 9.000: restored
    expect(texts).toEqual([
      'R301: low credit, balance 4.000 (level 1). Please top up.',
      'R301: power cut, no credit (balance -1.000). Top up to restore.',
      'R301: power restored, balance 9.000.',
    ]);
    // after six hours a warning goes again
    clock.advance(ALARM_GAP_S * 1000);
    unit.handle({ t: 'reading', time: at(), meter: 0, importWh: 16000, exportWh: 0 }); // 4.000: level 1
    expect(texts[3]).toBe('R301: low credit, balance 4.000 (level 1). Please top up.');
  });

  it('a relay switched by the operator\'s mode is not texted as a cut', () => {
    const clock = new VirtualClock();
    const texts: string[] = [];
    let unit: ReturnType<typeof startUnit> | null = null;
    unit = startUnit({ load: nodeModules, clock, print: () => undefined, onDecision: (d) => {
      const tx = unit && alarmText(unit.core, d);
      if (tx) texts.push(tx);
    } }, { plans: { f: { price: 1000 } }, accounts: [{ name: 'R1', plan: 'f' }], meters: [] });
    unit.handle({ t: 'mode', time: unit.time(), account: 0, mode: 2 });
    unit.handle({ t: 'mode', time: unit.time(), account: 0, mode: 0 });
    expect(texts).toEqual([]);
  });

  it('goes to the account\'s users, then every administrator, once each', () => {
    const phones = [
      { number: '+861', admin: true, accounts: [] },
      { number: '+862', admin: false, accounts: ['R301', 'R302'] },
      { number: '+863', admin: false, accounts: ['R303'] },
      { number: '+864', admin: true, accounts: ['R301'] },
    ];
    expect(alarmNumbers(phones, 'R301')).toEqual(['+862', '+861', '+864']);
    expect(alarmNumbers(phones, 'R309')).toEqual(['+861', '+864']);
  });
});
