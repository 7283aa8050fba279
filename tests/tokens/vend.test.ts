import { execFileSync } from 'child_process';
import { describe, expect, it } from 'vitest';
import { vendToken } from '../../tools/vend';

const KEY = 'bc41ec9530f6dac86b1a29ab82edc5fb';

describe('vendToken (used by the simulator top-ups)', () => {
  it('issues the official tokens and the next count', () => {
    expect(vendToken({ key: KEY, startingCode: 516959010, count: 1, type: 'add', value: 1 })).toEqual({ ok: true, token: '588224011', count: 2 });
    expect(vendToken({ key: KEY, startingCode: 516959010, count: 1, type: 'sync', restricted: true })).toEqual({ ok: true, token: '132321112434132', count: 3 });
    expect(vendToken({ key: KEY, startingCode: 516959010, count: 1, type: 'set', value: 5, extended: true })).toEqual({ ok: true, token: '925720959015', count: 3 });
  });

  it('refuses bad requests with a reason', () => {
    expect(vendToken({ key: 'abc', startingCode: 1, count: 1, type: 'add', value: 1 })).toEqual({ ok: false, error: 'key must be 32 hex digits' });
    expect(vendToken({ key: KEY, startingCode: 1, count: 1, type: 'add', value: 996 })).toMatchObject({ ok: false, error: expect.stringMatching(/0\.\.995/) });
    expect(vendToken({ key: KEY, startingCode: 1e10, count: 1, type: 'add', value: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/starting code/) });
  });

  it('runs as a CLI', () => {
    const out = execFileSync('npx', ['ts-node', 'tools/vend.ts', '--key', KEY, '--start-code', '516959010', '--count', '1', '--type', 'disable'], { encoding: 'utf8' });
    expect(out).toBe('token: 190942008\ncount: 3\n');
  }, 60000);
});
