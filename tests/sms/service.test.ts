// SMS end to end in Node: messages sent to the virtual SIM800 from given numbers, read by modem
// sessions, run on the unit (firmware/sms/service.ts; a change after the session,
// firmware/sms/asked.ts) and answered with receipts the virtual modem records: a tenant's inquiry, an administrator's token top-up, relay modes and a price
// with codes, and forged, altered, replayed and unlisted messages refused or ignored, with the
// unit's state and log checked against each receipt.
import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { VirtualModem } from '../../sim/virtual-modem';
import { ModemSession } from '../../hal/modem';
import { SmsSetup, smsMessage } from '../../firmware/sms/service';
import { SmsAsking, SmsOut, runAsked } from '../../firmware/sms/asked';
import { receipt } from '../../firmware/sms/commands';
import { smsCode } from '../../firmware/sms/auth';
import { vendToken } from '../../tools/vend';

const TOKEN_KEY = 'bc41ec9530f6dac86b1a29ab82edc5fb';
const START = 516959010;
const SMS_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const ADMIN = '+8613800000001';
const TENANT = '+8613900000301';
const STRANGER = '+8613700000000';

function rig() {
  const clock = new VirtualClock();
  const out: string[] = [];
  const unit = startUnit({ load: nodeModules, clock, print: (l) => out.push(l) }, {
    plans: { dorm: { price: 600 } },
    accounts: [
      { name: 'R301', plan: 'dorm', token: { key: TOKEN_KEY, start: START, unit: 1000 } },
      { name: 'R302', plan: 'dorm' },
    ],
    meters: [],
  });
  const vm = new VirtualModem(clock, { on: true });
  clock.advance(5000);
  const setup: SmsSetup & SmsAsking = {
    phones: [
      { number: ADMIN, admin: true, accounts: [] },
      { number: TENANT, admin: false, accounts: ['R301'] },
    ],
    key: SMS_KEY,
    last: 0,
    wrong: 0,
    until: 0,
    asked: [],
    outbox: [],
    drop: [],
  };
  const outbox: SmsOut[] = setup.outbox;
  let cur: ModemSession | null = null;
  vm.onData = (b) => cur && cur.feed(String.fromCharCode(...b));
  /** Messages arrive, then one session reads and answers them; the receipts by number. */
  const exchange = (msgs: [string, string][]) => {
    for (const [from, text] of msgs) vm.receiveSms(from, text);
    clock.advance(3000);
    const before = vm.sent.length;
    for (let k = 0; k < 4; k++) {
      let over = false;
      cur = new ModemSession({
        clock,
        write: (s) => vm.write(Uint8Array.from(s, (c) => c.charCodeAt(0))),
        power: (on) => vm.setPower(on),
        onSms: (from, text, time, slot) => smsMessage(unit, setup, from, text, slot, (r) => outbox.push({ to: from, text: r })),
        nextOut: () => outbox.shift() || null,
        drop: setup.drop,
        done: () => (over = true),
      });
      while (!over) clock.advance(100);
      cur = null;
      // the commands asked for, after the session; their answers made receipts for the next one
      let ran = false;
      runAsked(unit, setup, () => (ran = true));
      while (!ran) clock.advance(100);
      for (let i = 0; i < outbox.length; i++) {
        const m = outbox[i];
        if (m.verb) outbox.splice(i, 1, ...receipt(!m.bad, m.verb, [m.text]).map((text) => ({ to: m.to, text })));
      }
      if (!outbox.length && !vm.stored && !setup.drop.length) break;
    }
    return vm.sent.slice(before).map((m) => [m.to, m.text]);
  };
  const signed = (n: number, words: string) => words + ' ' + n + ' ' + smsCode(SMS_KEY, n, words.toUpperCase());
  return { clock, unit, vm, setup, exchange, signed, out };
}

describe('SMS on the unit', () => {
  it('a tenant asks for their balance; a stranger gets nothing', () => {
    const r = rig();
    expect(r.exchange([[TENANT, 'bal'], [STRANGER, 'BAL R301'], [TENANT, 'BAL R302']])).toEqual([
      [TENANT, 'OK BAL: R301 balance 0.000, supply on (auto)'],
      [TENANT, 'ERR BAL: authority'],
    ]);
  });

  it('an administrator tops up with a token: the receipt is the console\'s, the balance follows', () => {
    const r = rig();
    const t = vendToken({ key: TOKEN_KEY, startingCode: START, count: 1, type: 'add', value: 25 });
    if (!t.ok) throw new Error(t.error);
    const spaced = t.token.replace(/(\d{3})(?=\d)/g, '$1 ');
    // the console's whole answer: the token, its receipt, the decisions it brought
    const got = r.exchange([[ADMIN, 'buy r301 ' + spaced]]);
    expect(got.length).toBe(1);
    expect(got[0][1]).toMatch(new RegExp('^OK BUY: TOKEN R301 add 25\\.000 count ' + t.count + '; RECEIPT #1 .* R301 topup 25\\.000 balance 25\\.000 by token'));
    expect(got[0][1].length).toBeLessThanOrEqual(160);
    expect(r.unit.core.balance[0]).toBe(25000);
    // the same token again: refused by the token system itself
    expect(r.exchange([[ADMIN, 'BUY R301 ' + t.token]])).toEqual([[ADMIN, 'ERR BUY: token already used']]);
    expect(r.unit.core.balance[0]).toBe(25000);
    expect(r.exchange([[TENANT, 'BAL']])[0][1]).toBe('OK BAL: R301 balance 25.000, supply on (auto)');
  });

  it('relay modes and a price with codes; replayed, altered and forged ones change nothing', () => {
    const r = rig();
    const off = r.signed(1, 'OFF R302');
    expect(r.exchange([[ADMIN, off]])).toEqual([[ADMIN, 'OK OFF: event R302 mode-off; relay R302 off (mode-off); R302 relay off, mode off']]);
    expect(r.unit.core.mode[1]).toBe(2);
    expect(r.setup.last).toBe(1);
    const on = r.signed(2, 'ON R302');
    const price = r.signed(3, 'PRICE dorm 0.75');
    // (a session sends three; the exchange runs sessions until every receipt has gone)
    expect(r.exchange([[ADMIN, off], [ADMIN, on.replace('R302', 'R301')], [TENANT, r.signed(4, 'ON R301')], [ADMIN, 'ON R302 5 123456'], [ADMIN, price]])).toEqual([
      [ADMIN, 'ERR OFF: replay'],
      [ADMIN, 'ERR ON: code'],
      [TENANT, 'ERR ON: authority'],
      [ADMIN, 'ERR ON: code'],
      [ADMIN, 'OK PRICE: plan dorm set'],
    ]);
    expect(r.unit.core.mode[1]).toBe(2);
    expect(r.unit.core.mode[0]).toBe(0);
    expect(r.setup.last).toBe(3);
    expect(r.unit.cfg.plans[0]).toMatchObject({ safePrice: 750, periodPrice: [0, 0, 750, 0] });
    // the console's log names the number, the role it ran with and the command
    r.out.length = 0;
    r.unit.input('login 3333\r');
    r.unit.input('log n=6\r');
    expect(r.out.join('\n')).toMatch(/sms \+8613800000001 as operator: relay R302 off/);
    expect(r.out.join('\n')).toMatch(/sms \+8613800000001 as technician: tariff set dorm price=0\.75/);
  });

  it('wrong codes lock commands with a code, from the third in a row, for 2^(n-2) minutes', () => {
    const r = rig();
    const bad = (n: number) => [ADMIN, 'OFF R301 ' + n + ' 000000'] as [string, string];
    expect(r.exchange([bad(1), bad(2)])).toEqual([
      [ADMIN, 'ERR OFF: code'],
      [ADMIN, 'ERR OFF: code'],
    ]);
    expect(r.exchange([bad(3)])).toEqual([[ADMIN, 'ERR OFF: code']]);
    // now locked: even a right code is not checked; a top-up and an inquiry still go
    const right = r.signed(1, 'OFF R301');
    const got = r.exchange([[ADMIN, right], [ADMIN, 'BAL R301']]);
    expect(got[0][1]).toMatch(/^ERR OFF: locked for \d+ s after wrong codes$/);
    expect(got[1][1]).toMatch(/^OK BAL: R301 balance/);
    expect(r.unit.core.mode[0]).toBe(0);
    r.clock.advance(120000);
    expect(r.exchange([[ADMIN, right]])).toEqual([[ADMIN, 'OK OFF: event R301 mode-off; relay R301 off (mode-off); R301 relay off, mode off']]);
    expect(r.setup.wrong).toBe(0);
    // a replay does not count towards the lock: it is a real code sent again
    expect(r.exchange([[ADMIN, right], [ADMIN, right], [ADMIN, right]]).map((x) => x[1])).toEqual(['ERR OFF: replay', 'ERR OFF: replay', 'ERR OFF: replay']);
    expect(r.setup.wrong).toBe(0);
  });

  it('a message the console refuses gets its reason; nothing changes', () => {
    const r = rig();
    expect(r.exchange([[ADMIN, r.signed(1, 'ALARM R301 x,y')]])).toEqual([[ADMIN, expect.stringMatching(/^ERR ALARM: /)]]);
    expect(r.setup.last).toBe(0); // the code is not used up by a refused command
    expect(r.exchange([[ADMIN, 'HELLO'], [ADMIN, 'help']])).toEqual([
      [ADMIN, 'ERR HELLO: unknown command HELLO, send HELP'],
      [ADMIN, expect.stringMatching(/^OK HELP: BAL <acct> \| BUY/)],
    ]);
  });
});
