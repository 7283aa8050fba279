import { describe, expect, it } from 'vitest';
import { siphash24, sipStats } from '../../firmware/tokens/siphash';

// From the SipHash paper's reference vectors: key 00..0f, message 00..(n-1).
const REFERENCE: [number, string][] = [
  [0, '726fdb47dd0e0e31'],
  [1, '74f839c593dc67fd'],
  [2, '0d6c8009d9a94f5a'],
  [8, '93f5f5799a932462'],
  [15, 'a129ca6149be45e5'],
  [63, '958a324ceb064572'],
];

function hex(out: Uint32Array): string {
  return out[0].toString(16).padStart(8, '0') + out[1].toString(16).padStart(8, '0');
}

describe('SipHash-2-4 on 32-bit halves', () => {
  const key = new Uint8Array(16).map((_, i) => i);
  it.each(REFERENCE)('reference vector, %i-byte message', (n, want) => {
    const msg = new Uint8Array(n).map((_, i) => i);
    const out = new Uint32Array(2);
    siphash24(key, msg, out);
    expect(hex(out)).toBe(want);
  });

  it('writes into a plain array too, and counts its calls', () => {
    const before = sipStats.calls;
    const out = [0, 0];
    siphash24(key, new Uint8Array(8).map((_, i) => i), out);
    expect(out[0].toString(16) + out[1].toString(16).padStart(8, '0')).toBe('93f5f5799a932462');
    expect(sipStats.calls).toBe(before + 1);
  });
});
