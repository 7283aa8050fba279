import { describe, expect, it } from 'vitest';
import { nodeModules } from '../../sim/modules';
import { startUnit } from '../../firmware/unit';
import { VirtualClock } from '../../sim/virtual-clock';
import { vendToken } from '../../tools/vend';

const KEY = 'bc41ec9530f6dac86b1a29ab82edc5fb';
const START = 516959010;

function setup() {
  const clock = new VirtualClock();
  const out: string[] = [];
  const unit = startUnit({ load: nodeModules, clock, print: (l) => out.push(l) }, {
    plans: { f: { price: 1000 } },
    accounts: [{ name: 'R1', plan: 'f', maxBalance: 30000, token: { key: KEY, start: START, unit: 1000 } }, { name: 'R2', plan: 'f' }],
    meters: [],
  });
  const say = (l: string) => {
    out.length = 0;
    unit.input(l + '\n');
    return out.slice();
  };
  say('login 1111');
  return { unit, say, clock };
}

function tok(count: number, type: 'add' | 'set' | 'disable', value = 0) {
  const t = vendToken({ key: KEY, startingCode: START, count, type, value });
  if (!t.ok) throw new Error(t.error);
  return t;
}

describe('token entry on the unit', () => {
  it('adds, sets and disables; refuses what would break the hoarding limit without using the token', () => {
    const { unit, say } = setup();
    const a = tok(1, 'add', 25);
    expect(say('token R1 ' + a.token)[0]).toBe('TOKEN R1 add 25.000 count ' + a.count);
    const big = tok(a.count, 'add', 10);
    expect(say('token R1 ' + big.token)).toEqual(['error: token refused: hoarding (the token stays unused)']);
    const s = tok(big.count, 'set', 5); // issued after the refused add
    expect(say('token R1 ' + s.token)[0]).toBe('TOKEN R1 set 5.000 count ' + s.count);
    expect(unit.core.balance[0]).toBe(5000);
    expect(say('token R1 ' + big.token)).toEqual(['error: token already used']); // older add after a set
    const d = tok(s.count, 'disable');
    expect(say('token R1 ' + d.token)).toContain('event R1 mode-on');
    expect(say('token R2 ' + a.token)).toEqual(['error: account R2 has no token identity (set its token key and start code)']);
    expect(say('token R1 12ab')[0]).toMatch(/^error: token: unexpected "a"/);
  });

  it('locks token entry after wrong tokens, 2^(n-2) minutes from the third', () => {
    const { say, clock } = setup();
    expect(say('token R1 111111111')).toEqual(['error: token invalid (1 more before a lock-out)']);
    expect(say('token R1 111111112')).toEqual(['error: token invalid (the next wrong token locks entry)']);
    expect(say('token R1 111111113')).toEqual(['error: token invalid, entry locked for 120 s']);
    expect(say('token R1 ' + tok(1, 'add', 1).token)).toEqual(['error: token entry locked for 120 s after wrong tokens']);
    clock.advance(120000);
    expect(say('token R1 ' + tok(1, 'add', 1).token)[0]).toMatch(/^TOKEN R1 add 1\.000/);
  });
});
