// The SMS pieces as the board runs them (espruino-pico): the code (SipHash on 32-bit halves), the
// requests, and a modem session against a scripted module, answers split inside lines, echo on,
// a URC inside an answer. The same figures as Node's.
import { describe, expect, it } from 'vitest';
import { bundleEntry } from '../../tools/build';
import { checkBundle, espruinoBinary, runOnEspruino } from '../../tools/espruino-check';
import { smsCode } from '../../firmware/sms/auth';
import { receipt, smsRequest } from '../../firmware/sms/commands';

const key = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('SMS on espruino-pico', () => {
  it('bundles within the Espruino subset and gives Node\'s codes, requests and session', async () => {
    const code = await bundleEntry('tests/build/fixtures/sms-main.ts', '');
    expect(checkBundle(code, { boot: false })).toEqual([]);
    const lines = runOnEspruino(code, espruinoBinary()!);
    const get = (k: string) => lines.filter((l) => l.startsWith(k + ' ')).map((l) => l.substr(k.length + 1));
    expect(get('CODE'), lines.join('\n')).toEqual([[smsCode(key, 1, 'OFF R301'), smsCode(key, 123456789, 'PRICE DORM 0.62'), smsCode(key, 42, 'ALARM R302 30,20,10')].join(' ')]);
    const admin = { number: '+8613800000001', admin: true, accounts: [] as string[] };
    const texts = ['bal r302', 'buy R301 123 456 789', 'OFF R301 1 ' + smsCode(key, 1, 'OFF R301'), 'OFF R301 1 000000', 'price dorm 0.62 2 ' + smsCode(key, 2, 'PRICE DORM 0.62'), 'hello'];
    const want = texts.map((t) => {
      const r = smsRequest(admin, t, ['R301', 'R302'], ['dorm'], key, 0);
      return r.ok ? [r.value.line, r.value.role, r.value.code, r.value.bal, r.value.reply] : [r.error];
    });
    expect(JSON.parse(get('REQ')[0])).toEqual(JSON.parse(JSON.stringify(want)));
    const rcpt = [receipt(false, 'off', ['code']), receipt(false, 'buy', ['error: token already used']), receipt(true, 'x', ['a', 'error: b', 'error: ']), receipt(true, 'bal', [new Array(40).join('balance ')])];
    expect(rcpt.slice(0, 3)).toEqual([['ERR OFF: code'], ['ERR BUY: token already used'], ['OK X: a; b; ']]);
    expect(JSON.parse(get('RCPT')[0])).toEqual(rcpt);
    expect(JSON.parse(get('LOG')[0])).toEqual([
      'AT', 'ATE0', 'AT+CMEE=1', 'AT+CPIN?', 'AT+CMGF=1', 'AT+CSCS="GSM"', 'AT+CNMI=0,0,0,0,0', 'AT+CREG?', 'AT+CSQ', 'AT+CPMS?', 'AT+CMGR=1',
      'SMS +8613800000001 BAL R301 26/12/05,10:00:00+32', 'AT+CMGD=1', 'AT+CMGS="+8613800000001"', 'OK BAL: R301 12.50^Z', 'SENT null',
    ]);
    expect(JSON.parse(get('DONE')[0])).toEqual([3, '', 17, 1, 1]);
  }, 60000);
});
