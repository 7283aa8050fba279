// The texts the unit sends on its own (firmware/sms/alarms.ts): low credit (at most once in six
// hours an account), supply cut for want of credit or by overload, supply restored; to the
// account's users, then every administrator. Made from the decisions of a unit billing readings.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { Decision } from '../../firmware/core';
import { ALARM_GAP_S, alarmDue, alarmFromLog, alarmNumbers, alarmText } from '../../firmware/sms/alarms';
import { eventsAfter } from '../../firmware/storage/history';
import { StorageRig } from '../../sim/storage-rig';
import { nameIndex } from '../../firmware/tables';

describe('alarm texts', () => {
  it('low credit, rate-limited; cut for want of credit; restored by a top-up', () => {
    const clock = new VirtualClock();
    const texts: string[] = [];
    const last: number[] = [];
    let t0 = 0;
    let unit: ReturnType<typeof startUnit>;
    const onDecision = (d: Decision) => {
      const tx = unit && alarmText(unit.core, d);
      if (tx && alarmDue(d.kind === 'alarm', d.account, last, t0 + clock.now() / 1000)) texts.push(tx);
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

  it('made from the event log, so a power cut loses none; read from a kept sequence number, oldest first', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: Date.UTC(2026, 2, 1, 8) / 1000 });
    const config = { plans: { f: { price: 1000 } }, accounts: [{ name: 'R301', plan: 'f', alarmLevels: [5000, 2000], reconnect: 1000 }], meters: [{ name: 'M1', account: 'R301' }] };
    const hal = (r: StorageRig) => ({ load: nodeModules, clock, print: () => undefined, eeprom: r.eeprom, rtc: r.rtc });
    let unit = startUnit(hal(rig), JSON.parse(JSON.stringify(config)));
    const at = () => unit.time();
    unit.handle({ t: 'topup', time: at(), account: 0, amountMilli: 10000 });
    unit.handle({ t: 'reading', time: at(), meter: 0, importWh: 0, exportWh: 0 });
    for (const wh of [6000, 9000, 11000]) {
      clock.advance(7200000);
      unit.handle({ t: 'reading', time: at(), meter: 0, importWh: wh, exportWh: 0 });
    }
    unit.handle({ t: 'topup', time: at(), account: 0, amountMilli: 10000 });
    unit.handle({ t: 'mode', time: at(), account: 0, mode: 2 }); // forced off: not news
    const texts = (u: typeof unit, after: number, max: number) => {
      const out: string[] = [];
      const last: number[] = [];
      const seq = eventsAfter(u.storage!.store.events, after, max, (q, t, a, k, x) => {
        const m = alarmFromLog(k, a, x);
        if (m && alarmDue(k === 'alarm', nameIndex(u.cfg.accounts.names, a), last, t)) out.push(m);
      });
      return { out, seq };
    };
    const all = texts(unit, 0, 100);
    expect(all.out).toEqual([
      'R301: low credit, balance 4.000 (level 1). Please top up.',
      'R301: power cut, no credit. Top up to restore.',
      'R301: power restored.',
    ]);
    // a few at a time, from the sequence number kept: the same, in order
    const first = texts(unit, 0, 4);
    const rest = texts(unit, first.seq, 100);
    expect(first.out.concat(rest.out)).toEqual(all.out);
    expect(rest.seq).toBe(all.seq);
    // power cut: the unit boots from its EEPROM; what was not yet sent is still there
    const again = new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock });
    unit = startUnit(hal(again), JSON.parse(JSON.stringify(config)));
    expect(texts(unit, first.seq, 100).out).toEqual(rest.out);
    expect(texts(unit, all.seq, 100).out).toEqual([]);
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
