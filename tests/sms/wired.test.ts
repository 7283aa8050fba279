// The SMS service wired into the unit: the phone list and key in the configuration (kept in the
// EEPROM, edited with the console's `sms` command), sessions opened by the unit's ticks through
// its modem line (here the virtual modem), the counter, the guard and the texts' sequence number
// in the unit's EEPROM record, so that a power cut neither makes a used code good again nor loses
// or repeats a text.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit, Unit } from '../../firmware/unit';
import { VirtualClock, lifeClock as lifeOf } from '../../sim/virtual-clock';
import type { Clock } from '../../hal/clock';
import { VirtualModem, virtualModemLine } from '../../sim/virtual-modem';
import { StorageRig } from '../../sim/storage-rig';
import { smsCommand as make } from '../../tools/sms-code';
import { parseConfig } from '../../firmware/config';
import { decodeConfig, encodeConfig } from '../../firmware/config-store';
import { exportTop } from '../../firmware/config-export';

const ADMIN = '+8613800000001';
const TENANT = '+8613900000301';
const KEY = '00112233445566778899aabbccddeeff';

const CONFIG = {
  sms: { key: KEY, phones: [{ number: ADMIN, admin: true }, { number: TENANT, accounts: ['R301'] }] },
  plans: { f: { price: 1000 } },
  accounts: [
    { name: 'R301', plan: 'f', alarmLevels: [5000, 2000], reconnect: 1000 },
    { name: 'R302', plan: 'f' },
  ],
  meters: [{ name: 'M1', account: 'R301' }],
};

function rig(config: unknown = CONFIG) {
  const clock = new VirtualClock();
  const store = new StorageRig({ now: () => clock.now(), startEpoch: Date.UTC(2026, 2, 1, 8) / 1000 });
  const vm = new VirtualModem(clock, {});
  const printed: string[] = [];
  // each life of the unit has its timers on the clock; a power cut ends them
  let life = { on: true };
  const lifeClock = (l: { on: boolean }): Clock => lifeOf(clock, l);
  const hal = (r: StorageRig) => ({ load: nodeModules, clock: lifeClock(life), print: (l: string) => printed.push(l), eeprom: r.eeprom, rtc: r.rtc, openModem: () => virtualModemLine(vm) });
  const u = { unit: startUnit(hal(store), JSON.parse(JSON.stringify(config))) as Unit };
  /** Minutes of the unit's life: a tick each minute, as the board's main loop gives. */
  const minutes = (n: number) => {
    for (let i = 0; i < n; i++) {
      clock.advance(60000);
      u.unit.handle({ t: 'tick', time: u.unit.time() });
    }
  };
  const texts = (from = 0) => vm.sent.slice(from).map((m) => [m.to, m.text]);
  const type = (line: string) => {
    const from = printed.length;
    u.unit.input(line + '\r');
    clock.advance(3000);
    return printed.slice(from);
  };
  const reboot = () => {
    life.on = false;
    life = { on: true };
    u.unit = startUnit(hal(new StorageRig({ now: () => clock.now(), chip: store.chip, clock: store.clock })), JSON.parse(JSON.stringify(config)));
  };
  const at = () => u.unit.time();
  return { clock, vm, u, minutes, texts, type, reboot, at, printed };
}

const key = Buffer.from(KEY, 'hex');
const smsCommand = (n: number, words: string[]) => {
  const c = make(KEY, n, words);
  if (!c.ok) throw new Error(c.error);
  return c.text;
};

describe('the SMS service in the unit', () => {
  it('reads the list from the configuration, answers a tenant and an administrator, and refuses a replay after a power cut', () => {
    const r = rig();
    r.u.unit.handle({ t: 'topup', time: r.at(), account: 0, amountMilli: 10000 });
    r.vm.receiveSms(TENANT, 'bal');
    r.vm.receiveSms('+8613700000000', 'BAL R301'); // not on the list: deleted, no answer
    r.vm.receiveSms(ADMIN, smsCommand(1, ['off', 'R302']));
    r.minutes(2);
    expect(r.texts()).toEqual([
      [TENANT, 'OK BAL: R301 balance 10.000, supply on (auto)'],
      [ADMIN, expect.stringMatching(/^OK OFF: /)],
    ]);
    expect(r.u.unit.core.mode[1]).toBe(2);
    expect(r.vm.stored).toBe(0);
    // the log names the number the command came from
    // power cut; the same message again (a replay) is refused, the counter came back from the EEPROM
    r.reboot();
    r.u.unit.handle({ t: 'mode', time: r.at(), account: 1, mode: 0 });
    r.vm.receiveSms(ADMIN, smsCommand(1, ['off', 'R302']));
    r.minutes(2);
    expect(r.texts(2)).toEqual([[ADMIN, 'ERR OFF: replay']]);
    expect(r.u.unit.core.mode[1]).toBe(0);
    // forged: a wrong code
    r.vm.receiveSms(ADMIN, 'OFF R302 2 123456');
    r.minutes(2);
    expect(r.texts(3)).toEqual([[ADMIN, 'ERR OFF: code']]);
  });

  it('keeps a change in the SIM until it has run: a power cut before runs it after boot; one after refuses it as a replay', () => {
    const r = rig();
    const off = smsCommand(1, ['off', 'R302']);
    /** Minutes of ticks in steps of 10 ms, until `stop` holds (then the power is cut). */
    const until = (stop: () => boolean) => {
      for (let i = 0; i < 12000 && !stop(); i++) {
        r.clock.advance(10);
        if (i % 6000 === 5999) r.u.unit.handle({ t: 'tick', time: r.at() });
      }
      expect(stop()).toBe(true);
    };
    r.vm.receiveSms(ADMIN, off);
    // read and put on the unit's list, not run yet: the power goes
    until(() => !!r.u.unit.sms && !!r.u.unit.sms.asked && r.u.unit.sms.asked.length > 0);
    expect(r.u.unit.core.mode[1]).toBe(0);
    r.reboot();
    expect(r.vm.stored).toBe(1);
    r.minutes(2);
    expect(r.texts()).toEqual([[ADMIN, expect.stringMatching(/^OK OFF: .*R302 relay off, mode off$/)]]);
    expect(r.u.unit.core.mode[1]).toBe(2);
    expect(r.vm.stored).toBe(0);
    // run, the power goes before the next session deletes it: read again, refused as a replay
    // (the counter was kept as it ran), run once
    const auto = smsCommand(2, ['auto', 'R302']);
    r.vm.receiveSms(ADMIN, auto);
    until(() => r.u.unit.core.mode[1] === 0);
    r.reboot();
    r.u.unit.handle({ t: 'mode', time: r.at(), account: 1, mode: 2 });
    r.minutes(2);
    expect(r.texts(1)).toEqual([[ADMIN, 'ERR AUTO: replay']]);
    expect(r.u.unit.core.mode[1]).toBe(2);
    expect(r.vm.stored).toBe(0);
  });

  it('texts low credit and the cut to the tenant and the administrator, and none twice over a power cut', () => {
    const r = rig();
    r.u.unit.handle({ t: 'topup', time: r.at(), account: 0, amountMilli: 10000 });
    r.u.unit.handle({ t: 'reading', time: r.at(), meter: 0, importWh: 0, exportWh: 0 });
    r.minutes(2);
    expect(r.texts()).toEqual([]);
    r.clock.advance(3600000);
    r.u.unit.handle({ t: 'reading', time: r.at(), meter: 0, importWh: 6000, exportWh: 0 }); // 4.000: level 1
    r.minutes(2);
    const low = 'R301: low credit, balance 4.000 (level 1). Please top up.';
    expect(r.texts()).toEqual([
      [TENANT, low],
      [ADMIN, low],
    ]);
    r.reboot();
    r.minutes(3);
    expect(r.texts(2)).toEqual([]);
    r.clock.advance(3600000);
    r.u.unit.handle({ t: 'reading', time: r.at(), meter: 0, importWh: 11000, exportWh: 0 }); // -1.000: cut
    r.minutes(2);
    const cut = 'R301: power cut, no credit. Top up to restore.';
    expect(r.texts(2)).toEqual([
      [TENANT, cut],
      [ADMIN, cut],
    ]);
  });

  it('runs commands an hour after boot, and keeps receipts that could not go for the next session', () => {
    const r = rig({ ...CONFIG, sms: { key: KEY, phones: [{ number: ADMIN, admin: true }, ...['301', '302', '303', '304'].map((n) => ({ number: '+8613900000' + n, accounts: ['R301'] }))] } });
    r.minutes(60);
    r.vm.receiveSms(ADMIN, smsCommand(1, ['off', 'R302']));
    r.minutes(1);
    r.clock.advance(20000);
    expect(r.texts()).toEqual([[ADMIN, expect.stringMatching(/^OK OFF: /)]]);
    expect(r.u.unit.core.mode[1]).toBe(2);
    // four inquiries at once: three texts a session, the fourth receipt goes with the next
    for (const n of ['301', '302', '303', '304']) r.vm.receiveSms('+8613900000' + n, 'BAL');
    r.minutes(1);
    r.clock.advance(30000);
    expect(r.texts(1).length).toBe(3);
    r.minutes(1);
    r.clock.advance(30000);
    expect(r.texts(1).map((t) => t[0]).sort()).toEqual(['301', '302', '303', '304'].map((n) => '+8613900000' + n));
    // read while the network is gone: answered once it is back
    r.vm.faults.noNetwork = true;
    r.vm.receiveSms(TENANT, 'BAL');
    r.minutes(3);
    expect(r.texts(5)).toEqual([]);
    r.vm.faults.noNetwork = false;
    r.minutes(3);
    expect(r.texts(5)).toEqual([[TENANT, expect.stringMatching(/^OK BAL: R301 balance/)]]);
  });

  it('keeps at it when the module does not answer, and switches it off and on', () => {
    const r = rig();
    r.vm.faults.hang = true;
    r.vm.setPower(true);
    r.vm.receiveSms(TENANT, 'BAL');
    r.minutes(2);
    r.clock.advance(10000);
    expect(r.texts()).toEqual([]);
    expect(r.type('login 2222')[0]).toMatch(/operator/);
    expect(r.type('sms')[0]).toMatch(/modem: off or silent \(no answer\), signal unknown, read 0, sent 0/);
    // two silent sessions: the next switches the module off (which ends a hang) and on
    r.minutes(2);
    expect(r.vm.faults.hang).toBe(false);
    expect(r.texts()).toEqual([[TENANT, expect.stringMatching(/^OK BAL: R301 balance 0\.000, supply/)]]);
    expect(r.type('login 2222')[0]).toMatch(/operator/);
    expect(r.type('sms').join('\n')).toMatch(/modem: ready, signal 20\/31/);
  });

  it('the console edits the list and the key; they are saved with the configuration', () => {
    const r = rig({ plans: { f: { price: 1000 } }, accounts: [{ name: 'R301', plan: 'f' }], meters: [] });
    r.type('login 2222');
    expect(r.type('sms add')).toEqual(['error: usage: sms add <number> admin|<account>[,<account>...] | sms rm <number>']);
    expect(r.type('sms add +86 139-0000-0301 R301')[0]).toMatch(/^error: sms\.phones\[0\]\.number: a phone number is 3 to 20 digits, with a \+ in front when international, got "\+86"/);
    expect(r.type('sms add +8613900000301 R309')[0]).toMatch(/^error: sms\.phones\[0\]\.accounts\[0\]: unknown account "R309"/);
    expect(r.type('sms add +8613900000301 R301')).toEqual(['phone +8613900000301 added']);
    expect(r.type('sms add 12 admin')[0]).toMatch(/^error: sms\.phones\[1\]\.number: a phone number is 3 to 20 digits/);
    expect(r.type('sms add +8613800000001 admin')).toEqual(['phone +8613800000001 added']);
    expect(r.type('sms key ' + KEY)).toEqual(['error: sms key needs the technician role']);
    r.type('login 3333');
    expect(r.type('sms key 0011')[0]).toMatch(/^error: sms\.key: expected 32 hexadecimal digits/);
    expect(r.type('sms key ' + KEY)).toEqual(['SMS key set']);
    expect(r.type('sms rm +8613900000301')).toEqual(['phone +8613900000301 removed']);
    const st = r.type('sms');
    expect(st.join('\n')).toMatch(/key set, every 60 s, counter 0/);
    expect(st).toContain('+8613800000001 admin');
    expect(st.join('\n')).not.toContain(KEY);
    r.reboot();
    expect(r.u.unit.cfg.sms).toBe('60 ' + KEY + '\na +8613800000001');
    // a test message goes with the next session, a few seconds on
    r.type('login 2222');
    expect(r.type('sms test +8613800000001 hello')).toEqual(['test message queued for the next session']);
    r.clock.advance(20000);
    expect(r.texts()).toEqual([['+8613800000001', 'hello']]);
  });
});

describe('the sms section of the configuration', () => {
  it('is parsed, kept as bytes and exported as it was given', () => {
    const p = parseConfig(JSON.parse(JSON.stringify(CONFIG)));
    if (!p.ok) throw new Error(p.error);
    expect(p.value.sms).toBe('60 ' + KEY + '\na +8613800000001\nu +8613900000301 R301');
    const back = decodeConfig(encodeConfig(p.value));
    expect(back && back.sms).toBe(p.value.sms);
    expect(exportTop(p.value).sms).toEqual({ key: KEY, phones: [{ number: ADMIN, admin: true }, { number: TENANT, accounts: ['R301'] }] });
  });

  it('a configuration stored by firmware without SMS reads back with none', () => {
    const p = parseConfig({ plans: { f: { price: 1 } }, accounts: [], meters: [] });
    if (!p.ok) throw new Error(p.error);
    const b = encodeConfig(p.value);
    // (what an older firmware wrote ends before the sms text's length, 0 0 here)
    expect(Array.from(b.slice(b.length - 2))).toEqual([0, 0]);
    const old = decodeConfig(b.slice(0, b.length - 2));
    expect(old && old.sms).toBe('');
  });

  it('refuses what is wrong, naming where', () => {
    const bad = (sms: unknown) => {
      const p = parseConfig({ sms, plans: { f: { price: 1 } }, accounts: [{ name: 'R1', plan: 'f' }], meters: [] });
      return p.ok ? 'ok' : p.error;
    };
    expect(bad({ phones: [{ number: '+8613800000001', admin: true, accounts: ['R1'] }] })).toMatch(/^sms\.phones\[0\]\.accounts: an administrator may ask about every account/);
    expect(bad({ phones: [{ number: '+8613800000001' }] })).toMatch(/^sms\.phones\[0\]: a user needs accounts/);
    expect(bad({ phones: [{ number: '+86 138', admin: true }, { number: '+86138', admin: true }] })).toMatch(/^sms\.phones\[1\]\.number: listed twice/);
    expect(bad({ phones: [{ number: 'x', admin: true }] })).toMatch(/^sms\.phones\[0\]\.number: a phone number/);
    expect(bad({ phones: [{ number: '123', accounts: ['R2'] }] })).toMatch(/^sms\.phones\[0\]\.accounts\[0\]: unknown account "R2"/);
    expect(bad({ key: 'zz' })).toMatch(/^sms\.key: expected 32 hexadecimal digits/);
    expect(bad({ everySeconds: 5 })).toMatch(/^sms\.everySeconds: must be between 60 and 86400/);
    expect(bad({ phone: [] })).toMatch(/^sms\.phone: unknown key \(did you mean "phones"\?\)/);
    expect(bad({ phones: Array.from({ length: 21 }, (_, i) => ({ number: '+86138000000' + (10 + i), admin: true })) })).toMatch(/^sms\.phones: at most 20 numbers/);
  });
});
