// A week of the dormitory floor with text messages (sim/scenarios/dormitory-floor-sms.json),
// checked from the run's records: each receipt against the ledger and the accounts as they were
// when the unit ran its message, each text the unit sent on its own against its event log,
// forged and replayed commands refused without a trace, no message lost to the modem's faults,
// nothing left held at the end. Then the scenario's modem and messages as the parser takes them.
import * as fs from 'fs';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario';
import { Simulation } from '../../sim/runner';
import { RunRecord, SmsIn } from '../../sim/record';
import { milli } from '../../sim/money';
import { ALARM_GAP_S, alarmFromLog, alarmNumbers } from '../../firmware/sms/alarms';
import { SmsPhone } from '../../firmware/sms/commands';
import { exportAccount } from '../../firmware/config-export';
import { smsCommand } from '../../tools/sms-code';
import { vendToken } from '../../tools/vend';

const FILE = path.join(__dirname, '../../sim/scenarios/dormitory-floor-sms.json');
const RAW = JSON.parse(fs.readFileSync(FILE, 'utf8'));
const PHONES: SmsPhone[] = RAW.config.sms.phones.map((p: { number: string; admin?: boolean; accounts?: string[] }) => ({ number: p.number, admin: !!p.admin, accounts: p.accounts || [] }));
const listed = (n: string): boolean => PHONES.some((p) => p.number === n);

/** A receipt (OK or ERR and the message's first word), not a text the unit sent on its own. */
const isReceipt = (text: string): boolean => /^(OK|ERR) \S+: /.test(text);

interface Answered {
  m: SmsIn;
  receipt: string;
  time: number;
}

let sim: Simulation;
let r: RunRecord;
let answered: Answered[];

beforeAll(() => {
  const p = parseScenario(RAW);
  if (!p.ok) throw new Error(p.errors.join('\n'));
  sim = new Simulation(p.value, () => undefined);
  sim.run();
  r = sim.record();
  answered = [];
  for (const ph of PHONES) {
    const got = receiptsTo(ph.number);
    // (in the order the receipts go: an inquiry's in its session, a change's once it has run,
    // in the next session, which first deletes the message)
    const sent = r.sms!.in.filter((m) => m.from === ph.number).sort((a, b) => a.doneAt - b.doneAt || a.readAt - b.readAt);
    // (checked in the first test: one receipt per message)
    sent.forEach((m, i) => {
      if (got[i]) answered.push({ m, receipt: got[i].text, time: got[i].time });
    });
  }
}, 60000);

/** The receipts sent to number n in order, a receipt sent in parts "(1/2)", "(2/2)" as one. */
function receiptsTo(n: string): { text: string; time: number }[] {
  const out: { text: string; time: number }[] = [];
  let part = 0;
  for (const o of r.sms!.out) {
    if (o.to !== n) continue;
    const k = / \((\d)\/(\d)\)$/.exec(o.text);
    const text = k ? o.text.slice(0, k.index) : o.text;
    if (part > 0 && k && +k[1] === part + 1) {
      out[out.length - 1].text += ' ' + text;
      part = +k[1] < +k[2] ? +k[1] : 0;
    } else if (isReceipt(o.text)) {
      out.push({ text, time: o.time });
      part = k && +k[2] > 1 ? 1 : 0;
    }
  }
  return out;
}

/** The account a message or receipt names (its second word), if it is one of the unit's. */
function accountOf(text: string): number {
  return r.accounts.indexOf((text.trim().split(/\s+/)[1] || '').toUpperCase());
}

describe('a week of the dormitory floor with SMS', () => {
  it('reads every message, answers each from a listed number once, in the session that read it, and nothing else', () => {
    const s = r.sms!;
    expect(s.in.length).toBe(RAW.messages.length);
    for (const m of s.in) expect(m.readAt, m.text).toBeGreaterThanOrEqual(m.time);
    for (const ph of PHONES) expect(receiptsTo(ph.number).length, ph.number).toBe(s.in.filter((m) => m.from === ph.number).length);
    expect(answered.length).toBe(s.in.filter((m) => listed(m.from)).length);
    for (const a of answered) {
      expect(a.receipt.split(':')[0].split(' ')[1], a.m.text).toBe(a.m.text.trim().split(/\s+/)[0].toUpperCase());
      expect(a.time - a.m.readAt, a.m.text).toBeLessThan(60);
      expect(a.time).toBeGreaterThanOrEqual(a.m.readAt);
    }
    // a number not on the list gets nothing, and its message is gone from the SIM all the same
    const strangers = s.in.filter((m) => !listed(m.from));
    expect(strangers.length).toBeGreaterThan(0);
    for (const m of strangers) expect(s.out.filter((o) => o.to === m.from)).toEqual([]);
    expect([s.waiting, s.stored]).toEqual([0, 0]);
    expect(sim.modem!.waiting + sim.modem!.stored).toBe(0);
    expect(r.summary.ledgerConsistent).toBe(true);
  });

  it('a top-up receipt names the amount and balance of the ledger entry the message made', () => {
    const buys = answered.filter((a) => a.m.made === 'buy');
    expect(buys.length).toBe(RAW.messages.filter((m: { buy?: unknown }) => m.buy).length);
    for (const a of buys) {
      const m = a.m;
      const t = /^OK BUY: TOKEN (\S+) add (\d+\.\d{3}) .* (\S+) topup (\d+\.\d{3}) balance (-?\d+\.\d{3}) by token/.exec(a.receipt);
      expect(t, a.receipt).not.toBeNull();
      const [, acct, added, acct2, amount, balance] = t!;
      expect([acct, acct2, added]).toEqual([m.account, m.account, milli(m.amount!)]);
      const rows = r.ledger.filter((l) => l.kind === 'topup' && l.account === m.account && l.time >= m.readAt && l.time <= m.doneAt);
      expect(rows.length).toBe(1);
      expect([milli(rows[0].amountMilli), milli(rows[0].balanceMilli)]).toEqual([amount, balance]);
      const i = r.accounts.indexOf(acct);
      expect(m.after!.balance[i] - m.before!.balance[i]).toBe(m.amount);
      expect(m.after!.balance[i]).toBe(rows[0].balanceMilli);
    }
  });

  it('an inquiry is answered with the balance, supply and mode the account had when the unit ran it, and changes nothing', () => {
    const bal = answered.filter((a) => a.receipt.indexOf('OK BAL: ') === 0);
    expect(bal.length).toBeGreaterThanOrEqual(10);
    for (const a of bal) {
      const t = /^OK BAL: (\S+) balance (-?\d+\.\d{3}), supply (on|off) \((auto|on|off)\)$/.exec(a.receipt);
      expect(t, a.receipt).not.toBeNull();
      const i = r.accounts.indexOf(t![1]);
      const b = a.m.before!;
      expect([t![2], t![3], t![4]], a.m.text).toEqual([milli(b.balance[i]), b.supplied[i] ? 'on' : 'off', b.mode[i]]);
      expect(a.m.after).toEqual(b);
    }
    // a tenant asks only about their own account; one with two accounts names it
    const own = (a: Answered) => PHONES.find((p) => p.number === a.m.from)!;
    for (const a of bal) if (!own(a).admin) expect(own(a).accounts).toContain(a.receipt.split(' ')[2]);
    expect(answered.some((a) => a.receipt === 'ERR BAL: which account? BAL <acct>')).toBe(true);
  });

  it('commands with a code switch supply and change alarm levels as asked, each once', () => {
    const cmds = answered.filter((a) => a.m.made === 'command');
    expect(cmds.length).toBe(RAW.messages.filter((m: { command?: unknown }) => m.command).length);
    for (const a of cmds) {
      expect(a.receipt, a.m.text).toMatch(/^OK /);
      const verb = a.m.text.split(' ')[0];
      const i = accountOf(a.m.text);
      if (verb === 'ON' || verb === 'OFF' || verb === 'AUTO') expect(a.m.after!.mode[i]).toBe(verb.toLowerCase());
      expect(a.m.after!.balance).toEqual(a.m.before!.balance);
    }
    expect(cmds.map((a) => a.m.text.split(' ')[0])).toEqual(expect.arrayContaining(['OFF', 'AUTO', 'ALARM']));
    // ALARM R322 15,8,3: the levels in the configuration the unit runs
    expect(exportAccount(sim.unit.cfg, r.accounts.indexOf('R322')).alarmLevels).toEqual([15000, 8000, 3000]);
  });

  it('forged and replayed messages are refused and change nothing: no mode, no balance, no ledger entry', () => {
    const refused = answered.filter((a) => a.receipt.indexOf('ERR ') === 0);
    for (const a of refused) {
      expect(a.m.after, a.m.text).toEqual(a.m.before);
      const i = accountOf(a.m.text);
      if (i >= 0) expect(r.ledger.filter((l) => l.time >= a.m.readAt && l.time <= a.m.doneAt && l.account === r.accounts[i] && l.kind !== 'charges')).toEqual([]);
    }
    for (const m of r.sms!.in.filter((x) => !listed(x.from))) expect(m.after).toEqual(m.before);
    const why = (a: Answered) => a.receipt.slice(a.receipt.indexOf(': ') + 2);
    // a replay: a command's counter used already, or a token used already
    const replays = answered.filter((a) => a.m.made === 'replay');
    expect(replays.map((a) => a.m.text.split(' ')[0]).sort()).toEqual(['BUY', 'OFF']);
    for (const a of replays) expect(why(a), a.m.text).toBe(a.m.text.indexOf('BUY') === 0 ? 'token already used' : 'replay');
    // a command whose code was not made with the key (forged, or altered), and one from a tenant
    const forged = answered.filter((a) => a.m.made === 'text' && /^(ON|OFF|AUTO|PRICE|ALARM) /i.test(a.m.text));
    expect(forged.map((a) => why(a)).sort()).toEqual(['authority', 'code']);
  });

  it('every text the unit sent on its own comes from its event log: that account, its users and administrators, in order; none lost, none twice but where an entry\'s texts were split between sessions', () => {
    const names = r.accounts;
    const entries = sim.log
      .filter((l) => l.account >= 0)
      .map((l) => ({ time: l.time, account: names[l.account], kind: l.kind, text: alarmFromLog(l.kind, names[l.account], l.text), sent: [] as { to: string; time: number }[] }))
      .filter((e) => e.text !== null);
    const repeats: { entry: (typeof entries)[number]; to: string; time: number }[] = [];
    // (a receipt's second part starts anywhere; the unit's own texts start with the account's name)
    const own = r.sms!.out.filter((o) => names.indexOf(o.text.split(':')[0]) >= 0);
    expect(own.length).toBeGreaterThan(20);
    const numbers = Array.from(new Set(own.map((o) => o.to)));
    for (const n of numbers) {
      const at: { [account: string]: number } = {};
      for (const o of own.filter((x) => x.to === n)) {
        const acct = o.text.split(':')[0];
        expect(alarmNumbers(PHONES, acct), o.text).toContain(n);
        let k = at[acct] === undefined ? 0 : at[acct] + 1;
        while (k < entries.length && !(entries[k].account === acct && entries[k].text === o.text && entries[k].time <= o.time)) k++;
        if (k < entries.length) {
          entries[k].sent.push({ to: n, time: o.time });
          at[acct] = k;
        } else {
          // the same entry's text again
          expect(at[acct], n + ' ' + o.text).toBeDefined();
          expect(entries[at[acct]].text).toBe(o.text);
          repeats.push({ entry: entries[at[acct]], to: n, time: o.time });
        }
      }
    }
    // a text twice only when its entry's texts went in more than one session (docs/sms.md): a
    // session sends its texts seconds apart, sessions are a minute apart
    for (const x of repeats) {
      const times = x.entry.sent.map((s) => s.time);
      expect(Math.max(...times) - Math.min(...times), x.entry.text + ' to ' + x.to).toBeGreaterThanOrEqual(30);
    }
    // every cut and restoration texted to everyone concerned; a low-credit warning unless one for
    // the account went less than six hours before it (those texted at least that far apart)
    const checked = entries.filter((e) => e.time > r.start + 60 && e.time < r.end - 1800);
    const texted = (e: (typeof entries)[number]) => e.kind === 'alarm' && e.sent.length > 0;
    for (const e of checked) {
      const to = alarmNumbers(PHONES, e.account);
      const quiet = e.kind === 'alarm' && entries.some((x) => x.account === e.account && texted(x) && x.time < e.time && e.time - x.time < ALARM_GAP_S);
      const got = Array.from(new Set(e.sent.map((s) => s.to))).sort();
      expect(got, e.account + ' ' + e.text).toEqual(quiet ? [] : to.slice().sort());
    }
    const kinds = (re: RegExp) => own.filter((o) => re.test(o.text)).length;
    expect([kinds(/low credit/) > 0, kinds(/power cut, no credit/) > 0, kinds(/power cut, overload/) > 0, kinds(/power restored/) > 0]).toEqual([true, true, true, true]);
  });

  it('messages sent while the module had no network, hung or restarted were answered once it was back', () => {
    const windows = sim.sc.modem!.faults;
    expect(windows.map((w) => w.fault).sort()).toEqual(['hang', 'noNetwork']);
    for (const w of windows) {
      const during = answered.filter((a) => a.m.time >= w.from && a.m.time < w.to);
      expect(during.length, w.fault).toBeGreaterThan(0);
      for (const a of during) expect(a.m.readAt, w.fault + ' ' + a.m.text).toBeGreaterThanOrEqual(w.to);
    }
    expect(sim.sc.modem!.reboots.length).toBe(1);
    const reboot = sim.sc.modem!.reboots[0];
    const after = answered.filter((a) => a.m.time >= reboot && a.m.time < reboot + 60);
    expect(after.length).toBeGreaterThan(0);
    expect(r.sms!.modem.map((e) => e.what)).toEqual(expect.arrayContaining(['noNetwork from now', 'noNetwork ends', 'hang from now', 'switched off by the unit', 'restarts by itself']));
  });
});

describe('the modem\'s faults in a scenario', () => {
  it('no SIM and a slow module hold messages back until the window ends; refused texts go once the network takes them again', () => {
    const T = '+8613900000001';
    const p = parseScenario({
      name: 'faults',
      start: '2026-03-01 00:00',
      durationHours: 6,
      config: {
        sms: { phones: [{ number: T, accounts: ['R1'] }] },
        plans: { f: { price: 1000 } },
        accounts: [{ name: 'R1', plan: 'f', alarmLevels: [20000] }],
        meters: [{ name: 'M1', account: 'R1' }],
      },
      // 1.000 an hour from 24.500: the low-credit warning at 04:30, in the cmsError window
      loads: { M1: { profile: 'constant', powerW: 1000 } },
      topups: [{ at: '2026-03-01 00:00', account: 'R1', amount: 24500 }],
      modem: {
        model: 'sim7600',
        slots: 3,
        faults: [
          { fault: 'noSim', from: '2026-03-01 01:00', to: '2026-03-01 02:00' },
          { fault: 'slow', from: '2026-03-01 03:00', to: '2026-03-01 03:30', ms: 2500 },
          { fault: 'cmsError', from: '2026-03-01 04:00', to: '2026-03-01 05:00' },
        ],
      },
      messages: [
        { at: '2026-03-01 01:10', from: T, text: 'BAL' },
        { at: '2026-03-01 03:10', from: T, text: 'BAL' },
      ],
    });
    if (!p.ok) throw new Error(p.errors.join('\n'));
    const sim = new Simulation(p.value, () => undefined);
    sim.run();
    const s = sim.record().sms!;
    const at = (hhmm: string) => p.value.start + (+hhmm.slice(0, 2) * 60 + +hhmm.slice(3)) * 60;
    expect(s.in.map((m) => m.readAt >= at(m.time < at('02:00') ? '02:00' : '03:30'))).toEqual([true, true]);
    expect(s.out.map((o) => o.text.replace(/ balance .*/, ''))).toEqual(['OK BAL: R1', 'OK BAL: R1', 'R1: low credit,']);
    expect(s.out[2].time).toBeGreaterThanOrEqual(at('05:00'));
    expect(sim.log.some((l) => l.kind === 'alarm' && l.time >= at('04:00') && l.time < at('05:00'))).toBe(true);
    // the slow module answered too late for the unit, which switched it off and on
    const whats = s.modem.filter((e) => e.time >= at('03:00') && e.time <= at('03:30')).map((e) => e.what);
    expect(whats).toEqual(expect.arrayContaining(['slow from now', 'switched off by the unit', 'switched on by the unit', 'slow ends']));
    expect(s.modem.map((e) => e.what)).toEqual(expect.arrayContaining(['noSim from now', 'noSim ends', 'cmsError from now', 'cmsError ends']));
    expect([s.waiting, s.stored]).toEqual([0, 0]);
  });
});

describe('the modem and messages of a scenario', () => {
  const KEY = '00112233445566778899aabbccddeeff';
  const TOKEN = { key: 'ffeeddccbbaa99887766554433221100', start: 123456789 };
  const base = (extra: object) => ({
    name: 't',
    start: '2026-03-01 00:00',
    durationHours: 24,
    config: {
      sms: { key: KEY, phones: [{ number: '+8613800000001', admin: true }] },
      plans: { f: { price: 500 } },
      accounts: [{ name: 'R1', plan: 'f', token: TOKEN }, { name: 'R2', plan: 'f' }],
      meters: [{ name: 'M1', account: 'R1' }],
    },
    loads: { M1: { profile: 'constant', powerW: 100 } },
    ...extra,
  });
  const A = '+8613800000001';

  it('makes the texts in time order: the next counter and code, the next token of the account, an earlier text again', () => {
    const p = parseScenario(base({
      messages: [
        { at: '2026-03-01 05:00', from: A, command: 'auto r2' },
        { at: '2026-03-01 02:00', from: A, command: 'off R2' },
        { at: '2026-03-01 03:00', from: A, buy: { account: 'R1', amount: 5000 } },
        { at: '2026-03-01 04:00', from: A, buy: { account: 'R1', amount: 7000 } },
        { at: '2026-03-01 06:00', from: '+8613700000000', replayOf: 1 },
        { at: '2026-03-01 01:00', from: A, text: 'BAL R1' },
      ],
    }));
    if (!p.ok) throw new Error(p.errors.join('\n'));
    const first = vendToken({ key: TOKEN.key, startingCode: TOKEN.start, count: 1, type: 'add', value: 5 });
    const second = vendToken({ key: TOKEN.key, startingCode: TOKEN.start, count: first.ok ? first.count : 0, type: 'add', value: 7 });
    const code = (n: number, w: string[]) => (smsCommand(KEY, n, w) as { text: string }).text;
    expect(p.value.messages.map((m) => [m.made, m.text])).toEqual([
      ['text', 'BAL R1'],
      ['command', code(1, ['OFF', 'R2'])],
      ['buy', 'BUY R1 ' + (first.ok && first.token)],
      ['buy', 'BUY R1 ' + (second.ok && second.token)],
      ['command', code(2, ['AUTO', 'R2'])],
      ['replay', code(1, ['OFF', 'R2'])],
    ]);
    expect(p.value.modem).toEqual({ model: 'sim800', slots: 10, faults: [], reboots: [] });
  });

  it('a scenario without a modem or sms configuration has none', () => {
    const b = base({}) as { config: { sms?: unknown } };
    delete b.config.sms;
    const p = parseScenario(b);
    expect(p.ok && p.value.modem).toBe(null);
  });

  it('names every mistake', () => {
    const errors = (extra: object, noSms = false) => {
      const b = base(extra) as { config: { sms?: unknown } };
      if (noSms) delete b.config.sms;
      const p = parseScenario(b);
      return p.ok ? [] : p.errors;
    };
    expect(errors({ messages: [{ at: '2026-03-01 01:00', from: A, text: 'BAL' }] }, true)).toEqual(['scenario.messages: the unit has no modem: add a modem section (or an sms section to the configuration)']);
    expect(errors({ messages: [{ at: '2026-03-01 01:00', from: A }] })).toEqual(['scenario.messages[0]: give one of text, buy, command or replayOf']);
    expect(errors({ messages: [{ at: '2026-03-01 01:00', from: A, text: 'BAL', command: 'off R1' }] })).toEqual(['scenario.messages[0]: give one of text, buy, command or replayOf, not text and command']);
    expect(errors({ messages: [{ at: '2026-03-03 01:00', from: 'admin', text: 'BAL' }] })).toEqual([
      'scenario.messages[0].at: outside the run (2026-03-01 00:00 + 24 h)',
      'scenario.messages[0].from: a phone number is 3 to 20 digits, with a + in front when international, got "admin"',
    ]);
    expect(errors({ messages: [{ at: '2026-03-01 01:00', from: A, buy: { account: 'R2', amount: 5000 } }] })).toEqual(['scenario.messages[0].buy.account: R2 has no token key (config accounts[1].token)']);
    expect(errors({ messages: [{ at: '2026-03-01 01:00', from: A, buy: { account: 'R9', amount: 5000 } }] })).toEqual(['scenario.messages[0].buy.account: unknown account "R9"']);
    expect(errors({ messages: [{ at: '2026-03-01 01:00', from: A, buy: { account: 'R1', amount: 5500 } }, { at: '2026-03-01 01:00', from: A, buy: { account: 'R1', amount: 996000 } }] })).toEqual([
      "scenario.messages[0].buy.amount: a token carries whole units of 1000 (its account's token.unit), at most 995 of them",
      "scenario.messages[1].buy.amount: a token carries whole units of 1000 (its account's token.unit), at most 995 of them",
    ]);
    expect(errors({ messages: [{ at: '2026-03-01 01:00', from: A, command: 'bal R1' }] })).toEqual(['scenario.messages[0].command: only ON, OFF, AUTO, PRICE, ALARM carry a code (send any other message as text)']);
    const noKey = base({ messages: [{ at: '2026-03-01 01:00', from: A, command: 'off R1' }] });
    (noKey.config.sms as { key?: string }).key = undefined;
    delete (noKey.config.sms as { key?: string }).key;
    const p = parseScenario(noKey);
    expect(p.ok ? [] : p.errors).toEqual(["scenario.messages[0].command: the configuration's sms section has no key to make its code with"]);
    expect(errors({ messages: [{ at: '2026-03-01 02:00', from: A, replayOf: 1 }, { at: '2026-03-01 01:00', from: A, text: 'BAL' }] })).toEqual(['scenario.messages[0].replayOf: names a message before this one in the list, got 1']);
    expect(errors({ messages: [{ at: '2026-03-01 02:00', from: A, text: 'BAL' }, { at: '2026-03-01 01:00', from: A, replayOf: 0 }] })).toEqual(['scenario.messages[1].replayOf: message 0 is sent later than this one']);
    expect(errors({ modem: { faults: [{ fault: 'noNetwork', from: '2026-03-01 02:00', to: '2026-03-01 02:00' }, { fault: 'hang', from: '2026-03-01 02:00', to: '2026-03-01 03:00', ms: 10 }, { reboot: '2026-03-02 00:00' }] } })).toEqual([
      'scenario.modem.faults[0].to: not after from',
      'scenario.modem.faults[1].ms: only a slow window has ms (the delay of every answer)',
      'scenario.modem.faults[2].reboot: outside the run (2026-03-01 00:00 + 24 h)',
    ]);
    expect(errors({ modem: { faults: [{ fault: 'hang', reboot: '2026-03-01 02:00' }, { fault: 'noNetwork', from: '2026-03-01 02:00' }] } })).toEqual([
      'scenario.modem.faults[0]: expected a fault window { "fault", "from", "to" } or a restart { "reboot" }',
      'scenario.modem.faults[1]: expected a fault window { "fault", "from", "to" } or a restart { "reboot" }',
    ]);
    expect(errors({ modem: { model: 'sim900', faults: [{ fault: 'fire', from: 'x', to: 'y' }] } })).toEqual([
      'scenario.modem.model: must be equal to one of the allowed values (sim800, sim7600)',
      'scenario.modem.faults.0.fault: must be equal to one of the allowed values (noNetwork, noSim, hang, cmsError, slow)',
    ]);
    expect(errors({ modem: { faults: [{ fault: 'noSim', from: '2026-03-01 02', to: '2026-03-01 03:00' }] } })).toEqual(['scenario.modem.faults[0].from: expected "YYYY-MM-DD HH:MM", got "2026-03-01 02"']);
  });
});
