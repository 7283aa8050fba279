import { describe, expect, it } from 'vitest';
import { matchToken, parseToken } from '../../firmware/tokens/openpaygo';
import { generateToken, keyFromHex } from '../../tools/openpaygo-encode';
import { KINDS, vectors } from './helpers';

function label(v: (typeof vectors)[number]): string {
  const form = (v.extended_token ? 'extended' : 'standard') + (v.restricted_digit_set ? ' restricted' : '');
  return v.token_type + ' ' + (v.value_raw === null ? '' : v.value_raw + ' ') + form + ' ' + v.token;
}

describe('official OpenPAYGO vectors', () => {
  it('has all 40', () => expect(vectors.length).toBe(40));

  it.each(vectors.map((v) => [label(v), v] as const))('decodes %s', (_, v) => {
    const p = parseToken(v.token);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.extended).toBe(v.extended_token);
    const m = matchToken({ key: keyFromHex(v.key)!, startingCode: v.starting_code }, p.value, v.count, 0);
    const kind = KINDS[v.token_type];
    const value = kind === 'disable' ? 998 : kind === 'sync' ? 999 : v.value_raw;
    expect(m).toEqual({ ok: true, count: v.new_count, value, kind });
  });

  it.each(vectors.map((v) => [label(v), v] as const))('encodes %s', (_, v) => {
    const r = generateToken({
      key: keyFromHex(v.key)!,
      startingCode: v.starting_code,
      count: v.count,
      kind: KINDS[v.token_type],
      value: v.value_raw === null ? 0 : v.value_raw,
      extended: v.extended_token,
      restricted: v.restricted_digit_set,
    });
    expect(r).toEqual({ ok: true, token: v.token, count: v.new_count });
  });
});
