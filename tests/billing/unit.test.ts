import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit } from '../../firmware/unit';
import { busMetering } from '../../firmware/metering/wiring';
import { CHECK_VARS, applyVars } from '../../firmware/console/config-commands';
import { putVars } from '../../firmware/console/put';
import { VirtualClock } from '../../sim/virtual-clock';

/** One account and one meter; technician PIN 4444. */
const ONE_ACCOUNT = {
  plans: { f: { price: 1000 } },
  accounts: [{ name: 'A', plan: 'f' }],
  meters: [{ name: 'm', account: 'A' }],
  console: { pins: { technician: '4444' } },
};

describe('unit composition root', () => {
  it('boots the core from a config, switches relays and prints its status', () => {
    const lines: string[] = [];
    const relays = [0, 1].map(() => {
      let s = false;
      return { set: (c: boolean) => (s = c), read: () => s };
    });
    const unit = startUnit({ load: nodeModules, clock: new VirtualClock(), print: (l) => lines.push(l), relays }, {
      plans: { f: { price: 1000 } },
      accounts: [{ name: 'A', plan: 'f', relay: 0 }, { name: 'B', plan: 'f', mode: 'off', relay: 1 }],
      meters: [{ name: 'm', account: 'A' }],
    });
    expect(lines).toEqual(['STATUS accounts=2 meters=1 supplied=1 balance=0 time=not-set up=0s']);
    expect(relays[0].read()).toBe(true);
    lines.length = 0;
    unit.input('login 1111\nlog\n');
    expect(lines).toEqual(['signed in as read', '1970-01-01 00:00:00 relay B off (boot)', '1970-01-01 00:00:00 relay A on (boot)', '1970-01-01 00:00:00 event unit time-invalid', '1970-01-01 00:00:00 boot']);
    unit.handle({ t: 'mode', time: 10, account: 0, mode: 2 });
    expect(relays[0].read()).toBe(false);
  });

  it('says loudly when the config is bad and starts with no accounts', () => {
    const lines: string[] = [];
    startUnit({ load: nodeModules, clock: new VirtualClock(), print: (l) => lines.push(l) }, { plans: {} });
    expect(lines[0]).toBe('ERROR config: plans: needs at least one price plan - starting with no accounts');
    expect(lines[1]).toMatch(/^STATUS accounts=0 /);
  });

  it('answers acct in JSON with one line per account as it is made, then the count, and the charges for one', () => {
    const lines: string[] = [];
    const unit = startUnit({ load: nodeModules, clock: new VirtualClock(), print: (l) => lines.push(l) }, ONE_ACCOUNT);
    lines.length = 0;
    unit.input('login 4444\njson on\nacct\nacct A\n');
    expect(lines.slice(2)).toEqual([
      '{"ok":true,"cmd":"acct","account":{"name":"A","balance":0,"relay":1,"mode":"auto","energyWh":0}}',
      '{"ok":true,"cmd":"acct","accounts":1}',
      '{"ok":true,"cmd":"acct","name":"A","balance":0,"relay":1,"mode":"auto","energyWh":0,"chargedMilli":0}',
    ]);
  });

  it('refuses a configuration change the heap has no room for, and changes nothing', () => {
    const lines: string[] = [];
    let free = 250;
    const unit = startUnit({ load: nodeModules, clock: new VirtualClock(), print: (l) => lines.push(l), freeVars: () => free }, ONE_ACCOUNT, { metering: busMetering });
    unit.input('login 4444\n');
    lines.length = 0;
    unit.input('acct set A limit=2\n');
    expect(lines).toEqual(['error: not applied: too little memory for this change (needs about ' + CHECK_VARS + ' variables, 250 free)']);
    lines.length = 0;
    // room to check the account (the cfg module) but not to put it in place and save it (the put
    // module, which checks once cfg has left the heap): refused there, nothing changed
    free = CHECK_VARS + 10;
    unit.input('acct set A limit=2\n');
    expect(lines).toEqual(['error: not applied: too little memory for this change (needs about ' + putVars(1) + ' variables, ' + free + ' free)']);
    expect(unit.put).toBeUndefined();
    lines.length = 0;
    // an account opened rebuilds the configuration: it needs more than one changed in place
    free = 500;
    unit.input('acct open B plan=f\n');
    expect(lines).toEqual(['error: not applied: too little memory for this configuration (needs about ' + applyVars(2, 1) + ' variables, 500 free)']);
    lines.length = 0;
    // closing one rebuilds too: the answer says what a full unit can do instead
    unit.input('acct close A\n');
    expect(lines).toEqual(['error: not applied: too little memory for this configuration (needs about ' + applyVars(1, 1) + ' variables, 500 free); the account can stay: refund A <amount>, then acct set A mode=off']);
    lines.length = 0;
    unit.input('acct A\n');
    expect(lines.join('\n')).toContain('limit 0.000');
    free = 1000;
    lines.length = 0;
    unit.input('acct set A limit=2\n');
    expect(lines).toEqual(['account A changed']);
    lines.length = 0;
    unit.input('acct set A mode=off\n');
    expect(lines).toEqual(['account A changed']);
    // a meter on the bus: its bus session is loaded after the change, not beside it
    lines.length = 0;
    unit.input('meter add D1 acct=A proto=dlt645 addr=000000000001\n');
    expect(lines).toEqual(['meter D1 added to A']);
  });

  it('counts the heap a configuration needs by its accounts and meters', () => {
    expect(applyVars(1, 2)).toBe(630 + 30 + 48);
    expect(applyVars(2, 3)).toBe(630 + 60 + 72);
  });

  it('stops a pasted configuration before it crowds out the memory a change needs', () => {
    const lines: string[] = [];
    let free = 2000;
    const unit = startUnit({ load: nodeModules, clock: new VirtualClock(), print: (l) => lines.push(l), freeVars: () => free }, ONE_ACCOUNT);
    unit.input('login 4444\nconfig import\nBEGIN CONFIG\n{"plans":\n');
    free = 550;
    lines.length = 0;
    unit.input('{"f":{"price":1000}},\n');
    expect(lines).toEqual(['error: configuration too large for the memory left (30 characters read)']);
    lines.length = 0;
    unit.input('acct A\n');
    expect(lines[0]).toMatch(/^account /);
  });
});

