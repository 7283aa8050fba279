// An SMS session of the unit (firmware/sms/session.ts) against the virtual modem: receipts go
// first, then the unit's own texts from its event log to the account's users and the
// administrators; the kept sequence number moves only past entries whose texts all went, so
// texts left over (three a session) go in the next session, and after a power cut.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { VirtualModem } from '../../sim/virtual-modem';
import { StorageRig } from '../../sim/storage-rig';
import { ModemReport, ModemSession } from '../../hal/modem';
import { smsSession } from '../../firmware/sms/session';
import { SmsSetup } from '../../firmware/sms/service';

const ADMIN = '+8613800000001';
const TENANT = '+8613900000301';

function rig() {
  const clock = new VirtualClock();
  const store = new StorageRig({ now: () => clock.now(), startEpoch: Date.UTC(2026, 2, 1, 8) / 1000 });
  const config = { plans: { f: { price: 1000 } }, accounts: [{ name: 'R301', plan: 'f', alarmLevels: [5000, 2000], reconnect: 1000 }, { name: 'R302', plan: 'f' }], meters: [{ name: 'M1', account: 'R301' }] };
  const hal = (r: StorageRig) => ({ load: nodeModules, clock, print: () => undefined, eeprom: r.eeprom, rtc: r.rtc });
  const u = { unit: startUnit(hal(store), JSON.parse(JSON.stringify(config))) };
  const vm = new VirtualModem(clock, { on: true });
  clock.advance(5000);
  const setup: SmsSetup = { phones: [{ number: ADMIN, admin: true, accounts: [] }, { number: TENANT, admin: false, accounts: ['R301'] }], key: null, last: 0, wrong: 0, until: 0, asked: [] };
  const kept = { sent: 0, lastAlarm: [] as number[], first: [] as { to: string; text: string }[] };
  let cur: ModemSession | null = null;
  vm.onData = (b) => cur && cur.feed(String.fromCharCode(...b));
  const session = () => {
    let report: ModemReport | null = null;
    const before = vm.sent.length;
    cur = smsSession(u.unit, setup, {
      write: (s) => vm.write(Uint8Array.from(s, (c) => c.charCodeAt(0))),
      power: (on) => vm.setPower(on),
      sent: kept.sent,
      lastAlarm: kept.lastAlarm,
      first: kept.first,
      done: (r, sent) => {
        report = r;
        kept.sent = sent;
      },
    });
    while (!report) clock.advance(100);
    cur = null;
    return vm.sent.slice(before).map((m) => [m.to, m.text]);
  };
  const at = () => u.unit.time();
  const read = (wh: number) => u.unit.handle({ t: 'reading', time: at(), meter: 0, importWh: wh, exportWh: 0 });
  const reboot = () => {
    u.unit = startUnit(hal(new StorageRig({ now: () => clock.now(), chip: store.chip, clock: store.clock })), JSON.parse(JSON.stringify(config)));
  };
  return { clock, u, vm, session, read, kept, reboot, at };
}

describe('SMS session of the unit', () => {
  it('texts low credit to the tenant and the administrator, once; receipts go first', () => {
    const r = rig();
    r.u.unit.handle({ t: 'topup', time: r.at(), account: 0, amountMilli: 10000 });
    r.read(0);
    r.clock.advance(7200000);
    r.read(6000); // 4.000: level 1
    r.vm.receiveSms(TENANT, 'BAL');
    r.clock.advance(3000);
    expect(r.session()).toEqual([
      [TENANT, 'OK BAL: R301 balance 4.000, supply on (auto)'],
      [TENANT, 'R301: low credit, balance 4.000 (level 1). Please top up.'],
      [ADMIN, 'R301: low credit, balance 4.000 (level 1). Please top up.'],
    ]);
    expect(r.session()).toEqual([]);
  });

  it('texts left over (three a session) go in the next session, and after a power cut; none lost', () => {
    const r = rig();
    r.u.unit.handle({ t: 'topup', time: r.at(), account: 0, amountMilli: 10000 });
    r.read(0);
    for (const wh of [6000, 11000]) {
      r.clock.advance(7200000);
      r.read(wh); // level 1, then cut (level 2 within six hours: not texted)
    }
    r.u.unit.handle({ t: 'topup', time: r.at(), account: 0, amountMilli: 10000 }); // restored
    const first = r.session();
    expect(first.length).toBe(3);
    r.reboot(); // the kept number is the caller's: here it survives as the unit's record would
    const rest = [...r.session(), ...r.session(), ...r.session()];
    const all = [...first, ...rest];
    // every text to both, in order; one may come twice where an entry's texts were split
    const want = ['R301: low credit, balance 4.000 (level 1). Please top up.', 'R301: power cut, no credit. Top up to restore.', 'R301: power restored.'];
    for (const to of [TENANT, ADMIN]) {
      const got = all.filter((m) => m[0] === to).map((m) => m[1]);
      expect(got.filter((t, i) => i === 0 || t !== got[i - 1])).toEqual(want);
    }
    expect(r.session()).toEqual([]);
  });

  it('no network: nothing sent and the kept number does not move; sent once it is back', () => {
    const r = rig();
    r.u.unit.handle({ t: 'topup', time: r.at(), account: 0, amountMilli: 10000 });
    r.read(0);
    r.clock.advance(7200000);
    r.read(6000);
    r.vm.faults.noNetwork = true;
    expect(r.session()).toEqual([]);
    expect(r.kept.sent).toBe(0);
    r.vm.faults.noNetwork = false;
    expect(r.session().length).toBe(2);
  });
});
