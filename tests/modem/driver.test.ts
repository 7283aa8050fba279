// The modem sessions (hal/modem.ts) against the simulator's virtual SIM800 / SIM7600
// (sim/virtual-modem.ts) on a virtual clock: set-up, messages in (read slot by slot and deleted
// once handed over) and out, and every fault ending the session with a report within a bounded
// time: no SIM, no network, +CMS errors, a module that restarted (text mode lost), one that
// hangs (then a session that switches it off and on), a full store.
import { describe, expect, it } from 'vitest';
import { MODEM_NO_NETWORK, MODEM_OFF, MODEM_READY, MODEM_SETUP, ModemReport, ModemSession, gsmLength, phoneNumber } from '../../hal/modem';
import { VirtualClock } from '../../sim/virtual-clock';
import { VirtualModem } from '../../sim/virtual-modem';

const ADMIN = '+8613800000001';

function rig(model: 'sim800' | 'sim7600' = 'sim800', slots?: number) {
  const clock = new VirtualClock();
  const vm = new VirtualModem(clock, { model, slots, on: true });
  clock.advance(5000); // started
  const inbox: { from: string; text: string; time: string }[] = [];
  const power: boolean[] = [];
  const results: (string | null)[] = [];
  let cur: ModemSession | null = null;
  vm.onData = (b) => cur && cur.feed(String.fromCharCode.apply(null, Array.from(b)));
  /** Runs one session to its end; out: what to send in it. */
  const session = (o: { out?: { to: string; text: string }[]; cycle?: boolean; maxMs?: number; keep?: (text: string, slot: number) => boolean; drop?: number[] } = {}) => {
    const out = (o.out || []).slice();
    let report: ModemReport | null = null;
    const t0 = clock.now();
    cur = new ModemSession({
      clock,
      write: (s) => vm.write(Uint8Array.from(s, (c) => c.charCodeAt(0))),
      power: (on) => {
        power.push(on);
        vm.setPower(on);
      },
      cycle: o.cycle,
      lte: model === 'sim7600',
      onSms: (from, text, time, slot) => {
        inbox.push({ from, text, time });
        return o.keep ? o.keep(text, slot) : false;
      },
      drop: o.drop,
      nextOut: () => out.shift() || null,
      onSent: (e) => results.push(e),
      done: (r) => (report = r),
    });
    for (let t = 0; !report && t < (o.maxMs || 600000); t += 100) clock.advance(100);
    cur = null;
    return { report: report as ModemReport | null, ms: clock.now() - t0 };
  };
  return { clock, vm, inbox, power, results, session };
}

describe('modem sessions', () => {
  it('set up, registered, signal read, nothing to do: a short session', () => {
    const r = rig();
    const s = r.session();
    expect(s.report).toEqual({ state: MODEM_READY, why: '', signal: 20, read: 0, sent: 0 });
    expect(s.ms).toBeLessThan(1000);
  });

  it('an LTE module is registered by AT+CEREG?', () => {
    const r = rig('sim7600');
    expect(r.session().report!.state).toBe(MODEM_READY);
  });

  it('reads the messages in the store, hands each over and deletes it', () => {
    const r = rig();
    r.vm.receiveSms(ADMIN, 'BAL R301');
    r.vm.receiveSms('+8613900000002', 'bal r302');
    r.clock.advance(3000);
    expect(r.vm.stored).toBe(2);
    const s = r.session();
    expect(r.inbox.map((m) => [m.from, m.text])).toEqual([
      [ADMIN, 'BAL R301'],
      ['+8613900000002', 'bal r302'],
    ]);
    expect(r.inbox[0].time).toMatch(/^\d\d\/\d\d\/\d\d,\d\d:\d\d:\d\d[+-]\d\d$/);
    expect(s.report!.read).toBe(2);
    expect(r.vm.stored).toBe(0);
  });

  it('keeps a message the unit asks to keep until a later session drops its slot', () => {
    const r = rig();
    r.vm.receiveSms(ADMIN, 'OFF R301 1 123456');
    r.vm.receiveSms(ADMIN, 'BAL R301');
    r.clock.advance(3000);
    const kept: number[] = [];
    r.session({ keep: (text, slot) => text.indexOf('OFF') === 0 && kept.push(slot) > 0 });
    expect(r.inbox.map((m) => m.text)).toEqual(['OFF R301 1 123456', 'BAL R301']);
    expect(kept).toEqual([1]);
    expect(r.vm.stored).toBe(1);
    // (a power cut now: the next session reads it again)
    r.session();
    expect(r.inbox.map((m) => m.text)).toEqual(['OFF R301 1 123456', 'BAL R301', 'OFF R301 1 123456']);
    expect(r.vm.stored).toBe(0);
    // dropped first: a new message in the same slot is read after the delete, not lost
    r.vm.receiveSms(ADMIN, 'ON R301 2 123456');
    r.clock.advance(3000);
    const drop = [1];
    r.session({ keep: () => true });
    expect(r.vm.stored).toBe(1);
    r.vm.receiveSms(ADMIN, 'BAL R302');
    r.clock.advance(3000);
    r.session({ drop });
    expect(drop).toEqual([]);
    expect(r.inbox.map((m) => m.text).slice(3)).toEqual(['ON R301 2 123456', 'BAL R302']);
    expect(r.vm.stored).toBe(0);
  });

  it('hands over a message of several lines whole', () => {
    const r = rig();
    r.vm.receiveSms(ADMIN, 'BAL R301\nthanks');
    r.clock.advance(3000);
    r.session();
    expect(r.inbox.map((m) => m.text)).toEqual(['BAL R301\nthanks']);
  });

  it('sends what the unit gives it; refuses what cannot be sent with the reason', () => {
    const r = rig();
    const s = r.session({ out: [{ to: ADMIN, text: 'R301 balance 12.50' }, { to: '12ab', text: 'x' }, { to: ADMIN, text: 'caf\u00e9' }, { to: ADMIN, text: 'x'.repeat(161) }, { to: ADMIN, text: 'second' }] });
    expect(r.results).toEqual([null, 'number', 'text', 'text', null]);
    expect(r.vm.sent.map((m) => [m.to, m.text])).toEqual([
      [ADMIN, 'R301 balance 12.50'],
      [ADMIN, 'second'],
    ]);
    expect(s.report!.sent).toBe(2);
  });

  it('sends at most three in a session; the rest waits for the next', () => {
    const r = rig();
    const out = [1, 2, 3, 4, 5].map((i) => ({ to: ADMIN, text: 'm' + i }));
    r.session({ out });
    expect(r.vm.sent.length).toBe(3);
  });

  it('a +CMS ERROR is the message\'s answer; the session goes on', () => {
    const r = rig();
    r.vm.faults.cmsError = 500;
    r.session({ out: [{ to: ADMIN, text: 'a' }, { to: ADMIN, text: 'b' }] });
    expect(r.results).toEqual(['CMS 500', null]);
    expect(r.vm.sent.map((m) => m.text)).toEqual(['b']);
  });

  it('no SIM: said, nothing read or sent', () => {
    const r = rig();
    r.vm.faults.noSim = true;
    r.vm.reboot();
    r.clock.advance(5000);
    const s = r.session({ out: [{ to: ADMIN, text: 'a' }] });
    expect(s.report).toMatchObject({ state: MODEM_SETUP, why: 'no SIM' });
    expect(r.results).toEqual([]);
  });

  it('no network: the store is still read, nothing is sent', () => {
    const r = rig();
    r.vm.receiveSms(ADMIN, 'before the outage');
    r.clock.advance(3000);
    r.vm.faults.noNetwork = true;
    const s = r.session({ out: [{ to: ADMIN, text: 'a' }] });
    expect(s.report).toMatchObject({ state: MODEM_NO_NETWORK, why: 'not registered', signal: 99, read: 1 });
    expect(r.results).toEqual([]);
    expect(r.inbox.map((m) => m.text)).toEqual(['before the outage']);
  });

  it('a module that restarted by itself (text mode lost) is set up again by the next session', () => {
    const r = rig();
    r.session();
    r.vm.reboot();
    r.clock.advance(5000);
    r.vm.receiveSms(ADMIN, 'after the restart');
    r.clock.advance(3000);
    const s = r.session();
    expect(s.report!.state).toBe(MODEM_READY);
    expect(r.inbox.map((m) => m.text)).toEqual(['after the restart']);
  });

  it('a module that hangs ends the session within seconds; a session that switches it off and on cures it', () => {
    const r = rig();
    r.vm.faults.hang = true;
    const s = r.session({ out: [{ to: ADMIN, text: 'a' }] });
    expect(s.report).toMatchObject({ state: MODEM_OFF, why: 'no answer' });
    expect(s.ms).toBeLessThanOrEqual(6100);
    expect(r.power).toEqual([true]);
    r.vm.receiveSms(ADMIN, 'while it hung');
    const c = r.session({ cycle: true, out: [{ to: ADMIN, text: 'a' }] });
    expect(r.power).toEqual([true, false, true]);
    expect(c.report!.state).toBe(MODEM_READY);
    expect(c.ms).toBeLessThan(20000);
    expect(r.vm.sent.map((m) => m.text)).toEqual(['a']);
    r.clock.advance(3000);
    r.session();
    expect(r.inbox.map((m) => m.text)).toEqual(['while it hung']);
  });

  it('a module that falls silent while sending: the message is answered "timeout", the session ends', () => {
    const r = rig();
    const out = [{ to: ADMIN, text: 'a' }];
    let hangAt = -1;
    r.vm.onData = ((f) => (b: Uint8Array) => {
      // hang as soon as the prompt has gone out
      if (String.fromCharCode(...b).indexOf('>') >= 0 && hangAt < 0) {
        hangAt = r.clock.now();
        f(b);
        r.vm.faults.hang = true;
        return;
      }
      f(b);
    })(r.vm.onData);
    const s = r.session({ out });
    expect(r.results).toEqual(['timeout']);
    expect(s.report).toMatchObject({ state: MODEM_OFF, why: 'no answer', sent: 0 });
    expect(s.ms).toBeLessThan(62000);
  });

  it('a module that restarts in the middle of a session: the session ends within seconds, the next reads it all', () => {
    const r = rig();
    for (let i = 0; i < 3; i++) r.vm.receiveSms(ADMIN, 'm' + i);
    r.clock.advance(3000);
    let restarted = false;
    r.vm.onData = ((f) => (b: Uint8Array) => {
      f(b);
      // restart as soon as the first message has been handed over
      if (!restarted && r.inbox.length === 1) {
        restarted = true;
        r.vm.reboot();
      }
    })(r.vm.onData);
    const s = r.session({ out: [{ to: ADMIN, text: 'a' }] });
    expect(restarted).toBe(true);
    expect(s.report!.state).toBe(MODEM_OFF);
    expect(s.ms).toBeLessThan(10000);
    r.clock.advance(5000);
    const t = r.session({ out: [{ to: ADMIN, text: 'a' }] });
    expect(t.report!.state).toBe(MODEM_READY);
    // nothing lost: the module took the first one's delete before it restarted (had it restarted
    // between the hand-over and the delete, the message would come again: a top-up's token or a
    // code's counter makes a second run change nothing)
    expect(r.inbox.map((m) => m.text)).toEqual(['m0', 'm1', 'm2']);
    expect(r.vm.sent.map((m) => m.text)).toEqual(['a']);
  });

  it('a full store is read five messages a session, and what the network held comes in after', () => {
    const r = rig('sim800', 3);
    for (let i = 0; i < 8; i++) r.vm.receiveSms(ADMIN, 'm' + i);
    r.clock.advance(3000);
    expect(r.vm.stored).toBe(3);
    r.session();
    expect(r.inbox.length).toBe(3);
    for (let k = 0; k < 4 && r.inbox.length < 8; k++) {
      r.clock.advance(3000);
      r.session();
    }
    expect(r.inbox.map((m) => m.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    expect(r.vm.stored).toBe(0);
  });

  it('leaves no timer behind', () => {
    const r = rig();
    r.vm.receiveSms(ADMIN, 'x');
    r.clock.advance(3000);
    r.session({ out: [{ to: ADMIN, text: 'a' }] });
    r.vm.setPower(false);
    expect(r.clock.pending()).toBe(0);
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
