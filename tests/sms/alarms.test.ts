// The texts the unit sends on its own (firmware/sms/alarms.ts), made from its event log: low
// credit (at most once in six hours an account), supply cut for want of credit, supply restored
// by a top-up; a relay switched by the operator's mode is not news; to the account's users, then
// every administrator. The log is their queue: read from a kept sequence number, a few at a time,
// and still there after a power cut.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { ALARM_GAP_S, alarmDue, alarmFromLog, alarmNumbers } from '../../firmware/sms/alarms';
import { eventsAfter } from '../../firmware/storage/history';
import { StorageRig } from '../../sim/storage-rig';
import { nameIndex } from '../../firmware/tables';

describe('alarm texts', () => {
  it('made from the event log, so a power cut loses none; read from a kept sequence number, oldest first', () => {
    const clock = new VirtualClock();
    const rig = new StorageRig({ now: () => clock.now(), startEpoch: Date.UTC(2026, 2, 1, 8) / 1000 });
    const config = { plans: { f: { price: 1000 } }, accounts: [{ name: 'R301', plan: 'f', alarmLevels: [5000, 2000], reconnect: 1000 }], meters: [{ name: 'M1', account: 'R301' }] };
    const hal = (r: StorageRig) => ({ load: nodeModules, clock, print: () => undefined, eeprom: r.eeprom, rtc: r.rtc });
    let unit = startUnit(hal(rig), JSON.parse(JSON.stringify(config)));
    const at = () => unit.time();
    unit.handle({ t: 'topup', time: at(), account: 0, amountMilli: 10000 });
    unit.handle({ t: 'reading', time: at(), meter: 0, importWh: 0, exportWh: 0 });
    // two hours apart (3 kW at most: no register jump): 4.000 left (level 1), 1.000 (level 2,
    // within six hours of the first warning), -1.000 (cut)
    for (const wh of [6000, 9000, 11000]) {
      clock.advance(7200000);
      unit.handle({ t: 'reading', time: at(), meter: 0, importWh: wh, exportWh: 0 });
    }
    unit.handle({ t: 'topup', time: at(), account: 0, amountMilli: 10000 }); // 9.000: restored
    unit.handle({ t: 'mode', time: at(), account: 0, mode: 2 }); // forced off: not news
    unit.handle({ t: 'mode', time: at(), account: 0, mode: 0 }); // back to auto: not news
    clock.advance(ALARM_GAP_S * 1000);
    unit.handle({ t: 'reading', time: at(), meter: 0, importWh: 16000, exportWh: 0 }); // 4.000: level 1 again, six hours on
    const last: number[] = [];
    const texts = (u: typeof unit, after: number, max: number) => {
      const out: string[] = [];
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
      'R301: low credit, balance 4.000 (level 1). Please top up.',
    ]);
    // a few at a time, from the sequence number kept: the same, in order
    last.length = 0;
    const first = texts(unit, 0, 4);
    const rest = texts(unit, first.seq, 100);
    expect(first.out.concat(rest.out)).toEqual(all.out);
    expect(rest.seq).toBe(all.seq);
    // power cut: the unit boots from its EEPROM; what was not yet sent is still there
    const again = new StorageRig({ now: () => clock.now(), chip: rig.chip, clock: rig.clock });
    unit = startUnit(hal(again), JSON.parse(JSON.stringify(config)));
    last.length = 0;
    expect(texts(unit, first.seq, 100).out).toEqual(rest.out);
    expect(texts(unit, all.seq, 100).out).toEqual([]);
  });

  it('an overload trip is news; what is not a decision to text is not', () => {
    expect(alarmFromLog('relay', 'R1', 'relay a0 open overload')).toBe('R1: power cut, overload.');
    expect(alarmFromLog('relay', 'R1', 'relay a0 open friendly-end')).toBe('R1: power cut, no credit. Top up to restore.');
    expect(alarmFromLog('relay', 'R1', 'relay a0 close overload-reset')).toBeNull();
    expect(alarmFromLog('relay', 'R1', 'relay a0 open mode-off')).toBeNull();
    expect(alarmFromLog('relay', 'R1', 'relay a0 close boot')).toBeNull();
    expect(alarmFromLog('clear', 'R1', 'clear a0 L1 bal 9000')).toBeNull();
    expect(alarmFromLog('command', '', 'operator: topup R1 5')).toBeNull();
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
