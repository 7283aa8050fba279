// The modem driver (hal/modem.ts) against the simulator's virtual SIM800 / SIM7600
// (sim/virtual-modem.ts) on a virtual clock: power-up and set-up, messages in and out, and every
// fault recovered without anyone waiting on it: no SIM, no network, +CMS errors, a module that
// restarts by itself, one that hangs (power-cycled), a full store, a message that arrives while
// the unit is not listening.
import { describe, expect, it } from 'vitest';
import { MODEM_NO_NETWORK, MODEM_OFF, MODEM_READY, MODEM_SETUP, Modem, gsmLength, phoneNumber } from '../../hal/modem';
import { VirtualClock } from '../../sim/virtual-clock';
import { VirtualModem } from '../../sim/virtual-modem';

const ADMIN = '+8613800000001';

function rig(model: 'sim800' | 'sim7600' = 'sim800', slots?: number) {
  const clock = new VirtualClock();
  const vm = new VirtualModem(clock, { model, slots });
  const inbox: { from: string; text: string; time: string }[] = [];
  const states: string[] = [];
  const powerLog: boolean[] = [];
  const m = new Modem({
    clock,
    write: (s) => vm.write(Uint8Array.from(s, (c) => c.charCodeAt(0))),
    power: (on) => {
      powerLog.push(on);
      vm.setPower(on);
    },
    onSms: (from, text, time) => inbox.push({ from, text, time }),
    onState: (s, why) => states.push(s + ' ' + why),
    lte: model === 'sim7600',
  });
  vm.onData = (b) => m.feed(String.fromCharCode.apply(null, Array.from(b)));
  const sent: (string | null)[] = [];
  const send = (to: string, text: string) => m.send(to, text, (e) => sent.push(e));
  return { clock, vm, m, inbox, states, powerLog, sent, send };
}

describe('Modem driver', () => {
  it('powers up, sets text mode and indications, registers, and reads the signal', () => {
    const r = rig();
    r.m.start();
    expect(r.m.state).toBe(MODEM_OFF);
    r.clock.advance(30000);
    expect(r.m.state).toBe(MODEM_READY);
    expect(r.m.signal).toBeGreaterThan(0);
    expect(r.m.signal).toBeLessThan(32);
    expect(r.states[r.states.length - 1]).toBe(MODEM_READY + ' registered');
  });

  it('an LTE module is registered by AT+CEREG?', () => {
    const r = rig('sim7600');
    r.m.start();
    r.clock.advance(40000);
    expect(r.m.state).toBe(MODEM_READY);
  });

  it('hands over a message that arrives, then deletes it from the SIM', () => {
    const r = rig();
    r.m.start();
    r.clock.advance(30000);
    r.vm.receiveSms(ADMIN, 'BAL R301');
    r.clock.advance(5000);
    expect(r.inbox.map((s) => [s.from, s.text])).toEqual([[ADMIN, 'BAL R301']]);
    expect(r.inbox[0].time).toMatch(/^\d\d\/\d\d\/\d\d,\d\d:\d\d:\d\d[+-]\d\d$/);
    expect(r.vm.stored).toBe(0);
    expect(r.m.received).toBe(1);
  });

  it('reads what arrived while it was off (no indication came for it)', () => {
    const r = rig();
    r.vm.setPower(true);
    r.clock.advance(15000);
    r.vm.receiveSms(ADMIN, 'one');
    r.vm.receiveSms(ADMIN, 'two');
    r.clock.advance(1000);
    r.m.start();
    r.clock.advance(40000);
    expect(r.inbox.map((s) => s.text)).toEqual(['one', 'two']);
    expect(r.vm.stored).toBe(0);
  });

  it('sends a message through the prompt; says why it cannot send', () => {
    const r = rig();
    expect(r.send(ADMIN, 'x')).toBe('not ready');
    r.m.start();
    r.clock.advance(30000);
    expect(r.send(ADMIN, 'R301 balance 12.50')).toBeNull();
    expect(r.send(ADMIN, 'again')).toBe('busy');
    r.clock.advance(5000);
    expect(r.sent).toEqual([null]);
    expect(r.vm.sent.map((s) => [s.to, s.text])).toEqual([[ADMIN, 'R301 balance 12.50']]);
    expect(r.send('12ab', 'x')).toBe('number');
    expect(r.send(ADMIN, 'x'.repeat(161))).toBe('text');
    expect(r.send(ADMIN, 'caf\u00e9')).toBe('text');
    expect(r.m.sent).toBe(1);
  });

  it('a +CMS ERROR is the send\'s answer; the modem stays ready', () => {
    const r = rig();
    r.m.start();
    r.clock.advance(30000);
    r.vm.faults.cmsError = 500;
    r.send(ADMIN, 'hello');
    r.clock.advance(5000);
    expect(r.sent).toEqual(['CMS 500']);
    expect(r.m.state).toBe(MODEM_READY);
    r.send(ADMIN, 'hello');
    r.clock.advance(5000);
    expect(r.sent).toEqual(['CMS 500', null]);
  });

  it('no SIM: says so and looks again until one is there', () => {
    const r = rig();
    r.vm.faults.noSim = true;
    r.m.start();
    r.clock.advance(60000);
    expect(r.m.state).toBe(MODEM_SETUP);
    expect(r.states).toContain(MODEM_SETUP + ' no SIM');
    r.vm.faults.noSim = false;
    r.clock.advance(60000);
    expect(r.m.state).toBe(MODEM_READY);
  });

  it('no network: waits, and takes messages in once registered', () => {
    const r = rig();
    r.vm.faults.noNetwork = true;
    r.m.start();
    r.clock.advance(60000);
    expect(r.m.state).toBe(MODEM_NO_NETWORK);
    expect(r.send(ADMIN, 'x')).toBe('not ready');
    r.vm.receiveSms(ADMIN, 'held by the network');
    r.vm.faults.noNetwork = false;
    r.clock.advance(30000);
    expect(r.m.state).toBe(MODEM_READY);
    r.clock.advance(70000);
    expect(r.inbox.map((s) => s.text)).toEqual(['held by the network']);
  });

  it('the network lost while ready: not ready until it is back', () => {
    const r = rig();
    r.m.start();
    r.clock.advance(30000);
    r.vm.faults.noNetwork = true;
    r.clock.advance(70000);
    expect(r.m.state).toBe(MODEM_NO_NETWORK);
    r.vm.faults.noNetwork = false;
    r.clock.advance(20000);
    expect(r.m.state).toBe(MODEM_READY);
  });

  it('a module that hangs is power-cycled after a bounded time and set up again', () => {
    const r = rig();
    r.m.start();
    r.clock.advance(30000);
    r.vm.faults.hang = true;
    r.send(ADMIN, 'lost'); // no answer: 60 s
    r.clock.advance(60000 + 3 * 60000 + 10000);
    expect(r.m.cycles).toBe(1);
    expect(r.powerLog).toEqual([true, false, true]);
    expect(r.sent[0]).not.toBeNull();
    r.vm.faults.hang = false; // a power cycle cures the virtual module's hang too
    r.clock.advance(40000);
    expect(r.m.state).toBe(MODEM_READY);
    r.vm.receiveSms(ADMIN, 'after the cycle');
    r.clock.advance(5000);
    expect(r.inbox.map((s) => s.text)).toEqual(['after the cycle']);
  });

  it('a module that restarts by itself is set up again (text mode, indications)', () => {
    const r = rig();
    r.m.start();
    r.clock.advance(30000);
    r.vm.reboot();
    r.clock.advance(30000);
    expect(r.m.state).toBe(MODEM_READY);
    r.vm.receiveSms(ADMIN, 'after the restart');
    r.clock.advance(5000);
    expect(r.inbox.map((s) => s.text)).toEqual(['after the restart']);
    expect(r.m.cycles).toBe(0);
  });

  it('a full store is emptied by the check, and what the network held comes in', () => {
    const r = rig('sim800', 3);
    r.vm.setPower(true);
    r.clock.advance(15000);
    for (let i = 0; i < 5; i++) r.vm.receiveSms(ADMIN, 'm' + i);
    expect(r.vm.stored).toBe(3);
    r.m.start();
    r.clock.advance(200000);
    expect(r.inbox.map((s) => s.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(r.vm.stored).toBe(0);
  });

  it('never blocks: a day of checks with a modem that hangs now and then keeps every timer short', () => {
    const r = rig();
    r.m.start();
    for (let h = 0; h < 24; h++) {
      r.vm.faults.hang = h % 6 === 3;
      r.clock.advance(3600000);
    }
    r.vm.faults.hang = false;
    r.clock.advance(120000);
    expect(r.m.state).toBe(MODEM_READY);
    expect(r.m.cycles).toBeGreaterThanOrEqual(4);
    expect(r.clock.pending()).toBeLessThanOrEqual(4);
  });
});

describe('phone numbers and the GSM alphabet', () => {
  it('checks numbers', () => {
    expect(phoneNumber('+8613800000001')).toBe(true);
    expect(phoneNumber('10086')).toBe(true);
    expect(phoneNumber('+86 138')).toBe(false);
    expect(phoneNumber('+12')).toBe(false);
    expect(phoneNumber('')).toBe(false);
  });
  it('counts GSM 7-bit characters, extension ones twice, and refuses the rest', () => {
    expect(gsmLength('R301 12.50')).toBe(10);
    expect(gsmLength('[x]')).toBe(5);
    expect(gsmLength('a\nb')).toBe(3);
    expect(gsmLength('`')).toBe(-1);
    expect(gsmLength('\u20ac5')).toBe(-1);
    expect(gsmLength('\u4f59\u989d')).toBe(-1);
  });
});
